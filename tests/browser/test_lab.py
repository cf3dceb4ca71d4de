"""ClusterWidget in a real JupyterLab, in headless Chromium, used with the mouse as a person would.

One notebook (notebooks/iris_widget.ipynb: Iris x4, 600 rows, 3 clusters) is opened in JupyterLab
and run with Run > Run All Cells. The tests then work the widget with the mouse and the toolbar
and check the result in the kernel, which they read back by re-running the notebook's last cell
(it writes the widget's state to state.json). They share the notebook and run in file order; each
one sets up what it needs from the state it finds.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from ._widget_page import (
    K,
    N_ROWS,
    Notebook,
    Widget,
    clickable_points,
    distance_to_outline,
    distinct_colours,
    idle,
    inside_polygon,
    summary,
)
from .conftest import NOTEBOOKS, new_page

pytestmark = pytest.mark.timeout(300)

#: A point on the lasso's outline is inside or outside by a rounding error: regl-scatterplot maps
#: the outline to data coordinates with 32-bit float matrices, this test with 64-bit ones (the
#: two differ by about a thousandth of a pixel here). Points closer than this many pixels to the
#: outline may go either way - a wide margin over that error, and a few points in practice; every
#: other point must be selected exactly when it is inside.
BORDER_PX = 0.5
#: Epochs of the refine that Stop interrupts.
LONG_RUN = 100_000


class Lab:
    def __init__(self, page, widget: Widget, notebook: Notebook, artifacts):
        self.page, self.widget, self.notebook, self.artifacts = page, widget, notebook, artifacts
        self.told: tuple[list[int], int] = ([], 0)  # the last "Move to cluster": points, cluster

    def shot(self, name: str, whole_page: bool = False) -> None:
        path = self.artifacts / f"lab-{name}.png"
        if whole_page:
            self.page.screenshot(path=str(path))
        else:
            self.widget.screenshot(path)


@pytest.fixture(scope="module")
def lab(browser, jupyter, evidence, artifacts):
    folder = jupyter.root / "lab"
    folder.mkdir(exist_ok=True)
    jupyter.add_notebook(NOTEBOOKS / "iris_widget.ipynb", "lab/iris_widget.ipynb")
    page = new_page(browser, evidence, "lab")
    try:
        page.goto(jupyter.url("/lab/tree/lab/iris_widget.ipynb"))
        notebook = Notebook(page, folder / "state.json")
        notebook.wait_open(jupyter, "lab/iris_widget.ipynb")
        notebook.run_all()
        widget = Widget(page)
        widget.wait_ready()
        widget.bring_into_view()
        yield Lab(page, widget, notebook, artifacts)
    finally:
        evidence.forget("lab")
        page.context.close()
        jupyter.shutdown_kernels()  # frees the CPU for the next test file


def click_isolated_point(lab: Lab, state: dict, avoid=()) -> int:
    """Click one point that no other point is near; return its index."""
    w = lab.widget
    w.bring_into_view()
    frame = w.frame()
    client = frame.to_client(np.asarray(state["points"]))
    candidates = [i for i in clickable_points(client, frame.box) if i not in avoid]
    assert candidates, "no point stands apart on screen: the plot is too crowded to click one"
    i = candidates[0]
    w.click_at(*np.round(client[i]))
    lab.page.wait_for_function("el => el.dataset.selected === '1'", arg=w.root.element_handle())
    return i


# ===================================================================== rendering


def test_plot_renders_clusters(lab):
    w = lab.widget
    lab.shot("01-rendered", whole_page=True)
    colours = distinct_colours(w.canvas.screenshot(path=str(lab.artifacts / "lab-01-canvas.png")))
    total = sum(colours.values())
    background = max(colours.values())
    assert len(colours) >= K + 1, f"the canvas shows {len(colours)} colours: {colours}"
    assert background < 0.995 * total, "the canvas is (almost) one flat colour"

    legend = w.legend()
    assert [name for name, _ in legend] == [f"Cluster {j}" for j in range(K)]
    assert sum(size for _, size in legend) == N_ROWS
    assert all(size > 0 for _, size in legend)

    state = lab.notebook.probe(until=idle)
    assert state["cluster_sizes"] == [size for _, size in legend]
    assert np.bincount(state["labels"], minlength=K).tolist() == state["cluster_sizes"]
    # Each cluster's colour is on the canvas (swatch colour within a small distance).
    swatches = w.root.locator('[data-testid^="legend-cluster-"] .nc-swatch')
    for j in range(swatches.count()):
        rgb = swatches.nth(j).evaluate(
            "el => getComputedStyle(el).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)")
        nearest = min(np.abs(np.array(c) - rgb).max() for c in colours)
        assert nearest <= 24, f"cluster {j}'s colour {rgb} is not on the canvas"


# ===================================================================== selection


def test_lasso_selects_the_points_inside_the_polygon(lab):
    w, page = lab.widget, lab.page
    state = lab.notebook.probe(until=idle)
    points = np.asarray(state["points"], dtype=np.float64)
    labels = np.asarray(state["labels"])
    w.bring_into_view()
    frame = w.frame()  # running a cell scrolls the page: take the frame before the probe below
    client = frame.to_client(points)
    box = frame.box
    assert abs(box["width"] - frame.view["width"]) <= 1
    assert abs(box["height"] - frame.view["height"]) <= 1

    # An irregular heptagon over the middle of the largest cluster (part of it, not all).
    j = int(np.argmax(np.bincount(labels, minlength=K)))
    members = client[labels == j]
    centre = np.median(members, axis=0)
    radius = 0.7 * np.median(np.linalg.norm(members - centre, axis=1))
    radius = float(np.clip(radius, 25, 0.3 * min(box["width"], box["height"])))
    angles = np.linspace(0, 2 * np.pi, 7, endpoint=False) + 0.3
    stretch = np.array([1.0, 0.75, 1.2, 0.9, 1.1, 0.7, 1.0])
    vertices = np.round(centre + radius * stretch[:, None]
                        * np.column_stack([np.cos(angles), np.sin(angles)]))
    vertices[:, 0] = np.clip(vertices[:, 0], box["x"] + 2, box["x"] + box["width"] - 2)
    vertices[:, 1] = np.clip(vertices[:, 1], box["y"] + 2, box["y"] + box["height"] - 2)

    w.lasso(vertices)
    page.wait_for_function("el => Number(el.dataset.selected) > 0", arg=w.root.element_handle())
    assert w.view() == frame.view, "the camera moved while lassoing"
    lab.shot("02-lasso")

    shown = w.selected_count()
    state = lab.notebook.probe(until=lambda s: len(s["selection"]) == shown)
    selected = np.zeros(N_ROWS, dtype=bool)
    selected[state["selection"]] = True

    # Independently: the polygon mapped to data coordinates through the view, and the points
    # (as the kernel holds them) tested against it.
    polygon = frame.from_client(vertices)
    expected = inside_polygon(points, polygon)
    on_border = distance_to_outline(client, vertices) < BORDER_PX
    wrong = np.flatnonzero((selected != expected) & ~on_border)
    assert 10 <= expected.sum() < N_ROWS, f"a poor test polygon: {expected.sum()} points inside"
    assert wrong.size == 0, (
        f"{wrong.size} points disagree with the polygon (selected but outside: "
        f"{np.flatnonzero(selected & ~expected & ~on_border).tolist()}, inside but not selected: "
        f"{np.flatnonzero(~selected & expected & ~on_border).tolist()}); "
        f"{int(on_border.sum())} points within {BORDER_PX} px of the outline were not judged")
    print(f"lasso: {int(expected.sum())} points inside, {int(selected.sum())} selected, "
          f"{int(on_border.sum())} within {BORDER_PX} px of the outline "
          f"({int((selected != expected)[on_border].sum())} of them judged otherwise)")


def test_click_selects_that_point(lab):
    state = lab.notebook.probe(until=idle)
    i = click_isolated_point(lab, state)
    lab.notebook.probe(until=lambda s: s["selection"] == [i])
    assert lab.widget.testid("selection-info").inner_text().strip() == "1 selected"
    lab.shot("03-click")


def test_hover_shows_that_rows_values(lab):
    w, page = lab.widget, lab.page
    state = lab.notebook.probe(until=idle)
    w.bring_into_view()
    frame = w.frame()
    client = frame.to_client(np.asarray(state["points"]))
    candidates = [i for i in clickable_points(client, frame.box) if i not in state["selection"]]
    assert candidates, "no point stands apart on screen"
    i = candidates[0]
    page.mouse.move(*np.round(client[i]))
    tooltip = w.testid("tooltip")
    tooltip.locator("tr").first.wait_for(state="visible")
    head = tooltip.locator(".nc-tooltip-head").inner_text()
    assert f"Point {i}" in head
    assert f"cluster {state['labels'][i]}" in head
    shown = w.tooltip_rows()
    row = state["rows"][i]
    assert shown["species"] == row["species"]
    for name in ("sepal length", "sepal width", "petal length", "petal width"):
        assert float(shown[name]) == pytest.approx(row[name], rel=6e-4), name
    lab.shot("04-hover")
    page.mouse.move(5, 5)  # off the plot: the tooltip goes
    tooltip.wait_for(state="hidden")


# ===================================================================== the toolbar


def test_move_to_cluster_records_feedback(lab):
    w, page = lab.widget, lab.page
    state = lab.notebook.probe(until=idle)
    before = state["feedback"]
    w.bring_into_view()
    client = w.frame().to_client(np.asarray(state["points"]))
    labels = np.asarray(state["labels"])
    # What a person would correct: the largest group of flowers sitting in a cluster where most
    # flowers are another species. Lasso a small square in the middle of that group and move it
    # to the cluster where its species is the majority.
    species = np.array([row["species"] for row in state["rows"]])
    names = sorted(set(species))
    majority = {c: names[np.bincount([names.index(s) for s in species[labels == c]],
                                     minlength=len(names)).argmax()] for c in range(K)}
    wrong = np.flatnonzero([majority[c] != s for c, s in zip(labels, species)])
    groups = {}
    for i in wrong:
        groups.setdefault((labels[i], species[i]), []).append(i)
    (cluster, kind), group = max(groups.items(), key=lambda item: len(item[1]))
    homes = [c for c in range(K) if majority[c] == kind]
    assert homes, f"no cluster is mostly {kind}: {majority}"
    target = homes[0]
    middle = np.median(client[group], axis=0)
    centre = client[group][np.argmin(np.linalg.norm(client[group] - middle, axis=1))]
    square = np.round(centre + np.array([[-9, -9], [9, -9], [9, 9], [-9, 9]]))
    w.lasso(square)
    page.wait_for_function("el => Number(el.dataset.selected) > 0", arg=w.root.element_handle())
    shown = w.selected_count()
    state = lab.notebook.probe(until=lambda s: len(s["selection"]) == shown)
    chosen = state["selection"]
    lab.told = (chosen, target)  # the refine test checks that they went there

    w.pick_cluster(target)
    w.press("include")
    state = lab.notebook.probe(until=lambda s: len(s["feedback"]) == len(before) + 1)
    record = state["feedback"][-1]
    assert record["kind"] == "include"
    assert record["cluster"] == target
    assert sorted(record["indices"]) == sorted(chosen)
    assert state["active_cluster"] == target
    w.testid(f"feedback-{record['id']}").wait_for(state="visible")
    assert int(w.attr("feedback-points")) == len(set(i for r in state["feedback"]
                                                     for i in r["indices"]))
    lab.shot("05-move-to-cluster")


def test_refine_runs_five_epochs_and_moves_the_points(lab):
    w, page = lab.widget, lab.page
    state = lab.notebook.probe(until=idle)
    assert state["feedback"], "needs the feedback of the previous test"
    before = np.asarray(state["points"])
    w.record_progress()
    w.set_epochs(5)
    w.press("refine")
    page.wait_for_function(
        """el => (el.__progressSeen || []).some(t => /Done: 5 of 5 epochs/.test(t))
                 && el.dataset.status === 'idle'""", arg=w.root.element_handle(), timeout=120_000)
    w.settle()
    seen = w.progress_seen()
    assert any(re.search(r"Refining: epoch \d+ of 5", t) for t in seen), seen
    assert w.testid("progress-text").inner_text().startswith("Done: 5 of 5 epochs")
    state = lab.notebook.probe(until=idle)
    assert (state["epoch"], state["n_epochs"]) == (5, 5)
    after = np.asarray(state["points"])
    moved = np.linalg.norm(after - before, axis=1)
    assert moved.max() > 1e-3, "Refine did not move any point"
    # What the person sees: the points they moved are in the cluster they picked, and no cluster
    # was emptied on the way.
    chosen, target = lab.told
    labels = np.asarray(state["labels"])
    assert (labels[chosen] == target).all(), np.bincount(labels[chosen], minlength=K)
    assert all(size > 0 for size in state["cluster_sizes"]), state["cluster_sizes"]
    lab.shot("06-refined")
    # Esc clears the selection: the feedback outlines stay, around the points' own colours.
    w.root.focus()
    page.keyboard.press("Escape")
    page.wait_for_function("el => el.dataset.selected === '0'", arg=w.root.element_handle())
    lab.notebook.probe(until=lambda s: s["selection"] == [])
    w.bring_into_view()
    page.mouse.move(5, 5)
    lab.shot("06-refined-feedback")
    # Zoomed in on the points that were moved (the wheel), then back with the Fit button.
    centre = w.frame().to_client(after[chosen]).mean(axis=0)
    page.mouse.move(*centre)
    unzoomed = w.attr("view")
    page.mouse.wheel(0, -400)
    page.wait_for_function("([el, v]) => el.dataset.view !== v",
                           arg=[w.root.element_handle(), unzoomed])
    w.settle()
    page.mouse.move(5, 5)
    lab.shot("06-refined-zoomed")
    w.testid("btn-fit").click()
    w.settle()


def test_stop_ends_a_long_refine_within_an_epoch(lab):
    w, page = lab.widget, lab.page
    lab.notebook.probe(until=idle)
    # Long enough that it is still running when Stop arrives on a fast machine (an Iris epoch
    # takes milliseconds); the assertions below show it ends within one epoch of the Stop.
    w.set_epochs(LONG_RUN)
    w.press("refine")
    page.wait_for_function(
        """el => el.dataset.status === 'training' && (() => {
            const m = /epoch (\\d+) of ([\\d,]+)/.exec(
                el.querySelector('[data-testid="progress-text"]').textContent);
            return m && Number(m[1]) >= 2; })()""", arg=w.root.element_handle(), timeout=120_000)
    lab.shot("07-training")
    w.root.evaluate("""el => {
        el.__statusSeen = [];
        const t0 = performance.now();
        new MutationObserver(() => el.__statusSeen.push(
            [el.dataset.status, Math.round(performance.now() - t0)]
        )).observe(el, {attributes: true, attributeFilter: ['data-status']});
    }""")
    started = time.monotonic()
    w.press("stop")
    w.wait_status("idle", timeout_ms=60_000)
    took = time.monotonic() - started
    w.settle()
    state = lab.notebook.probe(until=idle)
    assert state["epochs_run_at_stop"], "the kernel never saw the Stop"
    at_stop = state["epochs_run_at_stop"][-1]
    # "Within one epoch": the epoch running when Stop reaches the kernel ends at its next batch.
    # The count is read as the status turns to "stopping", a moment before the estimator's stop
    # flag is raised; if that epoch finishes in between, the next one begins and ends after its
    # first batch. So at most two more entries in history_, the second one a single batch.
    assert state["epochs_run"] - at_stop <= 2, summary(state)
    assert state["epoch"] < LONG_RUN
    assert w.testid("progress-text").inner_text().replace(",", "").startswith(
        f"Done: {state['epoch']} of {LONG_RUN}")
    print(f"stop: status changes (ms after the click): {w.root.evaluate('el => el.__statusSeen')}")
    print(f"stop: {took:.2f} s from the click to idle, {state['epochs_run'] - at_stop} epoch(s) "
          f"after the Stop reached the kernel, stopped at epoch {state['epoch']} of {LONG_RUN}")
    lab.shot("07-stopped")
    # The widget is still usable: a click selects, Refine is offered again.
    i = click_isolated_point(lab, state)
    state = lab.notebook.probe(until=lambda s: s["selection"] == [i])
    assert w.testid("btn-refine").is_enabled()


def test_undo_removes_the_last_feedback(lab):
    w = lab.widget
    state = lab.notebook.probe(until=idle)
    if not state["feedback"]:
        i = click_isolated_point(lab, state)
        w.pick_cluster((state["labels"][i] + 1) % K)
        w.press("include")
        state = lab.notebook.probe(until=lambda s: len(s["feedback"]) == 1)
    before = state["feedback"]
    last = before[-1]
    w.press("undo")
    state = lab.notebook.probe(until=lambda s: len(s["feedback"]) == len(before) - 1)
    assert state["feedback"] == before[:-1]
    w.testid(f"feedback-{last['id']}").wait_for(state="detached")
    lab.shot("08-undo")
