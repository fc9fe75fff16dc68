"""Each tab's request through the API (``gradio_client``), declared by the tab itself (``api_request``): the
latency bench, the soak bench and the API tests iterate the tabs instead of keeping their own tables of positional
arguments."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Uploads:
    """Files a client sends: ``image(j)`` visitor j's photo (a ``handle_file``), ``second`` another photo (an
    interpolation target), ``editor(j)`` an image-editor value with visitor j's photo and a square mask layer."""
    image: Callable[[int], object]
    second: object
    editor: Callable[[int], dict]


@dataclass
class Request:
    """A tab's default request: ``args`` in the endpoint's order; ``at`` the position of named arguments (at least
    ``compare``, ``steps``, ``model`` and, where the tab has it, ``class``); ``result`` the index of the main result
    image in the endpoint's outputs (a gallery for interpolation)."""
    endpoint: str
    args: tuple
    at: dict = field(default_factory=dict)
    result: int = 0

    def with_(self, **values) -> tuple:
        """``args`` with the named arguments replaced, e.g. ``with_(steps=3, compare=True)``."""
        out = list(self.args)
        for name, value in values.items():
            out[self.at[name]] = value
        return tuple(out)


def tab_requests(store, uploads: Uploads, j: int = 0) -> dict[str, Request]:
    """{endpoint: request} of every tab of the app, in tab order, for visitor ``j``."""
    from app import tabs
    return {r.endpoint: r for r in (tab.api_request(store, uploads, j) for tab in tabs())}
