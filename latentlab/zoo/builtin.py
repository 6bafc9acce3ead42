"""The built-in registry entries: embedded models and known external ones.

Imported once by :mod:`latentlab.zoo` (so the registries are filled whenever the zoo is), and
registered with the same public :func:`~latentlab.zoo.registry.register_architecture` /
:func:`~latentlab.zoo.registry.register_model` calls a user's own models go through.
"""

from __future__ import annotations

from latentlab.generators.avae import ShapesAVAE, ShapesAVAEConfig
from latentlab.generators.biggan import BigGAN, BigGANConfig
from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.probes.shapes_probe import ShapesProbe, ShapesProbeConfig
from latentlab.zoo.open_clip_models import build_open_clip
from latentlab.zoo.registry import ModelEntry, register_architecture, register_model
from latentlab.zoo.stylegan2_checkpoints import register_stylegan2

register_architecture("CompactBigGAN", lambda cfg: CompactBigGAN(CompactBigGANConfig.from_json(cfg)))
register_architecture("ShapesAVAE", lambda cfg: ShapesAVAE(ShapesAVAEConfig.from_json(cfg)))
register_architecture("CompactStyleGAN", lambda cfg: CompactStyleGAN(CompactStyleGANConfig.from_json(cfg)))
register_architecture("ShapesProbe", lambda cfg: ShapesProbe(ShapesProbeConfig.from_json(cfg)))
register_architecture("OpenCLIP", build_open_clip)
register_architecture("BigGANDeep", lambda cfg: BigGANDeep(BigGANDeepConfig.from_json(cfg)))
register_architecture("BigGAN", lambda cfg: BigGAN(BigGANConfig.from_json(cfg)))

_OWN = "MIT (latentlab's own weights)"
for _entry in (
    ModelEntry("shapes-biggan", "generator", "CompactBigGAN", "package:shapes-biggan.safetensors", _OWN,
               "class-conditional compact BigGAN, 64 px, trained on the Shapes world",
               recipe="latentlab.recipes.shapes_biggan"),
    ModelEntry("shapes-stylegan", "generator", "CompactStyleGAN", "package:shapes-stylegan.safetensors", _OWN,
               "class-conditional compact StyleGAN2-style generator (mapping network, W/W+, style mixing), 64 px, "
               "trained on the Shapes world", recipe="latentlab.recipes.shapes_stylegan"),
    ModelEntry("shapes-probe", "probe", "ShapesProbe", "package:shapes-probe.safetensors", _OWN,
               "CNN predicting a Shapes image's class, hue, x, y, scale and mask",
               recipe="latentlab.recipes.shapes_probe"),
    ModelEntry("shapes-clip", "clip", "OpenCLIP", "package:shapes-clip.safetensors", _OWN,
               "small CLIP (open_clip config 'shapes-clip', ViT 64 px) trained on Shapes images and captions",
               recipe="latentlab.recipes.shapes_clip"),
    *(ModelEntry(f"biggan-deep-{px}", "generator", "BigGANDeep",
                 f"https://s3.amazonaws.com/models.huggingface.co/biggan/biggan-deep-{px}-pytorch_model.bin", "Apache-2.0",
                 f"BigGAN-deep (DeepMind, converted by pytorch-pretrained-BigGAN), ImageNet, {px} px, {params} M parameters; "
                 f"downloaded into the cache on first use", size_mb=size)
      for px, params, size in ((128, 50.4, 211.0), (256, 55.9, 234.0), (512, 56.2, 236.0))),
    ModelEntry("biggan-pytorch-128", "generator", "BigGAN", "https://github.com/ajbrock/BigGAN-PyTorch (138k G_ema.pth)",
               "MIT (BigGAN-PyTorch)", "BigGAN (not deep), ImageNet, 128 px, as trained by BigGAN-PyTorch "
               "(BigGAN_ch96_bs256x8_138k); its file is put in the cache by hand", manual=True),
    *(ModelEntry(f"biggan-{px}", "generator", "BigGAN", f"https://tfhub.dev/deepmind/biggan-{px}/2 (converted)", "Apache-2.0",
                 f"BigGAN (not deep, DeepMind), ImageNet, {px} px, converted to PyTorch by BigGAN-PyTorch's "
                 f"TFHub/converter.py; its file is put in the cache by hand", manual=True)
      for px in (128, 256, 512)),
    ModelEntry("ViT-B-32/openai", "clip", "open_clip:ViT-B-32", "open_clip:openai", "MIT (OpenAI CLIP)",
               "CLIP ViT-B/32 through open_clip's cache (load_clip / CLIPAssessor); any open_clip ARCH/TAG works too",
               size_mb=605.0),
    ModelEntry("lpips-alex", "perceptual", "lpips:alex", "lpips + torchvision alexnet", "BSD-2-Clause (lpips), BSD-3-Clause (torchvision)",
               "LPIPS perceptual distance, AlexNet backbone (LPIPSDistance('alex'))", size_mb=233.0),
    ModelEntry("lpips-vgg", "perceptual", "lpips:vgg", "lpips + torchvision vgg16", "BSD-2-Clause (lpips), BSD-3-Clause (torchvision)",
               "LPIPS perceptual distance, VGG-16 backbone (LPIPSDistance('vgg'))", size_mb=528.0),
    ModelEntry("inception-v3-fid", "metric", "torch-fidelity:inception-v3-compat", "torch-fidelity", "Apache-2.0",
               "torch-fidelity's Inception for IS/FID/KID (used through torch-fidelity's own cache)", loadable=False,
               size_mb=91.2),
):
    register_model(_entry)

register_stylegan2()  # architecture "StyleGAN2" and the published stylegan2-* names
