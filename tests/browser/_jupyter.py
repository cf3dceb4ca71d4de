"""A real Jupyter server (JupyterLab and Notebook 7) on loopback, for the browser tests.

The server runs with this interpreter (so its kernels import the nudgecluster under test), on
127.0.0.1, on a free port, with a random token, in a throw-away root folder, with its config, data,
runtime, settings and workspace folders kept apart from the person's own. `stop()` always ends it:
a polite shutdown request first, then the process group it leads (kernels included).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: JupyterLab user settings that keep pop-ups out of the screenshots and the way of the mouse.
_LAB_SETTINGS = {
    # "Would you like to get notified about official Jupyter news?"
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    # Keep the file browser closed: more room for the widget.
    "@jupyterlab/application-extension/sidebar.jupyterlab-settings": {},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterServer:
    """`jupyter lab` in a subprocess; `url(path)` gives a tokenised address on it."""

    def __init__(self, home: Path, log_path: Path):
        self.home = home
        self.root = home / "root"
        self.log_path = log_path
        self.token = secrets.token_hex(16)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._log = None

    # ------------------------------------------------------------------ life cycle
    def start(self, timeout: float = 180.0, attempts: int = 3) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        env = self._environment()
        last_error = ""
        for _ in range(attempts):  # a free port can be taken between probing it and binding it
            self.port = free_port()
            # Closed in stop().
            self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter", "lab", "--no-browser",
                 "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                 "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                 f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_remote_access=False",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                 *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
                cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the kernels too
            )
            try:
                self._wait_until_up(timeout)
                return
            except RuntimeError as err:
                last_error = str(err)
                self.stop()
        raise RuntimeError(f"the Jupyter server did not start: {last_error}\n{self.log_tail()}")

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        dirs = {name: self.home / name.lower() for name in (
            "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
            "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
        for name, path in dirs.items():
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        for name, value in _LAB_SETTINGS.items():
            target = dirs["JUPYTERLAB_SETTINGS_DIR"] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        env.pop("JUPYTER_PATH", None)  # no extra kernelspecs or extensions from elsewhere
        # The machine has two cores and the browser renders WebGL in software: keep the kernel's
        # torch to one thread so neither starves the other.
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        return env

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.api_url("/api/status"), timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)  # polling interval of a condition, not a wait for time to pass
        raise RuntimeError(f"no answer from the Jupyter server within {timeout:.0f} s")

    def stop(self) -> None:
        """End the server and its kernels. Safe to call twice, and after a failed start."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                request = urllib.request.Request(self.api_url("/api/shutdown"), method="POST")
                urllib.request.urlopen(request, timeout=10).close()
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._signal_group(process, signal.SIGKILL)
                    process.wait(timeout=10)
        if process is not None:
            # Kernels that outlived their server (they share its process group).
            self._signal_group(process, signal.SIGTERM)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal_group(process: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(process.pid, sig)  # the group this server leads (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass

    # ------------------------------------------------------------------ addresses and files
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api_url(self, path: str) -> str:
        return self.url(path)

    def add_notebook(self, source: Path, name: str) -> Path:
        target = self.root / name
        shutil.copyfile(source, target)
        return target

    def shutdown_kernels(self) -> None:
        """End every kernel of this server (frees the CPU for the next test file)."""
        try:
            with urllib.request.urlopen(self.api_url("/api/kernels"), timeout=10) as reply:
                kernels = json.load(reply)
            for kernel in kernels:
                request = urllib.request.Request(self.api_url(f"/api/kernels/{kernel['id']}"),
                                                 method="DELETE")
                urllib.request.urlopen(request, timeout=20).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass

    def wait_for_kernel(self, path: str, timeout: float = 120.0) -> dict:
        """Wait until the notebook at `path` has a kernel that is idle and that a page is
        connected to (the notebook's own status icon says "idle" before its kernel has even
        started, and Run All at that moment can start a second kernel)."""
        deadline = time.monotonic() + timeout
        sessions: list = []
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.api_url("/api/sessions"), timeout=10) as reply:
                    sessions = json.load(reply)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                sessions = []
            for session in sessions:
                kernel = session.get("kernel") or {}
                if (session.get("path") == path and kernel.get("execution_state") == "idle"
                        and kernel.get("connections", 0) >= 1):
                    return session
            time.sleep(0.25)  # polling interval of a condition
        raise RuntimeError(f"no connected, idle kernel for {path} within {timeout:.0f} s; "
                           f"sessions: {sessions}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""
