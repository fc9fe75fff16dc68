"""Every notebook runs end to end in quick mode (papermill injects quick=True), its observations checked against
its own outputs (synth.measures.claims: a contradicted sentence fails the run)."""
import json
import re
from pathlib import Path

import pytest

from synth.sources import ASSETS
from tests.conftest import shared_data_or_skip

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))


def needed_models(path: Path) -> set[str]:
    """The bundled models and generators a notebook loads by name (``load_model("x")``, ``load_generator("x")``)."""
    source = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    return set(re.findall(r'load_(?:model|generator)\("([\w-]+)"\)', source))


def test_every_notebook_checks_its_claims():
    """A notebook that states observations must build them with synth.measures.claims and print the summary."""
    for path in NOTEBOOKS:
        source = path.read_text()
        assert "Claims(quick)" in source and "say.summary()" in source, f"{path.name} does not check its observations"
        assert "What we observe" not in source, f"{path.name} still has a hand-written observations cell"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_quick(path, tmp_path):
    papermill = pytest.importorskip("papermill")
    missing = sorted(n for n in needed_models(path) if not (ASSETS / f"{n}.safetensors").exists())
    if missing:
        pytest.skip(f"bundled models {missing} not trained yet")
    shared_data_or_skip("cifar10-jpg.tar.gz")
    papermill.execute_notebook(str(path), str(tmp_path / path.name), parameters={"quick": True},
                               cwd=str(path.parent), kernel_name="python3", progress_bar=False)
