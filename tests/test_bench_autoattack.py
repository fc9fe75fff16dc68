"""bench/autoattack.py: resumable AutoAttack records, PGD-20 on the same images, the paired report."""
import json

import pytest
import torch

from bench import autoattack


def test_pgd_gap_is_the_paired_difference():
    rows = ([{"robust": True, "pgd": True}] * 6 + [{"robust": False, "pgd": True}] * 2
            + [{"robust": False, "pgd": False}] * 2)
    gap = autoattack.pgd_gap(rows)
    assert gap["pgd_acc"] == 80 and gap["gap"] == pytest.approx(-20) and gap["broken_only_by_autoattack"] == 2
    assert 0 < gap["gap_interval"] < 40
    assert autoattack.pgd_gap([{"robust": True, "pgd": True}] * 5)["gap_interval"] == 0


@pytest.fixture
def progress(tmp_path, monkeypatch):
    monkeypatch.setattr(autoattack, "PROGRESS", tmp_path)
    return tmp_path


def test_backfill_adds_pgd_verdicts_to_saved_rows_and_keeps_the_rest(progress):
    import synth
    model = synth.load_model("cifar10-l2")
    card = json.loads((autoattack.ASSETS / "cifar10-l2.json").read_text())
    test = synth.data.load("cifar10", "test", 32)
    idx = autoattack.order(len(test))[:32].tolist()
    rows = [{"index": i, "label": int(test.labels[i]), "clean": True, "robust": k % 2 == 0} for k, i in enumerate(idx)]
    rows[0]["pgd"] = "kept"   # a row that has its verdict is not attacked again
    (progress / "cifar10-l2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    autoattack.backfill_pgd("cifar10-l2", model, test, card)
    saved = autoattack.done("cifar10-l2")
    assert [r["index"] for r in saved] == idx and [r["robust"] for r in saved] == [r["robust"] for r in rows]
    assert saved[0]["pgd"] == "kept" and all(isinstance(r["pgd"], bool) for r in saved[1:])
    with torch.no_grad():
        clean = (model(test.images[idx[1:]].float() / 255).argmax(1) == test.labels[idx[1:]]).tolist()
    pgd = [r["pgd"] for r in saved[1:]]
    assert not any(p and not c for p, c in zip(pgd, clean))   # PGD never makes a wrong image right
    assert 0.3 * len(pgd) <= sum(pgd) < sum(clean)             # the robust model keeps most, the attack breaks some

    before = (progress / "cifar10-l2.jsonl").read_text()
    autoattack.backfill_pgd("cifar10-l2", model, test, card)   # nothing missing: nothing attacked, file unchanged
    assert (progress / "cifar10-l2.jsonl").read_text() == before


def test_report_shows_autoattack_next_to_pgd_on_the_same_images(progress, monkeypatch):
    rows = [{"index": i, "label": 0, "clean": True, "robust": i < 6, "pgd": i < 8} for i in range(10)]
    (progress / "cifar10-l2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = {}
    monkeypatch.setattr(autoattack, "report", lambda name, data, md, doc: written.update(data=data, md=md))
    monkeypatch.setattr(autoattack, "robust_models", lambda: ["cifar10-l2"])
    card_before = (autoattack.ASSETS / "cifar10-l2.json").read_text()
    autoattack.summarise()
    entry = written["data"]["models"]["cifar10-l2"]
    assert entry["n"] == 10 and entry["autoattack_acc"] == 60 and entry["same_images"]["pgd_acc"] == 80
    assert "10 of 10,000 (random order)" in written["md"] and "80.00 / -20.00" in written["md"]
    assert (autoattack.ASSETS / "cifar10-l2.json").read_text() == card_before   # unfinished: the card is not touched


def test_the_estimate_goes_into_the_card_and_the_models_table_labelled_as_one(progress, monkeypatch, tmp_path):
    """Once ESTIMATE images are done the card gets the accuracy with its interval, marked as an estimate over that
    many images (here ESTIMATE = 10 on a copy of the card), and the README's models table says so."""
    import shutil

    from bench import models_table
    rows = [{"index": i, "label": 0, "clean": True, "robust": i < 6, "pgd": i < 8} for i in range(10)]
    (progress / "cifar10-l2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assets = tmp_path / "assets"
    assets.mkdir()
    shutil.copy(autoattack.ASSETS / "cifar10-l2.json", assets)
    monkeypatch.setattr(autoattack, "ASSETS", assets)
    monkeypatch.setattr(autoattack, "ESTIMATE", 10)
    monkeypatch.setattr(autoattack, "report", lambda name, data, md, doc: None)
    monkeypatch.setattr(autoattack, "robust_models", lambda: ["cifar10-l2"])
    autoattack.summarise()
    card = json.loads((assets / "cifar10-l2.json").read_text())
    aa = card["metrics"]["autoattack"]
    assert aa["test_images"] == 10 and aa["of"] == 10_000 and aa["robust_acc"] == 60 and aa["interval"] == pytest.approx(30.36, abs=0.01)
    assert models_table.autoattack(card, {}) == "60.0 +- 30.4% (10-image estimate)"


def test_evaluate_saves_each_chunk_and_the_next_run_continues_after_it(progress, monkeypatch):
    """Two short runs attack the next images in the fixed order, never one twice (images PGD breaks: AutoAttack's
    first attack breaks them too, so the test stays fast)."""
    import synth
    model = synth.load_model("cifar10-l2")
    card = json.loads((autoattack.ASSETS / "cifar10-l2.json").read_text())
    test = synth.data.load("cifar10", "test", 32)
    first = autoattack.order(len(test))[:64].tolist()
    weak = [i for i, ok in zip(first, autoattack.pgd_verdicts(model, test, card, first)) if not ok][:4]
    assert len(weak) == 4
    rest = [i for i in range(len(test)) if i not in weak]
    monkeypatch.setattr(autoattack, "order", lambda n: torch.tensor(weak + rest))

    autoattack.evaluate("cifar10-l2", minutes=1e-4, chunk=2, threads=None)   # the time is up after one chunk
    assert [r["index"] for r in autoattack.done("cifar10-l2")] == weak[:2]
    autoattack.evaluate("cifar10-l2", minutes=1e-4, chunk=2, threads=None)
    rows = autoattack.done("cifar10-l2")
    assert [r["index"] for r in rows] == weak
    autoattack.evaluate("cifar10-l2", minutes=10, chunk=2, threads=None, images=4)  # the 4 asked are done: nothing runs
    assert len(autoattack.done("cifar10-l2")) == 4
    assert [r["label"] for r in rows] == test.labels[weak].tolist()
    assert not any(r["robust"] or r["pgd"] for r in rows)
    with torch.no_grad():
        assert [r["clean"] for r in rows] == (model(test.images[weak].float() / 255).argmax(1) == test.labels[weak]).tolist()
