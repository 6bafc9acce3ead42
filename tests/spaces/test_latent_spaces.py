"""The LatentSpace contract on the embedded generators: round trips, rendering, the registry, regions, directions."""

import ast
from pathlib import Path

import pytest
import torch

from latentlab import load_generator
from latentlab.errors import InvalidInputError
from latentlab.masks import rect_mask
from latentlab.spaces import (
    SPACES,
    Direction,
    LatentSpace,
    RegionEdit,
    RegionSpace,
    ZSpace,
    register_space,
    resolve_space,
    space_name,
)
from latentlab.spaces.registry import ALIASES

PACKAGE = Path(__file__).resolve().parents[2] / "latentlab"


@pytest.fixture(scope="module")
def style():
    return load_generator("shapes-stylegan")


@pytest.fixture(scope="module")
def biggan():
    return load_generator("shapes-biggan")


@pytest.mark.parametrize("name", ["z", "z+class", "w", "w+", "stylespace"])
def test_every_space_renders_what_the_generator_makes_and_round_trips(style, name):
    g = style
    space = resolve_space(name, g, classes="star")
    z, y = g.sample_latents(3, seed=4), g.classes("star", 3)
    x = space.encode(z, y)
    assert x.shape == (3, space.dim) and space.name == name
    with torch.no_grad():
        # z+class holds the class as logits 4 · one-hot, whose softmax is the class input
        expected = g(z, torch.softmax(4 * g.class_vectors(y), 1) if name == "z+class" else y)
        torch.testing.assert_close(space.render(x), expected, atol=2e-5, rtol=0)
        again = space.flatten(space.decode(x))  # z+class: other logits with the same softmax
        torch.testing.assert_close(space.decode(again) if name == "z+class" else again, space.decode(x) if name == "z+class" else x)
        sampled = space.sample(2, seed=1)
        assert torch.equal(sampled, space.sample(2, seed=1)) and not torch.equal(sampled, space.sample(2, seed=2))
    with pytest.raises(InvalidInputError, match=rf"\[N, {space.dim}\]"):
        space.render(torch.zeros(2, space.dim + 1))


def test_standardised_statistics_only_where_coordinates_are_uneven(style):
    assert resolve_space("z", style, classes=0).statistics() is None
    mean, std = resolve_space("w", style).statistics()
    assert mean.shape == std.shape == (style.w_dim,) and (std > 0).all()
    assert torch.allclose(mean, resolve_space("w", style).sample(2000, seed=7).mean(0), atol=3 * float(std.max()) / 40)


def test_names_resolve_through_one_registry_with_close_matches(style, biggan):
    assert space_name("W+") == space_name("wplus") == "w+" and space_name("style") == "stylespace"
    assert set(biggan.latent_spaces) == {"z", "z+class"} and "stylespace" in style.latent_spaces
    with pytest.raises(ValueError, match="Did you mean 'w\\+'"):
        resolve_space("w++", style)
    with pytest.raises(ValueError, match="need a style-based generator"):
        resolve_space("w", biggan)
    with pytest.raises(ValueError, match="belongs to another generator"):
        resolve_space(resolve_space("z", biggan, classes=0), style)
    with pytest.raises(ValueError, match="already registered"):
        register_space("w", lambda generator, classes=None: ZSpace(generator))
    with pytest.raises(ValueError, match="pass classes="):
        resolve_space("z", biggan).render(torch.zeros(1, biggan.latent_dim))


def test_a_new_space_plugs_in_without_touching_methods(biggan):
    """A space registered by name works in the objective and the sweep, which never compare names."""
    from latentlab.assessors import Brightness
    from latentlab.optim import LatentObjective

    class HalfZ(ZSpace):
        """Only the first half of z is searched; the rest stays at zero."""

        name = "half-z"

        def __init__(self, generator, classes=None):
            super().__init__(generator, classes)
            self.dim = generator.latent_dim // 2

        def decode(self, x):
            x = self.check(x)
            z = torch.cat([x, torch.zeros(x.shape[0], self.generator.latent_dim - self.dim, device=x.device)], 1)
            return z, self.generator.classes("star", x.shape[0])

        def sample(self, n, *, seed=None, truncation=None):
            return super().sample(n, seed=seed, truncation=truncation)[:, : self.dim]

    register_space("half-z", HalfZ)
    try:
        space = HalfZ(biggan, classes="star")
        objective = LatentObjective(biggan, Brightness(), space=space)
        scores = objective(torch.zeros(4, objective.dim))
        assert objective.dim == biggan.latent_dim // 2 and scores.shape == (4,)
    finally:
        SPACES.pop("half-z")


def test_region_space_over_w_keeps_the_image_at_its_start_and_edits_stack(style):
    g = style
    z0, box = g.sample_latents(1, seed=3), rect_mask(64, 8, 8, 40, 40)
    for name in ("z", "w", "w+"):
        region = RegionSpace.for_image(g, name, z0, "star", box)
        with torch.no_grad():
            torch.testing.assert_close(region.render(region.start()[None]), g(z0, g.classes("star", 1)), atol=2e-5, rtol=0)
    region = RegionSpace.for_image(g, "w+", z0, "star", box)
    other = region.encode(g.sample_latents(1, seed=9), g.classes("circle", 1))
    edit = region.edit(other[0], "circle")
    assert isinstance(edit, RegionEdit) and edit.styles.shape == (g.num_ws, g.w_dim) and edit.z is None
    with torch.no_grad():
        edited = region.render(other)
        after = RegionSpace.for_image(g, "z", z0, "star", rect_mask(64, 44, 44, 62, 62), edits=[edit]).current()
    torch.testing.assert_close(after, edited, atol=2e-5, rtol=0)
    with pytest.raises(InvalidInputError, match="cannot be split by a mask"):
        RegionSpace(resolve_space("stylespace", g), z0, "star", box)


def test_directions_know_their_space_lift_into_wplus_and_save(style, tmp_path):
    g = style
    d = Direction(torch.randn(g.w_dim, generator=torch.Generator().manual_seed(0)), "d", space="w", layers=(0, 1))
    wplus = resolve_space("w+", g)
    lifted = wplus.adopt(d)
    assert lifted.space == "w+" and lifted.dim == g.num_ws * g.w_dim
    x = wplus.sample(2, seed=0)
    moved = lifted.move(x, 1.5).reshape(2, g.num_ws, g.w_dim) - x.reshape(2, g.num_ws, g.w_dim)
    assert torch.allclose(moved[:, :2], 1.5 * d.vector.expand(2, 2, -1), atol=1e-5) and moved[:, 2:].abs().max() == 0
    assert resolve_space("w", g).adopt(d) is d
    with pytest.raises(InvalidInputError, match="has 128 dimensions in the 'w' space"):
        resolve_space("z", g, classes=0).adopt(d)
    path = d.save(tmp_path / "d.safetensors")
    again = Direction.load(path)
    assert torch.equal(again.vector, d.vector) and (again.space, again.layers, again.name) == ("w", (0, 1), "d")
    (tmp_path / "bad.safetensors").write_bytes(b"not a direction")
    with pytest.raises(ValueError, match="not a latentlab direction file"):
        Direction.load(tmp_path / "bad.safetensors")
    with pytest.raises(InvalidInputError, match="outside 0..9"):
        Direction(d.vector, space="w", layers=(12,)).lifted(g.num_ws)


def _space_words() -> set[str]:
    return set(SPACES) | set(ALIASES) | {"region"}


def _comparisons(tree: ast.AST):
    """(line, text) of comparisons that involve a space name or a ``.space`` / ``space`` value."""
    words = _space_words()

    def named(node: ast.AST) -> bool:  # a space name that cannot mean anything else ('w' alone could be a file mode)
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 1 and node.value.lower() in words

    def mentions(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value.lower() in words
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(mentions(e) for e in node.elts)
        if isinstance(node, ast.Attribute):
            return node.attr in ("space", "decodes_to") or (node.attr == "name" and mentions(node.value))
        if isinstance(node, ast.Name):
            return node.id == "space" or node.id.endswith("_space")
        return False

    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):  # `space is None` asks whether one was given
            continue
        spaceish = [n for n in sides if mentions(n) and not isinstance(n, ast.Constant)]
        if spaceish or any(named(n) or (isinstance(n, (ast.Tuple, ast.List, ast.Set)) and any(named(e) for e in n.elts))
                           for n in sides):
            yield node.lineno, ast.unparse(node)


def test_no_module_outside_spaces_compares_space_names():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "spaces" in path.relative_to(PACKAGE).parts:
            continue
        for line, text in _comparisons(ast.parse(path.read_text())):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    assert not found, "space names compared outside latentlab/spaces/:\n" + "\n".join(found)


def test_the_scan_would_catch_a_comparison():
    assert list(_comparisons(ast.parse("if space == 'w+': pass")))
    assert list(_comparisons(ast.parse("if objective.space in ('w', 'w+'): pass")))
    assert list(_comparisons(ast.parse("if name in ('z+class', 'stylespace'): pass")))
    assert not list(_comparisons(ast.parse("if space is None: pass")))
    assert not list(_comparisons(ast.parse("if mode == 'w': pass\nif x in ('a', 'b'): pass")))


def test_methods_and_widgets_do_not_probe_generators_for_capabilities():
    found = []
    for folder in ("methods", "widgets"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr"):
                    target = ast.unparse(node.args[0]) if node.args else ""
                    if target in ("generator", "g", "self.generator", "G") or target.endswith(".generator"):
                        found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "capability probing:\n" + "\n".join(found)


def test_spaces_are_latent_spaces(style):
    for name in style.latent_spaces:
        assert isinstance(resolve_space(name, style), LatentSpace)
