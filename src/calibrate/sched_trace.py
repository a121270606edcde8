"""Linux's own record of a live run's scheduling: when each thread of the service was woken,
how long it took to run, whether it preempted the thread on the CPU, and how long it sat
preempted. The evidence the model's scheduler policies are checked against (the validation
matrix compares each thread's total run-queue wait; this shows the individual decisions).

Needs root and tracefs (/sys/kernel/tracing; mounted if absent). Runs
`execsim live FILE --backend cpython --gil-trace` with the kernel's sched_waking,
sched_wakeup and sched_switch events recorded (trace clock `mono`, the GIL trace's), names
the threads from the GIL trace, places the GIL trace on the kernel's clock (the offset that
puts the most short GIL-holding spans on a CPU: the GIL trace counts from the run's start), and
prints, over seconds T0..T1 of the run, for each service thread:
  cpu      time on each CPU
  wakes    wake-ups, and their latency to run: from sched_waking (the waker's side) and from
           sched_wakeup (queued on the target CPU); `at once`: the running thread was
           preempted within 50 us; `>1ms`: waits over a millisecond and their total
  preempt  times it was switched out still runnable, and the time until it ran again
then how long a service thread woken onto an idle vCPU took to run, by how long that vCPU had
idled (`idle wake-ups`: from sched_waking to sched_switch, the waker on another vCPU),
then how often a vCPU going idle while the other had a thread waiting pulled that thread
(`idle pulls`: Linux's newidle balance, seen as a `sched_migrate_task` to it right before it
switches to the pulled thread) and how much of the idle time passed beside a waiting thread,
then where each woken thread ran next against the vCPU it last ran on (`placement`: stayed /
moved, by where the waker ran and which vCPUs were busy),
and then every other task that ran on those CPUs in the window (the OS's own noise: kernel
threads such as DAMON's `kdamond.0`, the supervisor's threads): spells, total, longest.
Caveat: the GIL trace (needed for the threads' names) costs the traced run time. In the
0.5 ms convoy the CPU-bound worker ran 38 to 54% of CPU 1 in traced runs, against 89% in the
validation's untraced ones (`schedstat`): read this for the shape of the decisions (who waits
for what, and until what), and the matrix's run-queue table for the totals.
Run (repo root, after `cargo build --release`):
    python3 src/calibrate/sched_trace.py validation/scenarios/10-process-worker-alone.toml 3 5.5

Measured 2026-12-02 17:20-17:31 UTC (Intel Xeon host, 2 vCPUs, Linux 6.18 with HZ=250, base
slice 1.4 ms, CPython 3.11.7), idle machine, seconds 3 to 5.5:
  10 (process pool, workers on CPU 1): the light worker process was woken 6,952 times onto the
     CPU where the long request's process computes; it preempted it at once 99.4% of the time
     (waking to run p50 27 us, of which queued p50 6 us); 34 waits over 100 us, 108 ms in all,
     each until a 4 ms tick (EEVDF's run-to-parity: no wake-up preemption while the running
     task is eligible and inside its slice; the tick ends it).
  07 (thread pool on CPU 1, 0.5 ms): a light worker woken by its GIL timed wait expiring waits
     for CPU 1 until the next tick, 3.6 ms, while the CPU-bound worker holds the GIL: a 4.8 ms
     hold that no waiter asks to end.
  08 (everything on one CPU, 5 ms): the CPU-bound worker, preempted by the thread its GIL drop
     woke, stays runnable 2.6 to 25 ms while the light requests' threads run; it waits for the
     GIL only 6 ms in all in 2.5 s (it runs when the GIL is free), where CFS in the model
     makes it a GIL waiter that asks for drops.
"""

import bisect
import collections
import json
import os
import re
import subprocess
import sys

T = "/sys/kernel/tracing"
LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$")


def tracefs(name, value=None):
    path = os.path.join(T, name)
    if value is None:
        return open(path).read()
    with open(path, "w") as f:
        f.write(value)


def record(scenario, out):
    if not os.path.exists(os.path.join(T, "trace")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", T], check=True)
    clock = re.search(r"\[(\w+)\]", tracefs("trace_clock")).group(1)
    size = tracefs("buffer_size_kb").split()[0]
    was_on = tracefs("tracing_on").strip()
    tracefs("tracing_on", "0")
    tracefs("trace", "")
    tracefs("buffer_size_kb", "65536")
    tracefs("trace_clock", "mono")
    tracefs("set_event", "sched:sched_switch sched:sched_wakeup sched:sched_waking "
            "sched:sched_migrate_task")
    try:
        tracefs("tracing_on", "1")
        subprocess.run(
            ["target/release/execsim", "live", scenario, "--backend", "cpython",
             "--json", "--gil-trace", out + ".gil.json"],
            check=True, stdout=subprocess.DEVNULL)
        tracefs("tracing_on", "0")
        with open(out, "w") as f:
            f.write(tracefs("trace"))
    finally:
        tracefs("tracing_on", "0")
        tracefs("set_event", "")
        tracefs("trace", "")
        tracefs("trace_clock", clock)
        tracefs("buffer_size_kb", size)
        tracefs("tracing_on", was_on)


def events(path):
    for line in open(path):
        m = LINE.match(line)
        if m:
            _, pid, cpu, ts, name, rest = m.groups()
            yield float(ts), int(cpu), name, dict(re.findall(r"(\w+)=(\S+)", rest)), int(pid)


def offset_of(spans, oncpu):
    """The shift of the GIL trace's clock that puts most GIL-holding spans on a CPU."""
    starts = {t: [s for s, _, _ in v] for t, v in oncpu.items()}

    def on(t, x):
        i = bisect.bisect_right(starts.get(t, []), x) - 1
        return i >= 0 and oncpu[t][i][0] <= x <= oncpu[t][i][1]

    sample = spans[:: max(1, len(spans) // 3000)]
    score = lambda off: sum(on(t, mid + off) for t, mid in sample)
    first = min(v[0][0] for v in oncpu.values() if v)
    best = max((score(first + k * 1e-3), first + k * 1e-3) for k in range(-3000, 3000))[1]
    for step in (1e-4, 1e-5, 1e-6):
        best = max((score(best + k * step), best + k * step) for k in range(-12, 13))[1]
    return best


def stats(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return "none"
    return f"n {n} p50 {v[n // 2]:.0f} p90 {v[int(n * .9)]:.0f} max {v[-1]:.0f} us"


def placement(evs, names, lo, hi):
    """Where each service thread woken in [lo, hi] ran next, against the vCPU it ran on last:
    counted by where its waker ran (on that vCPU or another), whether that vCPU was busy
    (running someone else) and whether any other vCPU was idle. Upstream Linux takes an idle
    vCPU when the previous one is busy (`select_idle_sibling`); this VM kind's kernel, booted
    with `sched_vcpu_pack=15`, mostly stays (MachineCosts::wake_on_prev)."""
    running, last, pending = {}, {}, {}
    cases = collections.defaultdict(lambda: collections.Counter())
    for ts, cpu, name, kv, pid in evs:
        if name == "sched_switch":
            nxt = int(kv["next_pid"])
            running[cpu] = nxt
            if nxt in pending:
                key, prev = pending.pop(nxt)
                cases[nxt][key + ("stayed" if cpu == prev else "moved",)] += 1
            last[nxt] = cpu
        elif name == "sched_waking":
            t = int(kv["pid"])
            if t not in names or t not in last or not lo <= ts <= hi:
                continue
            prev = last[t]
            others = [c for c in running if c != prev]
            key = ("waker on prev" if cpu == prev else "waker elsewhere",
                   "prev busy" if running.get(prev, 0) not in (0, t) else "prev idle",
                   "other idle" if any(running[c] == 0 for c in others) else "others busy")
            pending[t] = (key, prev)
    print("wake-up placement (stayed on the previous vCPU / moved), by case:")
    for tid in sorted(cases, key=lambda t: names[t]):
        by = collections.defaultdict(lambda: [0, 0])
        for (w, p, o, r), n in cases[tid].items():
            by[(w, p, o)][r == "moved"] += n
        row = "; ".join(f"{w}, {p}, {o}: {a}/{b}" for (w, p, o), (a, b) in sorted(by.items()))
        print(f"  {names[tid]:<16} {row}")


IDLE_BINS_US = [10, 20, 50, 100, 200, 1000, float("inf")]


def idle_wakes(evs, names, lo, hi):
    """Wake-ups of the service's threads onto an idle vCPU from another one: time to run by
    how long the target had idled. On 2026-12-03 (AMD EPYC host) the 0.5 ms convoy (`07`) gave
    29 us at the median for 5 to 100 us of idleness, a light-only run (loop on CPU 0, client
    and worker on CPU 1) 19 us under 20 us and 24 us from 20 to 50: the model's cross-vCPU
    wake-up (`wake_idle`) is one figure for both."""
    running, idle_since, pending = {}, {}, {}
    bins = collections.defaultdict(list)
    for ts, cpu, name, kv, _ in evs:
        if name == "sched_switch":
            nxt = int(kv["next_pid"])
            running[cpu] = nxt
            if nxt == 0:
                idle_since[cpu] = ts
            if nxt in pending:
                w_ts, target, idle_us = pending.pop(nxt)
                if target == cpu and lo <= ts <= hi:
                    b = next(i for i, x in enumerate(IDLE_BINS_US) if idle_us < x)
                    bins[b].append((ts - w_ts) * 1e6)
        elif name == "sched_waking":
            w, target = int(kv["pid"]), int(kv["target_cpu"])
            if w in names and running.get(target, -1) == 0 and target != cpu:
                pending[w] = (ts, target, (ts - idle_since.get(target, ts)) * 1e6)
            else:
                pending.pop(w, None)
    print("idle wake-ups (waker on another vCPU): waking -> running, by the target's idle time:")
    lower = 0
    for i, upper in enumerate(IDLE_BINS_US):
        v = sorted(bins.get(i, []))
        if len(v) >= 5:
            print(f"  idle {lower:>4}..{upper:<5} us: n {len(v):5d}  p10 {v[len(v) // 10]:6.1f}  "
                  f"p50 {v[len(v) // 2]:6.1f}  p90 {v[len(v) * 9 // 10]:6.1f} us")
        lower = upper


def idle_pulls(evs, lo, hi):
    """The chances a vCPU had to pull a thread waiting on another one as it went idle, and how
    many it took (the model's `idle_pull`). This kernel does not trace an idle vCPU's switch
    to a woken thread on every vCPU: a wake-up from the idle task onto its own vCPU, or any
    event of a thread on it, counts as that switch. Chances taken: a migration of a waiting
    thread to this vCPU followed, within 30 us, by this vCPU switching to it from a thread
    that blocked. Chances missed: a switch to idle while another vCPU had a thread waiting."""
    running, queued = {}, collections.defaultdict(set)
    pulled, missed, moved = 0, 0, {}
    idle_total, beside = 0.0, 0.0
    last = None

    def waiting_elsewhere(c):
        return any(q for k, q in queued.items() if k != c)

    for ts, cpu, name, kv, cur in evs:
        if last is not None and lo <= ts <= hi:
            for c, r in running.items():
                if r == 0:
                    idle_total += ts - last
                    beside += (ts - last) if waiting_elsewhere(c) else 0.0
        last = ts
        if cur != 0 and running.get(cpu) == 0 and name != "sched_switch":
            running[cpu] = cur
        if name == "sched_switch":
            prev, nxt = int(kv["prev_pid"]), int(kv["next_pid"])
            if prev != 0 and kv["prev_state"].startswith("R"):
                queued[cpu].add(prev)
            for q in queued.values():
                q.discard(nxt)
            if lo <= ts <= hi:
                took = moved.pop(cpu, None)
                if took and took[0] == nxt and ts - took[1] < 30e-6:
                    pulled += 1
                elif nxt == 0 and waiting_elsewhere(cpu):
                    missed += 1
            running[cpu] = nxt
        elif name == "sched_wakeup":
            tid, target = int(kv["pid"]), int(kv["target_cpu"])
            if cur == 0 and target == cpu and running.get(cpu) == 0:
                running[cpu] = tid
            elif running.get(target) != tid:
                queued[target].add(tid)
        elif name == "sched_migrate_task":
            tid, src, dst = int(kv["pid"]), int(kv["orig_cpu"]), int(kv["dest_cpu"])
            if tid in queued[src]:
                queued[src].discard(tid)
                queued[dst].add(tid)
                if cpu == dst:
                    moved[dst] = (tid, ts)
    chances = pulled + missed
    share = f"{100 * pulled / chances:.0f}%" if chances else "-"
    print(f"idle pulls: a vCPU went idle with a thread waiting elsewhere {chances} times and "
          f"pulled it {pulled} times ({share}); vCPUs idle {idle_total:.3f} s in all, "
          f"{beside:.3f} s of it beside a waiting thread")


def main():
    scenario, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    out = "/tmp/execsim-sched-trace.txt"
    record(scenario, out)
    gil = json.load(open(out + ".gil.json"))["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in gil if e.get("name") == "thread_name"}
    # Short holds pin the offset down; a CPU-bound thread's long ones fit almost any offset.
    spans = [(e["tid"], (e["ts"] + e["dur"] / 2) * 1e-6) for e in gil
             if e.get("name") == "python (GIL held)" and 20 < e["dur"] < 500]
    oncpu, cur = collections.defaultdict(list), {}
    evs = list(events(out))
    for ts, cpu, name, kv, _ in evs:
        if name == "sched_switch":
            if cpu in cur:
                p, s = cur[cpu]
                oncpu[p].append((s, ts, cpu))
            cur[cpu] = (int(kv["next_pid"]), ts)
    off = offset_of(spans, oncpu)
    lo, hi = off + t0, off + t1
    cpu_time = collections.defaultdict(lambda: collections.defaultdict(float))
    waking, wakeup, out_at = {}, {}, {}
    wakes = collections.defaultdict(lambda: ([], [], 0))
    preempt = collections.defaultdict(list)
    running = {}
    for ts, cpu, name, kv, _ in evs:
        if name == "sched_waking":
            waking[int(kv["pid"])] = ts
        elif name == "sched_wakeup":
            wakeup[int(kv["pid"])] = (ts, running.get(int(kv["target_cpu"]), 0))
        elif name == "sched_switch":
            prev, nxt = int(kv["prev_pid"]), int(kv["next_pid"])
            if kv["prev_state"].startswith("R"):
                out_at[prev] = ts
            if lo <= ts <= hi:
                if nxt in wakeup and nxt in waking:
                    (w, busy), k = wakeup[nxt], waking[nxt]
                    a, b, at_once = wakes[nxt]
                    a.append((ts - k) * 1e6)
                    b.append((ts - w) * 1e6)
                    wakes[nxt] = (a, b, at_once + (busy != 0 and ts - w < 50e-6))
                if nxt in out_at:
                    preempt[nxt].append((ts - out_at[nxt]) * 1e6)
            waking.pop(nxt, None)
            wakeup.pop(nxt, None)
            out_at.pop(nxt, None)
            running[cpu] = nxt
    for p, spells in oncpu.items():
        for s, e, c in spells:
            cpu_time[p][c] += max(0.0, min(e, hi) - max(s, lo))
    print(f"{scenario}, seconds {t0}..{t1} of the run (GIL trace offset {off:.6f} s)")
    others = collections.defaultdict(list)
    comm, cur = {}, {}
    for ts, cpu, name, kv, _ in evs:
        if name != "sched_switch":
            continue
        if cpu in cur:
            p, s = cur[cpu]
            if p not in names and p != 0 and lo <= s <= hi:
                others[(cpu, comm[p])].append(min(ts, hi) - s)
        nxt = int(kv["next_pid"])
        comm[nxt] = kv["next_comm"]
        cur[cpu] = (nxt, ts)
    for tid in sorted(names, key=lambda t: names[t]):
        per_cpu = {c: t for c, t in sorted(cpu_time[tid].items()) if t > 0}
        if not (per_cpu or wakes[tid][0] or preempt[tid]):
            continue
        a, b, at_once = wakes[tid]
        long_waits = [x for x in b if x > 1000]
        cpus = ", ".join(f"CPU {c} {t * 1e3:.1f} ms" for c, t in per_cpu.items())
        print(f"{names[tid]:<16} {cpus}")
        print(f"  wakes {len(a)}: waking->run {stats(a)}; queued->run {stats(b)}; "
              f"at once {at_once}; >1ms {len(long_waits)} ({sum(long_waits) / 1e3:.1f} ms)")
        print(f"  preempted {len(preempt[tid])}: until it ran again {stats(preempt[tid])}, "
              f"{sum(preempt[tid]) / 1e3:.1f} ms in all")
    idle_wakes(evs, names, lo, hi)
    idle_pulls(evs, lo, hi)
    placement(evs, names, lo, hi)
    print("other tasks on the CPUs in the window:")
    for (cpu, name), spells in sorted(others.items(), key=lambda kv: -sum(kv[1]))[:8]:
        print(f"  CPU {cpu} {name:<18} {len(spells)} spells, {sum(spells) * 1e3:.1f} ms, "
              f"longest {max(spells) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
