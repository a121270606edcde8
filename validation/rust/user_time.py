"""How much of the Rust server's CPU time per request is its own code, and how much the kernel's.

    cargo build --release && python3 validation/rust/user_time.py [REPS]

The evidence behind `RustServerCosts` (src/service/rust_server_costs.rs): for each of the
four shapes of validation/rust/costs/ (inline with everything on CPU 0; a thread pool and a
process pool with their workers on CPU 1; a thread per connection on CPU 0; one closed-loop
client sending n = 1, no long request), runs `execsim live FILE --backend rust` REPS times (default 3) and reads every
thread's user and system time (`/proc/PID/task/TID/stat`, fields 14 and 15, in clock ticks)
of the server and its worker processes 1.5 s and 5.5 s into the run. Prints, per thread, the
median over the repetitions of its user and system time per completed request (µs). User
time is sampled at the timer tick (4 ms here): over 4 s a thread's figure holds to about
0.05 s / requests. Run it on an idle machine.
"""
import json, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXE = os.path.join(ROOT, "target", "release", "execsim")
SHAPES = ["inline-one-cpu", "thread-split", "process-split", "tpc-one-cpu"]
TICK = os.sysconf("SC_CLK_TCK")


def pids():
    """The run's server process and worker processes (`execsim __live ...`)."""
    out = subprocess.run(["pgrep", "-f", "execsim __live"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def snapshot():
    """(pid, tid) -> (thread name, user s, system s)."""
    snap = {}
    for pid in pids():
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
                stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            snap[(pid, int(tid))] = (name, int(fields[11]) / TICK, int(fields[12]) / TICK)
    return snap


def one_run(path):
    """Per thread name: (user µs, system µs) per request between 1.5 s and 5.5 s."""
    run = subprocess.Popen([EXE, "live", path, "--backend", "rust", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.5)
    a = snapshot()
    time.sleep(4.0)
    b = snapshot()
    out, _ = run.communicate()
    per_second = json.loads(out)["clients"][0]["per_second"]
    # Requests completed from 1.5 s to 5.5 s: half of second 1, seconds 2-4, half of second 5.
    requests = per_second[1] / 2 + sum(per_second[2:5]) + per_second[5] / 2
    names = {}
    for key, (name, u, s) in b.items():
        if key not in a:
            continue
        du, ds = u - a[key][1], s - a[key][2]
        if du + ds == 0:
            continue
        # The two worker processes' main threads are both named "execsim".
        label = "worker process" if name == "execsim" else re.sub(r"-\d+$", "", name)
        x = names.setdefault(label, [0.0, 0.0])
        x[0] += du
        x[1] += ds
    return requests, {k: (u / requests * 1e6, s / requests * 1e6) for k, (u, s) in names.items()}


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for shape in SHAPES:
        path = os.path.join(ROOT, "validation", "rust", "costs", shape + ".toml")
        runs = [one_run(path) for _ in range(reps)]
        rates = [r / 4.0 for r, _ in runs]
        print(f"{shape}: {statistics.median(rates):,.0f} req/s (median of {reps}; "
              f"{min(rates):,.0f}..{max(rates):,.0f})")
        for name in sorted({n for _, t in runs for n in t}):
            us = [t[name][0] for _, t in runs if name in t]
            sy = [t[name][1] for _, t in runs if name in t]
            print(f"  {name:16} user {statistics.median(us):5.2f} us  system "
                  f"{statistics.median(sy):6.2f} us per request")


if __name__ == "__main__":
    main()
