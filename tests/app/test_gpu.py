"""synth.app.gpu: the ZeroGPU wrapper is a no-op on a CPU machine; durations follow the request."""
import os
import subprocess
import sys

import pytest
import torch

from synth.app import gpu


def run(model_name, label_name, seed_kind, eps, steps, step_size, seed_v, compare_v, max_prob=None, count_v=1, progress=None):
    yield steps


def interpolate(src, tgt, model_name, frames_v, steps_v, compare_v, progress=None):
    return frames_v


def test_spaces_decorator_is_a_no_op_off_zerogpu():
    pytest.importorskip("spaces")
    assert not gpu.zero_gpu()
    assert gpu.on_gpu(run) is run and gpu.on_gpu(interpolate) is interpolate
    assert list(gpu.on_gpu(run)("m", "cat", "multivariate", 1.0, 60, 0.1, 0, False)) == [60]


def test_device_is_the_cpu_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert gpu.device() == "cpu"


def test_duration_is_sized_to_the_request():
    d = gpu.duration_for(run)
    assert d("m", "cat", "multivariate", 1.0, 60, 0.1, 0, False) == int(gpu.BASE_SECONDS + gpu.SECONDS_PER_STEP * 60)
    assert d("m", "cat", "multivariate", 1.0, 60, 0.1, 0, True) == int(gpu.BASE_SECONDS + gpu.SECONDS_PER_STEP * 120)
    assert d("m", "cat", "multivariate", 1.0, 10**6, 0.1, 0, True) == gpu.MAX_SECONDS
    assert d("m", "cat", "multivariate", 1.0, "bad", 0.1, 0, True) == gpu.MAX_SECONDS  # the callback itself says why
    assert gpu.duration_for(interpolate)("a", "b", "m", 5, 20, True) == int(gpu.BASE_SECONDS + gpu.SECONDS_PER_STEP * 200)


def test_zerogpu_wraps_generators_with_the_real_package():
    """On ZeroGPU (the platform sets SPACES_ZERO_GPU and the device API), the callbacks become spaces' wrappers."""
    pytest.importorskip("spaces")
    code = ("import inspect; from synth.app import gpu\n"
            "def run(steps, compare_v=False):\n    yield steps\n"
            "w = gpu.on_gpu(run); print(w is not run, inspect.isgeneratorfunction(w) or hasattr(w, 'zerogpu'))")
    env = {**os.environ, "SPACES_ZERO_GPU": "true", "SPACES_ZERO_DEVICE_API_URL": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True"]


@pytest.mark.gpu
def test_store_puts_models_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    from synth.app.store import ModelStore

    from ..conftest import make_tiny
    store = ModelStore(names=["tiny-l2"], loader=lambda n: make_tiny(), published=False)
    assert store.get("tiny-l2").device.type == "cuda"


def test_duration_reads_every_real_tabs_arguments(tmp_path):
    """ZeroGPU's duration of each tab's real callback (as the app registers it) grows with the steps its request
    asks for, doubles with compare and multiplies with interpolation's frames: a renamed argument would size every
    call at the default instead."""
    from app import build_demo
    from synth.app.requests import Uploads, tab_requests

    from .test_build import stub_store
    store = stub_store()
    demo = build_demo(store)
    callbacks = {f.api_name: f.fn for f in demo.fns.values() if f.api_name}
    uploads = Uploads(image=lambda j: "photo.png", second="photo2.png", editor=lambda j: {"background": "photo.png"})
    requests = tab_requests(store, uploads)
    assert requests and set(requests) <= set(callbacks)
    for endpoint, request in requests.items():
        d = gpu.duration_for(callbacks[endpoint])
        frames = request.args[request.at["frames"]] if "frames" in request.at else 1
        alone, both = d(*request.with_(steps=7, compare=False)), d(*request.with_(steps=7, compare=True))
        assert alone == int(gpu.BASE_SECONDS + gpu.SECONDS_PER_STEP * 7 * frames), endpoint
        assert both == int(gpu.BASE_SECONDS + gpu.SECONDS_PER_STEP * 14 * frames), endpoint
    demo.close()
