"""The synth command (synth.batch.cli, synth.batch.jobs): every subcommand on small jobs, sharding over 1 and 2 processes
(torchrun, gloo) with byte-identical files, resuming a killed job, and one-line errors with exit code 2."""
from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth.batch import jobs
from synth.distributed import Context
from synth.batch.cli import main

from ..conftest import bundled_or_skip

pytestmark = pytest.mark.slow
MODEL = "cifar10-l2"


def synth(*args, processes: int = 0, timeout: int = 300, **popen):
    """Run the command in a fresh interpreter (``torchrun`` with ``processes`` > 0), 1 thread per process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if processes:
        port = 29500 + (os.getpid() % 400)
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master-port",
               str(port), "-m", "synth", *args]
    else:
        cmd = [sys.executable, "-m", "synth", *args]
    if popen:
        return subprocess.Popen(cmd, env=env, **popen)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


@pytest.fixture(scope="module")
def model():
    return bundled_or_skip(MODEL)


@pytest.fixture(scope="module")
def samples(model, tmp_path_factory):
    """Ten generated images (a folder of inputs for the image subcommands), with their manifest."""
    out = tmp_path_factory.mktemp("cli") / "samples"
    assert main(["generate", "--model", MODEL, "-n", "10", "--batch-size", "5", "--out", str(out), "--set", "steps=20"]) == 0
    return out


def test_generate_moves_toward_the_class_and_writes_a_manifest(samples, model):
    rows = [json.loads(line) for line in (samples / "manifest.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(10)) and len(list(samples.glob("*.png"))) == 10
    assert [r["class"] for r in rows] == [model.classes[i % 10] for i in range(10)]
    from synth.presets import default_for
    preset = default_for("generate", model, "multivariate")
    assert all(r["preset"] == preset and r["overrides"] == {"steps": 20} for r in rows)
    # the robust model's samples are seen as their class by the model (the seeds are not: ~55% by the evaluator)
    assert sum(r["probs"][r["class"]] > 0.5 for r in rows) >= 9
    assert len(set((samples / f"{i:06d}.png").read_bytes() for i in range(10))) == 10


def test_one_and_two_processes_write_identical_files(tmp_path, model):
    args = ["generate", "--model", MODEL, "-n", "7", "--batch-size", "3", "--set", "steps=4", "--threads", "1"]
    one = synth(*args, "--out", str(tmp_path / "one"))
    assert one.returncode == 0, one.stderr[-2000:]
    two = synth(*args, "--out", str(tmp_path / "two"), processes=2)
    assert two.returncode == 0, two.stderr[-3000:]
    assert "on 2 process(es)" in two.stderr
    assert same_files(tmp_path / "one", tmp_path / "two")
    assert not list((tmp_path / "two").glob("manifest.rank*"))


def test_a_killed_job_restarted_gives_the_same_files(tmp_path, model):
    args = ["generate", "--model", MODEL, "-n", "12", "--batch-size", "2", "--set", "steps=15", "--threads", "1"]
    whole = synth(*args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-2000:]
    out = tmp_path / "killed"
    job = synth(*args, "--out", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("*.png"))) < 4:
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    done = len(jobs.Output(out, Context()).records())
    assert 2 <= done < 12, done  # killed halfway
    again = synth(*args, "--out", str(out))
    assert again.returncode == 0, again.stderr[-2000:]
    assert same_files(tmp_path / "whole", out)


@pytest.mark.parametrize("argv, message", [
    (["generate", "-n", "0"], "--n must be at least 1"),
    (["generate", "-n", "4", "--classes", "cat,unicorn"], "unknown class 'unicorn'"),
    (["generate", "-n", "4", "--set", "temperature=2"], "unknown preset field 'temperature'"),
    (["generate", "-n", "4", "--set", "steps=-3"], "steps must be an integer"),
    (["generate", "-n", "4", "--preset", "no.such.preset"], "unknown preset"),
    (["translate", "--images", "/no/such/folder", "--target", "cat"], "no images at '/no/such/folder'"),
    (["translate", "--images", "dataset:mnist/test", "--target", "cat"], "unknown data set"),
    (["sketch", "--images", "/no/such/*.png"], "no images at"),
    (["evaluate", "--images", "dataset:cifar10/test", "--attack", "autoattack", "--attacks", "fab"], "--version custom"),
    (["generate", "-n", "4", "--model", "no-such-model"], "unknown model 'no-such-model'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, argv, message, model):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists()


def _required(task, samples) -> list[str]:
    """The arguments a task's subcommand needs besides --images: its required options (a class, or the paired
    --targets folder) and --label where the task cannot predict its classes."""
    out = []
    for o in task.options:
        if o.required:
            out += [f"--{o.name}", str(samples) if o.name == "targets" else "cat"]
    return out + (["--label", "ship"] if task.needs_label else [])


def test_every_image_subcommand_runs_and_records(samples, tmp_path, model):
    """Every registered task that takes images runs from the command line and writes one image and one manifest line
    per input (a strip of frames for interpolation)."""
    from synth.tasks import registered
    common = ["--model", MODEL, "--images", str(samples), "-n", "4", "--batch-size", "2", "--set", "steps=3"]
    extra = {"super-resolve": ["--factor", "2"], "sketch-to-image": ["--edges"], "interpolate": ["--frames", "3"]}
    for task in registered():
        if task.takes == "classes":
            continue
        command = task.cli
        out = tmp_path / command
        assert main([command, *common, *_required(task, samples), *extra.get(command, []), "--out", str(out), "--npz"]) == 0, command
        rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
        assert [r["index"] for r in rows] == [0, 1, 2, 3], command
        import numpy as np
        with np.load(out / "images.npz") as z:
            width = 32 * 3 if task.strip else 32
            assert z["images"].shape == (4, 32, width, 3), command
    rows = [json.loads(line) for line in (tmp_path / "translate" / "manifest.jsonl").read_text().splitlines()]
    assert all(r["class"] == "cat" for r in rows)
    rows = [json.loads(line) for line in (tmp_path / "super-resolve" / "manifest.jsonl").read_text().splitlines()]
    assert all(r["factor"] == 2 and r["psnr"] > 15 for r in rows)


def _pixels(folder):
    from PIL import Image
    import numpy as np
    return [np.asarray(Image.open(p), dtype=np.int16) for p in sorted(Path(folder).glob("*.png"))]


def test_a_random_start_gives_sample_i_for_any_batch_size(tmp_path, model):
    """One random stream per sample (seed and index): with ``random_start`` sample i is the same image in batches
    of 1 and of 3, and the random start is real (another base seed gives other images)."""
    args = ["generate", "--model", MODEL, "-n", "3", "--set", "steps=3", "--set", "random_start=true", "--threads", "1"]
    runs = {}
    for name, more in (("b1", ["--batch-size", "1"]), ("b3", ["--batch-size", "3"]), ("seed1", ["--batch-size", "3", "--seed", "1"]),
                       ("plain", ["--batch-size", "3", "--set", "random_start=false"])):
        assert main([*args, *more, "--out", str(tmp_path / name)]) == 0, name
        runs[name] = _pixels(tmp_path / name)
    assert len(runs["b1"]) == 3
    for a, b in zip(runs["b1"], runs["b3"]):
        assert np_max_abs(a, b) <= 1  # the same image, up to a rounding step of batched arithmetic
    assert all(np_max_abs(a, b) > 10 for a, b in zip(runs["b3"], runs["seed1"]))  # other streams, other images
    assert all(np_max_abs(a, b) > 0 for a, b in zip(runs["b3"], runs["plain"]))  # the start is random


def np_max_abs(a, b) -> int:
    return int(abs(a - b).max())


def test_boost_draws_from_the_bundled_generator(tmp_path, model):
    out = tmp_path / "boost"
    assert main(["boost", "--model", MODEL, "-n", "4", "--classes", "cat,dog", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["class"] for r in rows] == ["cat", "dog", "cat", "dog"] and rows[0]["generator"] == "cifar10-cvae"


def test_evaluate_and_fd(samples, tmp_path, model, capsys):
    data = pytest.importorskip("synth.data")
    try:
        data.cifar10("test")
    except data.DataMissingError:
        pytest.skip("needs the offline CIFAR-10 copy")
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", MODEL, "--images", "dataset:cifar10/test", "-n", "40", "--steps", "5",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 40 and summary["attack"]["eps"] == 0.5
    assert 50 <= summary["clean_acc"] <= 100 and summary["robust_acc"] <= summary["clean_acc"]
    # AutoAttack (APGD-CE here, for time) on the same images: the robust model keeps more than its standard twin
    accs = {}
    for name in (MODEL, "cifar10-standard"):
        out = tmp_path / f"aa-{name}"
        assert main(["evaluate", "--model", name, "--images", "dataset:cifar10/test", "-n", "24", "--attack", "autoattack",
                     "--version", "custom", "--attacks", "apgd-ce", "--eps", "0.5", "--out", str(out)]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["attack"]["name"] == "AutoAttack" and summary["robust_acc"] <= summary["clean_acc"]
        accs[name] = summary["robust_acc"]
    assert accs[MODEL] > accs["cifar10-standard"] + 20 and accs["cifar10-standard"] < 25, accs
    capsys.readouterr()
    assert main(["fd", "--a", str(samples), "--b", "dataset:cifar10/test", "--n", "10", "--features", "cifar10-evaluator",
                 "--out", str(tmp_path / "fd.json")]) == 0
    result = json.loads((tmp_path / "fd.json").read_text())
    assert result["n_a"] == result["n_b"] == 10 and result["frechet_distance"] > 0
    same = tmp_path / "same"
    shutil.copytree(samples, same)
    assert main(["fd", "--a", str(samples), "--b", str(same), "--out", str(tmp_path / "fd0.json")]) == 0
    assert abs(json.loads((tmp_path / "fd0.json").read_text())["frechet_distance"]) < 1e-3
