"""Run the notebooks in full mode, in place, and put their tables into docs/reproducing.md.

    python -m bench.notebook_results                 # all notebooks, full mode (their run times: docs/reproducing.md)
    python -m bench.notebook_results 05 08           # only these (by number prefix)
    python -m bench.notebook_results --collect-only  # just re-read the executed notebooks into docs/reproducing.md

The notebooks are committed executed in full mode (their default, ``quick = False``), figures and
tables inline, so a reader sees the reproduction on GitHub without running anything; this script
refreshes them. Every observation in a notebook is formatted from its outputs and asserted against
them (``synth.measures.claims``): a full-mode run whose outputs contradict a sentence fails here, naming it.
Each notebook also writes its figures and ``table_*.md`` files to
``results/<notebook>/`` (ignored by git); the papermill metadata of the executed notebook gives the
run time reported here. CI runs every notebook in quick mode on a copy (tests/test_notebooks.py).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench._report import ROOT, report

NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "results"
RESULTS_JSON = ROOT / "bench" / "results" / "notebooks.json"
ROBUSTNESS_LEVEL_NOTE = ("The same ResNet-18 (width 32) at L2 training radius 0 (`cifar10-standard`), 0.25 (`cifar10-l2-eps0_25`), "
                         "0.5 (`cifar10-l2`) and 1.0 (`cifar10-l2-eps1`): generation from one set of seeds at the default "
                         "preset and translation of the same test images, judged by `cifar10-evaluator` (notebook 08, "
                         "full mode, where each number is asserted next to its output).")


def run(path: Path) -> None:
    """Execute ``path`` in full mode and write it back with its outputs (no parameters injected: full is the default)."""
    import papermill
    papermill.execute_notebook(str(path), str(path), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=True)


def collect(previous: dict | None = None) -> tuple[dict, str]:
    """Each executed notebook's run time and its ``results/<notebook>/table_*.md`` tables; a notebook whose tables are
    not on this machine (results/ is not committed) keeps the ones ``previous`` (the last bench/results/notebooks.json)
    has, so that running one notebook does not drop the others' tables."""
    previous = previous or {}
    data, parts = {}, []
    for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        tables = {t.stem: t.read_text().strip() for t in sorted((RESULTS / path.stem).glob("table_*.md"))}
        tables = tables or previous.get(path.stem, {}).get("tables", {})
        meta = json.loads(path.read_text())["metadata"].get("papermill", {})
        if not meta and not tables:
            parts.append(f"**{path.stem}**: not run in full mode yet.")
            continue
        minutes = (meta.get("duration") or 0) / 60  # None while papermill is still running it
        failed = meta.get("exception")
        day = (meta.get("start_time") or "")[:10]
        entry = {"minutes": round(minutes, 1), "failed": bool(failed), "day": day, "tables": tables}
        state = ", FAILED" if failed else ("" if minutes else ", unfinished")
        head = f"**{path.stem}** (full mode, {day}, {minutes:.0f} min{state})"
        parts.append(head + (":" if tables else ": no tables (figures only, in `results/`)."))
        parts += [f"`{name}`\n\n{text}" for name, text in tables.items()]
        data[path.stem] = entry
    return data, "\n\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("only", nargs="*", help="notebook number prefixes, e.g. 01 08 (default: all)")
    p.add_argument("--collect-only", action="store_true", help="do not run, only collect results/ into docs/reproducing.md")
    args = p.parse_args(argv)
    if not args.collect_only:
        RESULTS.mkdir(exist_ok=True)
        for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
            if not args.only or any(path.stem.startswith(o) for o in args.only):
                run(path)
    saved = RESULTS_JSON.read_text() if RESULTS_JSON.exists() else "{}"
    data, markdown = collect(json.loads(saved).get("notebooks"))
    report("notebooks", {"notebooks": data}, markdown, doc="docs/reproducing.md")
    level = data.get("08_model_ablation", {}).get("tables", {}).get("table_robustness_level")
    if level:  # the robustness-level ablation also belongs with the other robust-vs-standard results
        report("robustness_level", {"table": level}, ROBUSTNESS_LEVEL_NOTE + "\n\n" + level, doc="docs/results.md")


if __name__ == "__main__":
    main()
