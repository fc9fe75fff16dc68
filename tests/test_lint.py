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


def _imports() -> dict[str, set[str]]:
    """{module of the package: the modules of the package it imports}, every import statement counted (also the ones
    inside functions), ``from X import name`` counted as X.name where that is a module."""
    import ast
    root = Path(__file__).resolve().parent.parent
    files = {}
    for path in (root / "synth").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                base_name = ".".join(base + ([node.module] if node.module else []))
                names = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in files else base_name for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in files:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def test_no_two_modules_import_each_other():
    """No import cycle in the package, directly or through others (a package's ``__init__`` importing its own
    modules is a cycle only if one of them imports the ``__init__`` back)."""
    graph = _imports()
    assert graph["synth.batch.cli"] and "synth.tasks.registry" in graph["synth.tasks.generate"]  # the graph is read
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
