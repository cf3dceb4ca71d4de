"""The public CDNs a static widget export loads its scripts from, answered from npm packages.

`ipywidgets.embed.embed_minimal_html` writes a page that loads require.js from cdnjs, the widget
manager (@jupyter-widgets/html-manager) from jsDelivr, and each custom widget's module (here
anywidget) from jsDelivr too. The browser tests run without the internet, so a Playwright route
answers those addresses from the same packages, fetched once with `npm pack` into a cache
folder. Anything else the page asks of the outside is refused and recorded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

_JSDELIVR = re.compile(r"^/npm/(?P<name>(?:@[^/@]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<path>.+)$")
_CDNJS_REQUIREJS = re.compile(r"^/ajax/libs/require\.js/(?P<version>[^/]+)/require(\.min)?\.js$")


class PackageUnavailable(RuntimeError):
    """npm is missing, or it could not fetch the package."""


def npm_package(name: str, spec: str, cache: Path) -> Path:
    """The unpacked `package/` folder of `name@spec` (a version or a range), cached."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{name}@{spec}")
    folder = cache / safe
    if (folder / "package" / "package.json").exists():
        return folder / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise PackageUnavailable("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run([npm, "pack", f"{name}@{spec}", "--pack-destination", tmp,
                                   "--silent", "--no-audit", "--no-fund"],
                                  capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired as err:
            raise PackageUnavailable(f"npm pack {name}@{spec} timed out") from err
        archives = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not archives:
            raise PackageUnavailable(f"npm pack {name}@{spec} failed: {done.stderr.strip()[-500:]}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(archives[0]) as archive:
            archive.extractall(staging, filter="data")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging / "package", folder / "package", dirs_exist_ok=True)
    return folder / "package"


class OfflineCDN:
    """A Playwright route handler: CDN addresses -> files of local npm packages."""

    def __init__(self, packages: dict[str, Path], requirejs: Path, allowed_origin: str):
        self.packages = packages  # npm name -> unpacked package folder
        self.requirejs = requirejs  # require.js of the npm package "requirejs"
        self.allowed_origin = allowed_origin  # the loopback server of the export
        self.served: list[str] = []
        self.refused: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(self.allowed_origin) or url.startswith(("data:", "blob:")):
            route.continue_()
            return
        parsed = urlparse(url)
        path = unquote(parsed.path)
        file = None
        if parsed.hostname == "cdn.jsdelivr.net" and (match := _JSDELIVR.match(path)):
            root = self.packages.get(match["name"])
            if root is not None:
                candidate = (root / match["path"]).resolve()
                if root.resolve() in candidate.parents and candidate.is_file():
                    file = candidate
                elif (root / (match["path"] + ".js")).is_file():  # AMD ids have no extension
                    file = root / (match["path"] + ".js")
        elif parsed.hostname == "cdnjs.cloudflare.com" and _CDNJS_REQUIREJS.match(path):
            file = self.requirejs
        if file is None:
            self.refused.append(url)
            route.abort("blockedbyclient")
            return
        self.served.append(url)
        content_type = "application/javascript" if file.suffix == ".js" else None
        route.fulfill(path=str(file), content_type=content_type,
                      headers={"Access-Control-Allow-Origin": "*"})
