"""synth: image synthesis with a single robust classifier.

Public API: ``load_model``; the primitive ``pgd`` with its constraints and objectives;
every task (``synth.tasks.registered()`` lists them: generation, inpainting, translation, ...) and its
helpers; ``presets`` and ``seeds``.
Nothing is loaded at import time.
"""
from . import presets, seeds
from . import constraints
from .constraints import *  # noqa: F401,F403  every constraint (L2Ball, Masked, ...) and ball()
from .model import RobustClassifier, Robustness
from .objectives import Objective, Outputs, activation, class_score, feature_match, marginal_score, masked_distance
from .pgd import PGDResult, pgd
from .sources import ModelUnavailableError, bundled_names, load_model, wrap
from . import tasks
from .tasks import *  # noqa: F401,F403  every task and its helpers (synth.tasks finds the task modules)

__version__ = "0.1.0"
__all__ = [
    "load_model", "wrap", "bundled_names", "ModelUnavailableError", "RobustClassifier", "Robustness",
    "pgd", "PGDResult", *constraints.__all__,
    "Objective", "Outputs", "class_score", "marginal_score", "activation", "feature_match", "masked_distance",
    "presets", "seeds", "tasks", *tasks.__all__,
]
