"""RobustBench's model zoo (``robustbench:<dataset>/<threat model>/<name>``, e.g.
``robustbench:cifar10/L2/Rade2021Helper_R18_ddpm``), loaded by the ``robustbench`` package's own loader from
``<SYNTH_MODEL_DIR>/robustbench/<dataset>/<threat model>/<name>.pt``, where it keeps its downloads.

RobustBench's models take [0, 1] images and normalise inside, so the wrapper's normalisation is the identity;
R(x) is the input of the final linear layer (:func:`synth.wrap`). The card records the threat model and radius
of the leaderboard (CIFAR: L2 0.5, Linf 8/255; ImageNet: Linf 4/255), its address, and under ``reported`` what
RobustBench reports for the model (clean and AutoAttack accuracy, architecture, venue, extra data). The PyPI wheel
has no ``model_info``; ``robustbench_info.json`` beside this module is extracted from the repository's
``model_info/`` by ``python -m synth.sources.robustbench_info <robustbench checkout>``.

The ``robustbench`` package (1.1.1 on PyPI) imports ``autoattack``, which PyPI ships as ``pyautoattack``, and
``pkg_resources`` (setuptools < 81): :func:`import_robustbench` maps the first and says what to install for the second.
"""
from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from ..data import CIFAR10_CLASSES
from ..model import RobustClassifier, Robustness
from .download import model_dir, require_network, unavailable
from .wrapped import wrap

PREFIX = "robustbench:"
LEADERBOARD = "https://robustbench.github.io"
RADIUS = {("cifar10", "L2"): ("l2", 0.5), ("cifar10", "Linf"): ("linf", 8 / 255), ("cifar100", "L2"): ("l2", 0.5),
          ("cifar100", "Linf"): ("linf", 8 / 255), ("imagenet", "Linf"): ("linf", 4 / 255)}
SIZES = {"cifar10": 32, "cifar100": 32, "imagenet": 224}
INFO = Path(__file__).with_name("robustbench_info.json")


def import_robustbench():
    """The ``robustbench`` package, with ``autoattack`` provided by PyPI's ``pyautoattack`` when needed.

    Raises:
        ModuleNotFoundError: robustbench (or a dependency) is not installed, with what to install.
    """
    if "autoattack" not in sys.modules and importlib.util.find_spec("autoattack") is None:
        try:
            pyautoattack = importlib.import_module("pyautoattack")
        except ModuleNotFoundError:
            raise ModuleNotFoundError("RobustBench needs AutoAttack: pip install pyautoattack") from None
        sys.modules["autoattack"] = pyautoattack
        for sub in pkgutil.iter_modules(pyautoattack.__path__):
            try:  # its TensorFlow helpers need TensorFlow; robustbench does not use them
                sys.modules[f"autoattack.{sub.name}"] = importlib.import_module(f"pyautoattack.{sub.name}")
            except ImportError:
                continue
    try:
        import robustbench.utils  # noqa: F401
    except ModuleNotFoundError as err:
        hint = 'pip install "setuptools<81"' if err.name == "pkg_resources" else f"pip install {err.name}"
        raise ModuleNotFoundError(f"RobustBench could not be imported ({err}): {hint}") from None
    import robustbench
    return robustbench


def parse(name: str) -> tuple[str, str, str]:
    """``"robustbench:cifar10/L2/Name"`` -> ("cifar10", "L2", "Name")."""
    body = name[len(PREFIX):] if name.startswith(PREFIX) else name
    parts = body.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"a RobustBench model is named robustbench:<dataset>/<threat model>/<name>, e.g. "
                         f"robustbench:cifar10/L2/Rade2021Helper_R18_ddpm; not {name!r}")
    return parts[0], parts[1], parts[2]


def weights_path(name: str) -> Path:
    dataset, threat, key = parse(name)
    return model_dir() / "robustbench" / dataset / threat / f"{key}.pt"


def zoo(dataset: str, threat: str) -> dict:
    """RobustBench's model entries for a data set and threat model (name -> {"model": builder, "gdrive_id": ...})."""
    import_robustbench()
    from robustbench.model_zoo import model_dicts
    from robustbench.model_zoo.enums import BenchmarkDataset, ThreatModel
    try:
        return model_dicts[BenchmarkDataset(dataset)][ThreatModel(threat)]
    except (ValueError, KeyError):
        raise ValueError(f"RobustBench has no {dataset}/{threat} leaderboard") from None


@functools.lru_cache(maxsize=1)
def _info() -> dict:
    return json.loads(INFO.read_text())["models"] if INFO.exists() else {}


def reported(dataset: str, threat: str, key: str) -> dict | None:
    """What RobustBench reports for a model: {"clean_acc": 90.57, "autoattack_acc": 76.15, "architecture": ...} in
    percent, or None for a model its model_info does not list."""
    return _info().get(f"{dataset}/{threat}/{key}")


def load(name: str, device=None) -> RobustClassifier:
    dataset, threat, key = parse(name)
    entries = zoo(dataset, threat)
    if key not in entries:
        raise ValueError(f"RobustBench has no {dataset}/{threat} model {key!r}; e.g. {', '.join(list(entries)[:5])}")
    path = weights_path(name)
    if not path.exists():
        require_network(path.name, "https://drive.google.com (RobustBench's model zoo)", path)
    from robustbench.utils import load_model as robustbench_load
    try:
        net = robustbench_load(key, model_dir=model_dir() / "robustbench", dataset=dataset, threat_model=threat)
    except Exception as err:  # noqa: BLE001 - gdown and requests raise their own errors
        if not path.exists():
            raise unavailable(path.name, "RobustBench's model zoo (Google Drive)", path, err) from None
        raise
    norm, eps = RADIUS.get((dataset, threat), (threat.lower(), None))
    classes = CIFAR10_CLASSES if dataset == "cifar10" else [str(i) for i in range(100 if dataset == "cifar100" else 1000)]
    return wrap(net, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), classes=classes, input_size=SIZES.get(dataset, 32),
                robust=Robustness(norm, eps) if eps else None, dataset=dataset, name=name,
                card={"source": f"RobustBench {dataset}/{threat}/{key}", "threat_model": threat,
                      "leaderboard": f"{LEADERBOARD}/#div_{dataset}_{threat}_heading",
                      "reported": reported(dataset, threat, key)}).to(device or "cpu")


def is_local(name: str) -> bool:
    return weights_path(name).exists()

