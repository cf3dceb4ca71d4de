"""The `nudgecluster` console command.

    nudgecluster demo         # JupyterLab on loopback, on a fresh copy of the quick-start notebook
    nudgecluster reproduce    # re-run the paper's experiments and print the table
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

QUICKSTART = "01_quickstart.ipynb"


def _quickstart_source() -> Path:
    packaged = resources.files("nudgecluster") / "_notebooks" / QUICKSTART
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "notebooks" / QUICKSTART
    if checkout.is_file():  # an editable install of a source checkout
        return checkout
    raise FileNotFoundError(f"the quick-start notebook {QUICKSTART} is not installed")


def demo(args) -> int:
    target = Path(args.dir).resolve() / QUICKSTART
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not args.overwrite:
        print(f"{target} exists; opening it (use --overwrite for a fresh copy)")
    else:
        shutil.copyfile(_quickstart_source(), target)
        print(f"wrote {target}")
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.ip={args.ip}",
               f"--ServerApp.port={args.port}", f"--ServerApp.root_dir={target.parent}",
               QUICKSTART]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI machines run as root
        command.append("--allow-root")
    return subprocess.call(command)


def reproduce(args) -> int:
    from . import reproduce as experiments

    outcomes = experiments.run(range(args.seeds), args.modes, args.epochs,
                               progress=lambda m, s: print(f"  {m} seed {s} done",
                                                           file=sys.stderr))
    print(experiments.table(outcomes))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nudgecluster", description="Steer a deep clustering "
                                     "by hand.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="open the quick-start notebook in JupyterLab")
    p.add_argument("--dir", default=".", help="folder to copy the notebook into (default: here)")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=demo)
    p = sub.add_parser("reproduce", help="re-run the paper's experiments and print the table")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--modes", nargs="+", default=["paper", "robust"])
    p.add_argument("--epochs", type=int, default=100)
    p.set_defaults(run=reproduce)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
