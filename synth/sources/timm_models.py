"""timm's classifiers (``timm:NAME`` or ``timm:NAME@WEIGHTS``): created by ``timm.create_model``, their
normalisation, input size and class names from timm's pretrained config, wrapped by :func:`synth.wrap`.

``timm:NAME`` loads timm's pretrained weights (from the Hugging Face Hub through timm; offline and not cached:
:class:`ModelUnavailableError`); ``timm:NAME@PATH`` loads a local checkpoint (safetensors or a state dict), its
class count read from the file.
"""
from __future__ import annotations

from pathlib import Path

from ..model import RobustClassifier
from .safe import ModelUnavailableError, safe_load

PREFIX = "timm:"


def parse(name: str) -> tuple[str, str | None]:
    """``"timm:NAME@PATH"`` -> (NAME, PATH or None)."""
    body = name[len(PREFIX):] if name.startswith(PREFIX) else name
    arch, _, path = body.partition("@")
    if not arch:
        raise ValueError(f"a timm model is named timm:NAME or timm:NAME@PATH, not {name!r}")
    return arch, path or None


def _state_dict(path: str) -> dict:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file
        return load_file(path)
    state = safe_load(path)
    return state.get("state_dict", state.get("model", state)) if isinstance(state, dict) else state


def load(name: str, device=None) -> RobustClassifier:
    import timm
    from .wrapped import wrap
    arch, path = parse(name)
    if arch not in timm.list_models() and arch.split(".")[0] not in timm.list_models():
        raise ValueError(f"timm has no model {arch!r} (see timm.list_models())")
    if path is not None:
        if not Path(path).is_file():
            raise ValueError(f"no weights file {path}")
        state = _state_dict(path)
        probe = timm.create_model(arch, pretrained=False)
        head = probe.pretrained_cfg.get("classifier", "fc")
        head = head[0] if isinstance(head, (list, tuple)) else head
        if f"{head}.weight" not in state:
            raise ValueError(f"{path} has no {head}.weight: not a {arch} checkpoint")
        net = timm.create_model(arch, pretrained=False, num_classes=state[f"{head}.weight"].shape[0])
        net.load_state_dict(state)
    else:
        try:
            net = timm.create_model(arch, pretrained=True)
        except Exception as err:  # noqa: BLE001 - timm raises what its download backend raises
            raise ModelUnavailableError(f"timm could not fetch the pretrained weights of {arch} ({type(err).__name__}: "
                                        f"{str(err).splitlines()[0] if str(err) else ''}); pass a local file as "
                                        f"timm:{arch}@PATH") from None
    cfg = net.pretrained_cfg
    classes = _class_names(net.num_classes)
    size = tuple(cfg.get("input_size", (3, 224, 224))[1:])
    return wrap(net, mean=cfg.get("mean", (0.485, 0.456, 0.406)), std=cfg.get("std", (0.229, 0.224, 0.225)),
                classes=classes, input_size=size, dataset="imagenet" if net.num_classes == 1000 else "custom",
                name=name, card={"source": f"timm {arch}", "pretrained_cfg": {k: v for k, v in cfg.items()
                                                                            if isinstance(v, (str, int, float, tuple))}}
                ).to(device or "cpu")


def _class_names(k: int) -> list[str]:
    if k == 1000:
        from timm.data import ImageNetInfo
        info = ImageNetInfo()
        return [info.index_to_description(i).split(",")[0] for i in range(k)]
    return [str(i) for i in range(k)]


def is_local(name: str) -> bool:
    arch, path = parse(name)
    return path is not None and Path(path).is_file()
