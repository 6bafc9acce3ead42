"""Assessors benchmark: shapes-clip zero-shot accuracy, masked pair accuracy, rank correlations, speed.

    python -m benchmarks.assessors [--quick]
"""

from __future__ import annotations

import torch
from scipy.stats import spearmanr

from benchmarks._report import best_rate, parse_args, print_table, write_results
from latentlab.assessors import Brightness, Centeredness, ClassProbability, HueCloseness, ObjectSize, ProbeFactor, Redness
from latentlab.assessors.clip import CLIPAssessor
from latentlab.data import hue_distance, render_shapes
from latentlab.data.colours import COLOURS
from latentlab.metrics.zero_shot import masked_pair_accuracy, zero_shot_accuracy
from latentlab.zoo import load_probe
from latentlab.zoo.open_clip_models import load_clip

EVAL_SEED = 424_242
ZERO_SHOT_BARS = {"shape": 0.95, "color": 0.90, "x_position": 0.85, "y_position": 0.85, "size": 0.85, "background": 0.90}
MASKED_BAR, RANK_BAR = 0.90, 0.9
#: reported without a bar: not monotone functions of one factor (redness also grows with object size;
#: CLIP's similarity to "a red object" need not order the other hues by their distance to red)
INFO_ONLY = ("redness", "clip_red")


def rank_correlations(n: int, probe, clip) -> dict[str, dict]:
    """Spearman ρ of each assessor with the ground-truth quantity it should track (ROC AUC for yes/no truths)."""
    batch = render_shapes(n, seed=EVAL_SEED + 1)
    f = batch.factors
    red = -hue_distance(f.hue, torch.tensor(COLOURS["red"]))
    pairs = {  # assessor, ground truth, what the truth is
        "object_size": (ObjectSize(), batch.masks.mean(dim=(1, 2, 3)), "true object area"),
        "brightness": (Brightness(), batch.images.mean(dim=(1, 2, 3)), "true mean intensity"),
        "background_brightness": (Brightness().masked(torch.nn.functional.pad(torch.ones(4, 64), (0, 0, 0, 60))),
                                  f.bg_brightness, "background brightness (top rows, which the object rarely covers)"),
        "centeredness": (Centeredness(), -torch.sqrt((f.x - 0.5) ** 2 + (f.y - 0.5) ** 2), "-distance of (x, y) from the centre"),
        "probe_x": (ProbeFactor("x", probe), f.x, "x"),
        "probe_y": (ProbeFactor("y", probe), f.y, "y"),
        "probe_scale": (ProbeFactor("scale", probe), f.scale, "scale"),
        "probe_hue_red": (HueCloseness("red", probe), red, "-hue distance to red"),
        "probe_class_star": (ClassProbability("star", probe), (f.shape == 3).float(), "is a star"),
        "redness": (Redness(), red, "-hue distance to red (also grows with object size)"),
        "clip_red": (CLIPAssessor("a red object", clip), red, "-hue distance to red"),
    }
    out = {}
    with torch.no_grad():
        for key, (assessor, truth, what) in pairs.items():
            scores = torch.cat([assessor(chunk) for chunk in batch.images.split(256)])
            if truth.unique().numel() == 2:  # a yes/no truth: ranks are ties, so report the ROC AUC instead
                positive, negative = scores[truth > 0.5], scores[truth <= 0.5]
                auc = (positive[:, None] > negative[None, :]).float().mean() + 0.5 * (positive[:, None] == negative[None, :]).float().mean()
                out[key] = {"auc": round(float(auc), 4), "tracks": what}
            else:
                out[key] = {"rho": round(float(spearmanr(scores.numpy(), truth.numpy()).statistic), 4), "tracks": what}
    return out


def speeds(probe, clip, quick: bool) -> dict[str, float]:
    images = render_shapes(64, seed=1).images
    assessors = {"brightness": Brightness(), "redness": Redness(), "object_size (probe mask)": ObjectSize(),
                 "probe_x": ProbeFactor("x", probe), "class_probability": ClassProbability("star", probe),
                 "clip (shapes-clip)": CLIPAssessor("a red star", clip),
                 "clip masked (crop)": CLIPAssessor("a red star", clip, mask=torch.nn.functional.pad(torch.ones(32, 32), (8, 24, 8, 24)),
                                                    mask_mode="crop")}
    out = {}
    with torch.no_grad():
        for name, assessor in assessors.items():
            out[name] = round(best_rate(lambda a=assessor: a(images).shape[0], repeats=3 if quick else 10), 1)
    return out


def main() -> dict:
    args = parse_args(__doc__)
    clip, probe = load_clip("shapes-clip"), load_probe()
    zero_shot = {k: round(v, 4) for k, v in zero_shot_accuracy(clip, n=2000).items()}
    masked = round(masked_pair_accuracy(clip, n=1000), 4)
    ranks = rank_correlations(1000 if args.quick else 2000, probe, clip)
    rates = speeds(probe, clip, args.quick)

    rows = [(f"zero_shot.{k}", v, f">= {ZERO_SHOT_BARS[k]}", "PASS" if v >= ZERO_SHOT_BARS[k] else "FAIL") for k, v in zero_shot.items()]
    rows.append(("masked_pair_acc", masked, f">= {MASKED_BAR}", "PASS" if masked >= MASKED_BAR else "FAIL"))
    for key, value in ranks.items():
        bar = key not in INFO_ONLY
        metric, number = ("auc", value["auc"]) if "auc" in value else ("rho", value["rho"])
        rows.append((f"rank_corr.{key} ({metric})", number, f">= {RANK_BAR}" if bar else "(info)",
                     ("PASS" if number >= RANK_BAR else "FAIL") if bar else ""))
    print_table(rows, ("metric", "value", "bar", ""))
    print()
    print_table([(k, v) for k, v in rates.items()], ("assessor", "images/s (batch 64)"))
    results = {"zero_shot": zero_shot, "zero_shot_images": 2000, "masked_pair_acc": masked, "masked_pair_images": 1000,
               "rank_corr": ranks, "images_per_s": rates, "bars_met": all(r[3] != "FAIL" for r in rows)}
    write_results("assessors", results)
    return results


if __name__ == "__main__":
    main()
