"""The same notebook in Jupyter Notebook 7 (the /notebooks/ page of the same server): the widget
renders, and a click on a point reaches the kernel."""

from __future__ import annotations

import numpy as np
import pytest

from ._widget_page import K, N_ROWS, Notebook, Widget, clickable_points, distinct_colours, idle
from .conftest import NOTEBOOKS, new_page

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def nb7(browser, jupyter, evidence, artifacts):
    folder = jupyter.root / "nb7"
    folder.mkdir(exist_ok=True)
    jupyter.add_notebook(NOTEBOOKS / "iris_widget.ipynb", "nb7/iris_widget.ipynb")
    page = new_page(browser, evidence, "nb7")
    try:
        page.goto(jupyter.url("/notebooks/nb7/iris_widget.ipynb"))
        notebook = Notebook(page, folder / "state.json")
        notebook.wait_open(jupyter, "nb7/iris_widget.ipynb")
        notebook.run_all()
        widget = Widget(page)
        widget.wait_ready()
        widget.bring_into_view()
        yield page, widget, notebook
    finally:
        evidence.forget("nb7")
        page.context.close()
        jupyter.shutdown_kernels()


def test_notebook7_renders_and_a_click_selects(nb7, artifacts):
    page, w, notebook = nb7
    page.screenshot(path=str(artifacts / "nb7-01-rendered.png"))
    colours = distinct_colours(w.canvas.screenshot())
    assert len(colours) >= K + 1, f"the canvas shows {len(colours)} colours: {colours}"
    legend = w.legend()
    assert len(legend) == K and sum(size for _, size in legend) == N_ROWS

    state = notebook.probe(until=idle)
    assert state["cluster_sizes"] == [size for _, size in legend]
    w.bring_into_view()
    frame = w.frame()
    client = frame.to_client(np.asarray(state["points"]))
    candidates = clickable_points(client, frame.box)
    assert candidates, "no point stands apart on screen"
    i = candidates[0]
    w.click_at(*np.round(client[i]))
    page.wait_for_function("el => el.dataset.selected === '1'", arg=w.root.element_handle())
    state = notebook.probe(until=lambda s: s["selection"] == [i])
    w.screenshot(artifacts / "nb7-02-click.png")
