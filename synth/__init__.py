"""synth: image synthesis with a single robust classifier.

Public API: ``load_model``; the primitive ``pgd`` with its constraints and objectives;
the tasks ``generate``, ``inpaint``, ``translate``, ``super_resolve``, ``sketch_to_image``,
``paint_features``, ``attack_grid``, ``boost``, ``interpolate``; ``presets`` and ``seeds``.
Nothing is loaded at import time.
"""
from . import effect, presets, seeds
from .constraints import BlockMeanConsistent, L2Ball, LinfBall, Masked, Unconstrained, ball
from .model import RobustClassifier, Robustness
from .objectives import Objective, Outputs, activation, class_score, feature_match, masked_distance
from .pgd import PGDResult, pgd
from .sources import ModelUnavailableError, bundled_names, load_model, wrap
from .tasks import (assign_labels, attack_grid, boost, comparable_linf_eps, corrupt, estimate_debias,
                    interpolate, downsample, edge_sketch, generate, harmonic_fill, inpaint, paint_features, random_patch_mask, telea_fill,
                    sketch_to_image, super_resolve, translate, upsample)

__version__ = "0.1.0"
__all__ = [
    "load_model", "wrap", "bundled_names", "ModelUnavailableError", "RobustClassifier", "Robustness",
    "pgd", "PGDResult", "L2Ball", "LinfBall", "Unconstrained", "Masked", "BlockMeanConsistent", "ball",
    "Objective", "Outputs", "class_score", "activation", "feature_match", "masked_distance",
    "boost", "estimate_debias", "assign_labels", "comparable_linf_eps", "interpolate",
    "generate", "inpaint", "translate", "super_resolve", "sketch_to_image", "paint_features", "attack_grid",
    "random_patch_mask", "edge_sketch", "corrupt", "harmonic_fill", "telea_fill", "downsample", "upsample", "presets", "seeds", "effect",
]
