"""Measuring one fit in its own process: a warm-up before the baseline, and peak resident memory.

Shared by speed.py and scaling.py.
"""

from __future__ import annotations

import numpy as np


def warm_up(torch, X) -> None:
    """One forward, backward and Adam step on a toy layer before the memory baseline: torch
    pages in its kernels' code (about 150 MiB of resident library pages on first use of
    autograd) and starts its thread pool once per process, and that belongs to neither fit."""
    layer = torch.nn.Linear(X.shape[1], 8)
    optimizer = torch.optim.Adam(layer.parameters())
    torch.relu(layer(torch.from_numpy(np.array(X[:64])))).pow(2).mean().backward()
    optimizer.step()


class PeakRSS:
    """Peak resident set size of this process during a stretch of code, from Linux's own
    high-water mark (VmHWM), reset at the start (`/proc/self/clear_refs`).

    Not getrusage's ru_maxrss: a process started by fork + exec inherits its parent's
    high-water mark there, so a child of a parent that once held more would report nothing.
    """

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the high-water mark to the current resident set
        self.before = _proc_status_bytes("VmRSS")
        return self

    def __exit__(self, *exc):
        self.peak = _proc_status_bytes("VmHWM")
        self.added = self.peak - self.before
        return False


def _proc_status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")
