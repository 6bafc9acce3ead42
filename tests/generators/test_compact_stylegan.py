import pytest
import torch

from latentlab.data import SHAPES, ShapesDataset
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.masks import rect_mask
from latentlab.metrics import read_factors
from latentlab.spaces import resolve_space, space_name
from latentlab.training.discriminator import ProjectionDiscriminator
from latentlab.training.gan import GANTrainConfig, train_gan
from latentlab.zoo import load_generator, load_probe


@pytest.fixture(scope="module")
def g():
    return load_generator("shapes-stylegan")


def _zy(g, n=4, seed=0):
    return g.sample_latents(n, seed=seed), g.sample_classes(n, seed=seed)


def test_loads_by_name_and_keeps_the_generator_contract(g):
    assert isinstance(g, CompactStyleGAN) and g.class_names == SHAPES and g.resolution == 64
    z, y = _zy(g)
    with torch.no_grad():
        a, b = g(z, y), g(z, y)
    assert a.shape == (4, 3, 64, 64) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b)  # fixed noise maps at inference: deterministic
    assert g.num_ws == len(g.layer_resolutions) == 10


def test_shipped_weights_render_what_their_latents_stand_for(g):
    """shapes-stylegan was trained to render the factors its recipe's LATENT_FACTORS reads off each latent."""
    from latentlab.data import render
    from latentlab.recipes.shapes_stylegan import LATENT_FACTORS

    z, y = _zy(g, 64, 11)
    with torch.no_grad():
        images = g(z, y)
    target = render(LATENT_FACTORS(z, y))[0]
    error = (images - target).abs().mean().item()
    assert error < 0.1, error  # shapes are placed within about a pixel; backgrounds match less closely than shapes-biggan's
    assert (images - target.roll(1, 0)).abs().mean().item() > 2 * error  # the pairing is specific to each latent


def test_w_and_wplus_reproduce_the_z_path(g):
    z, y = _zy(g)
    with torch.no_grad():
        image = g(z, y)
        w = g.to_w(z, y)
        assert w.shape == (4, g.w_dim)
        assert torch.allclose(g.from_w(w), image, atol=1e-5)
        ws = g.to_wplus(z, y)
        assert ws.shape == (4, g.num_ws, g.w_dim)
        assert torch.allclose(g.from_wplus(ws), image, atol=1e-5)
        wplus = resolve_space("W+", g)
        assert torch.allclose(wplus.render(ws.flatten(1)), image, atol=1e-5)
        assert wplus.dim == g.num_ws * g.w_dim and torch.allclose(wplus.encode(z, y), ws.flatten(1))


def test_truncation_pulls_w_towards_the_average(g):
    z, y = _zy(g, 8)
    with torch.no_grad():
        w1, w_half, w0 = g.to_w(z, y, 1.0), g.to_w(z, y, 0.5), g.to_w(z, y, 1e-6)
    dist = lambda w: (w - g.w_avg).norm(dim=1)  # noqa: E731
    assert torch.allclose(dist(w_half), 0.5 * dist(w1), rtol=1e-4)
    assert dist(w0).max() < 1e-4
    with pytest.raises(ValueError, match="truncation"):
        g.to_w(z, y, 0.0)


def test_style_mixing_ranges_and_effect(g):
    coarse, middle, fine = (g.mix_layers(r) for r in ("coarse", "middle", "fine"))
    assert sorted(coarse + middle + fine) == list(range(g.num_ws))
    assert max(g.layer_resolutions[i] for i in coarse) < min(g.layer_resolutions[i] for i in fine)
    a, b = g.to_wplus(*_zy(g, 32, 1)), g.to_wplus(*_zy(g, 32, 2))
    with torch.no_grad():
        assert torch.equal(g.mix(a, b, []), a)
        read = {name: read_factors(load_probe(), g.from_wplus(ws)) for name, ws in
                (("a", a), ("b", b), ("coarse", g.mix(a, b, "coarse")), ("fine", g.mix(a, b, "fine")))}
    # the probe reads where the object sits from the coarse styles and its colour from the fine ones
    where = lambda r: torch.stack([r.x, r.y], 1)  # noqa: E731
    hue_gap = lambda r, s: torch.remainder(r.hue - s.hue + 0.5, 1.0).sub(0.5).abs()  # noqa: E731
    gap = lambda x, y: (x - y).norm(dim=1)  # noqa: E731
    assert gap(where(read["coarse"]), where(read["b"])).mean() < 0.3 * gap(where(read["coarse"]), where(read["a"])).mean()
    assert gap(where(read["fine"]), where(read["a"])).mean() < 0.3 * gap(where(read["fine"]), where(read["b"])).mean()
    assert hue_gap(read["fine"], read["b"]).mean() < 0.3 * hue_gap(read["fine"], read["a"]).mean()
    assert hue_gap(read["coarse"], read["a"]).mean() < 0.3 * hue_gap(read["coarse"], read["b"]).mean()
    with pytest.raises(ValueError, match="did you mean 'coarse'"):
        g.mix_layers("corse")
    with pytest.raises(ValueError, match="out of range"):
        g.mix_layers([0, 99])


def test_bad_latents_and_spaces_fail_clearly(g):
    assert space_name("wplus") == space_name("W+") == "w+"
    with pytest.raises(ValueError, match="Did you mean 'w\\+'"):
        space_name("w++")
    with pytest.raises(ValueError, match=r"\[N, 10, 128\]"):
        g.from_wplus(torch.zeros(2, 3, 128))
    with pytest.raises(ValueError, match="NaN"):
        g.from_w(torch.full((1, 128), float("nan")))


def test_split_and_region_edits(g):
    z, y = _zy(g, 2)
    with torch.no_grad():
        full = g(z, y)
        for layer in g.layer_names():
            s = g.split(layer)
            assert torch.allclose(s.h(s.f(z, y), z, y), full, atol=1e-5), layer
        mask = rect_mask(64, 0, 0, 32, 32)
        edited = g.synthesize_edits((z[:1], g.class_vectors(y[:1])), [(z[1:], g.class_vectors(y[1:]), mask)], "b8")
        unchanged = g.synthesize_edits((z[:1], g.class_vectors(y[:1])), [(z[:1], g.class_vectors(y[:1]), mask)], "b8")
    assert torch.allclose(unchanged, full[:1], atol=1e-5)  # editing with the base's own latent is the identity
    inside = (edited - full[:1])[..., :24, :24].abs().mean()
    outside = (edited - full[:1])[..., 44:, 44:].abs().mean()
    assert inside > 5 * outside


def test_training_updates_the_average_w_and_runs_style_mixing(tmp_path):
    torch.manual_seed(0)
    g = CompactStyleGAN(CompactStyleGANConfig(latent_dim=8, w_dim=16, embed_dim=4, mapping_layers=2, channels=(16, 8, 8)))
    d = ProjectionDiscriminator(len(SHAPES), channels=(8, 8, 8))

    def data(start):
        ds = ShapesDataset(batch_size=4, seed=0, size=16)
        i = start
        while True:
            b = ds.batch(i)
            yield b.images, b.factors.shape
            i += 1

    before = [p.clone() for p in g.parameters()]
    train_gan(g, d, data, GANTrainConfig(steps=2, batch_size=4), tmp_path, n_classes=len(SHAPES), progress=False)
    assert g.w_avg.abs().sum() > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters()))


def _redness(images):
    return images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))


@pytest.mark.parametrize("space, optimizer", [("w", "cma"), ("w+", "ga")])
def test_evolution_searches_w_and_wplus(g, space, optimizer):
    from latentlab.methods import evolve
    from latentlab.optim import LatentObjective

    objective = LatentObjective(g, _redness, space=space, classes="star")
    assert objective.dim == resolve_space(space, g).dim
    ws = objective.decode(torch.zeros(2, objective.dim))
    assert ws.shape == (2, g.num_ws, g.w_dim) and torch.allclose(ws[0, 0], objective.mean[:g.w_dim])
    result = evolve("red", g, _redness, optimizer=optimizer, generations=6, population=8, space=space, classes="star", progress=False)
    history = result.run.history
    assert history[-1]["best_so_far"] > history[0]["best"]
    assert result.best_image.shape == (3, 64, 64)
    with pytest.raises(ValueError, match="style-based generator"):
        LatentObjective(load_generator("shapes-biggan"), _redness, space=space, classes="star")


def test_latent_walk_in_w_and_wplus(g):
    from latentlab.widgets import LatentWalk

    for space in ("w", "w+"):
        walk = LatentWalk(g, 2, 5, classes=("circle", "star"), method="lerp", steps=5, space=space, throttle_s=0)
        frames = walk.state.frames()
        with torch.no_grad():
            ends = g(torch.cat([g.sample_latents(1, seed=2), g.sample_latents(1, seed=5)]), g.classes(["circle", "star"]))
        assert torch.allclose(frames[0], ends[0], atol=1e-5) and torch.allclose(frames[-1], ends[1], atol=1e-5)
        a, b = walk.state.endpoints()
        assert a.numel() == resolve_space(space, g).dim
        assert torch.allclose(walk.state.frame(2), resolve_space(space, g).render(((a + b) / 2)[None])[0], atol=1e-5)
    with pytest.raises(ValueError, match="style-based generator"):
        LatentWalk(load_generator("shapes-biggan"), 0, 1, classes="star", space="w")


def test_paint_by_word_searches_w_and_wplus_and_edits_stack(g):
    from latentlab.methods.paint import paint_by_word
    from latentlab.spaces import RegionEdit, RegionSpace

    z0 = g.sample_latents(1, seed=3)
    box = rect_mask(64, 8, 8, 40, 40)
    with torch.no_grad():
        own = g.to_wplus(z0, g.classes("star", 1))[0]
        same = RegionSpace.for_image(g, "z", z0, "star", box, "b8", edits=[RegionEdit(None, None, box, styles=own)]).current()
        assert torch.allclose(same, g(z0, g.classes("star", 1)), atol=1e-5)  # the image's own styles: no change
    for space in ("w", "w+"):
        result = paint_by_word(g, z0, box, "a blue star", classes="star", space=space, generations=3, population=6,
                               perceptual="none", progress=False)
        edit = result.edits[-1]
        assert edit.z is None and edit.styles.shape == (g.num_ws, g.w_dim)
        assert result.scores["inside_after"] >= result.scores["inside_before"] - 1e-6  # x0 (the image itself) is a candidate's start
        outside = (result.image - result.before).abs()[:, 48:, 48:].mean()
        inside = (result.image - result.before).abs()[:, 12:36, 12:36].mean()
        assert inside > outside
    # a z-space edit on top of the W+ edit starts from the W+-edited image
    second = paint_by_word(g, z0, rect_mask(64, 36, 36, 60, 60), "a red circle", classes="star", edits=result.edits,
                           generations=2, population=4, perceptual="none", progress=False)
    assert torch.allclose(second.before, result.image, atol=1e-5) and len(second.edits) == 2
    with pytest.raises(ValueError, match="style-based generator"):
        paint_by_word(load_generator("shapes-biggan"), z0[:, :1].repeat(1, 120), box, "a blue star", classes="star", space="w")


def _layered_tiny(**kwargs):
    torch.manual_seed(0)
    config = CompactStyleGANConfig(latent_dim=18, w_dim=16, embed_dim=4, mapping_layers=2, channels=(16, 8, 8), output="layered",
                                   placement_hidden=16, colour_hidden=8, **kwargs)
    return CompactStyleGAN(config).eval()


def test_layered_output_composites_a_placed_object_styled_by_coarse_and_fine_ws():
    g = _layered_tiny()
    z, y = _zy(g, n=3)
    with torch.no_grad():
        background, alpha, colour = g.layers(z, y)
        image = g(z, y)
        assert torch.allclose(image, background + alpha * (colour - background), atol=1e-6)
        placement = g.placement(z, y)
        assert placement.centre.shape == (3, 2) and placement.size.shape == (3,)
        ws, other = g.to_wplus(z, y), g.to_wplus(g.sample_latents(3, seed=7), y)
        # the first (coarse) style places the object, the last (fine) one colours it
        coarse, fine = g.mix(ws, other, [0]), g.mix(ws, other, [g.num_ws - 1])
        moved = g.from_wplus(coarse)
        recoloured = g.from_wplus(fine)
    assert not torch.allclose(moved, image, atol=1e-3) and not torch.allclose(recoloured, image, atol=1e-3)
    # a region edit over the whole image gives the edit's own image, placement and colour included
    z2 = g.sample_latents(3, seed=9)
    with torch.no_grad():
        edited = g.synthesize_edits((z, g.class_vectors(y)), [(z2, g.class_vectors(y), torch.ones(1, 1, 16, 16))], "b4")
        assert torch.allclose(edited, g(z2, y), atol=1e-5)
    with pytest.raises(ValueError, match="layered"):
        CompactStyleGAN(CompactStyleGANConfig(latent_dim=8, w_dim=16, channels=(16, 8))).layers(z[:, :8], y)
    with pytest.raises(ValueError, match="unknown output 'rbg'"):
        CompactStyleGAN(CompactStyleGANConfig(latent_dim=8, w_dim=16, channels=(16, 8), output="rbg"))


def test_fitting_the_mapping_and_heads_brings_placement_and_colour_to_the_factors():
    from latentlab.data import LatentFactorMap, render_layers
    from latentlab.training.paired import fit_heads

    g = _layered_tiny(mapping_lr=1.0)
    factor_map = LatentFactorMap(18, 9, seed=0)
    z, y = g.sample_latents(256, seed=1), g.sample_classes(256, seed=1)
    factors = factor_map(z, y)

    def centre_error() -> float:
        with torch.no_grad():
            centre = g.placement(z, y).centre
        return (centre - torch.stack([factors.x, factors.y], 1)).norm(dim=1).mean().item() * g.resolution

    def colour_error() -> float:
        with torch.no_grad():
            return (g.layers(z, y)[2] - render_layers(factors, size=4)[2]).abs().mean().item()

    before = centre_error(), colour_error()
    fit_heads(g.train(), factor_map, [g.mapping_net, g.embed], steps=300, batch_size=128, lr=1e-2)
    g.eval()
    after = centre_error(), colour_error()
    assert after[0] < 0.5 * before[0] and after[1] < 0.8 * before[1], (before, after)


def test_input_from_w_adds_a_map_of_the_first_style_to_the_constant():
    g = _layered_tiny(input_from_w=True)
    first = g.blocks[0]
    w = torch.randn(2, g.w_dim)
    start = first.start(w)
    assert start.shape == (2, *first.const.shape)
    assert not torch.allclose(start[0], start[1])  # what the first block starts from depends on the style
    with torch.no_grad():
        first.input.weight.zero_()
        first.input.bias.zero_()
    assert torch.allclose(first.start(w), first.const[None].expand(2, -1, -1, -1))
    z, y = _zy(g, n=2)
    assert torch.allclose(g(z, y), g.from_w(g.to_w(z, y)), atol=1e-5)  # still a function of the styles alone
    assert _layered_tiny().blocks[0].input is None


def test_drawn_layers_placed_by_their_placement_are_the_layers():
    from latentlab.generators.placement import place

    g = _layered_tiny()
    z, y = g.sample_latents(3, seed=2), torch.tensor([0, 2, 4])
    with torch.no_grad():
        background, alpha, colour = g.layers(z, y)
        d_background, drawn, d_colour, placement = g.drawn_layers(z, y)
        placed = place(drawn, g.object_grid(z, y))
    assert torch.allclose(background, d_background) and torch.allclose(colour, d_colour)
    assert torch.allclose(placed, alpha, atol=1e-6)
    assert torch.allclose(placement.centre, g.placement(z, y).centre)
    with pytest.raises(ValueError, match="layered"):
        CompactStyleGAN(CompactStyleGANConfig(latent_dim=8, w_dim=16, channels=(16, 8))).drawn_layers(z[:, :8], y)


def test_drawn_frame_loss_trains_the_drawn_alpha_toward_each_class_outline():
    from latentlab.data import LatentFactorMap, render_layers
    from latentlab.training.paired import drawn_factors, drawn_frame_loss

    g = _layered_tiny(input_from_w=True, mapping_lr=1.0).train()
    factor_map = LatentFactorMap(18, 9, seed=0)
    optimizer = torch.optim.Adam(g.parameters(), lr=3e-3, betas=(0.0, 0.99))
    rng = torch.Generator().manual_seed(0)
    z_test, y_test = g.sample_latents(64, seed=5), torch.arange(64) % 5

    def drawn_error() -> float:
        with torch.no_grad():
            drawn = g.eval().drawn_layers(z_test, y_test)[1]
        g.train()
        target = render_layers(drawn_factors(factor_map(z_test, y_test), g.config.object_size), size=g.resolution)[1]
        return (drawn - target).abs().mean().item()

    before, losses = drawn_error(), []
    for _ in range(60):
        z, y = torch.randn(32, 18, generator=rng), torch.randint(5, (32,), generator=rng)
        loss, images = drawn_frame_loss(g, z, y, factor_map(z, y))
        assert images.shape == (32, 3, 16, 16) and images.requires_grad  # placed composites, for a discriminator
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert drawn_error() < 0.6 * before and sum(losses[-5:]) < 0.7 * sum(losses[:5]), (before, drawn_error())


def test_recipe_export_refits_the_heads_alone_and_writes_loadable_weights(tmp_path):
    from latentlab.data import render_layers
    from latentlab.recipes.shapes_stylegan import ARCHITECTURE, LATENT_FACTORS, export
    from latentlab.zoo.checkpoints import read_metadata

    torch.manual_seed(0)
    trained = CompactStyleGAN(ARCHITECTURE).eval()
    z, y = trained.sample_latents(256, seed=3), trained.sample_classes(256, seed=3)
    factors = LATENT_FACTORS(z, y)

    def centre_error(g) -> float:
        with torch.no_grad():
            return (g.placement(z, y).centre - torch.stack([factors.x, factors.y], 1)).norm(dim=1).mean().item()

    def colour_error(g) -> float:
        with torch.no_grad():
            return (g.layers(z, y)[2] - render_layers(factors, size=4)[2]).abs().mean().item()

    path = export(trained, tmp_path / "sg.safetensors", steps=7, head_steps=150)
    shipped = load_generator(str(path))
    assert read_metadata(path)["recipe"] == "latentlab.recipes.shapes_stylegan" and read_metadata(path)["steps"] == "7"
    before, after = trained.state_dict(), shipped.state_dict()
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"placement_head", "object_colour"}, changed  # the mapping and synthesis are the trained ones
    # an untrained mapping's w carries the factors poorly, so the heads alone can only partly fit them
    assert centre_error(shipped) < 0.85 * centre_error(trained)
    assert colour_error(shipped) < 0.85 * colour_error(trained)
    assert not list(tmp_path.glob("*.tmp*"))


# --- StyleSpace ------------------------------------------------------------------------------------
SHAPES_STYLE_LAYERS = [("b4.input", 0, 2048), ("b4.conv1", 0, 128), ("b8.conv0", 1, 128), ("b8.conv1", 2, 128),
                       ("b16.conv0", 3, 128), ("b16.conv1", 4, 64), ("b32.conv0", 5, 64), ("b32.conv1", 6, 32),
                       ("b64.conv0", 7, 32), ("b64.conv1", 8, 16), ("b64.torgb", 9, 16), ("placement", 0, 5), ("colour", 9, 3)]


def test_stylespace_of_shapes_stylegan_reproduces_synthesis_and_edits_one_channel(g):
    layers = g.style_layers()
    assert layers == SHAPES_STYLE_LAYERS  # every map of w: the input map, each modulated conv, the placement and colour heads
    z, y = _zy(g, 3, 4)
    ws = g.to_wplus(z, y)
    with torch.no_grad():
        styles = g.style_channels(ws)
        assert [tuple(s.shape) for s in styles] == [(3, c) for _, _, c in layers]
        assert torch.allclose(styles[1], g.blocks[0].conv1.affine(ws[:, 0]) * g.blocks[0].conv1.gain)
        images = g.synthesis(ws)
        torch.testing.assert_close(g.synthesis_from_styles(styles), images, atol=1e-6, rtol=0)
        for row in range(g.num_ws):  # each layer reads the W+ row it names, and only that one
            moved = ws.clone()
            moved[:, row] += 0.5
            changed = [name for (name, _, _), a, b in zip(layers, styles, g.style_channels(moved), strict=True)
                       if not torch.equal(a, b)]
            assert changed == [name for name, index, _ in layers if index == row]
        for k, (name, _, _) in enumerate(layers):  # one channel of any layer changes the image, and nothing else
            edited = [s.clone() for s in styles]
            edited[k][:, 1] += 1.0
            assert (g.synthesis_from_styles(edited) - images).abs().max() > 1e-3, name  # b4.input: one pixel of the 4×4 input
            assert all(torch.equal(a, b) for j, (a, b) in enumerate(zip(styles, edited)) if j != k)
    styles = [s.clone().requires_grad_(True) for s in styles]  # gradients reach every layer's styles
    g.synthesis_from_styles(styles).square().mean().backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in styles)


def test_stylespace_of_a_plain_rgb_generator_lists_only_its_modulated_layers():
    tiny = CompactStyleGAN(CompactStyleGANConfig(class_names=(), latent_dim=8, w_dim=16, mapping_layers=1,
                                                 channels=(16, 8, 8))).eval()
    assert tiny.style_layers() == [("b4.conv1", 0, 16), ("b8.conv0", 1, 16), ("b8.conv1", 2, 8), ("b16.conv0", 3, 8),
                                   ("b16.conv1", 4, 8), ("b16.torgb", 5, 8)]
    with torch.no_grad():
        ws = tiny.to_wplus(tiny.sample_latents(2, seed=0))
        assert torch.equal(tiny.synthesis_from_styles(tiny.style_channels(ws)), tiny.synthesis(ws))


def test_bad_styles_fail_clearly(g):
    z, y = _zy(g, 2)
    with torch.no_grad():
        styles = g.style_channels(g.to_wplus(z, y))
    with pytest.raises(ValueError, match=r"style layer 'b8.conv0' of CompactStyleGAN takes a tensor \[2, 128\], got \(2, 64\)"):
        g.synthesis_from_styles(styles[:2] + [torch.zeros(2, 64)] + styles[3:])
    with pytest.raises(ValueError, match=r"has 13 style layers \(b4.input, b4.conv1, .*colour\), got 12 style tensors"):
        g.synthesis_from_styles(styles[:-1])
    with pytest.raises(ValueError, match="'placement' contain NaN"):
        g.synthesis_from_styles(styles[:-2] + [torch.full((2, 5), float("inf")), styles[-1]])
