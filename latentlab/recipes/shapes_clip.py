"""Recipe for ``shapes-clip``: a small CLIP trained with open_clip on Shapes images and captions.

    latentlab train shapes-clip --out runs/shapes-clip   # 4,000 steps at batch 128, about 35 minutes on 2 CPU cores

The model is the open_clip config ``shapes-clip`` (a ModifiedResNet image tower, layers
[2, 2, 2, 2] at width 16 for 64 px inputs; a text transformer of width 64 on open_clip's BPE
tokenizer), built by ``open_clip.create_model`` and trained with ``open_clip.loss.ClipLoss``.
Half of every batch is groups of eight near-identical scenes that differ in shape, position,
size or colours, captioned in detail, so that telling them apart needs exactly those
attributes (in-batch hard negatives); a ViT tower trained on random batches alone learned
colours but stayed at chance on position. The other half mixes three views so that region
scoring works: whole images with full or partial captions (a random subset of shape, colour,
size, position and background in varied wording), the image multiplied by a region mask
around the object (x ⊙ m, as a masked assessor sees it), and the crop of such a region
resized to the full size; region views are captioned with the object's attributes only.
AdamW with warm-up and cosine decay, bf16 autocast where the CPU runs it natively; resumable
(run the same command again) and Ctrl-C keeps its state.
"""

from __future__ import annotations

import io
import json
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from latentlab.data.captions import captions, compositional_captions
from latentlab.data.shapes import ShapeFactors, render, render_shapes, sample_factors
from latentlab.images import atomic_write_bytes
from latentlab.training.precision import autocast_dtype
from latentlab.zoo.checkpoints import save_model
from latentlab.zoo.open_clip_models import build_open_clip

MODEL_NAME = "shapes-clip"
TOKEN_FILL_SEED = 49408  # the seeded fill of the token rows no caption trains


@dataclass
class CLIPTrainConfig:
    steps: int = 4000
    batch_size: int = 128
    lr: float = 1e-3
    warmup: int = 200
    weight_decay: float = 0.05
    region_views: float = 0.45  # share of the random part of each batch shown as masked or cropped regions
    grouped: float = 0.5  # share of each batch made of groups of near-identical scenes (hard negatives)
    group_size: int = 8
    seed: int = 0
    threads: int = 2
    mixed_precision: str = "auto"
    log_every: int = 50
    checkpoint_every: int = 250


TRAINING = CLIPTrainConfig()


def _box_masks(masks: torch.Tensor, generator: torch.Generator, max_margin: int = 12) -> torch.Tensor:
    """Rectangular masks [N, 1, H, W] that contain each object's bounding box plus a random margin."""
    n, _, h, w = masks.shape
    inside = masks[:, 0] > 0.5
    rows, cols = inside.any(dim=2), inside.any(dim=1)
    ar = torch.arange(h)
    top = torch.where(rows, ar, h).min(dim=1).values
    bottom = torch.where(rows, ar, -1).max(dim=1).values
    left = torch.where(cols, ar, w).min(dim=1).values
    right = torch.where(cols, ar, -1).max(dim=1).values
    margin = torch.randint(1, max_margin + 1, (4, n), generator=generator)
    top, left = (top - margin[0]).clamp(min=0), (left - margin[1]).clamp(min=0)
    bottom, right = (bottom + margin[2]).clamp(max=h - 1), (right + margin[3]).clamp(max=w - 1)
    yy, xx = ar.view(1, h, 1), ar.view(1, 1, w)
    box = (yy >= top.view(-1, 1, 1)) & (yy <= bottom.view(-1, 1, 1)) & (xx >= left.view(-1, 1, 1)) & (xx <= right.view(-1, 1, 1))
    return box[:, None].float()


def _crop_to_mask(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Each image cropped to its mask's bounding box and resized back to full size (as ``MaskedAssessor`` crops)."""
    out = []
    for image, mask in zip(images, masks):
        m = mask[0] > 0.5
        rows, cols = m.any(dim=1).nonzero(), m.any(dim=0).nonzero()
        crop = image[None, :, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        out.append(F.interpolate(crop, size=images.shape[-2:], mode="bilinear", align_corners=False))
    return torch.cat(out).clamp(0, 1)


def grouped_factors(n: int, group_size: int, seed: int) -> ShapeFactors:
    """Factors of ``n // group_size`` scenes, each repeated with some factors redrawn per member.

    Members of a group share most of what they show and differ in shape, position, size or
    colours, so telling their captions apart needs exactly those attributes.
    """
    groups = max(1, n // group_size)
    base = sample_factors(groups, seed=seed)
    base = ShapeFactors(**{k: v.repeat_interleave(group_size)[:n] for k, v in base.as_dict().items()})
    fresh = sample_factors(n, seed=seed + 1)
    gen = torch.Generator().manual_seed(seed + 2)
    mixed = base.as_dict()
    for names, p in ((("shape",), 0.5), (("x", "y"), 0.6), (("scale",), 0.3), (("hue", "bg_hue", "bg_brightness"), 0.3),
                     (("rotation", "bg_angle", "bg_phase"), 1.0)):
        take = torch.rand(n, generator=gen) < p
        for name in names:
            mixed[name] = torch.where(take, getattr(fresh, name), mixed[name])
    half = mixed["scale"] / 2  # keep the whole object inside the image after mixing scale and position
    mixed["x"] = torch.maximum(torch.minimum(mixed["x"], 1 - half), half)
    mixed["y"] = torch.maximum(torch.minimum(mixed["y"], 1 - half), half)
    return ShapeFactors(**mixed)


def training_batch(batch_size: int, index: int, seed: int = 0, region_views: float = 0.45, grouped: float = 0.5,
                   group_size: int = 8) -> tuple[torch.Tensor, list[str]]:
    """Batch ``index`` of (images, captions): groups of near-identical scenes with detailed captions,
    then random scenes mixing whole, masked and cropped views; deterministic."""
    batch_seed = seed * 1_000_003 + index
    n_grouped = int(batch_size * grouped) // group_size * group_size
    parts_images, parts_texts = [], []
    if n_grouped:
        factors = grouped_factors(n_grouped, group_size, batch_seed * 7 + 1)
        parts_images.append(render(factors)[0])
        parts_texts += compositional_captions(factors, batch_seed * 7 + 2, detail=0.7)
    if n_grouped < batch_size:
        images, texts = _random_views(batch_size - n_grouped, batch_seed, region_views)
        parts_images.append(images)
        parts_texts += texts
    return torch.cat(parts_images), parts_texts


def _random_views(batch_size: int, batch_seed: int, region_views: float) -> tuple[torch.Tensor, list[str]]:
    batch = render_shapes(batch_size, seed=batch_seed)
    gen = torch.Generator().manual_seed(batch_seed)
    rng = random.Random(batch_seed)
    images = batch.images.clone()
    view = torch.rand(batch_size, generator=gen)
    masked = view < region_views * 0.55
    cropped = (view >= region_views * 0.55) & (view < region_views)
    region = masked | cropped
    boxes = _box_masks(batch.masks, gen)
    if masked.any():
        shape_masks = (F.max_pool2d(batch.masks, 5, stride=1, padding=2) > 0.5).float()  # the object, dilated
        use_box = (torch.rand(batch_size, generator=gen) < 0.6).view(-1, 1, 1, 1).float()
        m = use_box * boxes + (1 - use_box) * shape_masks
        images[masked] = batch.images[masked] * m[masked]
    if cropped.any():
        images[cropped] = _crop_to_mask(batch.images[cropped], boxes[cropped])
    whole = compositional_captions(batch.factors, rng.randrange(2**31))
    templated = captions(batch.factors, rng.randrange(2**31))
    regional = compositional_captions(batch.factors, rng.randrange(2**31), region=True)
    texts = [regional[i] if region[i] else (templated[i] if rng.random() < 0.3 else whole[i]) for i in range(batch_size)]
    return images, texts


def _lr(step: int, config: CLIPTrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_clip(out_dir: str | Path, config: CLIPTrainConfig = TRAINING) -> torch.nn.Module:
    """Train ``shapes-clip`` from scratch (or resume) under ``out_dir``; returns the model."""
    import open_clip
    from open_clip.loss import ClipLoss

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    model = build_open_clip({"model_name": MODEL_NAME}).train()
    for p in model.parameters():
        p.requires_grad_(True)
    tokenizer = open_clip.get_tokenizer(MODEL_NAME)
    mean = torch.tensor(model.visual.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(model.visual.image_std).view(1, 3, 1, 1)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                            lr=config.lr, betas=(0.9, 0.98), eps=1e-6)
    loss_fn = ClipLoss()
    dtype = autocast_dtype(config.mixed_precision)
    state_path, step = out / "state.pt", 0
    if state_path.exists():
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = int(state["step"])

    def checkpoint() -> None:
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "config": json.dumps(asdict(config))}, buffer)
        atomic_write_bytes(state_path, buffer.getvalue())

    bar = tqdm(total=config.steps, initial=step, desc="train shapes-clip", unit="step")
    started = time.perf_counter()
    try:
        with open(out / "log.jsonl", "a") as log:
            while step < config.steps:
                images, texts = training_batch(config.batch_size, step, config.seed, config.region_views, config.grouped,
                                               config.group_size)
                for group in opt.param_groups:
                    group["lr"] = _lr(step, config)
                with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                    image_features = F.normalize(model.encode_image((images - mean) / std).float(), dim=-1)
                    text_features = F.normalize(model.encode_text(tokenizer(texts)).float(), dim=-1)
                loss = loss_fn(image_features, text_features, model.logit_scale.exp())
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                with torch.no_grad():
                    model.logit_scale.clamp_(0, math.log(100))
                step += 1
                bar.update(1)
                if step % config.log_every == 0:
                    with torch.no_grad():
                        top1 = (image_features @ text_features.T).argmax(dim=1).eq(torch.arange(len(texts))).float().mean()
                    record = {"step": step, "loss": round(loss.item(), 4), "batch_top1": round(top1.item(), 4),
                              "logit_scale": round(model.logit_scale.exp().item(), 2),
                              "seconds": round(time.perf_counter() - started, 1)}
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                    bar.set_postfix(loss=record["loss"], top1=record["batch_top1"])
                if step % config.checkpoint_every == 0 or step == config.steps:
                    checkpoint()
    except KeyboardInterrupt:
        checkpoint()
        bar.write(f"interrupted at step {step}; state saved to {state_path} (run again to resume)")
    finally:
        bar.close()
    return model.eval()


def _kept_token_rows(model: torch.nn.Module, seed: int) -> list[int]:
    """Ids of the token rows worth storing: those training moved from their initial values (the captions' tokens),
    and those of the held-out zero-shot texts (:mod:`latentlab.metrics.zero_shot`), whose initial values it reads."""
    import open_clip

    from latentlab.metrics.zero_shot import HELD_OUT_TEMPLATES, TASK_PROMPTS

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        initial = build_open_clip({"model_name": MODEL_NAME}).token_embedding.weight.detach()
    moved = (model.token_embedding.weight.detach().cpu() != initial).any(dim=1).nonzero()[:, 0].tolist()
    texts = [t.format(p) for prompts in TASK_PROMPTS.values() for p in prompts.values() for t in HELD_OUT_TEMPLATES]
    read = open_clip.get_tokenizer(MODEL_NAME)(texts).unique().tolist()
    return sorted(set(moved) | set(read))


def export(model: torch.nn.Module, path: str | Path, *, steps: int, seed: int = 0) -> Path:
    """Save the trained model as a latentlab safetensors file (open_clip config name in the metadata): float16, and
    of the token table only the rows of :func:`_kept_token_rows` (the others, never trained, a seeded fill of the
    initial spread: :mod:`latentlab.zoo.compact_weights`) — about 4 MB instead of 20, zero-shot accuracy unchanged."""
    return save_model(model, path, "OpenCLIP", {"model_name": MODEL_NAME},
                      metadata={"recipe": "latentlab.recipes.shapes_clip", "steps": str(steps), "seed": str(seed)},
                      half=True, compact={"token_embedding.weight": (_kept_token_rows(model, seed), TOKEN_FILL_SEED, 0.02)})


def train(out_dir: str | Path, *, steps: int | None = None, seed: int = 0, weights_path: str | Path | None = None) -> Path:
    """Run the recipe; writes logs and a resumable state under ``out_dir`` and the weights file."""
    config = replace(TRAINING, seed=seed, **({"steps": steps} if steps else {}))
    model = train_clip(out_dir, config)
    return export(model, weights_path or Path(out_dir) / f"{MODEL_NAME}.safetensors", steps=config.steps, seed=seed)
