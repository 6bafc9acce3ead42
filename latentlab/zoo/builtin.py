"""The built-in registry entries: embedded models and known external ones."""

from __future__ import annotations

from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.probes.shapes_probe import ShapesProbe, ShapesProbeConfig
from latentlab.zoo.registry import ModelEntry, register_architecture, register_model

register_architecture("CompactBigGAN", lambda cfg: CompactBigGAN(CompactBigGANConfig.from_json(cfg)))
register_architecture("ShapesProbe", lambda cfg: ShapesProbe(ShapesProbeConfig.from_json(cfg)))

_OWN = "MIT (latentlab's own weights)"
for _entry in (
    ModelEntry("shapes-biggan", "generator", "CompactBigGAN", "package:shapes-biggan.safetensors", _OWN,
               "class-conditional compact BigGAN, 64 px, trained on the Shapes world",
               recipe="latentlab.zoo.recipes.shapes_biggan"),
    ModelEntry("shapes-probe", "probe", "ShapesProbe", "package:shapes-probe.safetensors", _OWN,
               "CNN predicting a Shapes image's class, hue, x, y, scale and mask",
               recipe="latentlab.zoo.recipes.shapes_probe"),
    ModelEntry("biggan-deep-128", "generator", "BigGANDeep", "hf-hub:huggingface/biggan-deep-128", "Apache-2.0",
               "BigGAN-deep, ImageNet, 128 px (pytorch-pretrained-BigGAN format)", loadable=False),
    ModelEntry("biggan-deep-256", "generator", "BigGANDeep", "hf-hub:huggingface/biggan-deep-256", "Apache-2.0",
               "BigGAN-deep, ImageNet, 256 px (pytorch-pretrained-BigGAN format)", loadable=False),
    ModelEntry("biggan-deep-512", "generator", "BigGANDeep", "hf-hub:huggingface/biggan-deep-512", "Apache-2.0",
               "BigGAN-deep, ImageNet, 512 px (pytorch-pretrained-BigGAN format)", loadable=False),
    ModelEntry("ViT-B-32/openai", "clip", "open_clip:ViT-B-32", "open_clip:openai", "MIT (OpenAI CLIP)",
               "CLIP ViT-B/32 through open_clip's cache", loadable=False),
    ModelEntry("inception-v3-fid", "metric", "torch-fidelity:inception-v3-compat", "torch-fidelity", "Apache-2.0",
               "torch-fidelity's Inception for IS/FID/KID", loadable=False),
):
    register_model(_entry)
