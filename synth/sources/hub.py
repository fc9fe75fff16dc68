"""Models on the Hugging Face Hub (``hf:OWNER/REPO[@REVISION]``): a repository laid out by
``python -m synth.hub export`` (``config.json``, the card, and ``model.safetensors``), fetched with
``huggingface_hub`` (its cache, revision pinning, ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and tokens all
honoured) and built by the same loader as the bundled models.
"""
from __future__ import annotations

import json

from ..model import RobustClassifier
from .card import HUB_CONFIG, HUB_WEIGHTS, from_card
from .safe import ModelUnavailableError


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The errors of a request that got no answer, whichever HTTP client this huggingface_hub uses (requests' are
    OSErrors; httpx's and its fork httpx2's are not)."""
    import importlib
    errors = [OSError]
    for module in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


TRANSPORT_ERRORS = _transport_errors()

PREFIX = "hf:"


def parse(ref: str) -> tuple[str, str | None]:
    """``"hf:OWNER/REPO@REV"`` or ``"OWNER/REPO@REV"`` -> (repo id, revision or None).

    Raises:
        ValueError: not of the form OWNER/REPO.
    """
    ref = ref[len(PREFIX):] if ref.startswith(PREFIX) else ref
    repo_id, _, revision = ref.partition("@")
    owner, _, name = repo_id.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"a Hub model is named hf:OWNER/REPO or hf:OWNER/REPO@REVISION, not {PREFIX}{ref!r}")
    return repo_id, revision or None


PROBE_TIMEOUT = 3.0  # seconds the Hub has to answer before a model id is reported unavailable


def download(ref: str, filename: str) -> str:
    """Local path of ``filename`` in the Hub repository ``ref`` (``OWNER/REPO[@REVISION]``), downloaded once
    into the Hub cache; a cached copy is used when the Hub cannot be reached or offline mode is set.

    Raises:
        ModelUnavailableError: not cached and the Hub cannot be reached (or ``HF_HUB_OFFLINE=1``).
        ValueError: the repository, the revision or the file does not exist (or is gated and no token allows it).
    """
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError,
                                        OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError)
    repo_id, revision = parse(ref)
    at = f"{repo_id}@{revision}" if revision else repo_id
    try:
        if not constants.HF_HUB_OFFLINE and not cached(ref, filename):
            # One request with a short timeout first: when the Hub does not answer (no network, a stalled host),
            # hf_hub_download retries with back-off and then again with a 60-s timeout, minutes in all.
            try:
                get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision), timeout=PROBE_TIMEOUT)
            except HfHubHTTPError:
                raise  # the Hub answered (no such repository, revision or file): reported below
            except TRANSPORT_ERRORS as err:  # refused, unresolved, timed out
                raise LocalEntryNotFoundError(f"{constants.ENDPOINT} did not answer ({type(err).__name__})") from err
        return hf_hub_download(repo_id, filename, revision=revision)
    except (RepositoryNotFoundError, GatedRepoError) as err:
        raise ValueError(f"the Hub repository {repo_id} does not exist or needs a token that allows it "
                         f"(HF_TOKEN or `hf auth login`): {type(err).__name__}") from None
    except RevisionNotFoundError:
        raise ValueError(f"the Hub repository {repo_id} has no revision {revision!r}") from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as err:
        why = "offline mode is set (HF_HUB_OFFLINE)" if constants.HF_HUB_OFFLINE else f"the Hub ({constants.ENDPOINT}) could not be reached"
        raise ModelUnavailableError(
            f"the file {filename} of the Hub repository {at} is not in this machine's Hub cache and {why}. "
            f"Download it where the Hub can be reached (`hf download {repo_id} {filename}`"
            f"{' --revision ' + revision if revision else ''}) and copy the cache ({constants.HF_HUB_CACHE}).") from err
    except EntryNotFoundError:
        raise ValueError(f"the Hub repository {at} has no file {filename}; synth models hold {HUB_CONFIG} and "
                         f"{HUB_WEIGHTS} (python -m synth.hub export)") from None
    except HfHubHTTPError as err:
        raise ModelUnavailableError(f"the Hub could not serve {filename} of {at}: {err}") from None


def cached(ref: str, filename: str) -> bool:
    """Whether ``filename`` of ``ref`` is in the Hub cache (asks no network)."""
    from huggingface_hub import try_to_load_from_cache
    repo_id, revision = parse(ref)
    return isinstance(try_to_load_from_cache(repo_id, filename, revision=revision), str)


def load(name: str, device=None) -> RobustClassifier:
    """``hf:OWNER/REPO[@REVISION]``: the card from ``config.json``, the weights from ``model.safetensors``."""
    with open(download(name, HUB_CONFIG)) as f:
        card = json.load(f)
    return from_card(card, download(name, HUB_WEIGHTS), device, where=name)


def is_local(name: str) -> bool:
    return cached(name, HUB_CONFIG) and cached(name, HUB_WEIGHTS)
