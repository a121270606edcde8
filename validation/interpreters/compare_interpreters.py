"""The lesson's scenarios live on several CPython builds, beside the simulation (which models
3.11's costs): the table of the README's "Other interpreters" section.

For each scenario file and each interpreter (`NAME=PATH`, NAME without `=`; PATH may be a wrapper script, such as
one that execs `python3.13t -X gil=1 "$@"`: the service runs with `-I`, which ignores
`PYTHON_GIL`), `execsim live --backend cpython --python PATH --json` runs it once; printed: the
light client's requests per second before the long request (second 1) and during it (seconds
3 to the end), and the same from `execsim run --json`. Run from the repository's root after
`cargo build --release` and `scripts/build-cpython.sh 3.13 [--free-threaded]`, on an
otherwise idle machine:
    python3 validation/interpreters/compare_interpreters.py scenarios/lesson-thread-5ms.toml \\
        scenarios/lesson-process.toml -- 3.11=python3 \\
        3.13=$HOME/.cache/execsim/cpython/python3.13/bin/python3.13 \\
        3.13t=$HOME/.cache/execsim/cpython/python3.13t/bin/python3.13t
"""
import json
import os
import subprocess
import sys

EXE = os.path.join("target", "release", "execsim")
LIGHT = "simple"


def phases(cmd):
    """(before, during) req/s of the light client, or (None, error text)."""
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()[-300:]
    d = json.loads(out.stdout)
    c = next(c for c in d["clients"] if c["name"] == LIGHT)
    ps = c["per_second"]
    during = ps[3:]
    return ps[1], sum(during) / max(1, len(during))


def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.exit(__doc__)
    cut = args.index("--")
    files, interps = args[:cut], [a.split("=", 1) for a in args[cut + 1:]]
    if not files or not interps or any(len(i) != 2 for i in interps):
        sys.exit(__doc__)
    for f in files:
        name = os.path.basename(f)
        sim = phases([EXE, "run", "--json", f])
        print(f"{name:<24} {'simulation (3.11)':<22} before {sim[0]:8.0f}  during {sim[1]:8.1f} req/s")
        for label, path in interps:
            got = phases([EXE, "live", "--backend", "cpython", "--python", path, "--json", f])
            if got[0] is None:
                print(f"{name:<24} {label:<22} failed: {got[1]}")
                continue
            print(f"{name:<24} {label:<22} before {got[0]:8.0f}  during {got[1]:8.1f} req/s")


if __name__ == "__main__":
    main()
