import io

import numpy as np
import pytest
import torch
from PIL import Image

from synth.imageio import ImageError, fit_square, to_mask, to_pil, to_tensor


def _png(img):
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return buf


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "I;16"])
def test_modes_become_rgb(mode):
    img = Image.new("RGB", (40, 20), (255, 0, 0)).convert(mode) if mode != "I;16" else Image.new("I;16", (40, 20), 65535)
    x = to_tensor(_png(img), (16, 16))
    assert x.shape == (1, 3, 16, 16) and x.min() >= 0 and x.max() <= 1


def test_rgba_composited_on_white():
    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert torch.allclose(to_tensor(img), torch.ones(1, 3, 8, 8))


def test_not_an_image():
    with pytest.raises(ImageError, match="not a readable image"):
        to_tensor(io.BytesIO(b"this is not a png"))


def test_tensor_wrong_size_refused():
    with pytest.raises(ImageError, match="model takes"):
        to_tensor(torch.rand(1, 3, 20, 20), (16, 16))
    with pytest.raises(ImageError):
        to_tensor(torch.rand(1, 3, 16, 16) * 2)


def test_fit_policies():
    x = torch.rand(1, 3, 20, 40)
    assert fit_square(x, (16, 16), "crop").shape == (1, 3, 16, 16)
    padded = fit_square(x, (16, 16), "pad")
    assert padded.shape == (1, 3, 16, 16) and torch.all(padded[..., 0, :] == 1)


def test_roundtrip_pil():
    x = torch.rand(2, 3, 8, 8)
    back = to_tensor(to_pil(x))
    assert (back - x).abs().max() <= 1 / 255


def test_mask_from_alpha_and_array():
    m = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    m.paste((255, 255, 255, 255), (2, 2, 4, 4))
    t = to_mask(m, (8, 8))
    assert t.shape == (1, 1, 8, 8) and t.sum() == 4
    assert to_mask(np.ones((4, 4)), (8, 8)).sum() == 64


def test_nearest_enlarged_image_comes_back_exactly():
    """The demo draws on 8x enlarged copies; reducing them to the model's size restores every pixel."""
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    img = to_pil(x)[0].resize((256, 256), Image.NEAREST)
    back = to_tensor(img, (32, 32))
    assert torch.allclose(back, (x * 255).round() / 255, atol=1e-6)
