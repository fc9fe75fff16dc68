"""Downloads of published weights, checked before they start: offline mode and an unreachable
host fail at once with a :class:`ModelUnavailableError` (never after a client's retries)."""
from __future__ import annotations

import os
import socket
from pathlib import Path

from .safe import ModelUnavailableError


def model_dir() -> Path:
    return Path(os.environ.get("SYNTH_MODEL_DIR", Path.home() / ".cache" / "synth" / "models"))


def offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("SYNTH_OFFLINE", "HF_HUB_OFFLINE"))


def unreachable(url: str, timeout: float = 3.0) -> OSError | None:
    """The error of a TCP connection to ``url``'s host, or None when it connects.

    Checked before a download so that a machine without network gets its
    :class:`ModelUnavailableError` in at most ``timeout`` seconds, instead of after the
    hub client's retries with back-off (~40 s, which the app's users would wait).
    """
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=timeout).close()
    except OSError as err:
        return err
    return None


def require_network(filename, source, dest) -> None:
    """Raise :class:`ModelUnavailableError` before any download when offline mode is set or the
    source's host does not answer (so the caller never waits on a client's retries)."""
    if offline():
        raise unavailable(filename, source, dest)
    if err := unreachable(source):
        raise unavailable(filename, source, dest, err)


def unavailable(filename, source, dest, err=None) -> ModelUnavailableError:
    why = f" ({type(err).__name__}: {err})" if err else " (offline mode)"
    return ModelUnavailableError(
        f"the weights file {filename} is not on this machine and could not be downloaded{why}. It comes from {source}. "
        f"Download it elsewhere and put it at {dest}, or pass its path to synth.load_model().")
