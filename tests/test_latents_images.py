import io

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from latentlab.images import from_pil, image_file_bytes, make_grid, save_image, to_bytes, to_pil, upscale
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


def test_grid_is_torchvisions_with_white_padding():
    images = torch.rand(5, 3, 10, 12)
    grid = make_grid(images, nrow=3)
    assert torch.equal(grid, torchvision.utils.make_grid(images, nrow=3, pad_value=1.0))
    assert torch.equal(grid[:, 12:14, :], torch.ones(3, 2, 3 * 14 + 2))  # white between the rows
    assert torch.equal(make_grid(images, nrow=3, padding=0, pad_value=0.0), torchvision.utils.make_grid(images, nrow=3, padding=0))
    assert torch.equal(make_grid(list(images), nrow=3), grid)  # a list of images, as torchvision takes
    assert torch.equal(make_grid(images[:1]), images[0])  # one image comes back as it is, without padding
    grey = make_grid(torch.rand(4, 1, 6, 6), nrow=2)
    assert grey.shape == (3, 18, 18) and torch.equal(grey[0], grey[2])  # grey becomes RGB
    wide = make_grid(torch.rand(2, 3, 4, 4) * 4 - 2, nrow=2, normalize=True, value_range=(-2, 2))
    assert 0 <= float(wide.min()) and float(wide.max()) <= 1


def test_grid_of_images_with_gradients_on_any_dtype_is_a_detached_float_tensor():
    images = torch.rand(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    grid = make_grid(images.half())
    assert grid.dtype == torch.float32 and not grid.requires_grad and grid.device.type == "cpu"


@pytest.mark.parametrize("call, match", [
    (lambda: make_grid(torch.rand(2, 3, 4, 4), nrow=0), "nrow .* got 0"),
    (lambda: make_grid(torch.rand(2, 3, 4, 4), padding=-1), "padding .* got -1"),
    (lambda: make_grid(torch.rand(2, 2, 4, 4)), r"\(2, 2, 4, 4\)"),
    (lambda: make_grid([torch.rand(3, 4, 4), torch.rand(3, 5, 5)]), "share one shape"),
    (lambda: make_grid("images"), "torch.Tensor"),
])
def test_bad_grids_fail_clearly(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pil_conversion_clips_and_rounds_to_the_nearest_level():
    levels = torch.arange(256, dtype=torch.float32).view(1, 1, 16, 16) / 255
    assert np.array_equal(np.asarray(to_pil(levels)[0]), np.arange(256, dtype=np.uint8).reshape(16, 16))
    assert to_pil(levels)[0].mode == "L" and to_pil(levels.expand(1, 3, 16, 16))[0].mode == "RGB"
    out_of_range = torch.tensor([-0.5, 0.499 / 255, 0.501 / 255, 1.5]).view(1, 1, 1, 4)
    assert np.asarray(to_pil(out_of_range)[0]).tolist() == [[0, 0, 1, 255]]


def test_saved_pixels_are_torchvisions_with_white_padding(tmp_path):
    images = torch.rand(5, 3, 8, 8) * 1.2 - 0.1
    ours = save_image(images, tmp_path / "ours.png", nrow=3)
    torchvision.utils.save_image(images, tmp_path / "theirs.png", nrow=3, pad_value=1.0)
    assert np.array_equal(np.asarray(Image.open(ours)), np.asarray(Image.open(tmp_path / "theirs.png")))
    single = save_image(images[:1], tmp_path / "one.png")
    assert Image.open(single).size == (8, 8)  # one image: no padding, as before
    big = save_image(images, tmp_path / "big.png", nrow=5, upscale_to=32)
    assert Image.open(big).size == (5 * 34 + 2, 36)  # each image enlarged 4× before the grid
    jpeg = save_image(images, tmp_path / "g.jpg", quality=95)
    assert jpeg.read_bytes()[:2] == b"\xff\xd8"
    forced = save_image(images, tmp_path / "picture", format="jpeg")
    assert forced.read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(ValueError, match="'gif'"):
        save_image(images, tmp_path / "x.gif")
    assert image_file_bytes(images[:1])[:4] == b"\x89PNG"
