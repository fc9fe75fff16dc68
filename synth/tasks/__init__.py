"""One module per task, each with its function and its :class:`~synth.tasks.registry.Task` declaration; all of them
call ``synth.pgd.pgd``. The modules are found here, not listed: a new task is a new module (see ``registry``).
Exported: every module's public functions and classes (its ``__all__`` where it has one; each task's result type
lives beside its function), the shared result bases, and
the registry (``TASKS``, ``registered()``, ``Task``, ``Batch``)."""
import importlib as _importlib
import inspect as _inspect
import pkgutil as _pkgutil

from .registry import TASKS, Batch, BenchRow, Option, Task, by_cli, registered
from .results import ImageToImageResult, TaskResult

__all__ = ["TASKS", "registered", "by_cli", "Task", "Batch", "BenchRow", "Option",
           "TaskResult", "ImageToImageResult"]


def _public(module) -> list[str]:
    """A task module's exports: its ``__all__``, else the functions and classes it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [n for n, v in vars(module).items() if not n.startswith("_") and (_inspect.isfunction(v) or _inspect.isclass(v))
            and v.__module__ == module.__name__]


for _info in _pkgutil.iter_modules(__path__):
    if _info.name.startswith("_") or _info.name in ("registry", "results"):
        continue
    _module = _importlib.import_module(f".{_info.name}", __name__)
    for _name in _public(_module):
        globals()[_name] = getattr(_module, _name)
        if _name not in __all__:
            __all__.append(_name)
