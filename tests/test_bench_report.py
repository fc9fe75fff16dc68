"""bench/_report.py: the sentence every tuning bench writes about its preset."""
from bench._report import preset_check
from synth.presets import PRESETS

BOOST = PRESETS["synth.boost.cifar10"]


def test_preset_check_matches_the_preset():
    assert preset_check("synth.boost.cifar10", BOOST.eps, BOOST.max_prob) == "`synth.boost.cifar10` has it."


def test_preset_check_names_what_differs():
    other_cap = 0.5 if BOOST.max_prob in (None, 1) else None
    text = preset_check("synth.boost.cifar10", BOOST.eps, other_cap)
    assert "differs" in text and f"max_prob {BOOST.max_prob}" in text and "synth/presets.py" in text
    assert f"differs (eps {BOOST.eps:g}" in preset_check("synth.boost.cifar10", BOOST.eps / 2, BOOST.max_prob)


def test_preset_check_treats_none_zero_and_one_as_no_cap():
    uncapped = next(name for name, cfg in PRESETS.items() if name.startswith("synth.") and cfg.max_prob is None)
    eps = PRESETS[uncapped].eps
    for no_cap in (None, 0, 1.0):
        assert preset_check(uncapped, eps, no_cap).endswith("has it.")
    assert "differs" in preset_check(uncapped, eps, 0.95)


def test_notebook_tables_survive_a_run_of_another_notebook(tmp_path, monkeypatch):
    """results/ is not committed: collecting after running one notebook keeps the others' saved tables."""
    import json

    from bench import notebook_results
    nbs, results = tmp_path / "notebooks", tmp_path / "results"
    nbs.mkdir()
    for stem in ("01_a", "02_b"):
        (nbs / f"{stem}.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 120}}, "cells": []}))
    (results / "02_b").mkdir(parents=True)
    (results / "02_b" / "table_new.md").write_text("| new |")
    monkeypatch.setattr(notebook_results, "NOTEBOOKS", nbs)
    monkeypatch.setattr(notebook_results, "RESULTS", results)
    previous = {"01_a": {"tables": {"table_old": "| old |"}}, "02_b": {"tables": {"table_stale": "| stale |"}}}
    data, markdown = notebook_results.collect(previous)
    assert data["01_a"]["tables"] == {"table_old": "| old |"}   # kept from the last report
    assert data["02_b"]["tables"] == {"table_new": "| new |"}   # this run's tables replace the saved ones
    assert "| old |" in markdown and "| stale |" not in markdown
