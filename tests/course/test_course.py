"""The course as a teacher reads it: figures in prose come from the outputs, real references, exercises with solutions,
labelled grids at a readable size, progress bars kept, one install cell."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "notebooks" / "build"))
from course import INSTALL  # noqa: E402

#: a measured-looking figure: a decimal number or a percentage (settings go in `code` or $math$, measurements in
#: finding cells rendered from variables)
FIGURE = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])|\d\s?%")
GRID_CALLS = {"show", "show_grid"}


def _cells(path: Path, kind: str):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == kind]


def _prose(cell) -> str:
    """Markdown without code spans, code blocks, math and links (their addresses hold numbers)."""
    text = re.sub(r"```.*?```", "", cell.source, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", text, flags=re.S)
    return re.sub(r"\]\([^)]*\)", "]", text)


def test_the_course_is_there():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_states_no_figure_that_is_not_rendered_from_a_variable(path: Path):
    prose = [c for c in _cells(path, "markdown") if not c.source.startswith("## References")]  # titles, volumes
    stated = [(i, m.group()) for i, c in enumerate(prose) for m in FIGURE.finditer(_prose(c))]
    assert not stated, f"{path.name}: figures in static markdown (render them with nb.finding): {stated[:10]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_findings_are_rendered_and_stored(path: Path):
    findings = [c for c in _cells(path, "code") if "finding" in c.metadata.get("tags", [])]
    for cell in findings:
        assert any("text/markdown" in o.get("data", {}) for o in cell.outputs), f"{path.name}: a finding without output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_references_are_real_citations(path: Path):
    text = path.read_text()
    assert not re.search(r"seed 00\d", text, flags=re.I), f"{path.name} still cites 'seed 00N'"
    assert any(c.source.startswith("## References") for c in _cells(path, "markdown")), f"{path.name}: no reference list"


def test_the_readme_cites_no_seed_numbers():
    assert not re.search(r"seed 00\d", (ROOT / "README.md").read_text(), flags=re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_at_least_two_exercises_with_solutions_that_run(path: Path):
    solutions = [c for c in _cells(path, "code") if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, f"{path.name}: {len(solutions)} exercises"
    for cell in solutions:
        assert cell.metadata.get("jupyter", {}).get("source_hidden"), f"{path.name}: a solution is not collapsed"
        assert cell.execution_count is not None, f"{path.name}: a solution was not run"
        assert not [o for o in cell.outputs if o.output_type == "error"], f"{path.name}: a solution fails"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_install_cell_is_the_course_one(path: Path):
    sources = [c.source for c in _cells(path, "code")]
    assert INSTALL in sources, f"{path.name}: no install cell, or one that differs from notebooks/build/course.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_progress_bars_are_kept(path: Path):
    code = "\n".join(c.source for c in _cells(path, "code"))
    assert "progress=False" not in code, f"{path.name} hides a progress bar"


def _grid_calls(source: str):
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GRID_CALLS:
            yield node


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_grid_is_labelled_and_shown_at_three_times_its_pixels(path: Path):
    for cell in _cells(path, "code"):
        for call in _grid_calls(cell.source):
            keywords = {k.arg: k.value for k in call.keywords}
            assert {"labels", "row_labels", "col_labels"} & set(keywords), \
                f"{path.name}: an unlabelled grid: {ast.unparse(call)[:120]}"
            scale = keywords.get("scale")
            if isinstance(scale, ast.Constant):
                assert scale.value >= 3, f"{path.name}: a grid below 3× its pixels: {ast.unparse(call)[:120]}"
