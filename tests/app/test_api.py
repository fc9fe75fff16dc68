"""API tests through gradio_client against the app launched on a free local port: every
tab's endpoint returns an image of the model's size, bad inputs return clear errors, and
concurrent clients all get results. Uses the bundled models when present, else a stub."""
import socket
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

from app import build_demo, tabs  # noqa: E402
from synth.app.requests import Uploads, tab_requests  # noqa: E402
from synth.app.store import ModelStore  # noqa: E402
from synth.app.widgets import DISPLAY_CSS  # noqa: E402
from synth.sources import bundled_names  # noqa: E402

from .test_build import stub_store  # noqa: E402

STEPS = 3


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    store = ModelStore(published=False) if "cifar10-l2" in bundled_names() else stub_store()
    import app
    saved = app.example_images
    if store.default != "cifar10-l2":
        app.example_images = lambda s, n=6: []
    demo = build_demo(store)
    demo.queue(default_concurrency_limit=2, max_size=64)
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=DISPLAY_CSS,
                max_file_size="20mb", quiet=True)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    yield client, store
    demo.close()
    app.example_images = saved


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("uploads")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(d / "photo.png")
    Image.fromarray(rng.integers(0, 255, (40, 40), dtype=np.uint8)).save(d / "grey.png")
    Image.fromarray(rng.integers(0, 255, (40, 40, 4), dtype=np.uint8), "RGBA").save(d / "rgba.png")
    Image.fromarray(rng.integers(0, 65535, (40, 40), dtype=np.uint16)).save(d / "deep16.png")
    (d / "notes.txt").write_text("not an image at all")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    layer = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (16, 12, 40, 36))
    layer.save(d / "mask.png")
    Image.new("RGBA", (64, 48), (0, 0, 0, 0)).save(d / "empty_mask.png")
    Image.new("RGBA", (64, 48), (255, 255, 255, 255)).save(d / "full_mask.png")
    return d


def _size(path):
    with Image.open(path) as im:
        return im.size[::-1]


def _editor(files, bg="photo.png", mask="mask.png"):
    return {"background": handle_file(str(files / bg)), "layers": [handle_file(str(files / mask))], "composite": None}


def _uploads(files) -> Uploads:
    photo = lambda j: handle_file(str(files / "photo.png"))  # noqa: E731
    return Uploads(image=photo, second=handle_file(str(files / "grey.png")), editor=lambda j: _editor(files))


def _requests(store, files):
    """Every tab's request, as the tab declares it (``api_request``), at a few steps."""
    return tab_requests(store, _uploads(files))


def _small(request):
    """The request at a few steps, one sample."""
    return request.with_(steps=STEPS, **({"count": 1} if "count" in request.at else {}))


def _calls(store, files):
    return {endpoint: _small(r) for endpoint, r in _requests(store, files).items()}


ENDPOINTS = [tab.__name__.rsplit(".tab_", 1)[1] for tab in tabs()]  # a tab's endpoint is its task's name


def test_every_tab_declares_its_request(files):
    """Each tab's ``api_request`` names its endpoint and the positions the benches and tests set."""
    assert ENDPOINTS and len(set(ENDPOINTS)) == len(ENDPOINTS)
    for endpoint, request in _requests(stub_store(), files).items():
        assert {"model", "steps", "compare"} <= set(request.at), endpoint
        assert endpoint in ENDPOINTS


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_returns_model_sized_image(server, files, endpoint):
    client, store = server
    request = _requests(store, files)[endpoint]
    out = client.predict(*_small(request), api_name=f"/{endpoint}")
    # the last yield of a streaming callback sets every output: no placeholder {"__type__": "update"} reaches a client
    assert not [o for o in out if isinstance(o, dict) and o.get("__type__") == "update"], out
    result = out[request.result]
    if isinstance(result, list):  # a gallery of frames
        assert len(result) == request.args[request.at["frames"]]
        result = result[0]["image"]
    assert _size(result) == store.get(store.default).input_size


def test_boost_vae_works_with_its_defaults(server, files):
    """The tab's own defaults (the VAE, no class chosen) boost a sample toward the model's own prediction of it, and
    say so; a chosen class is the target instead."""
    client, store = server
    args = list(_calls(store, files)["boost"])
    args[0], args[3] = "an image made by a small generator (cifar10-cvae, a VAE)", "(predicted by the model)"
    out = client.predict(*args, api_name="/boost")
    before, after, note = out[0], out[1], out[7]
    assert _size(before) == _size(after) == store.get(store.default).input_size
    assert "Target: **" in note and "prediction" in note
    args[3] = store.get(store.default).classes[3]
    assert f"Target: **{args[3]}** (your choice)" in client.predict(*args, api_name="/boost")[7]


def test_super_resolution_upscales_a_small_upload_and_refuses_a_tiny_one(server, files, tmp_path):
    client, store = server
    side = store.get(store.default).input_size[0]
    small = tmp_path / "small.png"
    Image.new("RGB", (side // 4, side // 4), (200, 40, 40)).save(small)
    args = list(_calls(store, files)["super_resolve"])
    args[0] = handle_file(str(small))
    out = client.predict(*args, api_name="/super_resolve")
    assert _size(out[0]) == (side // 4, side // 4) and _size(out[2]) == (side, side)  # output = factor x input
    assert "upscaled x4" in out[4]
    Image.new("RGB", (3, 3), (200, 40, 40)).save(small)
    assert "at least" in _error(client, args, "super_resolve")
    photo = client.predict(*_calls(store, files)["super_resolve"], api_name="/super_resolve")
    assert "shrunk x4" in photo[4]


def test_compare_returns_both(server, files):
    client, store = server
    args = list(_calls(store, files)["translate"])
    args[-1] = True
    main, twin, probs, plot, twin_probs, status = client.predict(*args, api_name="/translate")
    assert status.startswith("Done:") and store.twin(store.default) in status
    assert _size(main) == _size(twin)
    # both models' probabilities, each over the model's classes
    assert probs["confidences"] and twin_probs["confidences"]
    args[-1] = False
    assert client.predict(*args, api_name="/translate")[4] is None or not client.predict(*args, api_name="/translate")[4].get("confidences")


@pytest.mark.parametrize("upload", ["grey.png", "rgba.png", "deep16.png"])
def test_unusual_images_work(server, files, upload):
    client, store = server
    args = list(_calls(store, files)["translate"])
    args[0] = handle_file(str(files / upload))
    out = client.predict(*args, api_name="/translate")
    assert _size(out[0]) == store.get(store.default).input_size


def _error(client, args, endpoint):
    with pytest.raises(Exception) as err:
        client.predict(*args, api_name=f"/{endpoint}")
    return str(err.value)


@pytest.mark.parametrize("upload,expect", [("notes.txt", "not a readable image"), ("broken.png", "not a readable image")])
def test_bad_uploads(server, files, upload, expect):
    client, store = server
    args = list(_calls(store, files)["translate"])
    args[0] = handle_file(str(files / upload))
    assert expect in _error(client, args, "translate")


def test_huge_image_refused(server, files, tmp_path):
    client, store = server
    big = tmp_path / "huge.png"
    Image.new("L", (7000, 6000), 128).save(big, optimize=False, compress_level=1)
    args = list(_calls(store, files)["translate"])
    args[0] = handle_file(str(big))
    assert "too large" in _error(client, args, "translate")


@pytest.mark.parametrize("mask,expect", [("empty_mask.png", "empty"), ("full_mask.png", "covers everything")])
def test_bad_masks(server, files, mask, expect):
    client, store = server
    args = list(_calls(store, files)["inpaint"])
    args[0] = _editor(files, mask=mask)
    assert expect in _error(client, args, "inpaint")


def test_unknown_class_and_absurd_steps(server, files):
    client, store = server
    args = list(_calls(store, files)["generate"])
    args[1] = "no-such-class"
    msg = _error(client, args, "generate")
    assert "unknown class" in msg or "not in the list of choices" in msg
    args = list(_calls(store, files)["generate"])
    args[4] = 10**7
    msg = _error(client, args, "generate")
    assert "steps" in msg or "greater than maximum" in msg
    # the server is still up
    out = client.predict(*_calls(store, files)["generate"], api_name="/generate")
    assert _size(out[1]) == store.get(store.default).input_size


def _pixels(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def test_ten_concurrent_clients(server, files):
    """Ten visitors at once: each gets its own request's images (the same as that request alone, up to a rounding
    step), all distinct, and the server merges them into fewer batched PGD calls than requests."""
    from synth.app.runs import BATCHER
    client, store = server
    url = client.src
    classes = store.get(store.default).classes

    def args(i):
        a = list(_calls(store, files)["generate"])
        a[1], a[6] = classes[i % len(classes)], i
        return a

    alone = [_pixels(client.predict(*args(i), api_name="/generate")[1]) for i in range(10)]
    calls = BATCHER.calls

    def one(i):
        return _pixels(Client(url, verbose=False).predict(*args(i), api_name="/generate")[1])

    with ThreadPoolExecutor(10) as pool:
        together = list(pool.map(one, range(10)))
    assert BATCHER.calls - calls < 10, "concurrent requests were not merged"
    for i in range(10):
        assert together[i].shape[:2] == store.get(store.default).input_size
        assert np.abs(together[i] - alone[i]).max() <= 1, i  # batched or alone: the same image
    assert len({a.tobytes() for a in together}) == 10  # every visitor got a different image


def test_generate_confidence_cap(server, files):
    """The cap slider reaches the task: capped at 0.6 the sample stops near p 0.6, uncapped it goes on to p ~1."""
    client, store = server
    if store.default != "cifar10-l2":
        pytest.skip("needs the bundled cifar10-l2 (the stub model's probabilities do not move toward the class)")
    cls = store.get(store.default).classes[1]
    p = {}
    for cap in (0.6, 1.0):
        args = (store.default, cls, "uniform", 20.0, 20, 1.0, 0, False, cap)
        probs = client.predict(*args, api_name="/generate")[3]  # seed, result, twin, probabilities, plot
        p[cap] = {c["label"]: c["confidence"] for c in probs["confidences"]}[cls]
    assert p[0.6] < 0.95 and p[1.0] > 0.99, p


def test_generate_grid_of_samples(server, files):
    """Sixteen samples in one request come back as one 4x4 grid of true-size images with 1-px gutters."""
    client, store = server
    args = list(_calls(store, files)["generate"])
    args[-1] = 16
    seeds, result = client.predict(*args, api_name="/generate")[:2]
    h = store.get(store.default).input_size[0]
    assert _size(seeds) == _size(result) == (4 * h + 5, 4 * h + 5)
    args[-1] = 17
    msg = _error(client, args, "generate")
    assert "between 1 and 16" in msg or "greater than maximum value 16" in msg  # the slider refuses it first


@pytest.mark.slow
def test_every_listed_model_works_in_every_tab(server, files):
    """Each model the selectors list (``store.choices()``) answers each tab's request through the API, with its own
    classes (the class boxes take any model's class names), at two steps: an image of that model's size."""
    client, store = server
    if store.default != "cifar10-l2":
        pytest.skip("needs the bundled models")
    requests = _requests(store, files)
    for _, name in store.choices():
        m = store.get(name)
        for endpoint, request in requests.items():
            values = {"model": name, "steps": 2}
            if "class" in request.at and request.args[request.at["class"]] in store.get(store.default).classes:
                values["class"] = m.classes[1]
            if "count" in request.at:
                values["count"] = 1
            if "source" in request.at and m.input_size != store.get(store.default).input_size:
                values.update(source="my image", image=handle_file(str(files / "photo.png")))  # the VAE makes 32-px images
            out = client.predict(*request.with_(**values), api_name=f"/{endpoint}")
            result = out[request.result]
            if isinstance(result, list):
                result = result[0]["image"]
            assert _size(result) == m.input_size, (name, endpoint)


def test_feature_painting_paints_the_feature_of_the_chosen_class_or_number(server, files):
    """By default the tab paints the unit the model's last layer weighs most for the chosen class (raised by the
    run); with *paint the feature number below instead* it paints that number."""
    import re

    import torch

    from synth.tasks import strongest_unit
    client, store = server
    request = _requests(store, files)["paint_features"]
    model = store.get(store.default)
    unit = int(strongest_unit(model, torch.tensor([model.classes.index(request.args[request.at["class"]])]))[0])
    text = client.predict(*request.with_(steps=5), api_name="/paint_features")[2]
    before, after = map(float, re.search(rf"feature {unit} went from (\S+) to (\S+)", text).groups())
    assert after > before, text
    text = client.predict(*request.with_(steps=2, by_number=True, feature=7), api_name="/paint_features")[2]
    assert "feature 7 went from" in text, text


def test_inpaint_fills_in_the_class_of_the_photo_as_uploaded(server, files, tmp_path):
    """With the class left to the model, the region is filled with the class the model gives the uploaded photo,
    not the class of the smooth fill it starts from (a hole over the object can make that another class)."""
    from synth.app.inputs import editor_input
    from synth.tasks.inpaint import harmonic_fill
    client, store = server
    model = store.get(store.default)
    rng = np.random.default_rng(1)
    for _ in range(200):  # a photo whose hole, filled smoothly, changes the model's mind
        blocks = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
        Image.fromarray(blocks).resize((64, 48), Image.NEAREST).save(tmp_path / "photo.png")
        image, mask = editor_input(model, {"background": str(tmp_path / "photo.png"), "layers": [str(files / "mask.png")]})
        photo_class = int(model.predict(image).argmax(1))
        if int(model.predict(harmonic_fill(image, mask)).argmax(1)) != photo_class:
            break
    else:
        pytest.skip("no photo found whose filled start is another class")
    request = _requests(store, files)["inpaint"]
    args = request.with_(steps=40)
    args = (_editor(tmp_path, bg="photo.png", mask=str(files / "mask.png")),) + args[1:]
    probs = client.predict(*args, api_name="/inpaint")[3]
    assert probs["label"] == model.classes[photo_class], probs
