"""Refresh ``synth/sources/robustbench_info.json``, what RobustBench reports for each model of its zoo, from a
checkout of https://github.com/RobustBench/robustbench (the PyPI wheel has no ``model_info/``).

    git clone https://github.com/RobustBench/robustbench /tmp/robustbench
    python -m synth.sources.robustbench_info /tmp/robustbench
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from .robustbench_models import INFO

INFO_FIELDS = ("clean_acc", "autoattack_acc", "corruptions_acc", "reported", "eps", "architecture", "venue", "link",
               "additional_data", "unreliable")


def extract_info(checkout: Path) -> dict:
    """RobustBench's ``model_info/<dataset>/<threat>/<name>.json`` files of a repository checkout, reduced to
    :data:`INFO_FIELDS` (accuracies as numbers), keyed ``<dataset>/<threat>/<name>``."""
    models = {}
    for path in sorted((checkout / "model_info").glob("*/*/*.json")):
        entry = json.loads(path.read_text())
        out = {}
        for k in INFO_FIELDS:
            if k in entry and entry[k] not in ("", None):
                v = entry[k]
                if k.endswith("_acc") or k == "reported":  # percent as text; some entries say "null"
                    try:
                        v = float(v)
                    except (TypeError, ValueError):
                        continue
                out[k] = v
        models[f"{path.parent.parent.name}/{path.parent.name}/{path.stem}"] = out
    if not models:
        raise FileNotFoundError(f"no model_info/<dataset>/<threat>/<name>.json under {checkout}")
    return models


def write_info(checkout: Path, out: Path = INFO) -> int:
    """Write :data:`INFO` from a checkout of github.com/RobustBench/robustbench; returns the number of models."""
    models = extract_info(checkout)
    try:
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    out.write_text(json.dumps({"source": "https://github.com/RobustBench/robustbench model_info/", "commit": commit,
                               "models": models}, indent=1, sort_keys=True) + "\n")
    return len(models)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m synth.sources.robustbench_info", description=__doc__.splitlines()[0])
    p.add_argument("checkout", type=Path, help="a checkout of github.com/RobustBench/robustbench")
    args = p.parse_args(argv)
    print(f"wrote {INFO} ({write_info(args.checkout)} models)")


if __name__ == "__main__":
    main()
