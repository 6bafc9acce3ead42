import open_clip
import pytest
import torch

from latentlab.assessors.base import apply_region
from latentlab.assessors.clip import TEMPLATES, CLIPAssessor, similarity_matrix
from latentlab.data import render_shapes
from latentlab.zoo.open_clip_models import load_clip, register_open_clip_configs


@pytest.fixture(scope="module")
def random_clip():
    torch.manual_seed(0)
    return load_clip("shapes-clip", pretrained="random")


@pytest.fixture(scope="module")
def images():
    return render_shapes(6, seed=3).images


def test_shapes_clip_is_an_open_clip_config_built_by_its_factory():
    assert "shapes-clip" in register_open_clip_configs()
    assert "shapes-clip" in open_clip.list_models()
    model = open_clip.create_model("shapes-clip")
    assert model.visual.image_size in (64, (64, 64))
    tokens = open_clip.get_tokenizer("shapes-clip")(["a red star in the top left"])
    assert tokens.shape == (1, 32) and tokens[0, 0] == 49406  # open_clip's BPE start token
    size_mb = sum(p.numel() for p in model.parameters()) * 4 / 1e6
    assert size_mb <= 25


def test_score_is_the_cosine_of_the_embeddings(random_clip, images):
    assessor = CLIPAssessor("a red star", random_clip)
    with torch.no_grad():
        expected = random_clip.encode_images(images) @ random_clip.encode_text(["a red star"])[0]
        scores = assessor(images)
    assert scores.shape == (6,)
    assert torch.allclose(scores, expected, atol=1e-5)
    assert (scores.abs() <= 1 + 1e-5).all()


def test_score_is_differentiable_and_chunked_consistently(random_clip, images):
    x = images.clone().requires_grad_(True)
    scores = CLIPAssessor("a blue heart", random_clip, batch_size=2)(x)
    scores.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with torch.no_grad():
        assert torch.allclose(scores.detach(), CLIPAssessor("a blue heart", random_clip, batch_size=64)(images), atol=1e-5)


def test_template_ensemble_averages_normalised_embeddings(random_clip):
    assessor = CLIPAssessor(["a star", "a heart"], random_clip, templates="shapes")
    texts = [t.format(p) for p in ("a star", "a heart") for t in TEMPLATES["shapes"]]
    with torch.no_grad():
        expected = torch.nn.functional.normalize(random_clip.encode_text(texts).mean(0), dim=0)
    assert torch.allclose(assessor.text_embedding, expected, atol=1e-6)
    assert torch.isclose(assessor.text_embedding.norm(), torch.tensor(1.0))


def test_negative_prompts_subtract_their_mean_similarity(random_clip, images):
    plain = CLIPAssessor("a red star", random_clip)
    with torch.no_grad():
        negatives = random_clip.encode_text(["a blue star", "a heart"])
        image = random_clip.encode_images(images)
        expected = plain(images) - 0.5 * (image @ negatives.T).mean(dim=1)
        scores = CLIPAssessor("a red star", random_clip, negatives=["a blue star", "a heart"], negative_weight=0.5)(images)
    assert torch.allclose(scores, expected, atol=1e-5)


@pytest.mark.parametrize("mode", ["multiply", "crop"])
def test_masked_scoring_sees_only_the_region(random_clip, images, mode):
    mask = torch.zeros(64, 64)
    mask[8:40, 16:56] = 1
    masked = CLIPAssessor("a red star", random_clip, mask=mask, mask_mode=mode)
    plain = CLIPAssessor("a red star", random_clip)
    with torch.no_grad():
        assert torch.allclose(masked(images), plain(apply_region(images, mask, mode)), atol=1e-5)
        changed = images.clone()
        changed[:, :, 50:, :] = 1 - changed[:, :, 50:, :]  # outside the mask
        assert torch.allclose(masked(changed), masked(images), atol=1e-5)
        assert not torch.allclose(plain(changed), plain(images), atol=1e-3)


def test_similarity_matrix_matches_assessors(random_clip, images):
    sims = similarity_matrix(images, ["a star", "a heart"], random_clip)
    with torch.no_grad():
        assert torch.allclose(sims[:, 1], CLIPAssessor("a heart", random_clip)(images), atol=1e-5)


def test_a_real_open_clip_architecture_runs_randomly_initialised(images):
    torch.manual_seed(0)
    assessor = CLIPAssessor("a photo of a dog", "RN50", pretrained="random", templates="photo")
    assert assessor.clip.image_size == 224
    with torch.no_grad():
        scores = assessor(images[:2])
    assert scores.shape == (2,) and torch.isfinite(scores).all()


def test_offline_pretrained_tag_fails_with_instructions():
    with pytest.raises(OSError, match="pre-download|cache|pretrained='/path"):
        load_clip("ViT-B-32/openai")


@pytest.mark.parametrize("text", ["", "   ", ["a star", " "], []])
def test_empty_prompts_are_refused(random_clip, text):
    with pytest.raises(ValueError, match="prompt|non-empty"):
        CLIPAssessor(text, random_clip)


def test_bad_model_names_and_tags_suggest_valid_ones():
    with pytest.raises(ValueError, match="Did you mean 'ViT-B-32'"):
        load_clip("ViT-B-33/openai")
    with pytest.raises(ValueError, match="needs pretrained weights"):
        load_clip("ViT-B-32")
    with pytest.raises(ValueError, match="Did you mean 'openai'"):
        load_clip("ViT-B-32", pretrained="openia")
    with pytest.raises(ValueError, match="template set"):
        CLIPAssessor("a star", "shapes-clip", pretrained="random", templates="fotos")


@pytest.mark.parametrize("mask, message", [
    (torch.nn.functional.pad(torch.ones(16, 16), (8, 8, 8, 8)), "images are"),
    (torch.zeros(64, 64), "empty"),
    (torch.ones(64, 64), "whole image"),
    (torch.full((64, 64), 0.5), "binary-like"),
])
def test_bad_masks_are_refused(random_clip, images, mask, message):
    with pytest.raises(ValueError, match=message):
        CLIPAssessor("a star", random_clip, mask=mask)(images)


def test_bad_images_are_refused(random_clip, images):
    assessor = CLIPAssessor("a star", random_clip)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        assessor(images * 2)
    with pytest.raises(ValueError, match="shape"):
        assessor(images[:, :1])


def test_shipped_shapes_clip_reads_the_world_and_scores_regions():
    from latentlab.metrics.zero_shot import masked_pair_accuracy, zero_shot_accuracy

    accuracy = zero_shot_accuracy("shapes-clip", n=200, seed=77)
    assert accuracy["shape"] >= 0.9 and accuracy["color"] >= 0.85 and accuracy["background"] >= 0.9
    assert masked_pair_accuracy("shapes-clip", n=100, seed=78) >= 0.85
    scene = render_shapes(1, seed=5, shape="star", hue="blue", scale=0.4, x=0.3, y=0.3).images
    on_object, elsewhere = torch.zeros(64, 64), torch.zeros(64, 64)
    on_object[4:36, 4:36], elsewhere[36:, 36:] = 1, 1
    with torch.no_grad():
        inside = CLIPAssessor("a blue star", mask=on_object)(scene)
        outside = CLIPAssessor("a blue star", mask=elsewhere)(scene)
        wrong = CLIPAssessor("a red heart", mask=on_object)(scene)
    assert inside > outside + 0.1 and inside > wrong + 0.1
