"""Simulated against live, one workload file under several executors: the figures of the
README's "Model your own service" table and of `tests/advise.rs`.

For each variant (`thread`, `thread:2`, `process:32`, `inline`...), the file's [server]
executor and workers are replaced, then `execsim run --json` and
`execsim live --backend cpython --json` run it; printed: requests per second of all clients
over seconds 1 to the end, and the worst client's p99. Run from the repository's root after
`cargo build --release`, on an otherwise idle machine:
    python3 validation/workloads/compare_executors.py examples/workloads/hash_uploads.toml thread:2 thread process inline
"""
import json
import os
import re
import subprocess
import sys
import tempfile

EXE = os.path.join("target", "release", "execsim")


def totals(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()[-300:]
    d = json.loads(out.stdout)
    secs = range(1, int(d["duration_s"]))
    rate = sum(sum(c["per_second"][s] for s in secs) for c in d["clients"]) / len(secs)
    p99 = max(c["latency_us"]["p99"] for c in d["clients"]) / 1e3
    return rate, p99


def main():
    path, variants = sys.argv[1], sys.argv[2:]
    src = open(path).read()
    server = re.compile(r"\[server\]\n(?:(?:executor|workers) = .*\n)*")
    with tempfile.TemporaryDirectory() as tmp:
        for v in variants:
            kind, _, workers = v.partition(":")
            block = '[server]\nexecutor = "%s"\n%s' % (kind, "workers = %s\n" % workers if workers else "")
            text = server.sub(block, src, count=1)
            file = os.path.join(tmp, "variant.toml")
            with open(file, "w") as f:
                f.write(text)
            sim = totals([EXE, "run", "--json", file])
            live = totals([EXE, "live", "--backend", "cpython", "--json", file])
            fmt = lambda r: "failed: %s" % r[1] if r[0] is None else "%8.1f req/s, worst p99 %6.1f ms" % r
            print("%-14s sim %s | live %s" % (v, fmt(sim), fmt(live)), flush=True)


if __name__ == "__main__":
    main()
