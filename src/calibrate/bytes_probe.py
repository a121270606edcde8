"""What moving a request's bytes costs CPython 3.11 per byte, for the process pool's payloads
and replies (the evidence for `ByteCosts` in `src/service/byte_costs.rs`).

A `ProcessPoolExecutor` pickles a call in the parent (`_ForkingPickler.dumps` in the call
queue's feeder thread), writes it to a pipe (`Connection.send_bytes`), and the worker reads
(`recv_bytes`) and unpickles it; the result goes back the same way. This probe times, for
byte strings of 64 KiB to 4 MiB, in thread CPU time (best of 5, 20 rounds each):
  pickle     `_ForkingPickler.dumps(b)`        (holds the GIL)
  unpickle   `_ForkingPickler.loads(data)`     (holds the GIL)
  pipe       `send_bytes` in this process while another process `recv_bytes` the same
             bytes: the writer's CPU per byte (the reader's is the same copy, measured
             with the roles swapped)
and prints ns per byte for each size and the slope (least squares over the sizes), which is
what the model charges. Run:
    python3 src/calibrate/bytes_probe.py
"""
import multiprocessing as mp
import os
import time
from multiprocessing.reduction import ForkingPickler

SIZES = [64 << 10, 256 << 10, 1 << 20, 4 << 20]
ROUNDS = 20


def cpu():
    return time.thread_time_ns()


def best(f, arg):
    out = []
    for _ in range(5):
        t0 = cpu()
        for _ in range(ROUNDS):
            f(arg)
        out.append((cpu() - t0) / ROUNDS)
    return min(out)


def reader(conn, n, rounds, reply):
    for _ in range(rounds):
        t0 = cpu()
        conn.recv_bytes()
        reply.send(cpu() - t0)


def pipe_costs(size):
    a, b = mp.Pipe(duplex=False)
    r_out, r_in = mp.Pipe(duplex=False)
    p = mp.Process(target=reader, args=(a, size, ROUNDS * 5, r_in))
    p.start()
    data = bytes(size)
    w, r = [], []
    for _ in range(ROUNDS * 5):
        t0 = cpu()
        b.send_bytes(data)
        w.append(cpu() - t0)
        r.append(r_out.recv())
    p.join()
    return min(w), min(r)


def slope(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    rows = []
    for size in SIZES:
        b = bytes(size)
        data = bytes(ForkingPickler.dumps(b))
        pk = best(ForkingPickler.dumps, b)
        up = best(ForkingPickler.loads, data)
        pw, pr = pipe_costs(size)
        rows.append((size, pk, up, pw, pr))
        print(f"{size >> 10:6d} KiB  pickle {pk / size:.3f}  unpickle {up / size:.3f}  "
              f"pipe write {pw / size:.3f}  pipe read {pr / size:.3f}  ns/byte")
    xs = [r[0] for r in rows]
    names = ["pickle", "unpickle", "pipe_write", "pipe_read"]
    for i, name in enumerate(names, start=1):
        print(f"slope {name:10s} {slope(xs, [r[i] for r in rows]):.4f} ns/byte")


if __name__ == "__main__":
    main()
