"""ClusterWidget with a million points in JupyterLab, in headless Chromium with software WebGL.

A real JupyterLab (tests/browser/_jupyter.py: loopback, token, throw-away root) and the
distribution's Chromium, headless, WebGL through SwiftShader (tests/browser/conftest.py's
arguments). The notebook is written here; its cells are run one at a time through the JupyterLab
user interface (click the cell, Ctrl+Enter). No model is trained: the widget shows a stand-in
for a fitted DEC and a drifting latent space (m = 10, k = 10) from benchmarks/widget_update.py.
Page times are taken in the page (performance.now()): the start is the Ctrl+Enter keydown that
runs a cell, the end is what a MutationObserver on the widget's root element sees.

- first render      run the cell that builds and shows the widget -> the root has data-ready="1"
                    (set after the first frame is drawn). Includes the widget's construction in
                    the kernel (reported apart: "build"), loading the front end, the transfer,
                    decoding and the first draw.
- update            run a cell that pushes one new latent frame through the widget's own epoch
                    callback (Session._on_progress: PCA, alignment, traits, comm) -> the root's
                    data-frames-drawn goes up. "kernel" is that callback, timed in the cell with
                    time.perf_counter; "page" is the rest (the execute request, the transfer, the
                    decode and the draw). The widget has transition_ms=0: the 300 ms animation
                    that the default gives between frames is a design choice, not a cost.
                    Median over --updates updates.
- bytes per update  what the comm was handed for one update: JSON text plus binary buffers.
- lasso             a heptagon around the middle of the plot, drawn with the mouse (Lasso button)
                    -> the root's data-selected changes (from the mouse-up); "to kernel" -> the
                    kernel's `selection` trait changes (page and kernel clocks are both the wall
                    clock of this machine).

    python benchmarks/widget_browser.py                   # 1,000,000 points, 5 updates
    python benchmarks/widget_browser.py --sizes 100000    # a quick try

The kernel side alone, without a browser: benchmarks/widget_update.py.

Targets: first render under 5 s, an update applied under 200 ms. Prints a markdown table per size
and the machine; raw numbers go to benchmarks/results/widget_browser.json (a run replaces the
sizes it measured).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser._jupyter import JupyterServer  # noqa: E402
from tests.browser._widget_page import Notebook, Widget  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, VIEWPORT  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "widget_browser.json"
LATENT, CLUSTERS = 10, 10
SETUP_CELL, SHOW_CELL, UPDATE_CELL = 0, 1, 2  # the last cell writes state.json (Notebook.probe)

# ---------------------------------------------------------------------------- the notebook
SETUP = """\
import json, os, pathlib, sys, time
import numpy as np
sys.path.insert(0, {benchmarks!r})
from widget_update import _FittedStub, latent_frames
from nudgecluster import ClusterWidget
from nudgecluster.dec import Progress

N, UPDATES = {n}, {updates}
frames, labels = latent_frames(N, {latent}, {clusters}, UPDATES + 1)
stub = _FittedStub(frames[0][0], labels, {clusters})
features = np.zeros((N, 1), dtype=np.float32)
kernel_ms, update_bytes, selection_at, sent = [], [], [], []

def count_messages(widget):
    \"\"\"Keep what the widget hands its comm (sizes are taken after the timing).\"\"\"
    send = widget.comm.send
    def counting_send(data=None, metadata=None, buffers=None):
        sent.append((data, buffers or []))
        return send(data=data, metadata=metadata, buffers=buffers)
    widget.comm.send = counting_send

def message_bytes(data, buffers):
    return len(json.dumps(data)) + sum(memoryview(b).nbytes for b in buffers)"""

SHOW = """\
start = time.perf_counter()
w = ClusterWidget(features, model=stub, transition_ms=0, max_updates_per_second=1e9)
build_ms = (time.perf_counter() - start) * 1e3
count_messages(w)
w.observe(lambda change: selection_at.append(time.time()), names='selection')
w"""

UPDATE = """\
z, lab, conf = frames[len(kernel_ms) + 1]
progress = Progress('refine', len(kernel_ms) + 1, UPDATES, 0.1, 0.01, embedding=z, labels=lab,
                    confidence=conf)
sent.clear()
start = time.perf_counter()
w._session._on_progress(progress)
kernel_ms.append((time.perf_counter() - start) * 1e3)
update_bytes.append(sum(message_bytes(d, b) for d, b in sent))"""

STATE = """\
probes = globals().get('probes', 0) + 1
state = {'probe': probes, 'n': len(w.points), 'build_ms': build_ms, 'kernel_ms': kernel_ms,
         'update_bytes': update_bytes, 'selected': len(w.selection),
         'selection_at': selection_at[-1] if selection_at else None}
pathlib.Path('state.tmp').write_text(json.dumps(state))
os.replace('state.tmp', 'state.json')"""


def write_notebook(path: Path, n: int, updates: int) -> None:
    setup = SETUP.format(benchmarks=str(ROOT / "benchmarks"), n=n, updates=updates,
                         latent=LATENT, clusters=CLUSTERS)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (setup, SHOW, UPDATE, STATE)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)


# ---------------------------------------------------------------------------- the page
#: Every Ctrl+Enter keydown (what runs a cell) and the first data-ready="1" anywhere, page clock.
PAGE_CLOCKS = """() => {
    window.__runAt = null;
    document.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && e.ctrlKey) window.__runAt = performance.now();
    }, {capture: true});
    window.__readyAt = null;
    new MutationObserver(() => {
        if (window.__readyAt === null && document.querySelector('[data-ready="1"]'))
            window.__readyAt = performance.now();
    }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
}"""

#: On the widget's root: when each frame was drawn and when the selection count changed.
ROOT_CLOCKS = """el => {
    el.__drawnAt = [];
    el.__selectedAt = [];
    new MutationObserver((records) => {
        const now = performance.now();
        for (const r of records) {
            if (r.attributeName === 'data-frames-drawn')
                el.__drawnAt.push([Number(el.dataset.framesDrawn), now]);
            else el.__selectedAt.push([Number(el.dataset.selected), now]);
        }
    }).observe(el, {attributes: true, attributeFilter: ['data-frames-drawn', 'data-selected']});
}"""


def run_cell(page, notebook: Notebook, index: int, timeout_ms: float) -> None:
    """Run one cell with Ctrl+Enter and wait until the kernel has finished it (its prompt shows
    an execution count above every count shown before)."""
    prompt = notebook.code_cells().nth(index).locator(".jp-InputPrompt")
    count = """els => Math.max(0, ...els.map(e => Number((/\\[(\\d+)\\]/.exec(e.textContent)
                                                          || [0, 0])[1])))"""
    before = page.locator(".jp-InputPrompt").evaluate_all(count)
    prompt.click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "([el, n]) => Number((/\\[(\\d+)\\]/.exec(el.textContent) || [0, 0])[1]) > n",
        arg=[prompt.element_handle(), before], timeout=timeout_ms)


def lasso_polygon(box: dict) -> np.ndarray:
    """An irregular heptagon around the middle of the plot, a quarter of its size across."""
    centre = np.array([box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    radius = 0.25 * min(box["width"], box["height"])
    angles = np.linspace(0, 2 * np.pi, 7, endpoint=False) + 0.3
    stretch = np.array([1.0, 0.75, 1.2, 0.9, 1.1, 0.7, 1.0])
    return np.round(centre + radius * stretch[:, None]
                    * np.column_stack([np.cos(angles), np.sin(angles)]))


def measure(browser, server: JupyterServer, n: int, updates: int) -> dict:
    folder = server.root / f"n{n}"
    folder.mkdir(exist_ok=True)
    path = f"n{n}/widget_browser.ipynb"
    write_notebook(server.root / path, n, updates)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(120_000)
    try:
        page = context.new_page()
        page.goto(server.url(f"/lab/tree/{path}"))
        notebook = Notebook(page, folder / "state.json")
        notebook.wait_open(server, path)
        page.evaluate(PAGE_CLOCKS)
        run_cell(page, notebook, SETUP_CELL, timeout_ms=600_000)

        # First render.
        run_cell(page, notebook, SHOW_CELL, timeout_ms=600_000)
        widget = Widget(page)
        page.wait_for_function("() => window.__readyAt !== null", timeout=600_000)
        first_render_ms = page.evaluate("() => window.__readyAt - window.__runAt")
        widget.settle()
        root = widget.root.element_handle()
        widget.root.evaluate(ROOT_CLOCKS)

        # Position updates, one at a time.
        update_ms = []
        for _ in range(updates):
            drawn = int(widget.attr("frames-drawn"))
            run_cell(page, notebook, UPDATE_CELL, timeout_ms=120_000)
            page.wait_for_function("([el, n]) => Number(el.dataset.framesDrawn) > n",
                                   arg=[root, drawn], timeout=120_000)
            update_ms.append(widget.root.evaluate(
                "(el, n) => el.__drawnAt.find(([f]) => f > n)[1]", drawn)
                - page.evaluate("() => window.__runAt"))
            widget.settle()

        # Lasso: mouse-up -> data-selected, and -> the kernel's selection.
        widget.bring_into_view()
        widget.set_lasso(True)
        page.evaluate("""() => {
            window.__upAt = null;
            window.addEventListener('mouseup', () => {
                if (window.__upAt === null) window.__upAt = performance.now();
            }, {capture: true});
        }""")
        widget.lasso(lasso_polygon(widget.frame().box))
        page.wait_for_function("el => Number(el.dataset.selected) > 0", arg=root,
                               timeout=120_000)
        up_at, up_epoch_ms = page.evaluate(
            "() => [window.__upAt, performance.timeOrigin + window.__upAt]")
        selected, selected_at = widget.root.evaluate(
            "el => el.__selectedAt.find(([count]) => count > 0)")
        state = notebook.probe(until=lambda s: s["selected"] == selected, timeout_s=120)
        widget.settle()
    finally:
        context.close()
        server.shutdown_kernels()
    kernel_ms = state["kernel_ms"]
    page_ms = [total - kernel for total, kernel in zip(update_ms, kernel_ms)]
    return {
        "points": n,
        "first_render_ms": first_render_ms,
        "build_ms": state["build_ms"],
        "update_total_ms": update_ms,
        "update_kernel_ms": kernel_ms,
        "update_page_ms": page_ms,
        "update_bytes": state["update_bytes"],
        "lasso_ms": selected_at - up_at,
        "lasso_to_kernel_ms": state["selection_at"] * 1e3 - up_epoch_ms,
        "selected": selected,
    }


# ---------------------------------------------------------------------------- report
def machine(browser) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    page = browser.new_page()
    try:
        webgl = page.evaluate("""() => {
            const gl = document.createElement('canvas').getContext('webgl');
            const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
            return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : String(gl);
        }""")
    finally:
        page.close()
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": os.getloadavg()[0],
            "chromium": browser.version, "webgl": webgl}


def table(r: dict) -> str:
    median = statistics.median
    rows = [
        ("first render s (kernel build)", f"{r['first_render_ms'] / 1e3:.2f} "
                                          f"({r['build_ms'] / 1e3:.2f})"),
        ("update ms, median: kernel / page / total",
         f"{median(r['update_kernel_ms']):.0f} / {median(r['update_page_ms']):.0f} / "
         f"{median(r['update_total_ms']):.0f}"),
        ("update ms, each (total)", ", ".join(f"{t:.0f}" for t in r["update_total_ms"])),
        ("MB per update", f"{median(r['update_bytes']) / 1e6:.2f}"),
        ("lasso ms: page / to kernel", f"{r['lasso_ms']:.0f} / {r['lasso_to_kernel_ms']:.0f}"),
        ("selected points", f"{r['selected']:,} ({r['selected'] / r['points']:.0%})"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'points':<{width}} | {r['points']:,} |", f"|{'-' * (width + 2)}|---|"]
    lines += [f"| {name:<{width}} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="widget-browser-") as home, sync_playwright() as pw:
        server = JupyterServer(Path(home), Path(home) / "jupyter-server.log")
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS,
                                     timeout=120_000)
        try:
            about = machine(browser)
            print(f"{about['cpu']}, {about['cores']} cores, load average "
                  f"{about['load_average']:.1f} before start; Chromium {about['chromium']} "
                  f"headless, WebGL: {about['webgl']}")
            server.start()
            for n in args.sizes:
                r = measure(browser, server, n, args.updates)
                print(f"\n{table(r)}")
                results[str(n)] = {**r, "machine": about}
        except Exception:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.stop()
            browser.close()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
