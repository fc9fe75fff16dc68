"""AutoAttack (version "standard": APGD-CE, APGD-T, FAB-T, Square; RobustBench's protocol) on a fixed 1,000 test
images of each bundled robust model (the first 1,000 of a fixed random order), resumable across sessions; the full
test sets are a GPU job (``--images all``).

    python -m bench.autoattack --model cifar10-l2 [--minutes 150] [--chunk 50]   # run (in the background)
    python -m bench.autoattack --model cifar10-l2 --images all --device cuda --chunk 1000   # the full test set
    python -m bench.autoattack --report                                          # table and finished cards only

On two CPU cores a robust CIFAR-10 image costs seconds of AutoAttack (APGD-T and FAB-T try 9 target classes each), so a
test set takes more than one session. Each finished chunk appends one line per image (index, label; clean, AutoAttack
and PGD-20 verdicts) to ``bench/results/autoattack/<model>.jsonl``, which is committed; the next session's run
continues where it stopped. PGD-20 on the same images (cheap) shows how much AutoAttack finds beyond the attack the
cards report: a large gap would mean the PGD figure is inflated (e.g. by gradient masking). The images are taken in a
fixed random order (seed 0) because the test sets are stored class by class: the accuracy over the images done so far
is then an unbiased estimate of the full set's, reported with its 95% interval. A model with its 1,000 images done
gets ``metrics.autoattack`` in its card, labelled as the estimate it is (``test_images``, ``of``, ``interval``), replaced
by the full figure once all are done. Writes bench/results/autoattack.json and the section ``autoattack`` of
docs/results.md, with RobustBench's numbers for comparable models as context.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import torch

import synth
from bench._report import RESULTS, report
from synth.measures.evaluation import correct_under_attack, standard_attacks
from synth.sources import ASSETS, bundled_names
from synth.sources.robustbench_models import reported

PROGRESS = RESULTS / "autoattack"
ESTIMATE = 1000  # images of the fixed order that make a model's AutoAttack estimate (the full test set: a GPU job)
# RobustBench entries shown next to each threat model (architecture, clean %, AutoAttack %, from robustbench_info.json)
CONTEXT = {("cifar10", "l2"): ["cifar10/L2/Engstrom2019Robustness", "cifar10/L2/Rade2021Helper_R18_ddpm"],
           ("cifar10", "linf"): ["cifar10/Linf/Wong2020Fast", "cifar10/Linf/Engstrom2019Robustness"]}


def robust_models() -> list[str]:
    """Bundled classifiers trained against an attack (their card's ``robust`` is set)."""
    return [n for n in bundled_names() if json.loads((ASSETS / f"{n}.json").read_text()).get("robust")]


def order(n: int) -> torch.Tensor:
    """The fixed evaluation order of a test set of ``n`` images (a permutation, seed 0)."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(0))


def done(model: str) -> list[dict]:
    path = PROGRESS / f"{model}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def pgd_verdicts(model, test, card: dict, idx: list[int]) -> list[bool]:
    """PGD-20 (the cards' attack) verdicts of the test images ``idx``: True where the image stays correct."""
    device = next(model.parameters()).device
    x, y = test.images[idx].to(device).float() / 255, test.labels[idx].to(device)
    return correct_under_attack(model, x, y, norm=card["robust"]["norm"], eps=card["robust"]["eps"]).tolist()


def backfill_pgd(name: str, model, test, card: dict, chunk: int = 200) -> None:
    """Add the PGD-20 verdict to the saved rows of ``name`` that have none (rows from before it was recorded)."""
    rows = done(name)
    missing = [k for k, r in enumerate(rows) if "pgd" not in r]
    for start in range(0, len(missing), chunk):
        ks = missing[start:start + chunk]
        for k, verdict in zip(ks, pgd_verdicts(model, test, card, [rows[k]["index"] for k in ks])):
            rows[k]["pgd"] = verdict
    if missing:
        path = PROGRESS / f"{name}.jsonl"
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tmp.replace(path)
        print(f"{name}: PGD-20 added to {len(missing)} saved rows", flush=True)


def evaluate(name: str, minutes: float, chunk: int, threads: int | None, device: str = "cpu",
             images: int | None = ESTIMATE) -> None:
    """Attack the next chunks of ``name``'s test set in the fixed order until ``images`` of it are done (None: all)
    or ``minutes`` would be exceeded (``minutes=0`` only adds PGD-20 to saved rows that lack it). One process per
    model: two would attack the same images."""
    if threads:
        torch.set_num_threads(threads)
    model = synth.load_model(name, device)
    card = json.loads((ASSETS / f"{name}.json").read_text())
    test = synth.data.load(model.dataset, "test", model.input_size[0])
    backfill_pgd(name, model, test, card)
    finished = {r["index"] for r in done(name)}
    wanted = order(len(test)).tolist()[:images]
    todo = [i for i in wanted if i not in finished]
    PROGRESS.mkdir(parents=True, exist_ok=True)
    t0, per_chunk = time.time(), 0.0
    print(f"{name}: {len(finished)} of {len(test)} done, {len(todo)} to go of the {len(wanted):,} asked", flush=True)
    for k in range(0, len(todo), chunk):
        if time.time() - t0 + per_chunk > minutes * 60:
            break
        idx = todo[k:k + chunk]
        x, y = test.images[idx].to(device).float() / 255, test.labels[idx].to(device)
        start = time.time()
        with torch.no_grad():
            clean = model(x).argmax(1) == y
        robust = correct_under_attack(model, x, y, norm=card["robust"]["norm"], eps=card["robust"]["eps"],
                                      attack="autoattack", version="standard", seed=0)
        pgd = pgd_verdicts(model, test, card, idx)
        with open(PROGRESS / f"{name}.jsonl", "a") as f:
            for i, label, c, r, g in zip(idx, y.tolist(), clean.tolist(), robust.tolist(), pgd):
                f.write(json.dumps({"index": i, "label": label, "clean": c, "robust": r, "pgd": g}) + "\n")
        per_chunk = time.time() - start
        n_done = len(finished) + k + len(idx)
        print(f"{name}: {n_done}/{len(test)} done, {per_chunk / len(idx):.1f} s per image", flush=True)


def interval(k: int, n: int) -> float:
    """Half-width of the 95% normal interval of a proportion k/n, in percent."""
    p = k / n
    return 196 * math.sqrt(p * (1 - p) / n)


def pgd_gap(rows: list[dict]) -> dict:
    """PGD-20 accuracy over ``rows`` (each with ``robust`` and ``pgd``) and AutoAttack's accuracy minus it, in percent,
    with the 95% interval of that paired difference and the count of images only AutoAttack broke."""
    n = len(rows)
    diffs = [int(r["robust"]) - int(r["pgd"]) for r in rows]
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / max(n - 1, 1)
    return {"pgd_acc": 100 * sum(r["pgd"] for r in rows) / n, "gap": 100 * mean,
            "gap_interval": 196 * math.sqrt(var / n), "broken_only_by_autoattack": sum(r["pgd"] and not r["robust"] for r in rows)}


def summarise() -> None:
    """The table of every model with results, and ``metrics.autoattack`` (the estimate over the images done, labelled
    with their count) in the cards of the models whose estimate is complete."""
    rows, data = [], {}
    for name in robust_models():
        results = done(name)
        if not results:
            continue
        card_path = ASSETS / f"{name}.json"
        card = json.loads(card_path.read_text())
        total = len(synth.data.load(card["dataset"], "test", card["input_size"][0]))
        n, robust = len(results), sum(r["robust"] for r in results)
        clean = sum(r["clean"] for r in results)
        entry = {"n": n, "total": total, "clean_acc": 100 * clean / n, "autoattack_acc": 100 * robust / n,
                 "interval": interval(robust, n), "pgd_acc": card.get("metrics", {}).get("robust_acc"),
                 "norm": card["robust"]["norm"], "eps": card["robust"]["eps"]}
        paired = [r for r in results if "pgd" in r]
        if paired:
            entry["same_images"] = {"n": len(paired), **pgd_gap(paired)}
        data[name] = entry
        if n >= min(ESTIMATE, total):
            card.setdefault("metrics", {})["autoattack"] = {
                "test_images": n, "of": total, "clean_acc": round(entry["clean_acc"], 2),
                "robust_acc": round(entry["autoattack_acc"], 2),
                **({} if n == total else {"interval": round(entry["interval"], 2),
                                          "estimate": f"over {n:,} test images in a fixed random order (seed 0), 95% interval"}),
                "attack": {"name": "AutoAttack", "version": "standard", "norm": entry["norm"], "eps": entry["eps"],
                           **standard_attacks(len(card["classes"])), "implementation": "pyautoattack (Croce & Hein)",
                           "seed": 0}}
            card_path.write_text(json.dumps(card, indent=2) + "\n")
        progress = "all" if n == total else f"{n:,} of {total:,} (random order)" + (" (the estimate)" if n >= ESTIMATE else "")
        aa = f"{entry['autoattack_acc']:.2f}" + ("" if n == total else f" +- {entry['interval']:.1f}")
        same = entry.get("same_images")
        gap = (f"{same['pgd_acc']:.2f} / {same['gap']:+.2f} +- {same['gap_interval']:.2f} ({same['broken_only_by_autoattack']})"
               if same else "-")
        context = "; ".join(f"{k.split('/')[-1]} ({r['architecture']}) {r['clean_acc']:.2f} / {r['autoattack_acc']:.2f}"
                            for k in CONTEXT.get((card["dataset"], entry["norm"]), []) if (r := reported(*k.split("/"))))
        eps = f"{entry['eps']:.4g}" if entry["norm"] == "l2" else f"{entry['eps'] * 255:.3g}/255"
        plan = standard_attacks(len(card["classes"]))
        if plan["target_classes"] < 9:
            eps += f" ({', '.join(a.upper() for a in plan['attacks'])}; {plan['target_classes']} target)"
        rows.append(f"| `{name}` | {entry['norm'].upper()} {eps} | {progress} | {entry['clean_acc']:.2f} | **{aa}** | "
                    f"{gap} | {entry['pgd_acc'] if entry['pgd_acc'] is not None else '-'} | {context or '-'} |")
    md = ["AutoAttack (standard version, pyautoattack; below 10 classes the targets there are, and no APGD-T below 4) "
          f"at each model's training radius, on its test set in a fixed random order: a {ESTIMATE:,}-image estimate "
          "(the accuracy over those images, with its 95% interval; the full sets are a GPU job). "
          "PGD-20 on the same images: the cards' attack (20 steps of 2.5 eps / 20, from the image) on exactly these "
          "images, and how far AutoAttack's accuracy lies below it (paired 95% interval; in brackets the images "
          "AutoAttack broke that PGD-20 did not). A small gap means the PGD figures are not inflated by gradient masking. "
          "PGD-20 (card): the same attack on all test images. RobustBench's clean / AutoAttack accuracy of comparable "
          "models for context (other networks, data and budgets).", "",
          "| model | threat model | images | clean % | AutoAttack % | PGD-20 % on the same images / AutoAttack's gap | "
          "PGD-20 % (card) | RobustBench, for context |",
          "|---|---|---|---:|---:|---:|---:|---|", *(rows or ["| - | - | none yet | - | - | - | - | - |"])]
    report("autoattack", {"models": data}, "\n".join(md), doc="docs/results.md")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", action="append", default=None, help="bundled robust model (repeatable); default: none")
    p.add_argument("--minutes", type=float, default=150, help="stop before this wall time is exceeded")
    p.add_argument("--chunk", type=int, default=50, help="images per AutoAttack call (each one is saved)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="default: cuda when there is a GPU (use a larger --chunk there, e.g. 1000)")
    p.add_argument("--images", default=ESTIMATE, type=lambda v: None if v == "all" else int(v),
                   help=f"images of the fixed order to finish (default {ESTIMATE}; 'all')")
    p.add_argument("--report", action="store_true", help="only write the table and the finished cards")
    args = p.parse_args(argv)
    if not args.report:
        for name in args.model or []:
            if name not in robust_models():
                raise SystemExit(f"{name} is not a bundled robust model ({', '.join(robust_models())})")
            evaluate(name, args.minutes, args.chunk, args.threads, args.device, args.images)
    summarise()


if __name__ == "__main__":
    main()
