"""`latentlab models`: a table that fits 100 columns and says which models' files are in the cache."""

import pytest

from latentlab.cli import main
from latentlab.cli.models import WIDTH


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty latentlab, torch hub and Hugging Face caches, so the machine's own never show."""
    from huggingface_hub import constants

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "latentlab"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


def _listing(capsys, *flags: str) -> list[str]:
    assert main(["models", *flags]) == 0
    return capsys.readouterr().out.splitlines()


def _in_cache(lines: list[str]) -> dict[str, str]:
    """Model name -> its 'in cache' cell, read at the header's column."""
    column = lines[0].index("in cache")
    rows = lines[1:lines.index("")]
    return {row.split()[0]: row[column:].split()[0] for row in rows}


def _touch(path, size: int = 10):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)


def test_the_listing_fits_100_columns_and_lists_every_model(caches, capsys):
    from latentlab.zoo import MODELS

    lines = _listing(capsys)
    too_wide = [line for line in lines if len(line) > WIDTH]
    assert WIDTH == 100 and not too_wide, too_wide
    assert lines[0].split() == ["name", "kind", "size", "in", "cache"]
    state = _in_cache(lines)
    assert list(state) == list(MODELS)
    assert {state[n] for n in ("shapes-biggan", "shapes-stylegan", "shapes-probe", "shapes-clip")} == {"embedded"}
    assert {v for n, v in state.items() if not MODELS[n].embedded} == {"no"}  # empty caches
    assert str(caches / "latentlab") in "\n".join(lines)


def test_no_model_with_a_loader_is_listed_as_without_one(caches, capsys):
    for flags in ((), ("--wide",)):
        text = "\n".join(_listing(capsys, *flags))
        assert "no loader" not in text
        assert "inception-v3-fid" in text


def test_files_in_the_caches_are_listed_as_there(caches, capsys):
    from huggingface_hub import constants

    from latentlab.metrics.inception import inception_cache_path
    from latentlab.zoo import biggan_checkpoints, biggan_pytorch_checkpoints, face_models, stylegan2_checkpoints

    folder = biggan_checkpoints.checkpoint_folder("biggan-deep-256")
    _touch(folder / biggan_checkpoints.CONFIG_NAME)
    _touch(folder / biggan_checkpoints.WEIGHTS_NAME)
    _touch(biggan_checkpoints.checkpoint_folder("biggan-deep-512") / biggan_checkpoints.CONFIG_NAME)  # one of two files
    _touch(stylegan2_checkpoints.checkpoint_path("stylegan2-cat-256"), 3_000_000)
    _touch(face_models.checkpoint_path("celeba-vae64"))
    _touch(biggan_pytorch_checkpoints.published_path("biggan-128"))
    _touch(inception_cache_path())
    snapshot = caches / "torch" / "hub" / "checkpoints"
    _touch(snapshot / "alexnet-owt-7be5be79.pth")
    hub = caches / "hf" / "models--timm--vit_base_patch32_clip_224.openai"
    (hub / "refs").mkdir(parents=True)
    (hub / "refs" / "main").write_text("abc")
    _touch(hub / "snapshots" / "abc" / "open_clip_pytorch_model.bin")
    assert constants.HF_HUB_CACHE == str(caches / "hf")

    lines = _listing(capsys)
    state = _in_cache(lines)
    here = {"biggan-deep-256", "stylegan2-cat-256", "celeba-vae64", "biggan-128", "inception-v3-fid", "lpips-alex",
            "ViT-B-32/openai"}
    assert {n for n, v in state.items() if v == "yes"} == here
    assert state["biggan-deep-512"] == "no" and state["lpips-vgg"] == "no"
    assert all(len(line) <= WIDTH for line in lines)
    assert f"{len(here)} of the other" in "\n".join(lines)
    cat = next(line for line in lines if line.startswith("stylegan2-cat-256"))
    assert "3 MB" in cat  # no published size: the cached file's


def test_wide_adds_status_source_licence_and_where(caches, capsys):
    from latentlab.zoo.stylegan2_checkpoints import checkpoint_path

    lines = _listing(capsys, "--wide")
    assert lines[0].split()[:8] == ["name", "kind", "size", "in", "cache", "status", "source", "licence"]
    text = "\n".join(lines)
    assert "MIT (latentlab's own weights)" in text and "embedded in the package" in text
    assert "file by hand into latentlab's cache" in text and str(checkpoint_path("stylegan2-ffhq-1024")) in text
    assert any(len(line) > WIDTH for line in lines)
