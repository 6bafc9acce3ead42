"""Downloads of named models: the Hugging Face Hub through its public API, plain URLs, HF_HUB_OFFLINE, open_clip.

Nothing here reaches the network: the Hub and the plain downloader are replaced, and a guard on
``socket`` records (and refuses) any connection a test would make.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import logging
import socket
import warnings
from pathlib import Path

import huggingface_hub
import pytest
import torch
from huggingface_hub import constants as hf_constants
from huggingface_hub.utils import LocalEntryNotFoundError

import latentlab
from latentlab.errors import InvalidInputError
from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.zoo import biggan_checkpoints, cache, face_models, open_clip_models, stylegan2_checkpoints
from latentlab.zoo.loader import load_model
from latentlab.zoo.open_clip_models import load_clip
from latentlab.zoo.registry import MODELS

#: every registered model whose weights latentlab (or open_clip) fetches or expects in a cache
NAMED = sorted(n for n, e in MODELS.items()
               if not e.embedded and e.loadable and e.kind in ("generator", "metric", "clip"))


# --- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture
def network_calls(monkeypatch):
    """Connections attempted during the test; each one also raises, loudly."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args[:2])
        raise AssertionError(f"a test tried to reach the network: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", lambda self, *a, **k: refuse(*a, **k))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, *a, **k: refuse(*a, **k))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Hugging Face, latentlab and open_clip caches under ``tmp_path`` (huggingface_hub reads its at import)."""
    hf_home, hub = tmp_path / "hf", tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hf_constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "latentlab"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # open_clip's ~/.cache/clip for URL-only weights
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    return tmp_path


def set_offline(monkeypatch, offline: bool) -> None:
    """HF_HUB_OFFLINE as the environment says it and as huggingface_hub read it at import (its ``constants``)."""
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", offline)


@pytest.fixture
def offline(monkeypatch, caches, network_calls):
    set_offline(monkeypatch, True)
    return caches


@pytest.fixture
def online(monkeypatch, caches, network_calls):
    """Downloads allowed, but every downloader replaced by the test (the socket guard catches any that is not)."""
    set_offline(monkeypatch, False)
    return caches


def tiny_checkpoint(folder: Path, seed: int = 0) -> Path:
    """A narrow BigGAN-deep in the published format (config.json + pytorch_model.bin)."""
    torch.manual_seed(seed)
    model = BigGANDeep(BigGANDeepConfig(channel_width=8)).eval()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(model.config.to_json(), indent=2, sort_keys=True) + "\n")
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder


class FakeHub:
    """``hf_hub_download`` on a cache laid out as huggingface_hub lays it out, serving files from ``remote``."""

    commit = "0123456789abcdef0123456789abcdef01234567"

    def __init__(self, remote: Path):
        self.remote, self.downloads, self.calls = remote, [], []

    def __call__(self, repo_id, filename, *, revision=None, local_files_only=False, cache_dir=None, **kwargs):
        self.calls.append((repo_id, filename, revision, local_files_only))
        assert "local_dir" not in kwargs and cache_dir is None  # the user's HF cache, not a folder of latentlab's
        snapshot = Path(hf_constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "snapshots" / self.commit
        path = snapshot / filename
        if not path.is_file():
            if local_files_only or hf_constants.HF_HUB_OFFLINE:
                raise LocalEntryNotFoundError(f"{repo_id}/{filename} is not in the cache")
            snapshot.mkdir(parents=True, exist_ok=True)
            path.write_bytes((self.remote / filename).read_bytes())
            self.downloads.append((repo_id, filename, revision))
        return str(path)


# --- HF_HUB_OFFLINE: one clear error per named model, no network ----------------------------------------
def test_every_downloadable_kind_is_covered():
    assert {"biggan-deep-128", "biggan-deep-256", "biggan-deep-512", "stylegan2-ffhq-1024", "stylegan2-church-256",
            "celeba-dcgan32", "celeba-dcgan32-d", "celeba-vae64", "ViT-B-32/openai"} <= set(NAMED)


@pytest.mark.parametrize("name", NAMED)
def test_offline_a_named_model_fails_once_clearly_without_the_network(name, offline, network_calls, caplog):
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(OSError) as info:
            load_model(name)
    message = str(info.value)
    assert repr(name) in message, message
    assert network_calls == []
    noise = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert len(noise) <= 1, noise
    assert not MODELS[name].manual or "does not download" in message  # the hand-placed BigGAN-PyTorch files
    if not MODELS[name].manual:
        assert "HF_HUB_OFFLINE" in message  # says why nothing was downloaded
    assert not [p for p in offline.rglob("*") if p.is_file()]  # nothing written to any cache


def test_offline_messages_say_what_where_and_how(offline):
    with pytest.raises(OSError) as info:
        load_model("biggan-deep-128")
    message, source = str(info.value), biggan_checkpoints.SOURCES["biggan-deep-128"]
    hub_folder = offline / "hf" / "hub" / "models--osanseviero--BigGAN-deep-128"
    assert str(hub_folder) in message and "HF_HUB_CACHE" in message  # where it would be cached
    assert f"hf download {source.hub_repo} config.json pytorch_model.bin --revision {source.revision}" in message
    assert "fetch_biggan('biggan-deep-128')" in message
    with pytest.raises(OSError) as info:
        load_model("ViT-B-32/openai")
    message = str(info.value)
    assert "timm/vit_base_patch32_clip_224.openai" in message and "open_clip_pytorch_model.bin" in message
    assert str(offline / "hf" / "hub" / "models--timm--vit_base_patch32_clip_224.openai") in message
    assert "pretrained='/path" in message


def test_offline_an_hf_hub_clip_name_fails_once_clearly(offline, network_calls, monkeypatch):
    import open_clip

    monkeypatch.setattr(open_clip, "create_model", lambda *a, **k: pytest.fail("open_clip was asked to download"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(OSError, match=r"'hf-hub:timm/ViT-B-16-SigLIP'.*open_clip_config.json.*HF_HUB_OFFLINE"):
            load_clip("hf-hub:timm/ViT-B-16-SigLIP")
    assert network_calls == [] and len(caught) <= 1


def test_offline_is_also_read_from_huggingface_hubs_constants(monkeypatch, caches):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    assert cache.offline()
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    assert not cache.offline()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # set after huggingface_hub was imported
    assert cache.offline()


# --- BigGAN-deep from the Hub: the user's HF cache, a pinned revision, checked files --------------------
def test_biggan_deep_downloads_into_the_hf_cache_at_the_pinned_revision(online, monkeypatch, network_calls):
    hub = FakeHub(tiny_checkpoint(online / "remote"))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub)
    model = load_model("biggan-deep-128")
    assert isinstance(model, BigGANDeep) and model.latent_dim == 128
    source = biggan_checkpoints.SOURCES["biggan-deep-128"]
    assert source.revision == biggan_checkpoints.BIGGAN_DEEP_128_REVISION
    assert sorted(hub.downloads) == [(source.hub_repo, f, source.revision) for f in ("config.json", "pytorch_model.bin")]
    assert {c[2] for c in hub.calls} == {source.revision}  # every call pins the revision
    folder = biggan_checkpoints.fetch_biggan("biggan-deep-128")
    assert folder.is_relative_to(online / "hf" / "hub") and folder.name == FakeHub.commit
    assert not (online / "latentlab").exists()  # nothing in latentlab's own folder
    hub.calls.clear()
    load_model("biggan-deep-128")  # cached: asked for with local_files_only, nothing fetched
    assert hub.calls and all(local for *_, local in hub.calls) and len(hub.downloads) == 2
    assert network_calls == []


def test_offline_a_biggan_deep_in_the_hf_cache_loads(online, monkeypatch, network_calls):
    hub = FakeHub(tiny_checkpoint(online / "remote"))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub)
    load_model("biggan-deep-128")
    set_offline(monkeypatch, True)
    assert isinstance(load_model("biggan-deep-128"), BigGANDeep)
    assert len(hub.downloads) == 2 and network_calls == []


def test_files_put_in_latentlabs_folder_still_win(online, monkeypatch):
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, **k: pytest.fail("the Hub was asked"))
    tiny_checkpoint(biggan_checkpoints.checkpoint_folder("biggan-deep-128"))
    assert isinstance(load_model("biggan-deep-128"), BigGANDeep)


def test_a_hub_file_with_the_wrong_digest_is_refused(online, monkeypatch):
    remote = tiny_checkpoint(online / "remote")
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", FakeHub(remote))
    source = biggan_checkpoints.SOURCES["biggan-deep-128"]
    wrong = (("config.json", 715, "0" * 64),)
    monkeypatch.setitem(biggan_checkpoints.SOURCES, "biggan-deep-128", dataclasses.replace(source, digests=wrong))
    with pytest.raises(biggan_checkpoints.ChecksumError, match=r"biggan-deep-128 config.json in the Hugging Face cache "
                                                               r"\(.*\) is not the published file: expected 715 bytes"):
        load_model("biggan-deep-128")
    right = tuple((f, (remote / f).stat().st_size, hashlib.sha256((remote / f).read_bytes()).hexdigest())
                  for f in ("config.json", "pytorch_model.bin"))
    monkeypatch.setitem(biggan_checkpoints.SOURCES, "biggan-deep-128", dataclasses.replace(source, digests=right))
    assert isinstance(load_model("biggan-deep-128"), BigGANDeep)


def test_a_hub_source_needs_a_pinned_revision():
    with pytest.raises(ValueError, match="pinned revision"):
        biggan_checkpoints.BigGANSource("biggan-deep-x", hub_repo="org/repo")


def test_a_failed_hub_download_names_the_model_and_both_tries(online, monkeypatch):
    def unreachable(repo_id, filename, **kwargs):
        if kwargs.get("local_files_only"):
            raise LocalEntryNotFoundError("not cached")
        raise ConnectionError("hub unreachable")

    def broken(url, handle, **kwargs):
        raise ConnectionError(f"cannot reach {url}")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable)
    monkeypatch.setattr(cache, "download_url", broken)
    with pytest.raises(OSError) as info:
        load_model("biggan-deep-128")
    message = str(info.value)
    assert "'biggan-deep-128'" in message and "hub unreachable" in message and "cannot reach https://s3" in message
    assert list(biggan_checkpoints.checkpoint_folder("biggan-deep-128").iterdir()) == []


# --- plain downloads (legacy BigGAN-deep URLs, NVIDIA, GitHub): atomic, checked ---------------------------
def test_legacy_url_downloads_are_atomic_and_checked(online, monkeypatch):
    remote = tiny_checkpoint(online / "remote")

    def broken(url, handle, **kwargs):
        handle.write(b"half a file")
        raise ConnectionError("connection reset")

    monkeypatch.setattr(cache, "download_url", broken)
    with pytest.raises(OSError, match="connection reset"):
        load_model("biggan-deep-512")
    folder = biggan_checkpoints.checkpoint_folder("biggan-deep-512")
    assert list(folder.iterdir()) == []  # nothing half-written, no temporary files left

    urls = []

    def served(url, handle, **kwargs):
        urls.append(url)
        handle.write((remote / url.rsplit("-", 1)[-1]).read_bytes())  # .../biggan-deep-512-config.json

    monkeypatch.setattr(cache, "download_url", served)
    assert isinstance(load_model("biggan-deep-512"), BigGANDeep)  # no known digest: checked by loading only
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "pytorch_model.bin"]
    assert all(u.startswith("https://s3.amazonaws.com/models.huggingface.co/biggan/biggan-deep-512-") for u in urls)

    with pytest.raises(biggan_checkpoints.ChecksumError, match="not the published file"):
        load_model("biggan-deep-256")  # a narrow test model is not DeepMind's 256 px one
    assert list(biggan_checkpoints.checkpoint_folder("biggan-deep-256").iterdir()) == []  # refused, not kept


def test_stylegan2_downloads_are_plain_atomic_and_land_in_latentlabs_cache(online, monkeypatch):
    def broken(url, handle, **kwargs):
        handle.write(b"half a file")
        raise ConnectionError("connection reset")

    monkeypatch.setattr(cache, "download_url", broken)
    with pytest.raises(OSError, match=r"(?s)'stylegan2-ffhq-1024'.*connection reset"):
        stylegan2_checkpoints.fetch_stylegan2("stylegan2-ffhq-1024")
    target = stylegan2_checkpoints.checkpoint_path("stylegan2-ffhq-1024")
    assert list(target.parent.iterdir()) == []

    urls = []
    monkeypatch.setattr(cache, "download_url", lambda url, handle, **kw: (urls.append(url), handle.write(b"pickle")))
    assert stylegan2_checkpoints.fetch_stylegan2("stylegan2-ffhq-1024") == target and target.read_bytes() == b"pickle"
    assert stylegan2_checkpoints.fetch_stylegan2("stylegan2-ffhq-1024") == target  # cached: no second download
    assert urls == [stylegan2_checkpoints.SOURCES["stylegan2-ffhq-1024"].url]


def test_face_model_downloads_are_checked_against_their_digest(online, monkeypatch):
    monkeypatch.setattr(cache, "download_url", lambda url, handle, **kw: handle.write(b"not the published file"))
    target = face_models.checkpoint_path("celeba-vae64")
    with pytest.raises(biggan_checkpoints.ChecksumError, match="is not the published file"):
        face_models.fetch_face_model("celeba-vae64")
    assert list(target.parent.iterdir()) == []  # refused and not kept
    data = b"the published file"
    source = dataclasses.replace(face_models.SOURCES["celeba-vae64"], size=len(data),
                                 sha256=hashlib.sha256(data).hexdigest())
    monkeypatch.setitem(face_models.SOURCES, "celeba-vae64", source)
    monkeypatch.setattr(cache, "download_url", lambda url, handle, **kw: handle.write(data))
    assert face_models.fetch_face_model("celeba-vae64") == target and target.read_bytes() == data


def test_a_truncated_plain_download_is_an_error(tmp_path, monkeypatch):
    import io
    import urllib.request

    class Response(io.BytesIO):
        headers = {"Content-Length": "100"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: Response(b"only ten b"))
    with pytest.raises(ConnectionError, match="10 of 100 bytes"):
        cache.download_file("https://example.org/x.bin", tmp_path / "x.bin")
    assert list(tmp_path.iterdir()) == []


# --- open_clip: its own cache, hf-hub: names ---------------------------------------------------------
@pytest.fixture
def fake_open_clip(monkeypatch):
    """``open_clip.create_model`` / ``get_tokenizer`` replaced: a small random model, and the calls made."""
    import open_clip

    open_clip_models.register_open_clip_configs()
    create, tokenizer = open_clip.create_model, open_clip.get_tokenizer
    calls = []

    def fake_create(name, *args, **kwargs):
        calls.append(("create_model", name, args, kwargs))
        return create("shapes-clip", pretrained=None)

    def fake_tokenizer(name, *args, **kwargs):
        calls.append(("get_tokenizer", name, args, kwargs))
        return tokenizer("shapes-clip")

    monkeypatch.setattr(open_clip, "create_model", fake_create)
    monkeypatch.setattr(open_clip, "get_tokenizer", fake_tokenizer)
    return calls


def test_open_clip_manages_its_own_cache(online, fake_open_clip):
    bundle = load_clip("ViT-B-32/openai")
    (_, name, args, kwargs), *_ = fake_open_clip
    assert name == "ViT-B-32" and kwargs == {"pretrained": "openai"}  # no cache_dir of latentlab's
    assert bundle.name == "ViT-B-32/openai"


def test_an_hf_hub_name_is_passed_through_to_open_clip(online, fake_open_clip):
    bundle = load_clip("hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    assert fake_open_clip[0][:2] == ("create_model", "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    assert fake_open_clip[0][3] == {"require_pretrained": True}  # never a silently random model
    assert fake_open_clip[1][:2] == ("get_tokenizer", "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    assert bundle.name == "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    assert bundle.encode_text(["a red star"]).shape[0] == 1


@pytest.mark.parametrize("name", ["hf-hub:", "hf-hub:laion", "hf-hub:a/b/c", "hf-hub:/repo", "hf-hub:org/ repo"])
def test_malformed_hf_hub_names_are_refused(name, fake_open_clip):
    with pytest.raises(InvalidInputError, match="hf-hub:ORG/REPO"):
        load_clip(name)
    assert fake_open_clip == []


def test_an_hf_hub_name_takes_no_pretrained_tag(fake_open_clip):
    with pytest.raises(InvalidInputError, match="leave pretrained out"):
        load_clip("hf-hub:org/repo", pretrained="openai")


def put_in_hf_cache(repo_id: str, filename: str, data: bytes = b"x") -> Path:
    """A file in the Hugging Face cache layout (refs/main -> snapshots/<commit>/file), as hf_hub_download leaves it."""
    repo = Path(hf_constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(FakeHub.commit)
    path = repo / "snapshots" / FakeHub.commit / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_offline_a_clip_model_in_the_hf_cache_is_loaded_not_refused(offline, fake_open_clip, network_calls):
    put_in_hf_cache("timm/vit_base_patch32_clip_224.openai", "open_clip_pytorch_model.bin")
    assert load_clip("ViT-B-32/openai").name == "ViT-B-32/openai"
    put_in_hf_cache("org/repo", "open_clip_config.json")
    with pytest.raises(OSError, match=r"'hf-hub:org/repo'.*its weights"):  # the config alone is not enough
        load_clip("hf-hub:org/repo")
    put_in_hf_cache("org/repo", "open_clip_model.safetensors")
    assert load_clip("hf-hub:org/repo").name == "hf-hub:org/repo"
    assert network_calls == []


# --- the public API only ---------------------------------------------------------------------------------
def test_latentlab_uses_only_huggingface_hubs_public_api():
    """No ``huggingface_hub.file_download`` and no ``_private`` name of huggingface_hub anywhere in latentlab."""
    offenders = []
    for path in sorted(Path(latentlab.__file__).parent.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "huggingface_hub.file_download" in source:
            offenders.append(f"{path}: huggingface_hub.file_download")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("huggingface_hub"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private or any(part.startswith("_") for part in node.module.split(".")):
                    offenders.append(f"{path}:{node.lineno}: from {node.module} import {private or '...'}")
            elif isinstance(node, ast.Import):
                offenders += [f"{path}:{node.lineno}: import {a.name}" for a in node.names
                              if a.name.startswith("huggingface_hub.") and
                              any(part.startswith("_") for part in a.name.split("."))]
    assert offenders == []
