"""StyleGAN2 (Karras et al., 2020) in plain PyTorch, laid out like NVIDIA's stylegan2-ada-pytorch.

The module tree and every parameter and buffer name equal those of stylegan2-ada-pytorch's
``training.networks.Generator`` (``mapping.fc0.weight``, ``mapping.w_avg``, ``synthesis.b4.const``,
``synthesis.b4.conv1.affine.weight``, ``…noise_const``, ``…noise_strength``, ``…torgb…``,
``…resample_filter``), so an official ``G_ema`` state dict loads with ``strict=True``
(see :mod:`latentlab.zoo.stylegan2_checkpoints`, which reads NVIDIA ``.pkl`` files without running
code from them, NVIDIA's older TensorFlow ``.pkl`` files and rosinality ``.pt`` files).

The package mirrors that layout: :mod:`~latentlab.generators.stylegan2.ops` (the reference ("ref")
paths of NVIDIA's custom ops, in plain PyTorch), :mod:`~latentlab.generators.stylegan2.layers`
(equalised FC and convolution layers, the mapping network, the modulated synthesis and ToRGB
layers), :mod:`~latentlab.generators.stylegan2.synthesis` (blocks in the ``skip``, ``orig`` and
``resnet`` architectures), :mod:`~latentlab.generators.stylegan2.config` (the hyper-parameters) and
:mod:`~latentlab.generators.stylegan2.generator` (the :class:`StyleGAN2` generator: W, W+,
StyleSpace, splitting, region edits).

Differences from the reference: everything is float32 (the reference's FP16 blocks,
``num_fp16_res``, are evaluated as with ``force_fp32=True``), and noise is deterministic by
default (``noise_mode="const"``: the stored ``noise_const`` maps, as ``generate.py --noise-mode=const``).
:meth:`StyleGAN2.synthesis` maps the network's [-1, 1] output to [0, 1] and clamps (as NVIDIA's
``img * 127.5 + 128`` then ``clamp(0, 255)``); :meth:`StyleGAN2.synthesis_raw` returns it unmapped.
"""

from latentlab.generators.stylegan2.config import ARCHITECTURES, StyleGAN2Config
from latentlab.generators.stylegan2.generator import NOISE_MODES, StyleGAN2, randomize_weights
from latentlab.generators.stylegan2.layers import (
    Conv2dLayer,
    FullyConnectedLayer,
    MappingNetwork,
    SynthesisLayer,
    ToRGBLayer,
)
from latentlab.generators.stylegan2.ops import (
    bias_act,
    conv2d_resample,
    modulated_conv2d,
    normalize_2nd_moment,
    setup_filter,
    upfirdn2d,
    upsample2d,
)
from latentlab.generators.stylegan2.synthesis import Regions, SynthesisBlock, SynthesisNetwork

__all__ = ["ARCHITECTURES", "NOISE_MODES", "Conv2dLayer", "FullyConnectedLayer", "MappingNetwork", "Regions", "StyleGAN2",
           "StyleGAN2Config", "SynthesisBlock", "SynthesisLayer", "SynthesisNetwork", "ToRGBLayer", "bias_act",
           "conv2d_resample", "modulated_conv2d", "normalize_2nd_moment", "randomize_weights", "setup_filter",
           "upfirdn2d", "upsample2d"]
