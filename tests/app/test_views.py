"""Results made into what the tabs show."""
import os
from pathlib import Path

import numpy as np
import torch

from synth.app.views import DISPLAY, change_views, image_grid, loss_frame


def test_change_views_make_a_subtle_change_visible():
    """A 2/255 change in one pixel becomes full contrast in the difference view; the rest stays mid-grey."""
    start = torch.full((1, 3, 8, 8), 0.5)
    result = start.clone()
    result[0, :, 2, 3] += 2 / 255
    (before, after), diff, largest = change_views(start, result)
    assert before.size == after.size == diff.size == (DISPLAY, DISPLAY)
    assert abs(largest - 2.0) < 1e-3
    px, cell = diff.load(), DISPLAY // 8
    assert px[3 * cell + cell // 2, 2 * cell + cell // 2] == (255, 255, 255) and px[0, 0] in ((127, 127, 127), (128, 128, 128))


def test_grids_keep_true_size_pixels():
    x = torch.rand(16, 3, 8, 8)
    assert image_grid(x).shape == (1, 3, 4 * 8 + 5, 4 * 8 + 5)
    assert torch.equal(image_grid(x[:1]), x[:1])
    assert image_grid(x[:4]).shape == (1, 3, 2 * 8 + 3, 2 * 8 + 3)  # as square as possible
    assert image_grid(x)[0, :, 1:9, 1:9].allclose(x[0])
    assert image_grid(x[:3], columns=3).shape == (1, 3, 8 + 2, 3 * 8 + 4)  # frames side by side


def test_loss_frame_is_the_mean_curve_per_model():
    frame = loss_frame({"robust": torch.tensor([[0.0, 2.0], [1.0, 3.0]]), "standard": torch.zeros(2, 2)})
    assert list(frame.columns) == ["step", "score", "model"]
    assert frame[frame.model == "robust"].score.tolist() == [1.0, 2.0]


def test_output_images_are_never_rewritten_while_served(tmp_path, monkeypatch):
    """Gradio rewrites an output image's content-named file in place on every save (a streamed tab saves its
    unchanged start image with every update), so a download in progress read a file being truncated. Saved through
    the app, a file with the same bytes is left alone: a reader that opened it keeps reading whole bytes."""
    from gradio import processing_utils
    from PIL import Image

    from synth.app.views import save_pil_whole, serve_images_whole
    monkeypatch.setattr(processing_utils, "save_pil_to_cache", processing_utils.save_pil_to_cache)  # restored after
    serve_images_whole()
    assert processing_utils.save_pil_to_cache is save_pil_whole
    img = Image.new("RGB", (32, 32), (200, 30, 90))
    path = processing_utils.save_img_array_to_cache(np.asarray(img), str(tmp_path))  # the array saver goes through it
    with open(path, "rb") as reader:
        head = reader.read(10)
        before = os.stat(path)
        again = processing_utils.save_pil_to_cache(img, str(tmp_path))
        assert again == path
        after = os.stat(path)
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
        assert head + reader.read() == Path(path).read_bytes()
    assert not list(Path(path).parent.glob(".partial-*"))
