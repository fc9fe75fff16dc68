"""The one way checkpoints are read, and the errors every source raises.

Every checkpoint is read with ``torch.load(weights_only=True)`` and a short explicit allow-list
(:data:`SAFE_GLOBALS`); anything whose unpickling would run code is refused with
:class:`UnsafeCheckpointError`. A model whose weights are not here and cannot be downloaded now
raises :class:`ModelUnavailableError` naming the file, its source and where to put it.
"""
from __future__ import annotations

import argparse
import contextlib
import pickle

import torch

_torch_load = torch.load  # the real one, even while robustness_lib.on_device() patches torch.load


class ModelUnavailableError(RuntimeError):
    """A model's weights are not on this machine and cannot be downloaded now."""


class UnsafeCheckpointError(ValueError):
    """The checkpoint holds pickled objects whose loading would run code."""


def _numpy_globals():
    import numpy as np
    out = [np.dtype, np.ndarray]
    for mod in ("numpy._core.multiarray", "numpy.core.multiarray"):
        with contextlib.suppress(Exception):
            m = __import__(mod, fromlist=["scalar", "_reconstruct"])
            out += [m.scalar, m._reconstruct]
    out += [type(np.dtype(t)) for t in ("float32", "float64", "int64", "int32")]
    return out


# Objects found in published robustness checkpoints besides tensors: the training
# arguments (argparse.Namespace) and numpy scalars/arrays in the logs.
SAFE_GLOBALS = [argparse.Namespace, *_numpy_globals()]


def safe_load(path, map_location="cpu"):
    """``torch.load(path, weights_only=True)`` with :data:`SAFE_GLOBALS` allowed.

    Raises:
        UnsafeCheckpointError: the file needs code execution to unpickle.
    """
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return _torch_load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f"refused to load {path}: unpickling it would run code or build objects outside the allow-list "
            f"({str(err).splitlines()[0]}). Only tensors and state dicts are accepted; re-save the "
            f"checkpoint as a plain state dict if you trust it.") from None
