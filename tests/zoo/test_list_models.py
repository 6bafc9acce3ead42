"""latentlab.list_models: the registered names, all or of one kind."""

import pytest

import latentlab
from latentlab.zoo import MODELS, ModelEntry, list_models, register_model
from latentlab.zoo.registry import KINDS


def test_list_models_names_every_registered_model_sorted():
    assert latentlab.list_models is list_models and "list_models" in latentlab.__all__
    names = list_models()
    assert names == sorted(MODELS) and {"shapes-biggan", "shapes-clip", "shapes-probe"} <= set(names)


@pytest.mark.parametrize("kind", KINDS)
def test_list_models_of_one_kind(kind):
    assert list_models(kind) == sorted(n for n, e in MODELS.items() if e.kind == kind)
    assert all(MODELS[name].kind == kind for name in list_models(kind))


def test_the_filter_sees_models_registered_later():
    register_model(ModelEntry("zz-test-probe", "probe", "probe", "https://example.invalid/p.safetensors", "MIT", "a test entry"))
    try:
        assert "zz-test-probe" in list_models("probe") and "zz-test-probe" not in list_models("generator")
    finally:
        del MODELS["zz-test-probe"]


@pytest.mark.parametrize("kind, match", [
    ("generators", "unknown model kind 'generators'. Did you mean 'generator'"),
    ("assessor", "unknown model kind 'assessor'.* Valid model kinds: generator, probe, clip, perceptual, metric"),
    (3, "kind must be None or one of 'generator'"),
])
def test_an_unknown_kind_fails_with_the_kinds_there_are(kind, match):
    with pytest.raises(ValueError, match=match):
        list_models(kind)
