"""Every notebook runs end to end in quick mode (papermill injects quick=True)."""
from pathlib import Path

import pytest

from synth.sources import ASSETS

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_quick(path, tmp_path):
    papermill = pytest.importorskip("papermill")
    needed = {"cifar10-l2", "cifar10-standard"} | ({"cifar10-cvae", "cifar10-evaluator"} if "bigroc" in path.stem else set())
    missing = {n for n in needed if not (ASSETS / f"{n}.safetensors").exists()}
    if missing:
        pytest.skip(f"bundled models {sorted(missing)} not trained yet")
    papermill.execute_notebook(str(path), str(tmp_path / path.name), parameters={"quick": True},
                               cwd=str(path.parent), kernel_name="python3", progress_bar=False)
