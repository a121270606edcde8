"""Demonstrates the Python front end's user story: profile your real handler in this
interpreter, then ask execsim which executor, pool size and switch interval to run it on,
and save the evidence as figures.

    pip install .                                   # from a clone (needs the Rust toolchain)
    python examples/python/choose_executor.py       # [--out DIR] [--clients N] [--p99 MS]

The handler below is a stand-in for yours: it tokenises a document in pure Python (holds the
GIL) and hashes it with hashlib (C code that releases the GIL). `execsim.profile` times each
call and samples who holds the GIL; the profile becomes a request type, the scenario puts N
closed-loop clients on it, and `execsim.advise` simulates every executor option. The same
story as a notebook, with a sweep and a live check: `choose_executor.ipynb`.
"""

import argparse
import hashlib
import pathlib

import execsim

DOCUMENT = b" ".join(b"word%d" % (i % 977) for i in range(60_000))


def handler(document: bytes) -> str:
    """Counts the words (pure Python), then fingerprints the document (hashlib, GIL released)."""
    counts = {}
    for word in document.split(b" "):
        counts[word] = counts.get(word, 0) + 1
    digest = hashlib.sha256(document * 16).hexdigest()
    return f"{len(counts)} {digest}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="plots/python-choose-executor", help="folder for the figures")
    ap.add_argument("--clients", type=int, default=8, help="concurrent closed-loop clients")
    ap.add_argument("--p99", type=float, default=None, help="p99 latency bound, ms")
    args = ap.parse_args()

    prof = execsim.profile(handler, DOCUMENT, repeat=40)
    print(prof.summary())
    print()

    scenario = execsim.Scenario(
        name="tokenise-and-hash",
        duration="6s",
        cores=2,
        requests=[prof],
        clients=[{"name": "users", "request": prof.name, "count": args.clients}],
    )
    advice = execsim.advise(scenario, p99=args.p99)
    print(advice)

    out = pathlib.Path(args.out)
    figures = [
        ("advice", advice.plot()),  # both below, in one picture
        ("throughput", advice.plot.throughput()),
        ("latency", advice.plot.latency()),
    ]
    for stem, fig in figures:
        print("figure:", fig.save(out / f"{stem}.png"))


if __name__ == "__main__":
    main()
