"""Data sets as in-memory uint8 tensors: CIFAR-10, Imagenette, CycleGAN two-domain
sets and any folder of class sub-folders.

Where images come from, in order: a folder the caller names; the offline copies in
``../shared/data`` (or ``$SYNTH_SHARED_DATA``), extracted once into the cache folder
``data/`` (or ``$SYNTH_DATA_DIR``); the public originals, downloaded only when asked
(``download=True`` or ``SYNTH_DOWNLOAD=1``). Otherwise :class:`DataMissingError` says
what is missing, the URL and the expected layout. Decoded images are cached as ``.pt``
files so a second load takes a fraction of a second. Augmentation and batching live in
``synth.train``; nothing here touches a model.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGENETTE_WNIDS = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
                    "n03394916", "n03417042", "n03425413", "n03445777", "n03888257")
# the same ten classes as indices of the 1000 ImageNet classes (tench ... parachute), so that
# ImageNet models (the paper's ResNet-50) can be aimed at Imagenette's classes
IMAGENETTE_IN_IMAGENET = (0, 217, 482, 491, 497, 566, 569, 571, 574, 701)
IMAGENETTE_CLASSES = ("tench", "English springer", "cassette player", "chain saw", "church",
                      "French horn", "garbage truck", "gas pump", "golf ball", "parachute")


@dataclass(frozen=True)
class Source:
    """Where a data set's public original and its offline copy live."""
    name: str
    url: str
    shared_file: str
    layout: str


SOURCES = {
    "cifar10": Source("cifar10", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (via torchvision.datasets.CIFAR10)",
                      "cifar10-jpg.tar.gz", "train/<class>/*.jpg and test/<class>/*.jpg"),
    "imagenette": Source("imagenette", "https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
                         "imagenette2-160.tar", "train/<wnid>/*.JPEG and val/<wnid>/*.JPEG"),
    "horse2zebra": Source("horse2zebra", "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip",
                          "horse2zebra-160.tar", "trainA/, trainB/, testA/, testB/ with images"),
}


class DataMissingError(FileNotFoundError):
    """A data set is neither local nor allowed to be downloaded."""


def shared_dir() -> Path:
    """The offline copies (``$SYNTH_SHARED_DATA``, default ``<repo>/../shared/data``)."""
    return Path(os.environ.get("SYNTH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def cache_dir() -> Path:
    """Extracted archives and decoded tensors (``$SYNTH_DATA_DIR``, default ``<repo>/data``)."""
    path = Path(os.environ.get("SYNTH_DATA_DIR", REPO_ROOT / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def download_allowed(download: bool | None) -> bool:
    return bool(download) or os.environ.get("SYNTH_DOWNLOAD", "") not in ("", "0")


def _find_root(base: Path, marker: str) -> Path | None:
    """The folder under ``base`` (itself or one level down) that holds ``marker``."""
    for cand in [base, *sorted(p for p in base.glob("*") if p.is_dir())]:
        if (cand / marker).is_dir():
            return cand
    return None


def extract(archive: Path, dest: Path) -> Path:
    """Extract a tar (any compression) or zip into ``dest`` once; returns ``dest``.

    Members that would land outside ``dest`` (absolute paths, ``..``) are refused.
    """
    done = dest / ".extracted"
    if done.exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".zip":
        import zipfile
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not (dest / member).resolve().is_relative_to(dest.resolve()):
                    raise ValueError(f"unsafe path {member!r} in {archive}")
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")  # 'data' refuses absolute paths, links out, devices
    done.touch()
    return dest


def locate(name: str, marker: str, root: str | Path | None = None, download: bool | None = None) -> Path:
    """Folder holding data set ``name`` (one with sub-folder ``marker``).

    Args:
        name: key of :data:`SOURCES`.
        marker: a sub-folder the layout must have (``train``, ``trainA``).
        root: a folder the caller names; used as is when given.
        download: fetch the public original if nothing local exists.

    Raises:
        DataMissingError: nothing local and downloading not allowed (or failed).
    """
    src = SOURCES[name]
    if root is not None:
        found = _find_root(Path(root), marker)
        if found is None:
            raise DataMissingError(f"{root} does not have the {name} layout: expected {src.layout}")
        return found
    target = cache_dir() / name
    found = _find_root(target, marker) if (target / ".extracted").exists() else None
    if found:
        return found
    archive = shared_dir() / src.shared_file
    if archive.exists():
        return _find_root(extract(archive, target), marker)
    if download_allowed(download):
        return _find_root(_download(name, target), marker)
    raise DataMissingError(
        f"{name} is not available offline. Looked for {archive} and {target}. Either put a folder "
        f"with the layout {src.layout} there (or pass root=...), or allow the download of {src.url} "
        f"with download=True / SYNTH_DOWNLOAD=1.")


def _download(name: str, target: Path) -> Path:
    """Fetch a public original into ``target`` (CIFAR-10 through torchvision)."""
    if name == "cifar10":
        from torchvision.datasets import CIFAR10
        for split, train in (("train", True), ("test", False)):
            ds = CIFAR10(target / "raw", train=train, download=True)
            for i, (img, y) in enumerate(ds):
                out = target / split / CIFAR10_CLASSES[y] / f"{i:05d}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                img.save(out)
        (target / ".extracted").touch()
        return target
    from torchvision.datasets.utils import download_url
    url = SOURCES[name].url
    download_url(url, str(target), filename=url.rsplit("/", 1)[1])
    return extract(target / url.rsplit("/", 1)[1], target)


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_rgb(path: str | Path, size: int | None) -> np.ndarray:
    """One image as (size, size, 3) uint8: greyscale/RGBA converted, shorter side resized
    to ``size`` and centre-cropped (no resize when ``size`` is None)."""
    img = Image.open(path).convert("RGB")
    if size is not None:
        w, h = img.size
        s = size / min(w, h)
        img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        img = img.crop((left, top, left + size, top + size))
    return np.asarray(img, dtype=np.uint8)


@dataclass
class ImageSet:
    """Images in memory.

    Attributes:
        images: (N, 3, H, W) uint8.
        labels: (N,) int64 class indices.
        classes: class names, index = label.
    """
    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def float(self, index=slice(None)) -> torch.Tensor:
        """Images ``index`` as float (n, 3, H, W) in [0, 1]."""
        return self.images[index].float().div_(255)

    def subset(self, n: int, seed: int = 0) -> "ImageSet":
        """A fixed random subset of ``n`` images (class-balanced in expectation)."""
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(len(self), generator=g)[:n]
        return ImageSet(self.images[idx], self.labels[idx], self.classes)

    def of_class(self, label: int) -> torch.Tensor:
        return self.images[self.labels == label]


def image_folder(folder: str | Path, size: int | None = None, classes: list[str] | None = None,
                 cache: bool = True) -> ImageSet:
    """Any folder of class sub-folders (ImageFolder layout) as an :class:`ImageSet`.

    Args:
        folder: ``folder/<class>/*.{jpg,png,...}``.
        size: square side after shorter-side resize + centre crop; None keeps the files' size
            (they must then all be the same size).
        classes: folder names in label order; default sorted sub-folder names.
        cache: keep the decoded tensor in the cache folder, keyed by path, size and mtime.

    Raises:
        DataMissingError: the folder does not exist or holds no class folders.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataMissingError(f"no folder {folder}")
    classes = list(classes or sorted(p.name for p in folder.iterdir() if p.is_dir()))
    if not classes:
        raise DataMissingError(f"{folder} has no class sub-folders")
    key = hashlib.sha1(f"{folder.resolve()}|{size}|{classes}|{folder.stat().st_mtime}".encode()).hexdigest()[:16]
    cached = cache_dir() / "decoded" / f"{folder.name}-{size}-{key}.pt"
    if cache and cached.exists():
        d = torch.load(cached, weights_only=True)
        return ImageSet(d["images"], d["labels"], tuple(d["classes"]))
    arrays, labels = [], []
    for y, c in enumerate(classes):
        for f in _image_files(folder / c):
            arrays.append(load_rgb(f, size))
            labels.append(y)
    if not arrays:
        raise DataMissingError(f"{folder} holds no images")
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    out = ImageSet(images, torch.tensor(labels, dtype=torch.long), tuple(classes))
    if cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"images": out.images, "labels": out.labels, "classes": list(classes)}, cached)
    return out


def cifar10(split: str = "train", root: str | Path | None = None, download: bool | None = None) -> ImageSet:
    """CIFAR-10 (32x32). ``split``: ``train`` (50,000) or ``test`` (10,000)."""
    if split not in ("train", "test"):
        raise ValueError(f"CIFAR-10 split must be 'train' or 'test', not {split!r}")
    base = locate("cifar10", "train", root, download)
    return image_folder(base / split, None, list(CIFAR10_CLASSES))


def imagenette(split: str = "train", size: int = 128, root: str | Path | None = None,
               download: bool | None = None) -> ImageSet:
    """Imagenette (imagenette2 layout), ``split`` ``train`` or ``val``, resized to ``size``
    (shorter side, centre crop); class names are the readable ones, in wnid order."""
    if split not in ("train", "val"):
        raise ValueError(f"Imagenette split must be 'train' or 'val', not {split!r}")
    base = locate("imagenette", "train", root, download)
    s = image_folder(base / split, size, list(IMAGENETTE_WNIDS))
    return ImageSet(s.images, s.labels, IMAGENETTE_CLASSES)


def cyclegan(name: str = "horse2zebra", split: str = "train", size: int = 128,
             root: str | Path | None = None, download: bool | None = None) -> ImageSet:
    """A CycleGAN two-domain set as a two-class :class:`ImageSet` (label 0 = domain A).

    ``split``: ``train`` or ``test``; class names come from the set's name
    (``horse2zebra`` -> ``("horse", "zebra")``, otherwise ``("A", "B")``).
    """
    if split not in ("train", "test"):
        raise ValueError(f"CycleGAN split must be 'train' or 'test', not {split!r}")
    if name not in SOURCES and root is None:
        raise DataMissingError(f"unknown CycleGAN set {name!r}; pass root= a folder with trainA/trainB/testA/testB")
    base = locate(name, "trainA", root, download)
    classes = tuple(name.split("2")) if "2" in name else ("A", "B")
    # the two domain folders act as the two classes of an ImageFolder
    s = image_folder(base, size, [f"{split}A", f"{split}B"])
    return ImageSet(s.images, s.labels, classes)


def load(dataset: str, split: str, size: int | None = None, **kwargs) -> ImageSet:
    """Data set by the name a model card uses (``cifar10``, ``imagenette``, ``horse2zebra``).

    ``split`` ``test`` means the held-out split of each set (Imagenette's ``val``)."""
    if dataset == "cifar10":
        return cifar10(split, **kwargs)
    if dataset == "imagenette":
        return imagenette("val" if split == "test" else split, size or 128, **kwargs)
    if dataset in ("horse2zebra",) or kwargs.get("root"):
        return cyclegan(dataset, split, size or 128, **kwargs)
    raise ValueError(f"unknown data set {dataset!r}")
