"""ruff over the package, app, bench and tests (catches undefined names in rare branches)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    out = subprocess.run([ruff, "check", "synth", "app.py", "bench", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_readme_is_a_front_page():
    """The README stays short (the rest lives in docs/) and keeps the two commands."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert len(readme.splitlines()) <= 300 and len(readme.encode()) <= 25 * 1024
    assert "pip install -r requirements.txt && python app.py" in readme
    assert "pip install -r requirements-dev.txt && python -m pytest" in readme
