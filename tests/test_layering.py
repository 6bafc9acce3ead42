"""latentlab's import layering: a module imports only its own layer and the layers below it, and no
latentlab modules import each other in a circle. Imports inside functions count like any other.

Layers, lowest first. A module's layer is that of its first name under ``latentlab/``
(``latentlab.zoo.loader`` is in ``zoo``); modules of one layer may import each other.

==========  ==================================================================================
version     the version string (imports nothing)
errors      user errors and argument checks
files       atomic writes, stale temporary files
runs        a run's identity, saved state and folder (optimizers and methods save runs)
latents     priors, truncation, interpolation
images      tensor <-> PIL / bytes, grids
image_loading  a user's picture (path, bytes, PIL, array, tensor) -> one [1, 3, H, W] tensor
data        the procedural Shapes world, its captions and datasets
masks       region masks: rectangles, brush strokes, ``check_mask``
generators  the generator contract and one module per family
spaces      latent spaces over generators, directions in them
probes      the ``shapes-probe`` network (a model family, like the generators)
zoo         registries, loader, cache, checkpoint converters, the CLIP family and the built-in
            entries: above the model families it builds, below everything that loads a model by name
assessors   images -> scores, and the one shapes-probe reader (:mod:`latentlab.assessors.probe`)
optim       ask/tell optimizers and the run loop
metrics     FID, factor statistics, direction control
methods     evolve, paint, ganalyze, directions, dissection, inversion
training    training loops shared by the recipes
recipes     the embedded models' training recipes (the zoo names them by module path, never imports them)
widgets     explorers
cli         the command line
latentlab   the package's public API (``latentlab/__init__.py``)
==========  ==================================================================================
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "latentlab"
LAYERS = ("version", "errors", "files", "runs", "latents", "images", "image_loading", "data", "masks", "generators", "spaces", "probes", "zoo",
          "assessors", "optim", "metrics", "methods", "training", "recipes", "widgets", "cli", "latentlab")
RANK = {name: i for i, name in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _owner(name: str) -> str | None:
    """The latentlab module that ``name`` (a module or a name inside one) resolves to; None outside latentlab."""
    if name != "latentlab" and not name.startswith("latentlab."):
        return None
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in MODULES else None


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported latentlab module, line) for every import statement in ``path``, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            target = _owner(name)
            if target is not None and target != module:
                found.append((target, node.lineno))
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_every_module_has_a_layer():
    unplaced = sorted({_layer(m) for m in MODULES} - set(RANK))
    assert not unplaced, f"place these in LAYERS (test_layering.py) and its docstring: {unplaced}"


def test_no_module_imports_a_higher_layer():
    upward = sorted({f"{module} -> {target} (line {line}: {_layer(module)} is below {_layer(target)})"
                     for module, targets in GRAPH.items() for target, line in targets
                     if RANK[_layer(target)] > RANK[_layer(module)]})
    assert not upward, "lower layers import higher ones:\n  " + "\n  ".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _circle(graph: dict[str, set[str]], component: list[str], start: str | None = None) -> list[str]:
    """A shortest circle through ``start`` (default: the first module of ``component``), as a path."""
    start, inside = start or component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & inside):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return component


def test_no_import_cycles():
    graph = {module: {target for target, _ in targets} for module, targets in GRAPH.items()}
    cycles = _cycles(graph)
    described = []
    for component in cycles:
        circles = {}
        for start in component:  # a shortest circle through each module, each circle named once
            path = _circle(graph, component, start)
            circles.setdefault(frozenset(zip(path, path[1:])), " -> ".join(path))
        described += [f"[{len(component)} modules entangled] {c}" for c in sorted(circles.values())]
    assert not cycles, "modules import each other in a circle:\n  " + "\n  ".join(described)


@pytest.mark.parametrize("source, expected", [
    ("from latentlab.zoo import load_probe\n", ["latentlab.zoo"]),
    ("def f():\n    from latentlab.zoo.loader import load_probe\n", ["latentlab.zoo.loader"]),
    ("import latentlab.masks as m\n", ["latentlab.masks"]),
    ("from latentlab import masks\n", ["latentlab.masks"]),
    ("from . import base\n", ["latentlab.assessors.base"]),
])
def test_imports_are_read_at_any_depth_and_resolved_to_modules(tmp_path, source, expected):
    path = tmp_path / "example.py"
    path.write_text(source)
    assert [t for t, _ in _imports("latentlab.assessors.example", path)] == expected


def test_the_cycle_finder_reports_a_circle():
    graph = {"a": {"b"}, "b": {"c", "a"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _circle(graph, ["a", "b", "c"]) == ["a", "b", "a"]


def test_the_package_exports_what_it_lists_lazily():
    import latentlab

    assert set(latentlab.__all__) == {*latentlab._EXPORTS, "__version__"}
    for name in latentlab._EXPORTS:
        assert getattr(latentlab, name) is getattr(__import__(latentlab._EXPORTS[name], fromlist=[name]), name)
    with pytest.raises(AttributeError, match="no attribute 'load_generatr'"):
        latentlab.load_generatr  # noqa: B018
