"""Every notebook in notebooks/ runs top to bottom without an error.

The notebooks check the numbers they print (for instance: accuracy after feedback is not lower than
before), so a notebook that runs is also a notebook whose story still holds. Each runs in a fresh
kernel of this interpreter, in a scratch folder, importing the nudgecluster of this checkout.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Seconds one cell may take; the slowest (a fit) takes well under a minute on a busy laptop.
CELL_TIMEOUT = 600

pytestmark = pytest.mark.notebooks


def _kernel_environment() -> dict[str, str]:
    env = dict(os.environ)
    # The checkout's package first, also where it is not installed (the path must be absolute:
    # the kernel starts in a scratch folder).
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    )
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # The networks are tiny: one thread each is faster than contending for shared cores.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def test_there_are_notebooks():
    names = [path.name for path in NOTEBOOKS]
    assert "01_quickstart.ipynb" in names  # `nudgecluster demo` opens it


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(path: Path, tmp_path: Path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env=_kernel_environment())
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name} failed:\n{err}", pytrace=False)
    print(f"{path.name}: {time.perf_counter() - started:.0f} s")
