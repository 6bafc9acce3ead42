import pytest
import torch

from latentlab.metrics.inception import inception_metrics, inception_weights


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory):
    """A randomly initialised torch-fidelity Inception, saved as a plain state dict (no download)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    original = torch.nn.Module.load_state_dict
    torch.nn.Module.load_state_dict = lambda self, state, *a, **k: None  # build the real module without weights
    try:
        import torch_fidelity.feature_extractor_inceptionv3 as module

        fetch = module.load_state_dict_from_url
        module.load_state_dict_from_url = lambda *a, **k: {}
        try:
            torch.manual_seed(0)
            net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
        finally:
            module.load_state_dict_from_url = fetch
    finally:
        torch.nn.Module.load_state_dict = original
    for m in net.modules():  # BatchNorm statistics from data, so random features are not degenerate
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    with torch.no_grad():
        net.train()((torch.rand(8, 3, 32, 32) * 255).to(torch.uint8))
    path = tmp_path_factory.mktemp("inception") / "weights.pth"
    torch.save(net.state_dict(), path)
    return path


def test_is_fid_kid_run_through_torch_fidelity_with_a_local_file(random_inception_weights):
    a = torch.rand(6, 3, 32, 32)
    b = torch.linspace(0, 1, 6).view(6, 1, 1, 1).expand(6, 3, 32, 32).clone()  # flat grey levels, unlike noise
    metrics = inception_metrics(a, b, weights_path=random_inception_weights, batch_size=6)
    assert {"inception_score_mean", "frechet_inception_distance", "kernel_inception_distance_mean"} <= set(metrics)
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values())
    same = inception_metrics(a, a, isc=False, kid=False, weights_path=random_inception_weights, batch_size=6)
    assert abs(same["frechet_inception_distance"]) < 1e-3 < metrics["frechet_inception_distance"]


class _Payload:
    def __reduce__(self):
        return (print, ("code ran",))


def test_a_weights_file_carrying_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(1), "x": _Payload()}, path)
    with pytest.raises(ValueError, match="refusing"):
        inception_weights(path)


def test_offline_download_fails_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))

    def no_network(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(OSError, match="On a machine with internet download"):
        inception_metrics(torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32))


def test_fid_needs_a_real_set():
    with pytest.raises(ValueError, match="real"):
        inception_metrics(torch.rand(4, 3, 32, 32))
