"""Deploy the demo as a Hugging Face Space in one command.

    python -m synth.space deploy OWNER/NAME --dry-run      # print the files, their sizes and the front matter
    python -m synth.space deploy OWNER/NAME                # create the Space (Gradio SDK) and upload
    python -m synth.space deploy OWNER/NAME --hardware zero-a10g --weights-from-hub

The Space gets the app (``app.py`` and the ``synth`` package), the bundled models the demo offers and
their seeds, a ``requirements.txt`` made from the project's (without ``-e .`` and gradio, which the SDK
pins), a ``.gitattributes`` that stores weights and images through LFS/Xet, and a README whose front matter
(``huggingface_hub.SpaceCardData``) names the SDK and its version (the pinned gradio), the Python
version, the app file, the models and, with ``--weights-from-hub``, ``preload_from_hub`` for models whose
card names a Hub repository (``python -m synth.hub push --record``), whose weights then stay out of the
upload. No tests, benchmarks, notebooks, docs or data-set images are uploaded. ``HfApi.upload_folder``
does the upload (large files through LFS/Xet; no git history).
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_VERSION = "3.11"  # the version the pinned torch wheels are tested on here
PLAIN_BLOB_LIMIT = 10 * 1024 * 1024  # the Hub refuses larger files that are not stored through LFS/Xet
LFS_PATTERNS = ("*.safetensors", "*.pt", "*.ckpt", "*.png", "*.jpg", "*.npz")
SHORT_DESCRIPTION = "Generate, inpaint, translate with one robust classifier"  # at most 60 characters
HARDWARE = ("cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "a10g-small", "a10g-large")


@dataclass(frozen=True)
class SpaceFile:
    """One file of the Space: its path in the Space, where its content comes from (or the text to write)."""
    path: str
    source: Path | None = None
    text: str | None = None

    @property
    def size(self) -> int:
        return len(self.text.encode()) if self.text is not None else self.source.stat().st_size

    @property
    def lfs(self) -> bool:
        """Whether the upload stores it through LFS/Xet (the .gitattributes patterns, or binary, or large)."""
        return any(fnmatch.fnmatch(Path(self.path).name, p) for p in LFS_PATTERNS) or self.size > PLAIN_BLOB_LIMIT


def pinned(requirements: str, package: str) -> str:
    """The version ``package==X`` pins in a requirements text.

    Raises:
        ValueError: the package is not pinned with ``==``.
    """
    for line in requirements.splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep and name.strip().lower() == package:
            return version.strip()
    raise ValueError(f"requirements.txt must pin {package} with == (the Space's sdk_version comes from it)")


def space_requirements(requirements: str) -> str:
    """The Space's requirements.txt: the project's runtime requirements without the editable install (the Space
    runs from its own folder) and gradio (the SDK installs the ``sdk_version``), plus ``spaces`` (ZeroGPU)."""
    keep = [line for line in requirements.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "-e")) and not line.strip().lower().startswith("gradio")]
    return "\n".join(["# written by python -m synth.space from the project's requirements.txt", *keep, "spaces"]) + "\n"


def demo_models(root: Path = ROOT) -> list[str]:
    """The bundled models the demo uses: its classifiers (cards without a ``role``) and the generators (no ``arch``)."""
    assets = root / "assets" / "models"
    return sorted(p.stem for p in assets.glob("*.json") if "role" not in json.loads(p.read_text()))


def front_matter(root: Path, hub_models: dict[str, str], hardware: str | None):
    """The Space's card data (``huggingface_hub.SpaceCardData``)."""
    from huggingface_hub import SpaceCardData
    gradio = pinned((root / "requirements.txt").read_text(), "gradio")
    extra = {"short_description": SHORT_DESCRIPTION, "emoji": "🎨", "colorFrom": "indigo", "colorTo": "pink",
             "pinned": False}
    if hub_models:
        # "repo file1,file2 commit": the Space's build downloads them into the Hub cache, where hf_hub_download finds them
        extra["preload_from_hub"] = [f"{repo.partition('@')[0]} model.safetensors,config.json"
                                     + (f" {repo.partition('@')[2]}" if "@" in repo else "") for repo in hub_models.values()]
    if hardware:
        extra["suggested_hardware"] = hardware
    return SpaceCardData(title="synth: image synthesis with a robust classifier", sdk="gradio", sdk_version=gradio,
                         python_version=PYTHON_VERSION, app_file="app.py", license="mit",
                         models=sorted(repo.partition("@")[0] for repo in hub_models.values()) or None,
                         tags=["adversarial-robustness", "image-synthesis", "image-generation", "inpainting"], **extra)


def _task_list() -> str:
    """The registered tasks in tab order, as words: "generate, inpaint, ... and interpolate"."""
    from ..tasks import registered
    names = [t.name.replace("_", " ") for t in registered()]
    return ", ".join(names[:-1]) + " and " + names[-1]


SPACE_TEXT = """
# synth: image synthesis with a single robust classifier

One tab per task (""" + _task_list() + """), all by projected gradient descent on the input of one adversarially
robust classifier (Santurkar et al., NeurIPS 2019). Tick *compare with the standard model* in any tab: the same
steps on a non-robust network add only a speckle of noise, not the class.

The models were trained from scratch on CPUs by the synth project; each has a JSON card beside its weights
in `assets/models` (recipe, cost, clean and robust accuracy).
"""


def space_files(root: Path = ROOT, weights_from_hub: bool = False, hardware: str | None = None) -> list[SpaceFile]:
    """Every file of the Space, in upload order.

    Args:
        root: the project's folder.
        weights_from_hub: leave out the weights of models whose card names a Hub repository (preloaded instead).
        hardware: recorded as ``suggested_hardware``.
    """
    from huggingface_hub import SpaceCard
    root = Path(root)
    files = [SpaceFile("app.py", root / "app.py")]
    files += [SpaceFile(p.relative_to(root).as_posix(), p) for p in sorted((root / "synth").rglob("*.py"))
              if "__pycache__" not in p.parts]
    hub_models = {}
    for name in demo_models(root):
        card_path = root / "assets" / "models" / f"{name}.json"
        files.append(SpaceFile(card_path.relative_to(root).as_posix(), card_path))
        hub = json.loads(card_path.read_text()).get("hub")
        if weights_from_hub and hub:
            hub_models[name] = hub
        else:
            weights = card_path.with_suffix(".safetensors")
            files.append(SpaceFile(weights.relative_to(root).as_posix(), weights))
    files += [SpaceFile(p.relative_to(root).as_posix(), p) for p in sorted((root / "assets" / "seeds").glob("*.safetensors"))]
    files.append(SpaceFile("requirements.txt", text=space_requirements((root / "requirements.txt").read_text())))
    files.append(SpaceFile(".gitattributes", text="".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS)))
    card = SpaceCard.from_template(front_matter(root, hub_models, hardware), template_str="---\n{{ card_data }}\n---\n" + SPACE_TEXT)
    files.append(SpaceFile("README.md", text=str(card)))
    return files


def stage(files: list[SpaceFile], folder: Path) -> None:
    """Write the Space's files into ``folder`` (the upload's source)."""
    for f in files:
        dest = Path(folder) / f.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if f.text is not None:
            dest.write_text(f.text)
        else:
            shutil.copyfile(f.source, dest)


def describe(files: list[SpaceFile]) -> str:
    """The dry run's report: each file with its size and how it is stored, the total, and the front matter."""
    lines = [f"{f.size / 1e6:9.3f} MB  {'lfs  ' if f.lfs else 'plain'}  {f.path}" for f in files]
    lines.append(f"{sum(f.size for f in files) / 1e6:9.3f} MB  in {len(files)} files "
                 f"({sum(f.lfs for f in files)} through LFS/Xet)")
    readme = next(f.text for f in files if f.path == "README.md")
    return "\n".join(lines) + "\n\nREADME.md front matter:\n" + readme.split("---")[1].strip()


def deploy(repo_id: str, dry_run: bool = False, hardware: str | None = None, weights_from_hub: bool = False,
           private: bool = False, root: Path = ROOT, token: str | None = None) -> str:
    """Create (or update) the Space ``repo_id`` with the demo; returns the dry run's report or the Space's URL."""
    if "/" not in repo_id:
        raise ValueError(f"a Space is named OWNER/NAME, not {repo_id!r}")
    if hardware and hardware not in HARDWARE:
        raise ValueError(f"unknown hardware {hardware!r}; one of {', '.join(HARDWARE)}")
    files = space_files(root, weights_from_hub, hardware)
    if dry_run:
        return describe(files)
    from huggingface_hub import HfApi
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stage(files, Path(tmp))
        # delete_patterns: files of an earlier deployment that this one no longer has go away in the same commit
        api.upload_folder(repo_id=repo_id, repo_type="space", folder_path=tmp, delete_patterns="*",
                          commit_message="Deploy the synth demo (python -m synth.space deploy)")
    if hardware:
        api.request_space_hardware(repo_id, hardware)
    return f"https://huggingface.co/spaces/{repo_id}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m synth.space", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy", help="create or update the demo's Space")
    d.add_argument("repo_id", help="OWNER/NAME of the Space")
    d.add_argument("--dry-run", action="store_true", help="print the files, sizes and front matter; upload nothing")
    d.add_argument("--hardware", choices=HARDWARE, default=None,
                   help="request this hardware (zero-a10g: ZeroGPU; needs a PRO or organisation account)")
    d.add_argument("--weights-from-hub", action="store_true",
                   help="models whose card names a Hub repository are preloaded from it instead of uploaded")
    d.add_argument("--private", action="store_true")
    args = p.parse_args(argv)
    try:
        print(deploy(args.repo_id, args.dry_run, args.hardware, args.weights_from_hub, args.private))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
