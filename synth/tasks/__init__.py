"""One module per task, one public function each; all of them call ``synth.pgd.pgd``."""
from .attack_grid import attack_grid
from .generate import generate
from .inpaint import corrupt, inpaint, random_patch_mask
from .paint_features import paint_features
from .sketch_to_image import sketch_to_image
from .super_resolve import downsample, super_resolve, upsample
from .translate import translate

__all__ = ["attack_grid", "generate", "inpaint", "corrupt", "random_patch_mask", "paint_features",
           "sketch_to_image", "super_resolve", "downsample", "upsample", "translate"]
