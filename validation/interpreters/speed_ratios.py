"""How fast other CPython builds run the lesson's code against 3.11, on the same host, in the
same minutes: the numbers behind a calibration's `[interpreters."<version>"]` tables.

Runs `execsim live --json validation/interpreters/probe.toml` (one light client for one
second) on each interpreter in turn, ROUNDS times, interleaved so that the host's speed
changes hit every interpreter alike. Every live run probes the host before and after itself,
in the run's interpreter: the prime core (`find_nth_prime(60)`, best of 7, ns per test) and
the request path (ns per asyncio round trip on loopback). Prints, per interpreter, the median
of each and its ratio to the first interpreter's, which is the reference (3.11, whose costs
the calibration holds), with the spread of the per-round ratios.

Run (repo root, after `cargo build --release`, on an idle machine):
    python3 validation/interpreters/speed_ratios.py 7 3.11=python3 3.13=PATH 3.13t=PATH
"""
import json
import statistics
import subprocess
import sys

EXECSIM = "target/release/execsim"
PROBE = "validation/interpreters/probe.toml"


def probe(python):
    out = subprocess.run(
        [EXECSIM, "live", "--backend", "cpython", "--json", "--python", python, PROBE],
        check=True, capture_output=True, text=True,
    ).stdout
    hs = json.loads(out)["host_speed"]
    per_test = statistics.median([hs["before_per_test_ns"], hs["after_per_test_ns"]])
    service = statistics.median([hs["service_before_ns"], hs["service_after_ns"]])
    return per_test, service


def main():
    rounds = int(sys.argv[1])
    named = [a.split("=", 1) for a in sys.argv[2:]]
    runs = {name: [] for name, _ in named}
    for r in range(rounds):
        for name, path in named:
            runs[name].append(probe(path))
        print(f"round {r + 1}: " + "  ".join(
            f"{n} {runs[n][-1][0]:.1f} ns/test {runs[n][-1][1] / 1000:.1f} us/rt" for n, _ in named),
            flush=True)
    ref = named[0][0]
    print(f"\ninterpreter  per test ns  ratio (min-max)        round trip us  ratio (min-max)")
    for name, _ in named:
        core = [a[0] / b[0] for a, b in zip(runs[name], runs[ref])]
        svc = [a[1] / b[1] for a, b in zip(runs[name], runs[ref])]
        print(f"{name:<12} {statistics.median(a[0] for a in runs[name]):11.1f}  "
              f"{statistics.median(core):.3f} ({min(core):.3f}-{max(core):.3f})  "
              f"{statistics.median(a[1] for a in runs[name]) / 1000:13.1f}  "
              f"{statistics.median(svc):.3f} ({min(svc):.3f}-{max(svc):.3f})")


if __name__ == "__main__":
    main()
