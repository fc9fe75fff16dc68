"""Tests of synth.tasks.sketch_to_image and edge sketches on the tiny net:
shapes, ranges, the constraint or penalty holds, the task moves its start toward its class, bad input refused."""
import pytest
import torch
from PIL import Image

import synth

from .conftest import FAST


def test_a_drawing_of_any_size_is_kept_whole_and_moved_toward_its_class(model):
    """A 50x30 drawing is padded with white to the model's square (its lines all kept, none cropped); PGD starts
    there, stays inside the ball around it and raises the score of the chosen class."""
    from PIL import ImageDraw
    sketch = Image.new("RGB", (50, 30), "white")
    ImageDraw.Draw(sketch).line([(0, 15), (49, 15)], fill="black", width=3)  # a line from edge to edge
    res = synth.sketch_to_image(model, sketch, "a", preset="synth.sketch_to_image.cifar10", **FAST)
    assert res.x.shape == res.sketch.shape == (1, 3, 16, 16)
    row = res.sketch[0, 0, 8]
    assert row[0] < 0.5 and row[-1] < 0.5  # the line reaches both sides: the width was fitted, not cropped
    assert res.sketch[0, :, 0].min() > 0.9 and res.sketch[0, :, -1].min() > 0.9  # white padding above and below
    assert (res.history[-1] > res.history[0]).all()  # toward class "a"
    moved = synth.constraints.l2_norm(res.x - res.sketch)
    assert (moved > 1e-3).all() and (moved <= res.config.eps + 1e-4).all()
    assert res.label.tolist() == [0]
    with pytest.raises(ValueError, match="unknown class"):
        synth.sketch_to_image(model, sketch, "zebra", **FAST)


def test_edge_sketch_draws_dark_lines_on_white():
    x = torch.zeros(2, 3, 32, 32)
    x[:, :, 8:24, 8:24] = 1.0  # a white square on black: its outline is the only edge
    s = synth.edge_sketch(x)
    assert s.shape == x.shape and 0 <= s.min() and s.max() <= 1
    assert torch.equal(s[:, 0], s[:, 2])                       # grey lines, the same on every channel
    assert s[:, 0, 0, 0].eq(1).all() and s[:, 0, 16, 16].eq(1).all()  # background and inside stay white
    assert s[:, 0, 16, 6:10].min() < 0.5                     # the square's left side is drawn
