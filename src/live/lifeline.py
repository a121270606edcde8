"""Lifeline of execsim's Python children (prepended to the reference service and to the
calibration script): what keeps them from outliving the run or the calibration that started
them, whatever kills execsim. The Rust counterpart is src/live/lifeline.rs.

- die_with_parent(): PR_SET_PDEATHSIG = SIGKILL through libc's prctl (ctypes), for a process
  that execsim did not start itself (a process-pool worker forked by the service); execsim sets
  it for its own children before exec.
- start_lifeline(): a thread that ends the process when its parent pid changes (the parent died
  and the process was re-parented: the parent-death signal can be missed in the window before it
  is set) or at a deadline (the parent hangs instead of dying).
"""

import ctypes
import os
import signal
import sys
import threading
import time


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_DEADLINE = 3
EXIT_ORPHANED = 4


def die_with_parent():
    """PR_SET_PDEATHSIG(SIGKILL): the kernel kills this process when its parent thread dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        rc = libc.prctl(
            ctypes.c_int(PR_SET_PDEATHSIG),
            ctypes.c_ulong(signal.SIGKILL),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
        if rc != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (OSError, AttributeError) as e:
        # The lifeline thread still ends the process once its parent is gone.
        sys.stderr.write("warning: %s\n" % e)


def parent_of(pid):
    """The parent pid of `pid` (from /proc), or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            # The command name may contain spaces and parentheses: fields follow the last ')'.
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def start_lifeline(parent, deadline_ns, poll_s, root=None):
    """A thread that ends this process when its parent pid is no longer `parent` (the parent
    died) or at `deadline_ns`. With `root` (a process-pool worker whose parent is a fork
    server, not the service `root`): also when `parent`'s own parent is no longer `root`, after
    killing `parent` (the fork server serves only that service). It takes the GIL every
    `poll_s`, which is why the service polls less often than a pool worker (its GIL is the one
    the run measures)."""

    def run():
        while True:
            if os.getppid() != parent:
                os._exit(EXIT_ORPHANED)
            if root is not None and root != parent and parent_of(parent) != root:
                try:
                    os.kill(parent, signal.SIGKILL)
                except OSError:
                    pass
                os._exit(EXIT_ORPHANED)
            if time.monotonic_ns() >= deadline_ns:
                os._exit(EXIT_DEADLINE)
            time.sleep(poll_s)

    threading.Thread(target=run, name="lifeline", daemon=True).start()


