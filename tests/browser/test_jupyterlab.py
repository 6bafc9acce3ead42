"""The explorers in real frontends — JupyterLab 4 and Jupyter Notebook 7 — in headless Chromium driven by Playwright.

For each frontend a server starts on a free localhost port with a temporary root and token; a notebook
written there creates and ``display()``s a ``LatentWalk`` and a ``PaintCanvas`` on the embedded
``shapes-biggan`` and an ``ImageEditor`` on ``shapes-stylegan``; the browser opens it, runs all cells,
and the tests check what a person sees: the widget views render (slider, image with real bytes, the
ipycanvas canvases), moving the walk's position slider with the mouse replaces the displayed image
bytes, a mouse drag on the paint canvas reaches the kernel as a non-empty mask, and a PNG uploaded
through the editor's FileUpload is inverted with live progress, after which dragging a direction
slider changes the edited image. Screenshots are kept (see conftest.py).

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
    # 4: bring your own image: upload, invert, edit (the inversion runs in a background thread)
    "from latentlab.widgets import ImageEditor\n"
    "editor = ImageEditor(latentlab.load_generator('shapes-stylegan'), steps=30)\n"
    "display(editor)",
    # 5: what the editor holds (re-run after the interactions)
    "s = editor.state\n"
    "print(f'EDITOR target={int(s.target is not None)} inverted={int(s.result is not None)} running={int(s.running)} '\n"
    "      f'progress={s.progress:.2f} moved={sum(abs(v) for v in s.values.values()):.2f} errors={len(editor.errors)}')\n"
    "for error in editor.errors:\n"
    "    print(repr(error))",
]
EDITOR_CELL, EDITOR_STATE_CELL = 4, 5
EDITOR_LINE = re.compile(r"EDITOR target=(?P<target>[01]) inverted=(?P<inverted>[01]) running=(?P<running>[01]) "
                         r"progress=(?P<progress>[0-9.]+) moved=(?P<moved>[0-9.]+) errors=(?P<errors>\d+)")
RUN_TIMEOUT_MS = 75_000  # kernel start, torch and latentlab imports, the cells, on 2 busy cores


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

    def editor_state(self) -> dict:
        text = self.outputs(EDITOR_STATE_CELL).first.inner_text()
        match = EDITOR_LINE.search(text)
        assert match, f"unexpected output of the editor's state cell: {text!r}"
        return {**{k: int(match[k]) for k in ("target", "inverted", "running", "errors")},
                "progress": float(match["progress"]), "moved": float(match["moved"]), "text": text}

    def rerun_state_cell(self, index: int = 3, marker: str = "STATE") -> dict:
        """Run a state cell again (the walk's and canvas's, or the editor's) and return what it printed once the new
        output is there."""
        before = self.cell(index).locator(".jp-InputPrompt").inner_text()
        self.page.evaluate("""index => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = index;
            panel.content.deselectAll();
        }""", index)
        self.command("notebook:run-cell")
        # the prompt goes [n] -> [*] -> [n+1]; wait for a new number
        self.page.wait_for_function(
            """([before, index, marker]) => {
                const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
                const prompt = cell.querySelector('.jp-InputPrompt').innerText;
                return prompt !== before && /\\[\\d+\\]/.test(prompt) && cell.innerText.includes(marker);
            }""", arg=[before, index, marker], timeout=20_000)
        return self.kernel_state() if index == 3 else self.editor_state()

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
    page.wait_for_function("""count => {
        const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
        return kernel && kernel.status === 'idle' && panel.content.widgets.length === count;
    }""", arg=len(CELLS), timeout=45_000)
    lab.command("notebook:run-all-cells")
    try:
        page.wait_for_function("""() => {
            const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');
            return /STATE mask_sum=/.test(cells[3].innerText) && /EDITOR target=/.test(cells[5].innerText);
        }""", timeout=RUN_TIMEOUT_MS)
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


def test_image_editor_uploads_inverts_and_a_slider_edits(lab, tmp_path):
    """Bring your own image: upload a PNG through the FileUpload, press Invert, watch the progress, drag a slider."""
    import latentlab
    from latentlab.images import to_bytes

    page, out = lab.page, lab.outputs(EDITOR_CELL)
    assert lab.editor_state()["target"] == 0
    png = tmp_path / "my-shape.png"
    png.write_bytes(to_bytes(latentlab.render_shapes(1, seed=2).images[0]))
    images = out.locator("img.widget-image")
    assert images.count() == 3, out.inner_html()[:2000]  # image, reconstruction, edited
    target, reconstruction, edited = images.nth(0), images.nth(1), images.nth(2)
    upload = out.locator("button.widget-upload")
    upload.scroll_into_view_if_needed()
    src = target.evaluate("img => img.src")

    # The FileUpload button opens the browser's file chooser (its <input type=file> is not in the DOM): choose the PNG.
    with page.expect_file_chooser() as chooser:
        upload.click()
    chooser.value.set_files(str(png))
    page.wait_for_function("([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
                           arg=[target.element_handle(), src], timeout=15_000)
    state = lab.rerun_state_cell(EDITOR_STATE_CELL, "EDITOR")
    assert state["target"] == 1 and state["inverted"] == 0 and state["errors"] == 0, state["text"]

    # Press Invert; record what the progress bar and the reconstruction show while the inversion runs.
    page.evaluate("""([bar, img]) => {
        window.__editorSeen = {widths: [], srcs: []};
        new MutationObserver(() => window.__editorSeen.widths.push(bar.style.width))
            .observe(bar, {attributes: true, attributeFilter: ['style']});
        new MutationObserver(() => window.__editorSeen.srcs.push(img.src))
            .observe(img, {attributes: true, attributeFilter: ['src']});
    }""", [out.locator(".widget-hprogress", has=page.locator(".widget-label", has_text="inversion")).locator(".progress-bar").first
           .element_handle(), reconstruction.element_handle()])
    started = time.perf_counter()
    out.locator("button.widget-button", has_text=re.compile(r"^\s*Invert\s*$")).click()
    deadline = time.monotonic() + 60
    state = lab.rerun_state_cell(EDITOR_STATE_CELL, "EDITOR")
    while not state["inverted"] and time.monotonic() < deadline:  # the kernel stays free: the inversion is in a thread
        page.wait_for_timeout(500)
        state = lab.rerun_state_cell(EDITOR_STATE_CELL, "EDITOR")
    assert state["inverted"] and state["progress"] == 1.0 and state["errors"] == 0, state["text"]
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=edited.element_handle(), timeout=15_000)
    inverted_s = time.perf_counter() - started
    seen = page.evaluate("() => window.__editorSeen")
    widths = [float(w.rstrip("%")) for w in seen["widths"] if w.endswith("%")]
    assert widths and max(widths) == 100.0, seen
    assert any(0 < w < 100 for w in widths), f"the progress bar jumped to the end with no step in between: {seen}"
    assert len(set(seen["srcs"])) >= 2, f"the reconstruction was not refreshed while the inversion ran: {seen}"
    _, recon = image_bytes(page, reconstruction)
    assert recon.startswith(b"\x89PNG") and len(recon) > 1000, "the final reconstruction should be a PNG"
    src_before, bytes_before = image_bytes(page, edited)
    assert bytes_before.startswith(b"\x89PNG") and len(bytes_before) > 1000
    lab.screenshot("image-editor-inverted")

    # Drag the first direction's slider a quarter of its track to the right with the mouse.
    slider = out.locator(".widget-slider", has=page.locator(".widget-label", has_text="sefa-w0"))
    assert slider.count() == 1, out.inner_html()[:2000]
    track, handle = slider.locator(".noUi-target").first, slider.locator(".noUi-handle").first
    track.scroll_into_view_if_needed()
    page.wait_for_function("el => !el.hasAttribute('disabled')", arg=track.element_handle(), timeout=10_000)
    box, knob = track.bounding_box(), handle.bounding_box()
    page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, knob["y"] + knob["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function("([img, before]) => img.src !== before && img.complete && img.naturalWidth > 0",
                           arg=[edited.element_handle(), src_before], timeout=15_000)
    deadline = time.monotonic() + 10  # a JPEG at once, then the PNG of the settled edit
    src_after, bytes_after = image_bytes(page, edited)
    while not bytes_after.startswith(b"\x89PNG") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        src_after, bytes_after = image_bytes(page, edited)
    assert bytes_after.startswith(b"\x89PNG"), "the edited image never settled on a PNG"
    assert hashlib.sha256(bytes_after).digest() != hashlib.sha256(bytes_before).digest(), "the edited image did not change"
    readout = float(slider.locator(".widget-readout").inner_text().strip())
    assert readout > 0, readout
    state = lab.rerun_state_cell(EDITOR_STATE_CELL, "EDITOR")
    assert abs(state["moved"] - readout) < 0.01 and state["errors"] == 0, state["text"]
    assert not lab.error_outputs(), lab.error_outputs()
    print(f"upload → inverted in {inverted_s:.1f} s ({len(widths)} progress updates, {len(set(seen['srcs']))} reconstructions "
          f"shown); slider at {readout:.2f} changed the edited image")
    lab.screenshot("image-editor-moved")
    lab.element_screenshot(lab.cell(EDITOR_CELL), "image-editor-cell")
