"""synth.hub (Hub model repositories) and the hf: source, against a local server that answers the way the
Hub's file-resolve endpoint does (the real huggingface_hub download code runs, pointed there with HF_ENDPOINT)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from synth import load_model
from synth.deploy.hub import export, lineage, main, model_card
from synth.sources import ASSETS

from ..conftest import bundled_or_skip
from ..hub_server import HubServer

NAME = "cifar10-l2"
X = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))

# Loads a model in a fresh interpreter (huggingface_hub reads HF_ENDPOINT and HF_HOME when imported), saves its
# logits on X, or prints the error's type and message and exits 3.
LOADER = textwrap.dedent("""
    import sys, time, torch, synth
    t = time.perf_counter()
    try:
        m = synth.load_model(sys.argv[1])
    except Exception as err:
        print(type(err).__name__, err)
        print(f"failed in {time.perf_counter() - t:.2f} s")
        sys.exit(3)
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.save(m(x), sys.argv[2])
    print(f"loaded in {time.perf_counter() - t:.2f} s")
""")


def load_elsewhere(model_id, tmp_path, endpoint, **env):
    out = tmp_path / f"logits-{abs(hash((model_id, tuple(env.items()))))}.pt"
    environ = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_TELEMETRY": "1",
               "HF_HUB_ETAG_TIMEOUT": "5", "HF_HUB_DOWNLOAD_TIMEOUT": "5", **env}
    environ.pop("HF_HUB_OFFLINE", None) if "HF_HUB_OFFLINE" not in env else None
    done = subprocess.run([sys.executable, "-c", LOADER, model_id, str(out)], env=environ, capture_output=True, text=True,
                          timeout=120)
    return done, (torch.load(out) if done.returncode == 0 else None)


@pytest.fixture(scope="module")
def reference():
    model = bundled_or_skip(NAME)
    with torch.no_grad():
        return model(X)


@pytest.fixture
def exported(tmp_path):
    bundled_or_skip(NAME)
    export(NAME, tmp_path / "repo", repo_id="me/cifar10-l2")
    return tmp_path / "repo"


def test_export_then_load_gives_identical_logits(exported, reference):
    assert sorted(p.name for p in exported.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    model = load_model(str(exported))
    with torch.no_grad():
        assert torch.equal(model(X), reference)
    assert model.name == NAME and model.robust.eps == 0.5


def test_model_card_carries_metadata_and_measured_accuracies(exported):
    from huggingface_hub import ModelCard
    card = json.loads((ASSETS / f"{NAME}.json").read_text())
    hub_card = ModelCard.load(exported / "README.md")
    data = hub_card.data
    assert data.license == "mit" and data.library_name == "synth" and data.datasets == ["uoft-cs/cifar10"]
    assert {"adversarial-robustness", "cifar10"} <= set(data.tags)
    values = {r.metric_type: r.metric_value for r in data.eval_results}
    assert values == {"accuracy": card["metrics"]["clean_acc"], "robust_accuracy": card["metrics"]["robust_acc"]}
    robust = next(r for r in data.eval_results if r.metric_type == "robust_accuracy")
    assert "L2 PGD, eps 0.5, 20 steps" in robust.metric_name and robust.dataset_split == "test"
    text = hub_card.text
    minutes = sum(run["wall_minutes"] for run in lineage(card))
    assert 'synth.load_model("hf:me/cifar10-l2")' in text and f"Cost: {minutes:.0f} CPU-minutes in {len(lineage(card))} run(s)" in text
    assert json.loads((exported / "config.json").read_text()) == card


def test_lineage_follows_init_from_oldest_first():
    card = {"training": {"epochs": 2, "wall_minutes": 5, "init_from": {"training": {"epochs": 10, "wall_minutes": 50},
                                                                           "metrics": {"clean_acc": 80}}},
            "metrics": {"clean_acc": 85}}
    assert [(r["epochs"], r["clean_acc"]) for r in lineage(card)] == [(10, 80), (2, 85)]
    text = model_card({**json.loads((ASSETS / f"{NAME}.json").read_text()), **card})
    assert "55 CPU-minutes in 2 run(s)" in text and "| 1 | 10 | 50 |" in text


def test_hub_load_downloads_pins_revisions_then_works_from_the_cache(exported, reference, tmp_path):
    with HubServer() as hub:
        commit = hub.add("me/cifar10-l2", exported)
        done, logits = load_elsewhere("hf:me/cifar10-l2", tmp_path, hub.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert torch.equal(logits, reference)
        assert any("/me/cifar10-l2/resolve/main/model.safetensors" in r for r in hub.requests)
        done, logits = load_elsewhere(f"hf:me/cifar10-l2@{commit}", tmp_path, hub.url)
        assert done.returncode == 0 and torch.equal(logits, reference)
        # errors that are the user's: one sentence, ValueError
        done, _ = load_elsewhere("hf:nobody/nothing", tmp_path, hub.url)
        assert done.returncode == 3 and done.stdout.startswith("ValueError") and "nobody/nothing does not exist" in done.stdout
        done, _ = load_elsewhere("hf:me/cifar10-l2@v9", tmp_path, hub.url)
        assert done.returncode == 3 and "has no revision 'v9'" in done.stdout
        hub.stop()
        # the server is gone: the cache answers, at once, for main and the pinned commit
        t = time.perf_counter()
        done, logits = load_elsewhere("hf:me/cifar10-l2", tmp_path, hub.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert torch.equal(logits, reference) and time.perf_counter() - t < 30
        done, logits = load_elsewhere(f"hf:me/cifar10-l2@{commit}", tmp_path, hub.url, HF_HUB_OFFLINE="1")
        assert done.returncode == 0 and torch.equal(logits, reference)
        # never downloaded: ModelUnavailableError naming the repository and the file, in seconds (no retries)
        t = time.perf_counter()
        done, _ = load_elsewhere("hf:me/other-model", tmp_path, hub.url)
        assert time.perf_counter() - t < 20
        assert done.returncode == 3 and done.stdout.startswith("ModelUnavailableError"), done.stdout
        assert "config.json of the Hub repository me/other-model" in done.stdout and "could not be reached" in done.stdout
        done, _ = load_elsewhere("hf:me/other-model", tmp_path, hub.url, HF_HUB_OFFLINE="1")
        assert done.returncode == 3 and "offline mode is set" in done.stdout


def test_bundled_card_naming_a_hub_repository_fetches_its_weights(exported, reference, tmp_path):
    """A deployment without assets/models/<name>.safetensors: the card's "hub" field says where the weights are."""
    assets = tmp_path / "assets"
    assets.mkdir()
    with HubServer() as hub:
        commit = hub.add("me/cifar10-l2", exported)
        card = json.loads((ASSETS / f"{NAME}.json").read_text())
        (assets / f"{NAME}.json").write_text(json.dumps({**card, "hub": f"me/cifar10-l2@{commit}"}))
        done, logits = load_elsewhere(str(assets / f"{NAME}.json"), tmp_path, hub.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert torch.equal(logits, reference)
        assert [r for r in hub.requests if r.startswith("GET")] == [f"GET /me/cifar10-l2/resolve/{commit}/model.safetensors"]
    from synth.sources.bundled import bundled_names
    assert bundled_names(assets) == [NAME]


def test_cli_export_and_bad_names(tmp_path, capsys):
    bundled_or_skip(NAME)
    assert main(["export", NAME, str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "model.safetensors").stat().st_size == (ASSETS / f"{NAME}.safetensors").stat().st_size
    assert main(["export", "no-such-model", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no bundled classifier 'no-such-model'") and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ValueError, match="hf:OWNER/REPO"):
        load_model("hf:just-a-name")


def test_a_stalled_hub_fails_within_10_s_with_a_plain_message(tmp_path):
    """A host that accepts connections and never answers (the real huggingface_hub client at its default timeouts,
    in a fresh interpreter): the model id fails within 10 s with ModelUnavailableError, not after the client's
    retries."""
    import socket
    import threading
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept_and_say_nothing():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_HUB_")}
        done = subprocess.run([sys.executable, "-c", LOADER, "hf:me/stalled", str(tmp_path / "out.pt")], capture_output=True,
                              text=True, timeout=120, env={**env, "HF_ENDPOINT": f"http://127.0.0.1:{listener.getsockname()[1]}",
                                                           "HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_TELEMETRY": "1"})
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stdout.startswith("ModelUnavailableError") and "could not be reached" in done.stdout, done.stdout
    assert held, "the client never connected: the test did not exercise a stalled host"
    elapsed = float(done.stdout.rsplit("failed in ", 1)[1].split()[0])  # load_model's own time (not the interpreter's start)
    assert elapsed < 10, f"{elapsed:.1f} s"
