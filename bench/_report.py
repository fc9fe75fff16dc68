"""Shared by the bench scripts: write a result as JSON under bench/results and replace
the matching section of README.md (between ``<!-- bench:NAME -->`` markers)."""
from __future__ import annotations

import json
import platform
import re
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _machine() -> str:
    from synth.pgd import bf16_is_native
    cpu = f"{platform.processor() or platform.machine()} ({torch.backends.cpu.get_cpu_capability()}"
    cpu += ", native bf16)" if bf16_is_native("cpu") else ", no native bf16)"
    return f"{cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def report(name: str, data: dict, markdown: str, doc: str = "README.md", measured: str | None = None,
           machine: str | None = None, script: str | None = None, heading: str | None = None,
           after: str | None = None) -> None:
    """Save ``data`` to bench/results/NAME.json and put ``markdown`` into the section NAME of ``doc``
    (README.md, or a page under docs/ such as ``docs/results.md``). ``measured``, ``machine`` and
    ``script`` keep a saved report's own when it is only re-rendered. A section ``doc`` does not have yet is
    added when ``heading`` is given (e.g. ``"## Colorization"``: a new task's first report), after the section
    ``after`` where that exists, else at the end.

    Raises:
        KeyError: ``doc`` has no section NAME and no ``heading`` is given."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    script = script or " ".join(["python -m bench." + Path(sys.argv[0]).stem, *sys.argv[1:]])
    data = {**data, "measured": measured or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine or _machine(), "script": script}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    readme = ROOT / doc
    text = readme.read_text()
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n\n_Measured {data['measured']} on {data['machine']} by `{script}`._\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    elif heading:
        previous = f"<!-- /bench:{after} -->"
        section = f"\n\n{heading}\n\n{block}"
        text = text.replace(previous, previous + section, 1) if after and previous in text else text.rstrip() + section + "\n"
    else:
        raise KeyError(f"{doc} has no {start} ... {end} section: add the markers where the table belongs")
    readme.write_text(text)
    print(markdown)


def preset_check(name: str, eps: float, max_prob: float | None) -> str:
    """One sentence saying whether the preset ``name`` in ``synth/presets.py`` has the bench's choice.

    Args:
        name: preset name, e.g. ``synth.boost.cifar10``.
        eps: chosen radius.
        max_prob: chosen confidence cap; ``None``, 0 or 1 all mean no cap.
    """
    from synth.presets import PRESETS
    preset = PRESETS[name]
    no_cap = (None, 0, 1)
    same_cap = (preset.max_prob in no_cap and max_prob in no_cap) or preset.max_prob == max_prob
    if preset.eps == eps and same_cap:
        return f"`{name}` has it."
    return f"`{name}` differs (eps {preset.eps:g}, max_prob {preset.max_prob}): set the choice in `synth/presets.py`."
