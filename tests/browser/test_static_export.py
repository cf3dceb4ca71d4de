"""A ClusterWidget exported to static HTML (ipywidgets.embed.embed_minimal_html) opens in Chromium,
shows its points and legend, and logs no errors.

The page is served from a loopback http.server. Its scripts come from public CDNs, answered here
from the same npm packages (see _offline_cdn.py). One change is made to the page as served: the
require.js tag's integrity hash is removed, because that hash pins the file cdnjs minified, which
npm does not carry; the saved export itself is left as written (and kept with the screenshots).
"""

from __future__ import annotations

import functools
import re
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from ._offline_cdn import OfflineCDN, PackageUnavailable, npm_package
from ._widget_page import K, N_ROWS, Widget, distinct_colours
from .conftest import new_page, unavailable

pytestmark = pytest.mark.timeout(420)

#: ipywidgets' AMD loader first asks for a custom widget's module next to the page
#: (./anywidget.js) and, when that fails, takes it from the CDN: that one 404 is how the export
#: is designed to work, not an error of the widget.
LOCAL_MODULE_PROBE = re.compile(
    r"Failed to load resource: the server responded with a status of 404 \(File not found\)"
    r"\s+\[http://127\.0\.0\.1:\d+/anywidget\.js\]")


#: How the export is written: every trait, and ipywidgets' defaults (which drop default-valued
#: traits; ClusterWidget keeps its front end in the export regardless).
VARIANTS = {"all-state": {"drop_defaults": False}, "defaults": {}}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def export(tmp_path_factory, artifacts):
    """The widget, fitted and with a selection, written with embed_minimal_html."""
    import pandas as pd
    from ipywidgets.embed import embed_minimal_html

    import nudgecluster as nc

    X, y = nc.datasets.iris_augmented()
    species = pd.Categorical.from_codes(y, ["setosa", "versicolor", "virginica"]).astype(str)
    widget = nc.ClusterWidget(X, n_clusters=K, random_state=0, pretrain_epochs=30, epochs=20,
                              columns={"species": species})
    try:
        assert widget.wait(timeout=240), "the fit did not finish"
        widget.selection = np.flatnonzero(np.asarray(widget.labels) == 0)[:20]
        folder = tmp_path_factory.mktemp("export")
        pages = {}
        for variant, options in VARIANTS.items():
            page = folder / f"{variant}.html"
            embed_minimal_html(page, views=[widget], title="nudgecluster: static export",
                               **options)
            shutil.copyfile(page, artifacts / f"export-{variant}.html")
            pages[variant] = page.read_text(encoding="utf-8")
        yield folder, pages, widget.cluster_sizes
    finally:
        widget.close()


@pytest.fixture(scope="module")
def served(export, request, tmp_path_factory):
    """A loopback http.server for the export and the route that stands in for the CDNs."""
    import anywidget
    from ipywidgets._version import __html_manager_version__

    folder, pages, _ = export
    for variant, html in pages.items():
        integrity = re.findall(r'<script src="https://cdnjs[^"]*require[^"]*"[^>]*'
                               r'( integrity="[^"]+")', html)
        assert len(integrity) == 1, "the export no longer loads require.js as this test expects"
        (folder / f"{variant}.served.html").write_text(html.replace(integrity[0], ""),
                                                       encoding="utf-8")
    requirejs_version = re.search(r"require\.js/([0-9.]+)/", pages["all-state"])[1]

    cache = request.config.cache.mkdir("nudgecluster-embed-npm") if request.config.cache \
        else tmp_path_factory.mktemp("npm")
    try:
        packages = {
            "@jupyter-widgets/html-manager": npm_package(
                "@jupyter-widgets/html-manager", __html_manager_version__, cache),
            "anywidget": npm_package("anywidget", anywidget.__version__, cache),
        }
        requirejs = npm_package("requirejs", requirejs_version, cache) / "require.js"
    except PackageUnavailable as err:
        unavailable(f"the scripts of a static export could not be fetched: {err}")

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield base, OfflineCDN(packages, requirejs, base)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("variant", ["all-state", "defaults"])
def test_static_export_shows_the_points_without_errors(browser, evidence, export, served,
                                                      artifacts, variant):
    base, cdn = served
    _, _, sizes = export
    name = f"export-{variant}"
    page = new_page(browser, evidence, name)
    log = evidence.pages[name][1]
    try:
        page.route("**/*", cdn)
        page.goto(f"{base}/{variant}.served.html")
        w = Widget(page)
        rendered_or_failed(page, log)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        assert not log.errors or all(LOCAL_MODULE_PROBE.search(e) for e in log.errors), \
            "console errors:\n" + "\n".join(log.errors)
        w.settle()

        colours = distinct_colours(w.canvas.screenshot())
        assert len(colours) >= K + 1, f"the canvas shows {len(colours)} colours: {colours}"
        legend = w.legend()
        assert [size for _, size in legend] == list(sizes)
        assert sum(size for _, size in legend) == N_ROWS
        assert w.selected_count() == 20  # the selection travelled with the state
        assert cdn.served, "nothing was loaded from the CDNs: the route did not apply"
        assert not cdn.refused, f"the page asked the internet for more: {cdn.refused}"
        errors = [e for e in log.errors if not LOCAL_MODULE_PROBE.search(e)]
        assert not errors, "console errors:\n" + "\n".join(errors)
    finally:
        evidence.forget(name)
        page.context.close()


def rendered_or_failed(page, log, timeout_s: float = 120.0) -> None:
    """Wait until the widget has drawn its points, or the page has logged an error."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate("""() => {
                const el = document.querySelector('[data-testid="nc-root"]');
                return Boolean(el && el.dataset.ready === '1');
            }"""):
            return
        if any(not LOCAL_MODULE_PROBE.search(e) for e in log.errors):
            return
        page.wait_for_timeout(100)  # polling interval for the two conditions above
    raise AssertionError("the exported page neither drew the widget nor logged an error")
