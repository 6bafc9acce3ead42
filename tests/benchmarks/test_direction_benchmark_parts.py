"""The parts of the directions benchmark's entanglement report, on hand-made scores and a hand-made generator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, where ``benchmarks`` lives

from benchmarks import _entanglement as ent  # noqa: E402
from benchmarks._direction_spaces import SharedMask, XPosition  # noqa: E402
from benchmarks._real_directions import MODELS, BorderBrightness, real_section  # noqa: E402
from latentlab.assessors import Assessor, Brightness, ObjectSize  # noqa: E402
from latentlab.generators.module_adapter import ModuleGenerator  # noqa: E402
from latentlab.spaces import Direction, resolve_space  # noqa: E402


class GreyAndBlue(nn.Module):
    """z [N, 2] → flat 8×8 images: red = green = sigmoid(z₀), blue = sigmoid(z₁)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        r = torch.sigmoid(z[:, 0])
        b = torch.sigmoid(z[:, 1])
        return torch.stack([r, r, b], dim=1)[:, :, None, None].expand(-1, -1, 8, 8)


class Blue(Assessor):
    name, unit = "blue", "mean blue"

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return images[:, 2].mean(dim=(1, 2))


@pytest.fixture(scope="module")
def space():
    return resolve_space("z", ModuleGenerator(GreyAndBlue(), 2, output_range=(0.0, 1.0)))


def assessors() -> dict:
    return {"brightness": Brightness(), "blue": Blue()}


def test_summary_of_a_linear_trend():
    ts = torch.linspace(-2, 2, 5)
    offsets = torch.tensor([-1.0, 0.0, 1.0, 2.0])
    scores = 3 + offsets[:, None] + 0.5 * ts[None]
    summary = ent.assessor_summary(ts, scores, base=3 + offsets)
    assert summary["slope"] == pytest.approx(0.5)
    assert summary["range"] == pytest.approx(2.0)
    assert summary["monotonicity"] == pytest.approx(1.0)
    assert summary["within_std"] == pytest.approx(float(offsets.std()), rel=1e-4)
    assert summary["spread"] == pytest.approx(float(offsets.std()), rel=1e-4)
    assert summary["range_spread"] == pytest.approx(2.0 / float(offsets.std()), rel=1e-3)


def test_spearman():
    t = torch.arange(5.0)
    assert ent.spearman(t, t**3) == pytest.approx(1.0)
    assert ent.spearman(t, -t) == pytest.approx(-1.0)
    assert ent.spearman(t, torch.ones(5)) == 0.0
    assert ent.spearman(t, torch.tensor([0.0, 1.0, 1.0, 2.0, 3.0])) == pytest.approx(0.9747, abs=1e-4)  # a tie


def test_selectivity_is_the_target_range_over_the_largest_other():
    summaries = {"a": {"range_spread": 2.0, "range": 9.0}, "b": {"range_spread": 0.5, "range": 0.1},
                 "c": {"range_spread": 1.0, "range": 0.2}}
    assert ent.selectivity(summaries, "a") == (pytest.approx(2.0), "c")
    assert ent.selectivity({"a": {"range_spread": 1.0}, "b": {"range_spread": 0.0}}, "a") == (ent.SELECTIVITY_CAP, "b")
    assert ent.selectivity({"a": {"range_spread": 1.0}}, "a") == (None, None)
    with pytest.raises(KeyError):
        ent.selectivity(summaries, "missing")


def test_walk_along_a_pure_direction(space):
    w = ent.walk(space, Direction(torch.tensor([1.0, 0.0]), "grey"), assessors(), n=16, ts=5, rows=2)
    assert w.scores["brightness"].shape == (16, 5) and w.strip.shape == (2, 5, 3, 8, 8)
    report = ent.entanglement_report(w, "brightness")
    assert report["monotonicity"] == pytest.approx(1.0)
    assert report["assessors"]["brightness"]["slope"] > 0
    assert report["assessors"]["blue"]["range"] == pytest.approx(0.0, abs=1e-6)
    assert report["selectivity"] == ent.SELECTIVITY_CAP  # nothing else moves
    assert report["t"] == [-2.0, -1.0, 0.0, 1.0, 2.0] and len(report["target_mean"]) == 5


def test_selectivity_ranks_a_mostly_blue_direction(space):
    blue = ent.entanglement_report(ent.walk(space, Direction(torch.tensor([0.0, 3.0]), "blue"), assessors(), n=32), "blue")
    assert blue["selectivity"] > 3  # brightness moves a little (blue weighs 0.114 in it), in its own spread's units
    assert blue["most_entangled"]["assessor"] == "brightness"
    mixed = ent.entanglement_report(ent.walk(space, Direction(torch.tensor([1.0, 1.0]), "mixed"), assessors(), n=32), "blue")
    assert mixed["selectivity"] < blue["selectivity"]
    assert blue["step"] == pytest.approx(blue["sigma"] / 3.0, rel=1e-5)  # t counts spreads, whatever the vector's norm


def test_projection_sets_the_coordinate(space):
    class Red(Assessor):
        name = "red"

        def score(self, images):
            return images[:, 0].mean(dim=(1, 2))

    w = ent.walk(space, Direction(torch.tensor([1.0, 0.0]), "set", projection=True), {**assessors(), "red": Red()}, n=32, ts=3)
    assert w.info["move"] == "projection"
    assert float(w.scores["red"].std(dim=0).max()) < 1e-5 < float(w.base["red"].std())  # every latent lands on one z₀
    report = ent.entanglement_report(w, "red")
    assert report["monotonicity"] == pytest.approx(1.0) and report["assessors"]["blue"]["range"] == pytest.approx(0, abs=1e-6)


def test_pick_orients_the_component(space):
    walks = [ent.walk(space, Direction(torch.tensor(v), f"c{i}"), assessors(), n=8, ts=3)
             for i, v in enumerate(([0.0, 1.0], [-1.0, 0.0]))]
    index, w = ent.pick(walks, "brightness")
    assert index == 1 and w.info["flipped"]
    assert ent.assessor_summary(w.ts, w.scores["brightness"])["slope"] > 0
    assert ent.signed_changes(walks[1])["brightness"] < 0


def test_strip_png(space, tmp_path):
    w = ent.walk(space, Direction(torch.tensor([1.0, 1.0]), "d"), assessors(), n=4, ts=3, rows=2)
    path = ent.write_strip(tmp_path / ent.strip_name("shapes", "w+", "pca coarse"), [w.strip, w.strip])
    assert path.name == "directions_strip_shapes_wplus_pca-coarse.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    small = ent.write_strip(tmp_path / "small.png", [w.strip], limit=10)  # halved as far as it goes
    assert small.is_file() and ent.write_strip(tmp_path / "none.png", [None]) is None


def test_evaluate_and_table(space):
    report, blocks = ent.evaluate_components(space, [Direction(torch.tensor([1.0, 0.0]), "c0"),
                                                     Direction(torch.tensor([0.0, 1.0]), "c1")],
                                             assessors(), ["brightness", "blue"],
                                             {"latents": 8, "ts": 3, "reach": 2.0, "strip_rows": 1})
    assert report["targets"]["blue"]["component"] == 1 and len(report["components"]) == 2 and len(blocks) == 2
    rows = ent.table_rows("m", "z", {"pca": report, "sefa": {"refused": "not here"}, "bad": {"error": "boom"}})
    assert len(rows) == 4 and rows[0][:4] == ("m", "z", "pca", "brightness") and len(rows[0]) == len(ent.TABLE_HEADER)
    assert rows[2][-1].startswith("refused: not here") and rows[3][-1].startswith("error: boom")
    failed = ent.guarded("test", lambda: 1 / 0)
    assert failed["error"].startswith("ZeroDivisionError") and "seconds" in failed


def test_mask_and_border_assessors():
    images = torch.zeros(2, 3, 8, 8)
    images[:, :, 0, :] = images[:, :, -1, :] = images[:, :, :, 0] = images[:, :, :, -1] = 1.0
    assert BorderBrightness().score(images).tolist() == pytest.approx([1.0, 1.0])
    mask = torch.zeros(2, 1, 8, 8)
    mask[:, :, 2:4, 6:8] = 1.0
    calls = []

    def mask_fn(batch):
        calls.append(batch)
        return mask

    shared = SharedMask(mask_fn)
    walked = {"size": ObjectSize(mask_fn=shared), "x": XPosition(shared)}
    assert walked["x"](images).tolist() == pytest.approx([0.875, 0.875])
    assert walked["size"](images).tolist() == pytest.approx([4 / 64, 4 / 64])
    assert len(calls) == 1  # one mask for both assessors of the same batch
    walked["x"](images.clone())
    assert len(calls) == 2


def test_real_section_skips_without_data(tmp_path, capsys):
    out = real_section({}, tmp_path, root=tmp_path / "absent")
    assert set(out) == set(MODELS) and all("absent" in v["skipped"] for v in out.values())
    assert "skipped" in capsys.readouterr().out
