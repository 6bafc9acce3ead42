"""latentlab.load_image: every kind of source, the fit modes, EXIF, transparency, 16-bit, and its errors."""

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import latentlab
from latentlab.errors import InvalidInputError
from latentlab.image_loading import load_image

RGB = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[0, 0, 0], [255, 255, 255], [128, 64, 32]]], np.uint8)
EXPECTED = torch.from_numpy(RGB.astype(np.float32) / 255).permute(2, 0, 1)[None]


def _encode(picture: Image.Image, format: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=format, **kwargs)
    return buffer.getvalue()


def _save(tmp_path: Path, picture: Image.Image, name: str = "picture.png", **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(_encode(picture, "JPEG" if name.endswith(".jpg") else "PNG", **kwargs))
    return path


def _pixel(image: torch.Tensor, y: int, x: int) -> list[float]:
    return image[0, :, y, x].tolist()


def test_it_is_exported():
    assert latentlab.load_image is load_image and "load_image" in latentlab.__all__


@pytest.mark.parametrize("make", [
    pytest.param(lambda p: str(p), id="str-path"),
    pytest.param(lambda p: p, id="pathlib"),
    pytest.param(lambda p: p.read_bytes(), id="bytes"),
    pytest.param(lambda p: memoryview(p.read_bytes()), id="memoryview"),
    pytest.param(lambda p: Image.open(p), id="pil"),
    pytest.param(lambda p: Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE), id="pil-palette"),
    pytest.param(lambda p: RGB, id="numpy-uint8"),
    pytest.param(lambda p: RGB.astype(np.float32) / 255, id="numpy-float"),
    pytest.param(lambda p: RGB.astype(np.uint16) * 257, id="numpy-uint16"),
    pytest.param(lambda p: torch.from_numpy(RGB).permute(2, 0, 1), id="tensor-uint8"),
    pytest.param(lambda p: EXPECTED[0].double(), id="tensor-chw-float64"),
    pytest.param(lambda p: EXPECTED.clone().requires_grad_(), id="tensor-1chw"),
])
def test_every_kind_of_source_gives_the_same_tensor(tmp_path, make):
    image = load_image(make(_save(tmp_path, Image.fromarray(RGB))))
    assert image.shape == (1, 3, 2, 3) and image.dtype == torch.float32 and image.device.type == "cpu"
    assert image.is_contiguous() and not image.requires_grad
    torch.testing.assert_close(image, EXPECTED, atol=1 / 255, rtol=0)


def test_the_result_is_writable_and_does_not_alias_the_source():
    source = RGB.astype(np.float32) / 255
    image = load_image(source)
    image.zero_()  # would warn or fail on a read-only NumPy buffer
    assert source.max() == 1.0


@pytest.mark.parametrize("array", [
    pytest.param(np.full((2, 3), 0.25, np.float32), id="hw"),
    pytest.param(np.full((2, 3, 1), 0.25, np.float64), id="hw1"),
    pytest.param(np.full((2, 3), 16384, np.uint16), id="hw-uint16"),
    pytest.param(torch.full((2, 3), 0.25), id="tensor-hw"),
    pytest.param(torch.full((1, 2, 3), 0.25), id="tensor-1hw"),
])
def test_greyscale_arrays_become_three_equal_channels(array):
    image = load_image(array)
    assert image.shape == (1, 3, 2, 3)
    torch.testing.assert_close(image, torch.full((1, 3, 2, 3), 0.25), atol=1e-4, rtol=0)


def test_bool_arrays_are_black_and_white():
    image = load_image(np.array([[True, False]]))
    assert _pixel(image, 0, 0) == [1.0, 1.0, 1.0] and _pixel(image, 0, 1) == [0.0, 0.0, 0.0]


def test_float_arrays_with_alpha_are_flattened_onto_the_background():
    rgba = np.zeros((2, 2, 4), np.float32)
    rgba[..., 0], rgba[..., 3] = 1.0, 0.25  # red, a quarter opaque
    image = load_image(rgba, background=(0.0, 0.0, 1.0))
    torch.testing.assert_close(image[0, :, 0, 0], torch.tensor([0.25, 0.0, 0.75]))


@pytest.mark.parametrize("size, shape", [(None, (1, 3, 10, 20)), (8, (1, 3, 8, 8)), ((6, 12), (1, 3, 6, 12)),
                                         ((12, 5), (1, 3, 12, 5)), ((10, 20), (1, 3, 10, 20))])
@pytest.mark.parametrize("fit", ["crop", "pad", "resize"])
def test_every_fit_gives_the_asked_shape(size, shape, fit):
    assert load_image(np.random.default_rng(0).random((10, 20, 3)), size=size, fit=fit).shape == shape


def _stripes() -> np.ndarray:
    """20 wide × 10 high: 5 red columns, 10 green, 5 blue."""
    array = np.zeros((10, 20, 3), np.uint8)
    array[:, :5, 0], array[:, 5:15, 1], array[:, 15:, 2] = 255, 255, 255
    return array


def test_crop_keeps_the_centre():
    image = load_image(_stripes(), size=8, fit="crop")  # covers 8 × 8 with the source's middle 10 × 10: the green
    torch.testing.assert_close(image[0, :, :, 2:6], torch.tensor([0.0, 1.0, 0.0])[:, None, None].expand(3, 8, 4),
                               atol=0.02, rtol=0)
    assert image[0, 0].max() < 0.1 and image[0, 2].max() < 0.1  # no red nor blue edge survived


def test_resize_stretches_the_whole_picture():
    image = load_image(_stripes(), size=8, fit="resize")
    assert _pixel(image, 4, 0)[0] > 0.9 and _pixel(image, 4, 7)[2] > 0.9  # the red and blue edges are still there
    assert _pixel(image, 4, 4)[1] > 0.9


def test_pad_fits_the_picture_inside_and_pads_with_the_background():
    black = np.zeros((10, 20, 3), np.uint8)
    image = load_image(black, size=8, fit="pad", background=(1.0, 0.5, 0.0))  # 8 wide × 4 high, centred
    orange = torch.tensor([1.0, 0.5, 0.0])[:, None, None]
    torch.testing.assert_close(image[0, :, :2], orange.expand(3, 2, 8))
    torch.testing.assert_close(image[0, :, 6:], orange.expand(3, 2, 8))
    assert image[0, :, 2:6].abs().max() < 0.01


@pytest.mark.parametrize("background, colour", [("black", [0, 0, 0]), ("#ff0000", [1, 0, 0]), ("white", [1, 1, 1]),
                                                ([0.0, 1.0, 0.0], [0, 1, 0]), (np.array([0.0, 0.0, 1.0]), [0, 0, 1])])
def test_backgrounds_can_be_named_hex_or_triples(background, colour):
    image = load_image(np.zeros((2, 4, 3), np.uint8), size=4, fit="pad", background=background)
    assert _pixel(image, 0, 0) == colour and _pixel(image, 1, 1) == [0, 0, 0]


def _marked(width: int = 4, height: int = 2) -> Image.Image:
    """White, with a red top-left pixel."""
    picture = Image.new("RGB", (width, height), "white")
    picture.putpixel((0, 0), (255, 0, 0))
    return picture


@pytest.mark.parametrize("source", ["path", "bytes", "pil"])
def test_exif_orientation_is_applied(tmp_path, source):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: turn 90° clockwise to show
    path = _save(tmp_path, _marked(), exif=exif.tobytes())
    given = {"path": path, "bytes": path.read_bytes(), "pil": Image.open(path)}[source]
    image = load_image(given)
    assert image.shape == (1, 3, 4, 2)  # 2 wide × 4 high once turned
    assert _pixel(image, 0, 1) == [1.0, 0.0, 0.0]  # the stored top-left corner is now top-right
    assert _pixel(image, 0, 0) == [1.0, 1.0, 1.0]


def test_exif_orientation_of_a_jpeg_with_a_size(tmp_path):
    array = np.zeros((300, 400, 3), np.uint8)
    array[:, 200:] = 255  # stored: left half black, right half white
    exif = Image.Exif()
    exif[0x0112] = 6
    image = load_image(_save(tmp_path, Image.fromarray(array), "photo.jpg", exif=exif.tobytes()), size=(40, 30))
    assert image.shape == (1, 3, 40, 30)
    assert image[0, :, :15].mean() < 0.1 and image[0, :, 25:].mean() > 0.9  # turned clockwise: black on top


def test_pil_images_given_are_left_as_they_were():
    picture = Image.new("RGBA", (300, 200), (10, 20, 30, 40))
    load_image(picture, size=16)
    assert picture.size == (300, 200) and picture.mode == "RGBA" and picture.getpixel((0, 0)) == (10, 20, 30, 40)


@pytest.mark.parametrize("size", [None, 6])
def test_rgba_is_flattened_onto_the_background(tmp_path, size):
    path = _save(tmp_path, Image.new("RGBA", (4, 4), (255, 0, 0, 128)))
    image = load_image(path, size=size, background=(0.0, 0.0, 1.0))
    alpha = 128 / 255
    torch.testing.assert_close(image[0, :, 1, 1], torch.tensor([alpha, 0.0, 1 - alpha]), atol=1 / 255, rtol=0)


def test_la_is_flattened_onto_the_background(tmp_path):
    picture = Image.new("LA", (2, 1), (200, 255))
    picture.putpixel((1, 0), (200, 0))  # fully transparent
    image = load_image(_save(tmp_path, picture), background="black")
    torch.testing.assert_close(image[0, :, 0, 0], torch.full((3,), 200 / 255))
    assert _pixel(image, 0, 1) == [0.0, 0.0, 0.0]


def test_palette_transparency_shows_the_background(tmp_path):
    picture = Image.new("P", (2, 1))
    picture.putpalette([0, 255, 0, 255, 0, 0] + [0] * 762)
    picture.putpixel((1, 0), 1)
    image = load_image(_save(tmp_path, picture, transparency=0), background=(0.0, 0.0, 1.0))
    assert Image.open(tmp_path / "picture.png").mode == "P"
    assert _pixel(image, 0, 0) == [0.0, 0.0, 1.0] and _pixel(image, 0, 1) == [1.0, 0.0, 0.0]


def test_greyscale_with_a_transparent_value_shows_the_background(tmp_path):
    picture = Image.new("L", (2, 1), 0)
    picture.putpixel((1, 0), 255)
    image = load_image(_save(tmp_path, picture, transparency=0), background="red")
    assert _pixel(image, 0, 0) == [1.0, 0.0, 0.0] and _pixel(image, 0, 1) == [1.0, 1.0, 1.0]


def test_16_bit_greyscale_png_keeps_its_range(tmp_path):
    picture = Image.fromarray(np.array([[0, 32768, 65535, 255]], np.uint16))
    assert picture.mode == "I;16"
    path = _save(tmp_path, picture)
    image = load_image(path)
    assert image.shape == (1, 3, 1, 4)
    torch.testing.assert_close(image[0, :, 0], torch.tensor([0.0, 32768 / 65535, 1.0, 255 / 65535]).expand(3, 4))
    assert image[0, 0, 0, 3] < 0.01  # 255 of 65535 is nearly black, not white


@pytest.mark.parametrize("value", [65535, 32768])
def test_16_bit_greyscale_keeps_its_range_when_resized(tmp_path, value):
    path = _save(tmp_path, Image.fromarray(np.full((30, 40), value, np.uint16)))
    image = load_image(path, size=8)
    torch.testing.assert_close(image, torch.full((1, 3, 8, 8), value / 65535), atol=1e-4, rtol=0)


@pytest.mark.parametrize("picture, grey", [
    pytest.param(Image.new("1", (3, 2), 1), 1.0, id="1-bit"),
    pytest.param(Image.new("L", (3, 2), 51), 0.2, id="L"),
    pytest.param(Image.fromarray(np.full((2, 3), 0.75, np.float32)), 0.75, id="F"),
    pytest.param(Image.fromarray(np.full((2, 3), 13107, np.int32)), 0.2, id="I"),
])
def test_greyscale_modes_become_rgb(picture, grey):
    image = load_image(picture)
    assert image.shape == (1, 3, 2, 3)
    torch.testing.assert_close(image, torch.full((1, 3, 2, 3), grey), atol=1e-4, rtol=0)


def test_cmyk_is_converted_to_rgb(tmp_path):
    picture = Image.new("CMYK", (2, 1), (255, 0, 0, 0))  # cyan
    picture.putpixel((1, 0), (0, 0, 0, 255))  # black
    image = load_image(_save(tmp_path, picture, "cmyk.jpg", quality=100))
    assert (image[0, :, 0, 0] - torch.tensor([0.0, 1.0, 1.0])).abs().max() < 0.1
    assert image[0, :, 0, 1].max() < 0.1


def test_a_big_jpeg_loads_small(tmp_path):
    array = np.zeros((3000, 4000, 3), np.uint8)
    array[:, 2000:] = 255
    path = _save(tmp_path, Image.fromarray(array), "photo.jpg")
    image = load_image(path, size=64)
    assert image.shape == (1, 3, 64, 64)
    assert image[0, :, :, :28].max() < 0.05 and image[0, :, :, 36:].min() > 0.95  # dark left, bright right
    padded = load_image(path.read_bytes(), size=64, fit="pad", background="red")
    assert padded.shape == (1, 3, 64, 64) and _pixel(padded, 0, 32) == [1.0, 0.0, 0.0]  # 48 rows tall, padded


def test_a_one_pixel_image_scales_to_a_flat_colour():
    image = load_image(Image.new("RGB", (1, 1), (255, 0, 0)), size=64)
    torch.testing.assert_close(image, torch.tensor([1.0, 0.0, 0.0])[None, :, None, None].expand(1, 3, 64, 64))


# --- errors -----------------------------------------------------------------------------------------
def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.png"
    with pytest.raises(InvalidInputError, match="does not exist") as caught:
        load_image(path)
    assert str(path) in str(caught.value)


def test_a_text_file_named_png_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture\n")
    with pytest.raises(InvalidInputError, match="not an image PIL can read") as caught:
        load_image(path)
    assert str(path) in str(caught.value) and "PNG, JPEG" in str(caught.value)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(InvalidInputError, match="is a folder"):
        load_image(tmp_path)


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(_encode(Image.fromarray(np.full((64, 64, 3), 99, np.uint8)), "JPEG")[:300])
    with pytest.raises(InvalidInputError, match="cut.jpg"):
        load_image(path)


@pytest.mark.parametrize("source, words", [
    pytest.param(b"", "empty", id="empty-bytes"),
    pytest.param(b"GIF89a nonsense", "not an image", id="junk-bytes"),
    pytest.param("https://example.com/cat.png", "not URLs", id="url"),
    pytest.param(np.zeros((0, 5, 3), np.uint8), "empty", id="0-high-array"),
    pytest.param(np.zeros((5, 0), np.float32), "empty", id="0-wide-array"),
    pytest.param(torch.zeros(3, 0, 4), "empty", id="0-high-tensor"),
    pytest.param(Image.new("RGB", (0, 4)), "empty", id="0-wide-pil"),
    pytest.param(np.zeros((4, 5, 5), np.uint8), r"shape \(4, 5, 5\)", id="5-channels"),
    pytest.param(np.zeros((3, 4, 5), np.float32), "channels last", id="channels-first-array"),
    pytest.param(np.zeros((2, 2, 2, 3), np.uint8), "shape", id="4d-array"),
    pytest.param(np.full((2, 2), 255.0), "divide by 255", id="float-0-255"),
    pytest.param(np.full((2, 2), -0.5), "from -0.5", id="negative-float"),
    pytest.param(np.array([[0.5, np.nan]]), "NaN", id="nan"),
    pytest.param(torch.tensor([[0.5, float("inf")]]), "NaN or infinite", id="inf-tensor"),
    pytest.param(np.zeros((2, 2), np.int64), "dtype int64", id="int64-array"),
    pytest.param(torch.zeros(2, 2, dtype=torch.int32), "torch.int32", id="int32-tensor"),
    pytest.param(torch.zeros(2, 3, 4, 4), "batch of 2", id="batch"),
    pytest.param(torch.zeros(5, 6, 3), "channels first", id="channels-last-tensor"),
    pytest.param(Image.fromarray(np.full((2, 2), 70000, np.int32)), "0..65535", id="32-bit-values"),
])
def test_bad_sources_are_refused_clearly(source, words):
    with pytest.raises(InvalidInputError, match=words):
        load_image(source)


@pytest.mark.parametrize("source, name", [([[0, 1]], "list"), (7, "int"), (None, "NoneType"), ({"a": 1}, "dict")])
def test_a_wrong_type_is_named_with_the_accepted_ones(source, name):
    with pytest.raises(InvalidInputError) as caught:
        load_image(source)
    message = str(caught.value)
    assert f"from type {name} " in message and "PIL.Image.Image" in message and "NumPy array" in message


def test_a_bad_fit_suggests_the_close_name():
    with pytest.raises(InvalidInputError, match="'crop'") as caught:
        load_image(RGB, fit="crap")
    assert isinstance(caught.value, ValueError) and "'crap'" in str(caught.value) and "pad" in str(caught.value)


@pytest.mark.parametrize("size", [0, -3, 2.5, "64", True, (0, 4), (4, -1), (4, 4, 4), [], 10 ** 6])
def test_bad_sizes_are_refused(size):
    with pytest.raises(InvalidInputError, match="size"):
        load_image(RGB, size=size)


@pytest.mark.parametrize("background, words", [((2, 0, 0), "divide by 255"), ("notacolour", "colour name"), ((1, 1), "triple"),
                                               (0.5, "triple"), ((0, float("nan"), 0), "triple"), ((-0.1, 0, 0), r"\[0, 1\]")])
def test_bad_backgrounds_are_refused(background, words):
    with pytest.raises(InvalidInputError, match=words):
        load_image(RGB, background=background)


def test_a_decompression_bomb_is_refused_clearly(monkeypatch):
    data = _encode(Image.new("RGB", (10, 10)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 100 pixels is then more than twice the limit
    with pytest.raises(InvalidInputError, match="too large to decode safely"):
        load_image(data)
