import io

import pytest
import torch
from PIL import Image

from latentlab.images import from_pil, make_grid, save_image, to_bytes, to_pil, upscale
from latentlab.latents import lerp, normalize_chunks, project_to_ball, slerp, truncated_normal


def test_truncated_normal_is_bounded_reproducible_and_normal_without_psi():
    z = truncated_normal(2000, 16, 0.5, seed=1)
    assert z.abs().max() <= 0.5 and torch.equal(z, truncated_normal(2000, 16, 0.5, seed=1))
    full = truncated_normal(20000, 4, None, seed=2)
    assert abs(full.std().item() - 1.0) < 0.02 and full.abs().max() > 3
    # a truncated normal with psi = 1 has std ~0.54
    assert abs(truncated_normal(20000, 4, 1.0, seed=3).std().item() - 0.5379) < 0.01


@pytest.mark.parametrize("psi", [0, -1, float("nan"), float("inf"), "x"])
def test_bad_truncation_fails_clearly(psi):
    with pytest.raises(ValueError, match="truncation"):
        truncated_normal(4, 4, psi)


def test_normalize_chunks_keeps_direction_and_shrinks_only_short_chunks():
    z = truncated_normal(200, 12, None, seed=0)
    out = normalize_chunks(z, 4, knee=0.5)
    rms = out.unflatten(1, (3, 4)).square().mean(-1).sqrt()
    assert torch.allclose(rms[(z.unflatten(1, (3, 4)).square().mean(-1).sqrt() > 0.5)], torch.tensor(1.0), atol=1e-5)
    # a chunk scaled by any factor that keeps it above the knee reads the same
    unit = (z.unflatten(1, (3, 4)) / z.unflatten(1, (3, 4)).square().mean(-1, keepdim=True).sqrt()).flatten(1)
    assert torch.allclose(normalize_chunks(0.6 * unit, 4, 0.5), normalize_chunks(2.0 * unit, 4, 0.5), atol=1e-5)
    # below the knee, length counts in proportion: ψ → 0 heads for the mean latent
    short = torch.full((1, 4), 0.1)
    assert torch.allclose(normalize_chunks(short, 4, 0.5), short / 0.5)
    assert torch.equal(normalize_chunks(torch.zeros(1, 4), 4, 0.5), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="chunks of 5"):
        normalize_chunks(z, 5, 0.5)
    with pytest.raises(ValueError, match="knee must be positive"):
        normalize_chunks(z, 4, 0.0)


def test_interpolations_hit_their_endpoints():
    a, b = torch.randn(8), torch.randn(8)
    for path in (lerp(a, b, 5), slerp(a, b, 5)):
        assert path.shape == (5, 8)
        assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    # slerp between equal-norm vectors keeps the norm
    b = b / b.norm() * a.norm()
    assert torch.allclose(slerp(a, b, 7).norm(dim=1), a.norm().expand(7), atol=1e-4)


def test_ball_projection():
    z = torch.randn(5, 9) * 3
    p = project_to_ball(z)
    assert (p.norm(dim=1) <= 3.0 + 1e-5).all()
    small = torch.full((1, 9), 0.1)
    assert torch.equal(project_to_ball(small), small)


def test_pil_and_bytes_round_trip():
    images = torch.rand(3, 3, 16, 16)
    back = from_pil(to_pil(images))
    assert back.shape == images.shape and (back - images).abs().max() <= 0.5 / 255 + 1e-6
    png = to_bytes(images[0])
    assert Image.open(io.BytesIO(png)).size == (16, 16)
    assert to_bytes(images[0], "jpeg")[:2] == b"\xff\xd8"
    with pytest.raises(ValueError, match="format"):
        to_bytes(images[0], "gif2")


def test_grid_layout_and_upscale():
    grid = make_grid(torch.zeros(5, 3, 10, 10), nrow=3, padding=2)
    assert grid.shape == (3, 2 * 12 + 2, 3 * 12 + 2)
    assert upscale(torch.rand(1, 3, 4, 4), 3).shape == (1, 3, 12, 12)


def test_save_image_is_atomic_and_checks_shapes(tmp_path):
    path = save_image(torch.rand(4, 3, 8, 8), tmp_path / "sub" / "g.png", nrow=2)
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    assert path.stat().st_mode & 0o044  # readable by others, like any file the user saves
    with pytest.raises(ValueError, match="images must be"):
        save_image(torch.rand(2, 5, 8, 8), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_show_grid_draws_one_titled_figure_with_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentlab.images import show_grid

    plt.close("all")
    shown = []
    original = plt.show
    plt.show = lambda: shown.append(plt.gcf())
    try:
        show_grid(torch.rand(5, 3, 8, 8) * 1.5, nrow=4, title="five", labels=list("abcde"), scale=0.5)
        show_grid(torch.rand(3, 8, 8))  # one image
    finally:
        plt.show = original
    first = shown[0]
    assert tuple(first.get_size_inches()) == (2.0, 1.4)  # 4 columns × 2 rows at 0.5 inch, plus room for the title
    ax = first.axes[0]
    assert ax.get_title() == "five" and [t.get_text() for t in ax.texts] == list("abcde")
    assert ax.images[0].get_array().max() <= 1.0  # values clamped into [0, 1]
    assert tuple(shown[1].get_size_inches()) == (1.0, 1.4)
    with pytest.raises(ValueError, match="2 labels for 5 images"):
        show_grid(torch.rand(5, 3, 8, 8), labels=["a", "b"])
    plt.close("all")
