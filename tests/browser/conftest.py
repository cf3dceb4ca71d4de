"""Fixtures for the browser tests: Chromium (the distribution's build, headless), a Jupyter server
on loopback, a folder for screenshots and console logs, and evidence kept when a test fails.

Chromium missing: the tests skip, unless NUDGECLUSTER_REQUIRE_BROWSER=1 (tests/run.sh sets it
under CI), where they fail. Screenshots go to $NUDGECLUSTER_ARTIFACTS, by default
test-artifacts/browser/ in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from ._jupyter import JupyterServer

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

#: Software WebGL (SwiftShader): headless machines have no GPU, and the plot is WebGL.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu-sandbox",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1500, "height": 1100}
#: The files these tests write to the artifacts folder (cleared at the start of a run).
OUR_FILES = ("FAILED-*", "lab-*", "nb7-*", "export-*", "jupyter-server.log")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ===================================================================== where things go


def _require_browser() -> bool:
    return os.environ.get("NUDGECLUSTER_REQUIRE_BROWSER", "") not in ("", "0", "false")


def unavailable(reason: str):
    """Skip, or fail where the browser tests are required (CI)."""
    if _require_browser():
        pytest.fail(f"{reason} (NUDGECLUSTER_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots and logs of this run."""
    folder = Path(os.environ.get("NUDGECLUSTER_ARTIFACTS") or REPO / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    for pattern in OUR_FILES:  # an earlier run's screenshots and logs, not anyone else's
        for stale in folder.glob(pattern):
            stale.unlink()
    return folder


class PageLog:
    """Everything a page printed to its console, and its uncaught errors, with timestamps."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.start = time.monotonic()

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_error)
        page.on("requestfailed", lambda request: self._add(
            "requestfailed", f"{request.method} {request.url}: {request.failure}"))

    def _add(self, kind: str, text: str) -> None:
        self.lines.append(f"{time.monotonic() - self.start:8.3f} {kind:>13}: {text}")

    def _on_console(self, message) -> None:
        location = message.location or {}
        where = location.get("url", "")
        self._add(f"console.{message.type}", f"{message.text}  [{where}]")
        if message.type == "error":
            self.errors.append(f"{message.text}  [{where}]")

    def _on_error(self, error) -> None:
        self._add("pageerror", str(error))
        self.errors.append(f"uncaught: {error}")

    def write(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


class Evidence:
    """Open pages and their logs, so a failing test can leave its screenshot and console log."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pages: dict[str, tuple[object, PageLog]] = {}

    def track(self, name: str, page) -> PageLog:
        log = PageLog(name)
        log.attach(page)
        self.pages[name] = (page, log)
        return log

    def forget(self, name: str) -> None:
        page, log = self.pages.pop(name, (None, None))
        if log is not None:
            log.write(self.folder / f"{name}-console.log")

    def keep(self, test_name: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]
        for name, (page, log) in list(self.pages.items()):
            try:
                page.screenshot(path=str(self.folder / f"FAILED-{safe}-{name}.png"), timeout=20_000)
            except Exception as err:  # noqa: BLE001 - a closed page must not hide the failure
                log.lines.append(f"(no screenshot: {err})")
            log.write(self.folder / f"FAILED-{safe}-{name}-console.log")


@pytest.fixture(scope="session")
def evidence(artifacts) -> Evidence:
    return Evidence(artifacts)


@pytest.fixture(autouse=True)
def _keep_evidence_on_failure(request, evidence):
    yield
    failed = any(getattr(request.node, f"report_{when}", None) is not None
                 and getattr(request.node, f"report_{when}").failed for when in ("setup", "call"))
    if failed:
        evidence.keep(request.node.name)


# ===================================================================== the browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("NUDGECLUSTER_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        unavailable("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright (Python) is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=chromium_path,
                                                  args=CHROMIUM_ARGS, timeout=120_000)
        except Exception as err:  # noqa: BLE001 - reported as a skip or failure with the cause
            unavailable(f"Chromium at {chromium_path} did not start: {err}")
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, evidence: Evidence, name: str):
    """A fresh browser context and page, its console recorded under `name`."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1,
                                  reduced_motion="no-preference")
    context.set_default_timeout(60_000)
    page = context.new_page()
    evidence.track(name, page)
    return page


# ===================================================================== the server


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory, artifacts, browser):
    """JupyterLab on 127.0.0.1 for the whole run; shut down at the end, also after failures."""
    server = JupyterServer(tmp_path_factory.mktemp("jupyter"), artifacts / "jupyter-server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
