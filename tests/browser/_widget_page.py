"""Driving a ClusterWidget in a page, and reading a notebook's kernel back, for the browser tests.

`Widget` works with what a person works with - the mouse, the toolbar, the legend - and with the
root element's data-* attributes that say when the picture is ready (data-ready, data-status) and
how data coordinates map to pixels (data-view: the plot camera's 4x4 view matrix, column-major, and
the plot's size). The mapping is recomputed here in Python from that matrix (the same
projection * view * model chain regl-scatterplot draws with), so a lasso or a click can be checked
against positions the kernel holds, independently of the front end's own arithmetic.

`Notebook` runs a notebook's cells through the JupyterLab / Notebook 7 user interface and reads
the kernel's state from the file its last cell writes (see notebooks/iris_widget.ipynb).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np

#: notebooks/iris_widget.ipynb: Iris x4 in 3 clusters.
N_ROWS = 600
K = 3

#: regl-scatterplot records a lasso vertex at most once per `lassoMinDelay` (10 ms by default) and
#: drops a position that is still pending when the button goes up. After each vertex the test lets
#: twice that much time pass on the page's own clock, so every vertex is in the lasso polygon.
LASSO_VERTEX_MS = 25


# ===================================================================== geometry


def data_to_screen(view: dict, xy: np.ndarray) -> np.ndarray:
    """Data coordinates (n, 2) -> pixels relative to the plot's top-left corner."""
    v = np.asarray(view["view"], dtype=np.float64)
    w, h = float(view["width"]), float(view["height"])
    aspect = float(view.get("dataAspectRatio") or 1.0)
    x = np.asarray(xy, dtype=np.float64)[:, 0] * aspect
    y = np.asarray(xy, dtype=np.float64)[:, 1]
    vx = v[0] * x + v[4] * y + v[12]
    vy = v[1] * x + v[5] * y + v[13]
    cx, cy = vx / (w / h), vy
    return np.column_stack([w * (cx + 1) / 2, h * (0.5 - cy / 2)])


def screen_to_data(view: dict, px: np.ndarray) -> np.ndarray:
    """Pixels relative to the plot's top-left corner (n, 2) -> data coordinates."""
    v = np.asarray(view["view"], dtype=np.float64)
    w, h = float(view["width"]), float(view["height"])
    aspect = float(view.get("dataAspectRatio") or 1.0)
    px = np.asarray(px, dtype=np.float64)
    cx = 2 * px[:, 0] / w - 1
    cy = 1 - 2 * px[:, 1] / h
    vx = cx * (w / h) - v[12]
    vy = cy - v[13]
    linear = np.array([[v[0], v[4]], [v[1], v[5]]])
    mx, y = np.linalg.solve(linear, np.vstack([vx, vy]))
    return np.column_stack([mx / aspect, y])


def inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Boolean mask of the points inside a simple polygon (even-odd rule; open vertex list)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0)):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < x_at)
    return inside


def distance_to_outline(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Distance of each point to the nearest edge of the closed polygon."""
    best = np.full(len(points), np.inf)
    for a, b in zip(polygon, np.roll(polygon, -1, axis=0)):
        ab = b - a
        t = np.clip(((points - a) @ ab) / max(ab @ ab, 1e-12), 0, 1)
        nearest = a + t[:, None] * ab
        best = np.minimum(best, np.linalg.norm(points - nearest, axis=1))
    return best


def clickable_points(client: np.ndarray, box: dict, margin: float = 1.5) -> list[int]:
    """Points a click can pick without doubt, best first.

    A click lands on whole pixels and the plot picks the point nearest to it, so a point is
    clickable when, at its rounded position, it is nearer than any other by `margin` pixels. Only
    points well inside the plot count (away from its corner buttons and labels)."""
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    inner = ((client[:, 0] > x0 + 0.1 * w) & (client[:, 0] < x0 + 0.9 * w)
             & (client[:, 1] > y0 + 0.1 * h) & (client[:, 1] < y0 + 0.9 * h))
    scored = []
    for i in np.flatnonzero(inner):
        d = np.linalg.norm(client - np.round(client[i]), axis=1)
        nearest, second = np.partition(d, 1)[:2]
        if d[i] == nearest and second - nearest >= margin:
            scored.append((second - nearest, int(i)))
    return [i for _, i in sorted(scored, reverse=True)]


def distinct_colours(png: bytes, min_pixels: int = 12) -> dict[tuple[int, int, int], int]:
    """Colours of an image (quantised to 32 levels a channel) that cover at least `min_pixels`."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int32)
    quantised = (image // 8).reshape(-1, 3)
    colours, counts = np.unique(quantised, axis=0, return_counts=True)
    return {tuple(int(c) * 8 for c in colour): int(n)
            for colour, n in zip(colours, counts) if n >= min_pixels}


class Frame:
    """The plot's camera (data-view) and its box on the page at one moment."""

    def __init__(self, view: dict, box: dict):
        self.view, self.box = view, box

    def to_client(self, xy: np.ndarray) -> np.ndarray:
        return data_to_screen(self.view, xy) + [self.box["x"], self.box["y"]]

    def from_client(self, client: np.ndarray) -> np.ndarray:
        local = np.asarray(client, dtype=np.float64) - [self.box["x"], self.box["y"]]
        return screen_to_data(self.view, local)


# ===================================================================== the widget


class Widget:
    """One ClusterWidget view in a page."""

    def __init__(self, page, scope=None):
        self.page = page
        self.root = (scope or page).locator('[data-testid="nc-root"]').first
        self.canvas = self.root.locator('[data-testid="scatter-canvas"]')

    def testid(self, name: str):
        return self.root.locator(f'[data-testid="{name}"]')

    # ------------------------------------------------------------------ waiting
    def wait_ready(self, timeout_ms: float = 240_000) -> None:
        """The first clustering is drawn and no training runs."""
        self.root.wait_for(state="attached", timeout=timeout_ms)
        self.wait_status("idle", timeout_ms)
        self.page.wait_for_function(
            "el => el.dataset.ready === '1' && el.dataset.view !== undefined",
            arg=self.root.element_handle(), timeout=timeout_ms)
        self.settle()

    def wait_status(self, status: str, timeout_ms: float = 120_000) -> None:
        self.page.wait_for_function("([el, s]) => el.dataset.status === s",
                                    arg=[self.root.element_handle(), status], timeout=timeout_ms)

    def settle(self) -> None:
        """Wait until every pending redraw, point transition and camera move is finished."""
        self.root.evaluate("el => el.__nc.whenDrawn()")

    def attr(self, name: str) -> str | None:
        return self.root.get_attribute(f"data-{name}")

    # ------------------------------------------------------------------ where things are
    def view(self) -> dict:
        return json.loads(self.attr("view"))

    def frame(self) -> Frame:
        """The plot's place on the page and its camera, now. Take a new one after anything that
        can scroll the page (running a cell does)."""
        return Frame(self.view(), self.canvas.bounding_box())

    def bring_into_view(self) -> None:
        """Scroll the notebook so that the whole widget is on screen."""
        self.root.evaluate("""el => {
            const r = el.getBoundingClientRect();
            if (r.top < 0 || r.bottom > window.innerHeight) el.scrollIntoView({block: 'center'});
        }""")
        self.page.wait_for_function("""el => {
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight;
        }""", arg=self.root.element_handle())
        self.settle()

    # ------------------------------------------------------------------ reading the page
    def legend(self) -> list[tuple[str, int]]:
        entries = self.root.locator('[data-testid^="legend-cluster-"]')
        out = []
        for i in range(entries.count()):
            entry = entries.nth(i)
            name = entry.locator(".nc-legend-name").inner_text()
            size = entry.locator(".nc-legend-size").inner_text().replace(",", "").strip()
            out.append((name, int(size)))
        return out

    def selected_count(self) -> int:
        return int(self.attr("selected") or 0)

    def tooltip_rows(self) -> dict[str, str]:
        rows = self.testid("tooltip").locator("tr")
        return {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
                for i in range(rows.count())}

    # ------------------------------------------------------------------ doing things
    def set_lasso(self, on: bool) -> None:
        button = self.testid("btn-lasso")
        if (button.get_attribute("aria-pressed") == "true") != on:
            button.click()
        assert (button.get_attribute("aria-pressed") == "true") == on

    def lasso(self, vertices: np.ndarray) -> None:
        """Drag a lasso through `vertices` (client pixels, integers) with the mouse."""
        self.set_lasso(True)
        mouse = self.page.mouse
        x0, y0 = vertices[0]
        mouse.move(float(x0) - 8, float(y0))
        mouse.down()
        for x, y in vertices:
            mouse.move(float(x), float(y))
            self.page.evaluate(f"() => new Promise(r => setTimeout(r, {LASSO_VERTEX_MS}))")
        mouse.up()
        self.set_lasso(False)

    def click_at(self, x: float, y: float) -> None:
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.up()

    def pick_cluster(self, cluster: int) -> None:
        self.testid("cluster-picker").select_option(str(cluster))

    def set_epochs(self, epochs: int) -> None:
        box = self.testid("epochs")
        box.fill(str(epochs))
        box.dispatch_event("change")

    def press(self, action: str) -> None:
        button = self.testid(f"btn-{action}")
        button.wait_for(state="visible")
        assert button.is_enabled(), f"{action}: {button.get_attribute('data-reason')}"
        button.click()

    def record_progress(self) -> None:
        """Start keeping every text the progress line shows (read with `progress_seen`)."""
        self.root.evaluate("""el => {
            const label = el.querySelector('[data-testid="progress-text"]');
            el.__progressSeen = [label.textContent];
            if (el.__progressObserver) el.__progressObserver.disconnect();
            el.__progressObserver = new MutationObserver(
                () => el.__progressSeen.push(label.textContent));
            el.__progressObserver.observe(
                label, {childList: true, characterData: true, subtree: true});
        }""")

    def progress_seen(self) -> list[str]:
        return self.root.evaluate("el => el.__progressSeen || []")

    def screenshot(self, path: Path) -> bytes:
        return self.root.screenshot(path=str(path), animations="allow")


# ===================================================================== the notebook


class Notebook:
    """A notebook open in JupyterLab or Notebook 7: run its cells, read its kernel's state."""

    def __init__(self, page, state_file: Path):
        self.page = page
        self.state_file = state_file
        self.last_probe = 0

    def wait_open(self, server, path: str) -> None:
        """The notebook is shown and its kernel is started and connected."""
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=120_000)
        server.wait_for_kernel(path)

    def run_all(self) -> None:
        """Run > Run All Cells, from the menu bar."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def code_cells(self):
        return self.page.locator(".jp-Notebook .jp-CodeCell")

    def probe(self, until=None, timeout_s: float = 60.0) -> dict:
        """Re-run the last cell (it writes state.json) and return what the kernel wrote.

        With `until`, probe again until `until(state)` is true (the kernel handles messages from
        the page in order, but a training thread may still be finishing what a button started).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            state = self._probe_once(deadline)
            if until is None or until(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the kernel's state never satisfied the condition: "
                                     f"{summary(state)}")

    def _probe_once(self, deadline: float) -> dict:
        cell = self.code_cells().last
        cell.locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Control+Enter")
        while time.monotonic() < deadline:
            state = self._read_state()
            if state is not None and state["probe"] > self.last_probe:
                self.last_probe = state["probe"]
                return state
            self.page.wait_for_timeout(50)  # polling interval for the file, not a settle delay
        raise AssertionError(f"the probe cell wrote nothing new to {self.state_file.name}")

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None


def idle(state: dict) -> bool:
    """The kernel's widget is shown and not training."""
    return state["status"] == "idle" and len(state["points"]) == N_ROWS


def summary(state: dict) -> dict:
    """The state without its long lists, for assertion messages."""
    return {k: (v if not isinstance(v, list) or len(v) <= 10 else f"<{len(v)} items>")
            for k, v in state.items()}
