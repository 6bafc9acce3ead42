"""Generators: the base contract and one module per family."""

from latentlab.generators.base import Generator, SplitGenerator
from latentlab.generators.biggan import BigGAN, BigGANConfig
from latentlab.generators.biggan_deep import BigGANDeep, BigGANDeepConfig
from latentlab.generators.compact_biggan import CompactBigGAN, CompactBigGANConfig
from latentlab.generators.compact_stylegan import CompactStyleGAN, CompactStyleGANConfig
from latentlab.generators.imagenet_classes import imagenet_class_index, imagenet_class_names, search_imagenet_classes
from latentlab.generators.module_adapter import ModuleGenerator
from latentlab.generators.style import StyleGenerator
from latentlab.generators.stylegan2 import StyleGAN2, StyleGAN2Config

__all__ = ["BigGAN", "BigGANConfig", "BigGANDeep", "BigGANDeepConfig", "CompactBigGAN", "CompactBigGANConfig", "CompactStyleGAN", "CompactStyleGANConfig", "Generator",
           "ModuleGenerator", "SplitGenerator", "StyleGAN2", "StyleGAN2Config", "StyleGenerator",
           "imagenet_class_index", "imagenet_class_names", "search_imagenet_classes"]
