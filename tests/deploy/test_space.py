"""synth.space: the deploy dry run chooses the Space's files, stores large ones through LFS and writes front
matter that parses and matches requirements.txt."""
import fnmatch
import json
import shutil
from pathlib import Path

import pytest
import yaml

from synth.deploy.space import PLAIN_BLOB_LIMIT, ROOT, deploy, main, pinned, space_files, space_requirements


def front_matter(files):
    readme = next(f.text for f in files if f.path == "README.md")
    assert readme.startswith("---\n")
    return yaml.safe_load(readme.split("---")[1])


def test_dry_run_lists_only_what_the_space_needs():
    files = space_files()
    paths = [f.path for f in files]
    assert "app.py" in paths and "synth/app/runs.py" in paths and "assets/models/cifar10-l2.json" in paths
    assert len(paths) == len(set(paths))
    for banned in ("tests/", "bench/", "notebooks/", "docs/", "data/", "runs/", ".ci/", "results/"):
        assert not [p for p in paths if p.startswith(banned)], banned
    assert not [p for p in paths if p.endswith((".jpg", ".jpeg", ".tar", ".gz", ".ipynb", ".pyc"))]
    # the quality benches' judge is not a demo model
    assert "assets/models/cifar10-evaluator.safetensors" not in paths
    # every bundled model the app offers, with its weights
    from synth.app.store import demo_names
    for name in demo_names():
        assert f"assets/models/{name}.json" in paths and f"assets/models/{name}.safetensors" in paths


def test_no_large_file_is_a_plain_blob():
    files = space_files()
    attributes = next(f.text for f in files if f.path == ".gitattributes")
    lfs = [line.split()[0] for line in attributes.splitlines() if "filter=lfs" in line]
    large = [f for f in files if f.size > PLAIN_BLOB_LIMIT]
    assert large, "the bundled 128-px models are over 10 MB"
    for f in large:
        assert f.lfs and any(fnmatch.fnmatch(Path(f.path).name, p) for p in lfs), f.path
    assert all(f.lfs for f in files if f.path.endswith(".safetensors"))


def test_front_matter_parses_and_matches_requirements():
    requirements = (ROOT / "requirements.txt").read_text()
    meta = front_matter(space_files(hardware="zero-a10g"))
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == pinned(requirements, "gradio")
    assert meta["app_file"] == "app.py" and (ROOT / meta["app_file"]).exists()
    assert meta["python_version"] == "3.11" and meta["suggested_hardware"] == "zero-a10g"
    assert 0 < len(meta["short_description"]) <= 60
    space_reqs = next(f.text for f in space_files() if f.path == "requirements.txt")
    assert space_reqs == space_requirements(requirements)
    pins = [line for line in requirements.splitlines() if "==" in line and not line.startswith("gradio")]
    assert pins and all(line in space_reqs.splitlines() for line in pins)  # torch & co. pinned the same
    assert "-e ." not in space_reqs and "gradio" not in space_reqs and "spaces" in space_reqs.splitlines()


def test_weights_from_hub_preloads_instead_of_uploading(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "assets", root / "assets")
    for f in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / f, root / f)
    shutil.copytree(ROOT / "synth", root / "synth", ignore=shutil.ignore_patterns("__pycache__"))
    card_path = root / "assets" / "models" / "imagenette-l2.json"
    card = json.loads(card_path.read_text())
    commit = "0123456789abcdef0123456789abcdef01234567"
    card_path.write_text(json.dumps({**card, "hub": f"me/imagenette-l2@{commit}"}))
    files = space_files(root, weights_from_hub=True)
    paths = [f.path for f in files]
    assert "assets/models/imagenette-l2.json" in paths and "assets/models/imagenette-l2.safetensors" not in paths
    assert "assets/models/imagenette-standard.safetensors" in paths  # no hub field: uploaded
    meta = front_matter(files)
    assert meta["models"] == ["me/imagenette-l2"]
    assert meta["preload_from_hub"] == [f"me/imagenette-l2 model.safetensors,config.json {commit}"]


def test_cli_dry_run_uploads_nothing_and_rejects_bad_input(capsys):
    assert main(["deploy", "me/synth-demo", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "lfs    assets/models/imagenette-l2.safetensors" in out and "sdk_version: " in out
    assert main(["deploy", "no-owner", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("error: a Space is named OWNER/NAME")
    with pytest.raises(SystemExit) as stop:
        main(["deploy", "me/x", "--hardware", "quantum"])
    assert stop.value.code == 2
    with pytest.raises(ValueError, match="pin gradio"):
        pinned("gradio>=5\n", "gradio")
    assert deploy("me/x", dry_run=True).count("\n") > 10


@pytest.mark.slow
def test_the_staged_space_starts_and_generates(tmp_path):
    """The files the deploy would upload are enough: app.py started from a folder holding only them serves Generate
    with the bundled model (imported from that folder, not from this checkout)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from synth.deploy.space import stage
    if not (ROOT / "assets" / "models" / "cifar10-l2.safetensors").exists():
        pytest.skip("needs the bundled cifar10-l2")
    gradio_client = pytest.importorskip("gradio_client")
    stage(space_files(), tmp_path / "space")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "SYNTH_OFFLINE": "1",
           "PYTHONPATH": ""}
    code = "import runpy, synth; print(synth.__file__, flush=True); runpy.run_path('app.py', run_name='__main__')"
    server = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path / "space", env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout.readline().strip() == str(tmp_path / "space" / "synth" / "__init__.py")
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                client = gradio_client.Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # noqa: BLE001 - not up yet
                assert server.poll() is None, server.stdout.read()[-3000:]
                time.sleep(1)
        else:
            pytest.fail("the staged Space did not start in 120 s")
        out = client.predict("cifar10-l2", "cat", "multivariate", 1.0, 5, 0.5, 0, False, 0.99, 2, api_name="/generate")
        assert out[-1].startswith("Done: 5 steps on `cifar10-l2`")
    finally:
        server.terminate()
        server.wait(timeout=30)
