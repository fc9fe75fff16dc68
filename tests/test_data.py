"""Data loading from folders and archives; the offline copies when present."""
import tarfile

import numpy as np
import pytest
from PIL import Image

from synth import data

from .conftest import shared_data_or_skip


def _write_folder(root, classes, n=3, size=12):
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (size, size + 4, 3), dtype=np.uint8)).save(root / c / f"{i}.png")


def test_image_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "cache"))
    _write_folder(tmp_path / "set", ["cat", "dog"])
    s = data.image_folder(tmp_path / "set", size=8)
    assert s.images.shape == (6, 3, 8, 8) and s.images.dtype.is_floating_point is False
    assert s.classes == ("cat", "dog") and s.labels.tolist() == [0, 0, 0, 1, 1, 1]
    again = data.image_folder(tmp_path / "set", size=8)  # from the decoded cache
    assert (again.images == s.images).all()


def test_archive_extracted_once_and_found(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SYNTH_SHARED_DATA", str(tmp_path / "shared"))
    for split in ("trainA", "trainB", "testA", "testB"):
        d = tmp_path / "src" / "horse2zebra" / split
        d.mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (20, 20), (i * 100, 50, 50)).save(d / f"{i}.jpg")
    (tmp_path / "shared").mkdir()
    with tarfile.open(tmp_path / "shared" / "horse2zebra-160.tar", "w") as tf:
        tf.add(tmp_path / "src" / "horse2zebra", arcname="horse2zebra")
    s = data.cyclegan("horse2zebra", "train", size=16)
    assert s.classes == ("horse", "zebra") and s.images.shape == (4, 3, 16, 16)
    assert (tmp_path / "cache" / "horse2zebra" / ".extracted").exists()


def test_missing_says_what_and_where(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SYNTH_SHARED_DATA", str(tmp_path / "nothing"))
    monkeypatch.delenv("SYNTH_DOWNLOAD", raising=False)
    with pytest.raises(data.DataMissingError) as err:
        data.imagenette("train")
    msg = str(err.value)
    assert "imagenette2-160.tgz" in msg and "train/<wnid>" in msg and "SYNTH_DOWNLOAD" in msg


def test_wrong_layout(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(data.DataMissingError, match="layout"):
        data.cifar10("train", root=tmp_path / "x")


def test_unsafe_archive_member_refused(tmp_path):
    import io
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tf:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(tarfile.TarError):  # OutsideDestinationError from the 'data' filter
        data.extract(bad, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.slow
def test_offline_cifar10_copy():
    shared_data_or_skip("cifar10-jpg.tar.gz")
    test = data.cifar10("test")
    assert test.images.shape == (10000, 3, 32, 32) and test.labels.bincount().tolist() == [1000] * 10
