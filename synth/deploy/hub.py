"""Bundled models as Hugging Face Hub model repositories.

    python -m synth.hub export NAME DIR          # lay out the repository in DIR (nothing is uploaded)
    python -m synth.hub push NAME OWNER/REPO     # export and upload (token: HF_TOKEN or `hf auth login`)
    python -m synth.hub push NAME OWNER/REPO --record   # ... and write "hub": "OWNER/REPO@<commit>" into the card

A repository holds ``model.safetensors`` (the float32 weights), ``config.json`` (the card: everything
``load_model`` needs, plus the recipe and the measured accuracies) and ``README.md`` (a model card with
YAML metadata: license, library, tags, data set, the training lineage and a ``model-index`` with the
clean and robust accuracy and the attack). ``synth.load_model("hf:OWNER/REPO[@REVISION]")`` loads it back.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..architectures import ARCHITECTURES
from ..sources.bundled import ASSETS, bundled_names
from ..sources.card import HUB_CONFIG, HUB_WEIGHTS

# the Hub's data set ids of the training sets (model cards link them)
HUB_DATASETS = {"cifar10": "uoft-cs/cifar10", "imagenette": "frgfm/imagenette", "horse2zebra": "huggan/horse2zebra"}
DATASET_NAMES = {"cifar10": "CIFAR-10", "imagenette": "Imagenette (160 px)", "horse2zebra": "horse2zebra"}
ARCH_NAMES = ARCHITECTURES


def card_of(name: str, assets: Path = ASSETS) -> dict:
    """The card of bundled model ``name``.

    Raises:
        ValueError: no such bundled classifier.
    """
    if name not in bundled_names(assets):
        raise ValueError(f"no bundled classifier {name!r}; bundled: {', '.join(bundled_names(assets))}")
    return json.loads((Path(assets) / f"{name}.json").read_text())


def lineage(card: dict) -> list[dict]:
    """The training runs that made a model, oldest first: each {epochs, wall_minutes, augmentation, attack, clean_acc,
    robust_acc}
    (a card's ``training.init_from`` names the run its weights started from)."""
    runs, node = [], {"training": card.get("training"), "metrics": card.get("metrics")}
    while node and node.get("training"):
        tr, met = node["training"], node.get("metrics") or {}
        runs.append({"epochs": tr.get("epochs"), "wall_minutes": tr.get("wall_minutes"), "augmentation": tr.get("augmentation"),
                     "attack": tr.get("attack"), "clean_acc": met.get("clean_acc"), "robust_acc": met.get("robust_acc")})
        node = tr.get("init_from")
    return runs[::-1]


def _attack_text(attack: dict | None) -> str:
    if not attack:
        return "none"
    return (f"{attack['norm'].upper()} PGD, eps {attack['eps']:g}, {attack['steps']} steps of {attack['step_size']:.4g}"
            f"{', random start' if attack.get('random_start') else ''}")


def model_card(card: dict, repo_id: str | None = None) -> str:
    """README.md of the model's Hub repository ``repo_id``: YAML metadata (through ``huggingface_hub.ModelCardData``)
    and text."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData
    metrics, robust = card.get("metrics") or {}, card.get("robust")
    dataset, name = card["dataset"], card["name"]
    common = dict(task_type="image-classification", task_name="Image classification", dataset_type=dataset,
                  dataset_name=DATASET_NAMES.get(dataset, dataset), dataset_split="test")
    results = []
    if metrics.get("clean_acc") is not None:
        results.append(EvalResult(metric_type="accuracy", metric_name="clean accuracy", metric_value=metrics["clean_acc"],
                                  **common))
    attack = metrics.get("attack")
    if metrics.get("robust_acc") is not None and attack:
        results.append(EvalResult(metric_type="robust_accuracy", metric_value=metrics["robust_acc"],
                                  metric_name=f"robust accuracy ({_attack_text(attack)})",
                                  metric_config=f"{attack['norm']}-eps{attack['eps']:g}", **common))
    tags = ["image-classification", "adversarial-robustness", "robust-classifier", "perceptually-aligned-gradients",
            "image-synthesis", "synth", dataset, "pytorch", "safetensors"]
    data = ModelCardData(license="mit", library_name="synth", tags=tags, model_name=name,
                         datasets=[HUB_DATASETS[dataset]] if dataset in HUB_DATASETS else None,
                         pipeline_tag="image-classification", eval_results=results or None)
    training = card.get("training") or {}
    robust_acc = "-" if metrics.get("robust_acc") is None else f"{metrics['robust_acc']}%"
    if metrics.get("robust_test_images") not in (None, metrics.get("test_images")):
        robust_acc += f" (on {metrics['robust_test_images']})"
    runs = lineage(card)
    total_minutes = sum(r["wall_minutes"] or 0 for r in runs)
    kind = (f"adversarially robust ({robust['norm'].upper()}, eps {robust['eps']:g} on [0, 1] images)" if robust
            else "standard (not adversarially trained): the non-robust twin the demo compares with")
    lines = [
        f"# {name}", "",
        f"A {ARCH_NAMES.get(card['arch'], card['arch'])} classifier of {DATASET_NAMES.get(dataset, dataset)} at "
        f"{card['input_size'][0]}x{card['input_size'][1]} px, {kind}, trained from scratch on a CPU by "
        "synth, the toolkit for image synthesis with a single robust classifier (Santurkar et al., NeurIPS 2019).", "",
    ]
    if card.get("role"):
        lines += [f"**Role:** {card['role']}.", ""]
    lines += ["## Use", "", "```python", "import synth", "",
              f'model = synth.load_model("hf:{repo_id or "OWNER/" + name}")  # synth\'s bundled name: "{name}"',
              f'images = synth.generate(model, ["{card["classes"][0]}"] * 4).x  # (4, 3, H, W) in [0, 1]; see synth\'s README',
              "```", "",
              f"Inputs are (N, 3, {card['input_size'][0]}, {card['input_size'][1]}) images in [0, 1]; the model normalises "
              f"them itself (mean {card['mean']}, std {card['std']}). Classes: {', '.join(card['classes'])}.", "",
              "## Results", "", "| test images | clean accuracy | robust accuracy | attack |", "|---|---|---|---|",
              f"| {metrics.get('test_images', '?')} | {metrics.get('clean_acc', '?')}% | {robust_acc} | {_attack_text(attack)} |", "",
              "## Recipe", "",
              f"- Optimiser: {training.get('optimizer', '?')}, peak learning rate {training.get('lr_peak', '?')}, "
              f"{training.get('schedule', '?')}, weight decay {training.get('weight_decay', '?')}, "
              f"batch {training.get('batch_size', '?')}.",
              f"- Augmentation: {training.get('augmentation', '?')}.",
              f"- Training attack: {_attack_text(training.get('attack'))}.",
              f"- Weight averaging: {'EMA ' + str(training['weight_ema']['decay']) if training.get('weight_ema') else 'none'}; "
              f"bf16 autocast: {training.get('bf16_autocast')}; seed {training.get('seed')}.",
              f"- Cost: {total_minutes:.0f} CPU-minutes in {len(runs)} run(s) ({training.get('device', '?')}).", ""]
    if len(runs) > 1:
        lines += ["### Lineage (each run started from the previous one's weights)", "",
                  "| run | epochs | minutes | augmentation | clean | robust |", "|---|---|---|---|---|---|"]
        lines += [f"| {i + 1} | {r['epochs']} | {r['wall_minutes']} | {r['augmentation']} | {r['clean_acc']} | {r['robust_acc']} |"
                  for i, r in enumerate(runs)]
        lines.append("")
    if training.get("note") or card.get("note"):
        lines += [f"Note: {training.get('note') or card.get('note')}", ""]
    lines += ["## Files", "", f"- `{HUB_WEIGHTS}`: float32 state dict.",
              f"- `{HUB_CONFIG}`: the card (architecture, classes, normalisation, threat model, recipe, training log, metrics).", ""]
    return str(ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n\n" + "\n".join(lines)))


def export(name: str, out_dir: Path, assets: Path = ASSETS, repo_id: str | None = None) -> list[Path]:
    """Lay out bundled model ``name`` as a Hub model repository in ``out_dir``; returns the files written.

    Raises:
        ValueError: no such bundled classifier, or its weights are not in ``assets``.
    """
    card = card_of(name, assets)
    weights = Path(assets) / f"{name}.safetensors"
    if not weights.exists():
        raise ValueError(f"{name}'s weights are not in {assets} (its card points to the Hub: {card.get('hub')})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(weights, out / HUB_WEIGHTS)
    config = {k: v for k, v in card.items() if k != "hub"}
    (out / HUB_CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    (out / "README.md").write_text(model_card(card, repo_id))
    return [out / HUB_WEIGHTS, out / HUB_CONFIG, out / "README.md"]


def push(name: str, repo_id: str, private: bool = False, record: bool = False, assets: Path = ASSETS,
         token: str | None = None) -> str:
    """Export ``name`` and upload it to the Hub model repository ``repo_id`` (created if needed); returns the
    commit id. With ``record``, the card in ``assets`` gets ``"hub": "repo_id@commit"`` so that a deployment
    without the weights file fetches exactly this upload."""
    import tempfile

    from huggingface_hub import HfApi
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory() as tmp:
        export(name, Path(tmp), assets, repo_id)
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=tmp, repo_id=repo_id, repo_type="model",
                                 commit_message=f"{name}: weights, config and model card (python -m synth.hub push)")
    commit = info.oid
    if record:
        path = Path(assets) / f"{name}.json"
        card = json.loads(path.read_text())
        card["hub"] = f"{repo_id}@{commit}"
        path.write_text(json.dumps(card, indent=2) + "\n")
    return commit


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m synth.hub", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="write the Hub repository of a bundled model into a folder")
    e.add_argument("name", help=f"bundled model: {', '.join(bundled_names())}")
    e.add_argument("dir")
    u = sub.add_parser("push", help="export and upload to a Hub model repository")
    u.add_argument("name")
    u.add_argument("repo_id", help="OWNER/REPO")
    u.add_argument("--private", action="store_true")
    u.add_argument("--record", action="store_true", help="write the repository and commit into the bundled card")
    args = p.parse_args(argv)
    try:
        if args.command == "export":
            for f in export(args.name, Path(args.dir)):
                print(f"{f}  {f.stat().st_size / 1e6:.2f} MB")
        else:
            commit = push(args.name, args.repo_id, args.private, args.record)
            print(f"uploaded {args.name} to https://huggingface.co/{args.repo_id} (commit {commit})")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
