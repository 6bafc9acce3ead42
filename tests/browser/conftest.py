"""Fixtures of the real-browser tests: a JupyterLab 4 server on localhost and headless Debian Chromium via Playwright.

Needs ``pip install -e ".[dev,browser]"`` and ``apt-get install chromium`` (Playwright drives the system
browser through ``executable_path``; never run ``playwright install``). Without them the tests skip with
the reason; with ``LATENTLAB_REQUIRE_BROWSER=1`` in the environment (CI) a missing piece fails instead.
``LATENTLAB_CHROMIUM`` overrides the browser path; ``LATENTLAB_BROWSER_ARTIFACTS`` names a folder that
receives copies of the screenshots and the server log.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
SERVER_START_TIMEOUT_S = 60


def _missing(reason: str):
    if os.environ.get("LATENTLAB_REQUIRE_BROWSER", "") not in ("", "0"):
        pytest.fail(f"LATENTLAB_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    """The system Chromium Playwright should drive (skips, or fails under LATENTLAB_REQUIRE_BROWSER, if none)."""
    for candidate in (os.environ.get("LATENTLAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        path = candidate and shutil.which(candidate)
        if path:
            return path
    _missing("no Chromium executable found (apt-get install chromium, or set LATENTLAB_CHROMIUM)")
    raise AssertionError("unreachable")


def require(module: str, install: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        _missing(f"{module} is not importable ({error}); install it with {install}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


FRONTENDS = {"jupyterlab": "jupyterlab", "notebook7": "notebook"}  # name -> the module that starts it


class LabServer:
    """A JupyterLab (or Jupyter Notebook 7) server in a subprocess, isolated in its own root, config, data and
    runtime folders. Notebook 7 is built from JupyterLab's components: the same DOM, commands and settings."""

    def __init__(self, base: Path, frontend: str = "jupyterlab"):
        self.base, self.frontend = base, frontend
        self.root = base / "root"
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "server.log"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        config = self.base / "config"
        env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(self.base / "data"),
                   JUPYTER_RUNTIME_DIR=str(self.base / "runtime"), IPYTHONDIR=str(self.base / "ipython"),
                   HF_HUB_OFFLINE="1", JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
        env.pop("JUPYTER_PATH", None)
        # The server: root is fine (CI runs as root), no terminals or LSP, no announcements or update checks (no network here), the app on window.jupyterapp.
        write_json(config / "jupyter_server_config.json", {
            "ServerApp": {"allow_root": True, "terminals_enabled": False, "jpserver_extensions": {"jupyter_lsp": False}},
            "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                       "expose_app_in_browser": True, "extension_manager": "readonly"},
            "JupyterNotebookApp": {"expose_app_in_browser": True},
        })
        # The frontend: every cell in the DOM (no windowing), no news toast, no autosave races.
        settings = config / "lab" / "user-settings" / "@jupyterlab"
        write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
        write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                   {"fetchNews": "false", "checkForUpdates": False})
        write_json(settings / "docmanager-extension" / "plugin.jupyterlab-settings", {"autosave": False})
        return env

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        command = [sys.executable, "-m", FRONTENDS[self.frontend], "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False"]
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.frontend} exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.25)
        raise RuntimeError(f"{self.frontend} did not answer on {self.url} within {SERVER_START_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Shut down kernels with the server, then make sure the process is gone.
        with contextlib.suppress(OSError, urllib.error.URLError):
            request = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}", method="POST")
            urllib.request.urlopen(request, timeout=5).close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def lab_url(self, notebook: str) -> str:
        if self.frontend == "notebook7":
            return f"{self.url}/notebooks/{notebook}?token={self.token}"
        return f"{self.url}/lab/tree/{notebook}?token={self.token}&reset"


def keep_artifact(path: Path) -> None:
    """Copy ``path`` to $LATENTLAB_BROWSER_ARTIFACTS when that is set."""
    target = os.environ.get("LATENTLAB_BROWSER_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / path.name)


@pytest.fixture(scope="module")
def browser_stack() -> str:
    """Skip (or fail under LATENTLAB_REQUIRE_BROWSER) before anything starts when a piece is missing; the Chromium path."""
    require("jupyterlab", 'pip install -e ".[browser]"')
    require("playwright.sync_api", 'pip install -e ".[browser]"')
    return chromium_path()


@pytest.fixture(scope="module")
def artifacts_dir(tmp_path_factory) -> Path:
    """Where screenshots go: a pytest tmp folder (copied to $LATENTLAB_BROWSER_ARTIFACTS when set)."""
    return tmp_path_factory.mktemp("browser-artifacts")


@pytest.fixture(scope="module")
def keep():
    """The function that keeps an artifact (see :func:`keep_artifact`)."""
    return keep_artifact


@pytest.fixture(scope="module", params=list(FRONTENDS))
def lab_server(request, browser_stack, tmp_path_factory):
    """The server of each frontend in turn: JupyterLab 4, then Jupyter Notebook 7."""
    require(FRONTENDS[request.param], 'pip install -e ".[browser]"')
    server = LabServer(tmp_path_factory.mktemp(request.param), request.param)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        keep_artifact(server.log_path)


@pytest.fixture(scope="module")
def browser_context(browser_stack, tmp_path_factory):
    """A persistent Playwright context on a fresh --user-data-dir in headless system Chromium."""
    executable = browser_stack
    from playwright import sync_api
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1100}, device_scale_factor=1)
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()
