"""Regenerate the README's table of bundled models from their JSON cards.

    python -m bench.models_table
"""
from __future__ import annotations

import json
import re

from bench._report import RESULTS, report
from synth.sources import ASSETS


def threat(norm: str, eps: float) -> str:
    """"L2 eps 0.5" or "Linf eps 8/255" (Linf radii read in 255ths)."""
    return f"L2 eps {eps:g}" if norm == "l2" else f"Linf eps {eps * 255:.3g}/255"


def devices(cycles: list[dict]) -> str:
    """Where a lineage of training cycles ran: "on <device>", or each device with the runs (1-based) that used it.

    Cards written over the sessions spell the device differently ("cpu, 1 thread (final evaluation: 2 threads)",
    "cpu, 2 thread(s) (final evaluation: 2)"); the training device and thread count are what is compared and shown.
    """
    groups: list[list] = []  # [device, first run, last run], consecutive runs on the same device merged
    for i, cycle in enumerate(cycles, 1):
        found = re.match(r"(\w+), (\d+) thread", cycle["device"])
        device = f"{found[1]}, {found[2]} thread{'s' if found[2] != '1' else ''}" if found else cycle["device"]
        if groups and groups[-1][0] == device:
            groups[-1][2] = i
        else:
            groups.append([device, i, i])
    if len(groups) == 1:
        return f"on {groups[0][0]}"
    return "(" + "; ".join(f"run{'s' if a != b else ''} {a if a == b else f'{a}-{b}'} on {d}" for d, a, b in groups) + ")"


def autoattack(card: dict, partial: dict) -> str:
    """The card's AutoAttack accuracy (the full test set, or the 1,000-image estimate with its 95% interval), else
    the estimate over the images bench/autoattack.py has done so far."""
    if full := card.get("metrics", {}).get("autoattack"):
        if "interval" in full:
            return f"{full['robust_acc']:.1f} +- {full['interval']:.1f}% ({full['test_images']:,}-image estimate)"
        return f"{full['robust_acc']:.2f}%"
    if est := partial.get(card["name"]):
        return f"{est['autoattack_acc']:.1f} +- {est['interval']:.1f}% ({est['n']:,} images so far)"
    return "-"


def main():
    rows, cards = [], {}
    saved = RESULTS / "autoattack.json"
    partial = json.loads(saved.read_text())["models"] if saved.exists() else {}
    for path in sorted(ASSETS.glob("*.json")):
        card = json.loads(path.read_text())
        cards[card["name"]] = card
        size = (path.with_suffix(".safetensors").stat().st_size / 1e6) if path.with_suffix(".safetensors").exists() else 0
        if "arch" not in card:  # a generator
            t = card["training"]
            rows.append(f"| `{card['name']}` | {card['kind']} (latent {card['latent']}, width {card['width']}) | {card['dataset']} | - | "
                        f"{t['epochs']} epochs, {t['wall_minutes']} min {devices([t])} | - | - | - | - | {size:.1f} MB |")
            continue
        t, m = card["training"], card["metrics"]
        robust = threat(card["robust"]["norm"], card["robust"]["eps"]) if card.get("robust") else "standard"
        atk = t.get("attack")
        cycles, minutes = [t], t["wall_minutes"]
        while cycles[0].get("init_from"):  # second training cycles started from an earlier card
            cycles.insert(0, cycles[0]["init_from"]["training"])
            minutes += cycles[0]["wall_minutes"]
        epochs = " + ".join(str(c["epochs"]) for c in cycles)
        recipe = f"{epochs} epochs{f' ({len(cycles)} one-cycle runs)' if len(cycles) > 1 else ''}, {minutes:.1f} min {devices(cycles)}" + (
            f"; attack {atk['steps']} step{'s' if atk['steps'] != 1 else ''} of {atk['step_size']:.3g}"
            + (" from a random start" if atk.get("random_start") else "") if atk else "")
        ev = m.get("attack")
        rob = f"{m['robust_acc']:.2f}% ({threat(ev['norm'], ev['eps'])}, {ev['steps']} steps)" if m.get("robust_acc") is not None else "-"
        arch = card["arch"] + (f" width {card['width']}" if card["arch"] in ("resnet18_cifar", "vgg11_cifar", "vgg13_cifar") else
                               f" width_mult {card['width'] / 64:g}" if card["arch"].startswith("mobilenet") else "")
        n_pgd = m.get("robust_test_images", m["test_images"])  # older cards measured both on the same images
        n_test = f"{m['test_images']:,}" + (f" (PGD: {n_pgd:,})" if n_pgd != m["test_images"] else "")
        rows.append(f"| `{card['name']}` | {arch} | {card['dataset']} {card['input_size'][0]} px | "
                    f"{robust} | {recipe} | {m['clean_acc']:.2f}% | {rob} | {autoattack(card, partial) if card.get('robust') else '-'} | "
                    f"{n_test} | {size:.1f} MB |")
    md = ("Accuracies on the test split (Imagenette: val; *test images* says when a run measured a fixed random subset, "
          "and *PGD* when the attack ran on a subset only) at the end of training, as recorded in each card. AutoAttack: "
          "its standard version at the training radius over a fixed 1,000 test images (random order), a 1,000-image "
          "estimate with its 95% interval (`python -m bench.autoattack`; the full test sets are a GPU job), until "
          "then over the images done so far ("
          "[docs/results.md](docs/results.md#autoattack-on-the-bundled-robust-models)).\n\n"
          "| model | architecture | data | training | recipe and cost | clean acc. | robust acc. (PGD) | AutoAttack | "
          "test images | size |\n"
          "|---|---|---|---|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows))
    report("models", {"cards": {k: {kk: v.get(kk) for kk in ("metrics", "robust")} for k, v in cards.items()}}, md)


if __name__ == "__main__":
    main()
