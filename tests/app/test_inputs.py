"""Visitors' inputs: editor masks reduced to the model's size, and clear refusals."""
import pytest
from PIL import Image

from synth.app.inputs import check_count, check_steps, class_index, editor_input, optional_label

from ..conftest import make_tiny


def test_editor_mask(tmp_path):
    model = make_tiny()
    bg = tmp_path / "bg.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(bg)
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 32, 32))
    layer.save(tmp_path / "layer.png")
    x, m = editor_input(model, {"background": str(bg), "layers": [str(tmp_path / "layer.png")], "composite": None})
    assert x.shape == (1, 3, 16, 16) and m.shape == (1, 1, 16, 16)
    assert m.sum() == 64  # a quarter of 16x16
    with pytest.raises(ValueError, match="Draw"):
        editor_input(model, {"background": str(bg), "layers": [], "composite": None})
    with pytest.raises(ValueError, match="upload an image"):
        editor_input(model, {"background": None, "layers": [], "composite": None})


def test_editor_refuses_a_mask_over_most_of_the_image(tmp_path):
    model = make_tiny()
    bg = tmp_path / "bg.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(bg)
    layer = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 64, 60))  # 94% of the image
    layer.save(tmp_path / "layer.png")
    with pytest.raises(ValueError, match="covers 94% of the image"):
        editor_input(model, {"background": str(bg), "layers": [str(tmp_path / "layer.png")], "composite": None})


def test_counts_and_classes():
    model = make_tiny()
    assert check_steps(5) == 5 and check_count(16) == 16
    for bad in (0, 10**6):
        with pytest.raises(ValueError, match="steps must be between 1 and"):
            check_steps(bad)
    with pytest.raises(ValueError, match="samples must be between 1 and 16"):
        check_count(17)
    assert class_index(model, "b") == 1 and optional_label(model, "(predicted by the model)") is None
    with pytest.raises(ValueError):
        class_index(model, "zebra")
    with pytest.raises(ValueError, match="choose a class"):
        class_index(model, "")


def test_an_upload_still_being_written_is_read_once_complete(tmp_path):
    """Two visitors uploading the same file share one path that may be rewritten while read (the race behind a bare
    'error' under load): the private copy waits until the bytes decode, and later rewrites do not touch it."""
    import io
    import threading
    import time

    from PIL import Image

    from synth.app.inputs import stable_copy
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, format="PNG")
    data = buf.getvalue()
    path = tmp_path / "upload.png"
    path.write_bytes(data[: len(data) // 2])  # half written
    threading.Thread(target=lambda: (time.sleep(0.2), path.write_bytes(data))).start()
    copy = stable_copy(str(path))
    assert copy is not None and copy != str(path)
    path.write_bytes(b"rewritten by another request")
    with Image.open(copy) as img:
        assert img.size == (64, 64) and img.getpixel((0, 0)) == (10, 200, 30)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert stable_copy(str(broken), attempts=3, wait=0.01) is None


def test_a_mask_layer_still_being_written_by_gradio_is_read_once_complete(tmp_path):
    """Gradio's editor preprocess hands the handler its layers at a path named from their content, shared by visitors
    who send the same mask at once (the soak's one failure: 'cannot identify image file .../mask.png'): the
    handler's decode waits until the bytes are whole; a broken file still gets the decoder's plain error."""
    import io
    import threading
    import time

    from PIL import Image

    from synth.app.inputs import decoded, editor_input
    model = make_tiny(0, dataset="cifar10")
    buf = io.BytesIO()
    layer = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (0, 0, 8, 16))
    layer.save(buf, format="PNG")
    data = buf.getvalue()
    background, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.new("RGB", (16, 16), (90, 90, 90)).save(background)
    mask.write_bytes(data[: len(data) // 2])  # half written
    threading.Thread(target=lambda: (time.sleep(0.2), mask.write_bytes(data))).start()
    image, m = editor_input(model, {"background": str(background), "layers": [str(mask)]})
    assert image.shape == (1, 3, 16, 16) and m.sum() == 128  # the left half
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert decoded(str(broken), attempts=2, wait=0.01) == str(broken)
