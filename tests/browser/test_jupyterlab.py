"""The explorers in real frontends — JupyterLab 4 and Jupyter Notebook 7 — in headless Chromium driven by Playwright.

For each frontend a server starts on a free localhost port with a temporary root and token; a notebook
written there creates and ``display()``s a ``LatentWalk`` and a ``PaintCanvas`` on the embedded
``shapes-biggan``; the browser opens it, runs all cells, and the tests check what a person sees:
the widget views render (slider, image with real bytes, the ipycanvas canvases), moving the walk's
position slider with the mouse replaces the displayed image bytes, and a mouse drag on the paint
canvas reaches the kernel as a non-empty mask. Screenshots are kept (see conftest.py).

Skipped only when JupyterLab, Notebook 7, Playwright or Chromium is missing (``LATENTLAB_REQUIRE_BROWSER=1``
turns that into a failure). Installed by ``pip install -e ".[dev,browser]"`` and ``apt-get install chromium``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest

NOTEBOOK = "explorers.ipynb"
STATE_LINE = re.compile(r"STATE mask_sum=(?P<mask>[0-9.]+) position=(?P<position>\d+) errors=(?P<errors>\d+)")
CELLS = [
    # 0: imports and the embedded generator (no downloads)
    "import os\n"
    "os.environ.setdefault('HF_HUB_OFFLINE', '1')\n"
    "import torch\n"
    "torch.set_num_threads(1)\n"
    "from IPython.display import display\n"
    "import latentlab\n"
    "from latentlab.widgets import LatentWalk, PaintCanvas\n"
    "G = latentlab.load_generator('shapes-biggan')",
    # 1: the walk
    "walk = LatentWalk(G, 0, 1, steps=8)\n"
    "display(walk)",
    # 2: the paint canvas
    "canvas = PaintCanvas(G, seed=0)\n"
    "display(canvas)",
    # 3: what the kernel holds (re-run after the interactions)
    "print(f'STATE mask_sum={float(canvas.session.mask.sum()):.1f} position={walk.state.position} '\n"
    "      f'errors={len(walk.errors) + len(canvas.errors)}')\n"
    "for error in walk.errors + canvas.errors:\n"
    "    print(repr(error))",
]
RUN_TIMEOUT_MS = 75_000  # kernel start, torch and latentlab imports, three cells, on 2 busy cores


def notebook_json() -> dict:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"}},
        "cells": [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": source} for i, source in enumerate(CELLS)],
    }


class Lab:
    """The page with the notebook open, and helpers to read it."""

    def __init__(self, page, artifacts_dir, keep, frontend: str = "jupyterlab"):
        self.page, self.artifacts_dir, self.keep, self.frontend = page, artifacts_dir, keep, frontend
        self.console_errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        self.failed_requests: list[str] = []
        page.on("response", lambda response: response.status >= 400 and self.failed_requests.append(f"{response.status} {response.url}"))

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def outputs(self, index: int):
        return self.cell(index).locator(".jp-OutputArea-output")

    def command(self, name: str) -> None:
        self.page.evaluate("name => window.jupyterapp.commands.execute(name)", name)

    def kernel_state(self) -> dict:
        text = self.outputs(3).first.inner_text()
        match = STATE_LINE.search(text)
        assert match, f"unexpected output of the state cell: {text!r}"
        return {"mask_sum": float(match["mask"]), "position": int(match["position"]), "errors": int(match["errors"]),
                "text": text}

    def rerun_state_cell(self) -> dict:
        """Run the state cell again and return what it printed once the new output is there."""
        before = self.cell(3).locator(".jp-InputPrompt").inner_text()
        self.page.evaluate("""() => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = 3;
            panel.content.deselectAll();
        }""")
        self.command("notebook:run-cell")
        # the prompt goes [n] -> [*] -> [n+1]; wait for a new number
        self.page.wait_for_function(
            """([before]) => {
                const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[3];
                const prompt = cell.querySelector('.jp-InputPrompt').innerText;
                return prompt !== before && /\\[\\d+\\]/.test(prompt) && /STATE/.test(cell.innerText);
            }""", arg=[before], timeout=20_000)
        return self.kernel_state()

    def error_outputs(self) -> list[str]:
        """Tracebacks shown anywhere in the notebook (cell errors, and stderr such as the explorers' error areas)."""
        texts = [el.inner_text() for el in self.page.locator(
            '.jp-OutputArea-output[data-mime-type*="error"], .jp-OutputArea-output[data-mime-type*="stderr"]').all()]
        return [text for text in texts if re.search(r"Traceback|Error\b|Exception", text)]

    def element_screenshot(self, locator, name: str):
        path = self.artifacts_dir / f"{self.frontend}-{name}.png"
        locator.screenshot(path=str(path))
        self.keep(path)
        return path

    def screenshot(self, name: str):
        path = self.artifacts_dir / f"{self.frontend}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.keep(path)
        return path


@pytest.fixture(scope="module")
def lab(lab_server, browser_context, artifacts_dir, keep):
    """JupyterLab with the explorers notebook open and all its cells run."""
    (lab_server.root / NOTEBOOK).write_text(json.dumps(notebook_json(), indent=1))
    page = browser_context.new_page()
    lab = Lab(page, artifacts_dir, keep, lab_server.frontend)
    started = time.perf_counter()
    page.goto(lab_server.lab_url(NOTEBOOK))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=45_000)
    page.wait_for_function("""() => {
        const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
        return kernel && kernel.status === 'idle' && panel.content.widgets.length === 4;
    }""", timeout=45_000)
    lab.command("notebook:run-all-cells")
    try:
        page.wait_for_function("() => /STATE mask_sum=/.test(document.querySelectorAll('.jp-Notebook .jp-Cell')[3].innerText)",
                               timeout=RUN_TIMEOUT_MS)
    except Exception:
        lab.screenshot("run-all-failed")
        raise AssertionError(f"the notebook did not finish running; outputs: {lab.error_outputs()}\n"
                             f"console: {lab.console_errors[-10:]}\nserver log:\n{lab_server.log()}") from None
    lab.run_all_s = time.perf_counter() - started
    lab.screenshot("after-run-all")
    yield lab
    lab.screenshot("final")
    page.close()


def image_bytes(page, image) -> tuple[str, bytes]:
    """The src of an <img> and the bytes behind it (ipywidgets.Image shows a blob: URL of its value)."""
    for _ in range(5):  # the URL is revoked when a newer image replaces it: read src and bytes together
        result = image.evaluate("""async img => {
            const src = img.src;
            try {
                const data = new Uint8Array(await (await fetch(src)).arrayBuffer());
                return {src, data: Array.from(data), width: img.naturalWidth};
            } catch (error) { return {src, error: String(error)}; }
        }""")
        if "data" in result:
            return result["src"], bytes(result["data"])
        time.sleep(0.1)
    raise AssertionError(f"could not read the image behind {result['src']!r}: {result['error']}")


def test_notebook_runs_without_errors(lab):
    state = lab.kernel_state()
    assert state["mask_sum"] == 0.0 and state["position"] == 0, state
    assert state["errors"] == 0, f"explorer callbacks raised: {state['text']}"
    assert not lab.error_outputs(), lab.error_outputs()
    page_text = lab.page.locator(".jp-Notebook").inner_text()
    assert "Error displaying widget" not in page_text and "Loading widget" not in page_text, page_text[:2000]
    widget_errors = [m for m in lab.console_errors if re.search(r"widget|canvas|comm|model", m, re.I)]
    assert not widget_errors, f"the browser console reported widget errors: {widget_errors}"
    print(f"notebook opened and run in {lab.run_all_s:.1f} s; console errors: {lab.console_errors or 'none'}; "
          f"failed requests: {lab.failed_requests or 'none'}")


def test_latent_walk_renders_and_the_slider_changes_the_image(lab):
    page, out = lab.page, lab.outputs(1)
    position = out.locator(".widget-slider", has=page.locator(".widget-label", has_text="position"))
    steps = out.locator(".widget-slider", has=page.locator(".widget-label", has_text="steps"))
    assert position.count() == 1 and steps.count() == 1, out.inner_html()[:2000]
    assert position.locator(".widget-readout").inner_text().strip() == "0"
    image = out.locator("img.widget-image").first
    image.wait_for(state="visible")
    assert image.evaluate("img => img.complete && img.naturalWidth") >= 256, "the walk image did not decode"
    src_before, bytes_before = image_bytes(page, image)
    assert src_before.startswith("blob:") and len(bytes_before) > 1000, (src_before, len(bytes_before))
    assert bytes_before[:8] == b"\x89PNG\r\n\x1a\n", "the settled frame should be a PNG"

    # Move the slider as a person would: drag its handle one step to the right with the mouse.
    handle = position.locator(".noUi-handle").first
    track = position.locator(".noUi-target").first
    steps_value = int(steps.locator(".widget-readout").inner_text().strip())

    def drag_to(value: int) -> None:
        box, knob = track.bounding_box(), handle.bounding_box()
        page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * value / (steps_value - 1), knob["y"] + knob["height"] / 2)
        page.mouse.up()

    started = time.perf_counter()
    drag_to(1)
    page.wait_for_function("([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
                           arg=[image.element_handle(), src_before], timeout=15_000)
    latency_ms = (time.perf_counter() - started) * 1000
    deadline = time.monotonic() + 10  # the throttle shows a JPEG at once, then settles on the PNG of the frame
    src_after, bytes_after = image_bytes(page, image)
    while not bytes_after.startswith(b"\x89PNG") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        src_after, bytes_after = image_bytes(page, image)
    assert bytes_after.startswith(b"\x89PNG"), "the walk never settled on the PNG of the new frame"
    assert position.locator(".widget-readout").inner_text().strip() == "1"
    assert src_after != src_before and len(bytes_after) > 1000
    assert hashlib.sha256(bytes_after).digest() != hashlib.sha256(bytes_before).digest(), "the image bytes did not change"
    print(f"slider -> new image displayed in {latency_ms:.0f} ms (end to end, headless Chromium)")
    lab.screenshot("latent-walk-moved")

    # More moves, left and right (ending where the first one left the slider), for the latency benchmark
    latencies = [latency_ms]
    for value in [0, 1] * 5:
        src = image.evaluate("img => img.src")
        started = time.perf_counter()
        drag_to(value)
        page.wait_for_function("([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
                               arg=[image.element_handle(), src], timeout=15_000)
        latencies.append((time.perf_counter() - started) * 1000)
        page.wait_for_timeout(300)  # let the frame settle on its PNG before the next key
    record = os.environ.get("LATENTLAB_BROWSER_LATENCY_OUT")
    if record:  # python -m benchmarks.widgets --browser reads these
        Path(record).write_text(json.dumps({"slider_to_displayed_image_ms": [round(v, 1) for v in latencies]}))

    state = lab.rerun_state_cell()
    assert state["position"] == 1 and state["errors"] == 0, state["text"]


PIXELS_JS = """c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return {width: c.width, height: c.height, data: Array.from(d.filter((_, i) => (i >> 2) % 7 === 0))};
}"""  # every 7th pixel, RGBA


def pixel_sample(canvas) -> list[tuple[int, int, int, int]]:
    data = canvas.evaluate(PIXELS_JS)["data"]
    return [tuple(data[i:i + 4]) for i in range(0, len(data), 4)]


def test_paint_canvas_renders_and_a_drag_paints_the_mask(lab):
    page, out = lab.page, lab.outputs(2)
    # ipycanvas composites the MultiCanvas layers (image, mask) into one visible <canvas>
    canvas = out.locator("canvas").first
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] >= 200 and box["height"] >= 200, box
    before = pixel_sample(canvas)
    opaque, colours = sum(p[3] == 255 for p in before), len(set(before))
    assert opaque == len(before) and colours > 20, f"the canvas does not show the generated image: {opaque}/{len(before)} opaque, {colours} colours"
    assert lab.kernel_state()["mask_sum"] == 0.0

    # A stroke across the middle of the canvas, with the mouse button held down.
    x0, x1, y = box["x"] + box["width"] * 0.3, box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y + 10, steps=8)
    page.mouse.move(x1, y, steps=8)
    page.mouse.up()

    deadline = time.monotonic() + 20
    state = lab.rerun_state_cell()
    while state["mask_sum"] == 0.0 and time.monotonic() < deadline:  # mouse events may still be on their way
        page.wait_for_timeout(500)
        state = lab.rerun_state_cell()
    assert state["mask_sum"] > 0, f"the drag did not reach the kernel's mask: {state['text']}"
    assert state["errors"] == 0, state["text"]
    # and the canvas shows the stroke: pixels turned towards the translucent magenta of the mask
    after = pixel_sample(canvas)
    magenta = sum(a != b and b[0] - b[1] > a[0] - a[1] + 20 for a, b in zip(before, after))
    assert magenta > 50, f"the canvas shows no stroke ({magenta} sampled pixels turned magenta)"
    print(f"mask {state['mask_sum']:.0f} px in the kernel; {magenta} sampled canvas pixels painted")
    canvas.scroll_into_view_if_needed()
    lab.screenshot("paint-canvas-stroke")
    lab.element_screenshot(lab.cell(2), "paint-canvas-cell")
