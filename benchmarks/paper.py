"""Re-run the experiments of Dudarin & Yarushkina (2020) over several seeds and print one table.

    python benchmarks/paper.py              # 5 seeds, both feedback modes; writes docs/paper.md
    python benchmarks/paper.py --seeds 10 --modes paper

The experiments themselves live in `nudgecluster.reproduce` (also behind `nudgecluster
reproduce`); this script adds the seeds loop, timing and the markdown file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv=None) -> None:
    import torch

    from nudgecluster import reproduce

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--modes", nargs="+", default=["paper", "robust"])
    parser.add_argument("--epochs", type=int, default=reproduce.REFINE_EPOCHS)
    parser.add_argument("--out", default=str(ROOT / "docs" / "paper-table.md"),
                        help="where to write the table ('' to skip)")
    args = parser.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    start = time.time()
    outcomes = reproduce.run(range(args.seeds), args.modes, args.epochs,
                             progress=lambda m, s: print(f"  {m} seed {s} done", file=sys.stderr))
    text = reproduce.table(outcomes)
    print(text)
    print(f"\n{args.seeds} seeds, {time.time() - start:.0f} s", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
