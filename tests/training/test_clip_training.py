import torch

from latentlab.data import render_shapes
from latentlab.data.captions import HELD_OUT_PREFIXES, compositional_captions
from latentlab.recipes.shapes_clip import CLIPTrainConfig, _kept_token_rows, export, train_clip, training_batch
from latentlab.zoo.open_clip_models import load_clip


def test_training_batches_are_deterministic_and_mix_views():
    images, texts = training_batch(64, 3, seed=1)
    again, texts_again = training_batch(64, 3, seed=1)
    assert torch.equal(images, again) and texts == texts_again
    other, _ = training_batch(64, 4, seed=1)
    assert not torch.equal(images, other)
    assert images.shape == (64, 3, 64, 64) and images.min() >= 0 and images.max() <= 1
    # masked views are black outside their region: some images have many exactly-zero pixels
    zero_share = (images == 0).all(dim=1).float().mean(dim=(1, 2))
    assert (zero_share > 0.2).sum() >= 3
    assert all(t.strip() for t in texts)


def test_region_captions_name_only_the_object_and_held_out_framings_never_appear():
    factors = render_shapes(400, seed=2).factors
    region = compositional_captions(factors, seed=0, region=True)
    assert not any(w in c for c in region for w in (" left", " right", " top", " bottom", "background", "backdrop"))
    everything = compositional_captions(factors, seed=1) + region
    assert not any(c.startswith(p.strip()) for c in everything for p in HELD_OUT_PREFIXES)
    assert any("left" in c for c in everything) and any("background" in c for c in everything)


def test_training_resumes_exactly_and_exports_a_loadable_model(tmp_path):
    config = CLIPTrainConfig(steps=3, batch_size=8, warmup=2, log_every=1, checkpoint_every=1)
    straight = train_clip(tmp_path / "straight", config)
    train_clip(tmp_path / "resumed", CLIPTrainConfig(**{**config.__dict__, "steps": 2}))
    resumed = train_clip(tmp_path / "resumed", config)
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    path = export(resumed, tmp_path / "clip.safetensors", steps=3)
    bundle = load_clip(str(path))
    # the export is float16, and keeps the token rows training moved (the others are a seeded fill)
    kept = _kept_token_rows(resumed, config.seed)
    assert 10 < len(kept) < 1000  # the captions' tokens and those of the zero-shot texts, not the whole vocabulary
    loaded = bundle.model.state_dict()
    for name, value in resumed.state_dict().items():
        if name == "token_embedding.weight":
            assert torch.equal(loaded[name][kept], value[kept].half().float()), name
        elif value.is_floating_point():
            assert torch.equal(loaded[name], value.half().float()), name
    images = render_shapes(2, seed=0).images
    with torch.no_grad():
        expected = torch.nn.functional.normalize(resumed.encode_image((images - torch.tensor(bundle.mean).view(1, 3, 1, 1))
                                                                      / torch.tensor(bundle.std).view(1, 3, 1, 1)), dim=-1)
        assert torch.allclose(bundle.encode_images(images), expected, atol=5e-3)
