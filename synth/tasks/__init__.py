"""One module per task, one public function each; all of them call ``synth.pgd.pgd``."""
from .attack_grid import attack_grid
from .boost import assign_labels, boost, comparable_linf_eps, estimate_debias
from .generate import generate
from .interpolate import interpolate
from .inpaint import corrupt, harmonic_fill, inpaint, random_patch_mask, telea_fill
from .paint_features import paint_features
from .results import (AttackGridResult, BoostResult, GenerateResult, ImageToImageResult, InpaintResult, InterpolateResult,
                      PaintResult, SketchResult, SuperResolveResult, TaskResult, TranslateResult)
from .sketch_to_image import edge_sketch, sketch_to_image
from .super_resolve import downsample, super_resolve, upsample
from .translate import translate

__all__ = ["attack_grid", "boost", "estimate_debias", "assign_labels", "comparable_linf_eps", "interpolate",
           "generate", "inpaint", "corrupt", "harmonic_fill", "telea_fill", "random_patch_mask", "paint_features",
           "sketch_to_image", "edge_sketch", "super_resolve", "downsample", "upsample", "translate",
           "TaskResult", "GenerateResult", "ImageToImageResult", "TranslateResult", "SketchResult", "BoostResult", "InpaintResult",
           "SuperResolveResult", "PaintResult", "InterpolateResult", "AttackGridResult"]
