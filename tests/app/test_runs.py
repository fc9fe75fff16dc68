"""The tabs' run helper: concurrent requests merged into one batched PGD call with the same images as alone,
live snapshots while PGD runs, and one plain message for any failure."""
import threading

import gradio as gr
import pytest
import torch

from synth.app.runs import Job, MicroBatcher, friendly, split_result, stream
from synth.app.store import ModelStore
from synth.tasks import generate, paint_features

from ..conftest import make_tiny

OPTIONS = dict(eps=2.0, steps=6, step_size=0.5, max_prob=1.0)


def _job(model, label, seed):
    y = torch.full((2,), label)
    seeds = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
    return Job(model, generate, {"label": y, "seeds": seeds}, OPTIONS)


def test_concurrent_requests_become_one_call_with_the_same_images_as_alone():
    model = make_tiny(0, dataset="cifar10")
    alone = [MicroBatcher(window=0).run("k", _job(model, i % 4, i)) for i in range(6)]
    batcher = MicroBatcher(window=0.3)
    results, steps_seen = [None] * 6, [[] for _ in range(6)]

    def visitor(i):
        results[i] = batcher.run("k", _job(model, i % 4, i), lambda step, x, score: steps_seen[i].append((step, x.shape[0])))

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert batcher.calls == 1  # one batched PGD call for six visitors
    for i in range(6):
        assert results[i].x.shape == (2, 3, 16, 16) and results[i].history.shape == (OPTIONS["steps"] + 1, 2)
        assert torch.allclose(results[i].x, alone[i].x, atol=1e-5), i  # the same images as alone
        assert steps_seen[i] == [(s, 2) for s in range(1, OPTIONS["steps"] + 1)]  # its own rows of every step
        assert torch.equal(results[i].seeds, _job(model, i % 4, i).inputs["seeds"])
    assert len({tuple(r.x.flatten()[:8].tolist()) for r in results}) == 6  # distinct results


def test_visitors_arriving_over_a_while_still_share_one_call():
    """Six requests 40 ms apart (as clients pressing the button together reach the server): each one arrives
    within the quiet window of the last, so all wait for the sixth and run as one call (a fixed 50-ms wait after
    each arrival would have started the first alone); every job knows it ran in company."""
    import time
    model = make_tiny(0, dataset="cifar10")
    batcher = MicroBatcher(window=0.1, max_wait=2.0)
    jobs = [_job(model, i % 4, i) for i in range(6)]

    def visitor(i):
        time.sleep(0.04 * i)
        batcher.run("k", jobs[i])

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert batcher.calls == 1 and all(j.company == 6 for j in jobs)
    alone = _job(model, 0, 0)
    MicroBatcher(window=0.1).run("k", alone)
    assert alone.company == 1


def test_different_options_are_not_merged_and_errors_reach_their_request():
    model = make_tiny(0, dataset="cifar10")
    batcher = MicroBatcher(window=0.2)
    other = dict(OPTIONS, eps=1.0)
    out = {}

    def visitor(name, job):
        try:
            out[name] = batcher.run(job.key("tiny"), job)
        except ValueError as err:
            out[name] = err

    # "bad" has the same key as "a" but an out-of-range class: merged, the call fails, then each runs alone
    jobs = {"a": _job(model, 0, 0), "b": Job(model, generate, _job(model, 1, 1).inputs, other),
            "bad": Job(model, generate, {"label": torch.full((2,), 9), "seeds": torch.rand(2, 3, 16, 16)}, OPTIONS)}
    assert jobs["a"].key("tiny") != jobs["b"].key("tiny") and jobs["a"].key("tiny") == jobs["bad"].key("tiny")
    threads = [threading.Thread(target=visitor, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert batcher.calls >= 2 and out["a"].x.shape == out["b"].x.shape == (2, 3, 16, 16)
    assert isinstance(out["bad"], ValueError) and "9" in str(out["bad"])  # the error reaches its own request only
    small = Job(model, generate, {"label": torch.full((2,), 0), "seeds": torch.rand(2, 3, 8, 8)}, OPTIONS)
    assert small.key("tiny") != jobs["a"].key("tiny")  # other image sizes never merge


def test_split_result_cuts_per_image_fields_and_keeps_shared_ones():
    model = make_tiny(0, dataset="cifar10")
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(3, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1
    res = paint_features(model, x, mask, 2, steps=3, eps=1.0, step_size=0.3, lam=1.0)
    parts = split_result(res, [1, 2])
    assert [p.x.shape[0] for p in parts] == [1, 2]
    assert parts[1].activation.shape == (2, 2)  # (before/after, N) cut on dim 1
    assert parts[0].history.shape == (4, 1) and parts[0].config is res.config
    assert type(parts[0]) is type(res) and torch.equal(parts[1].activation, res.activation[:, 1:])
    # two images, one step: the history (2, N) and activation (2, N) have N rows too, and are still cut by column
    res = paint_features(model, x[:2], mask[:2], 2, steps=1, eps=1.0, step_size=0.3, lam=1.0)
    first, second = split_result(res, [1, 1])
    assert torch.equal(second.history, res.history[:, 1:]) and torch.equal(second.activation, res.activation[:, 1:])
    assert torch.equal(first.x, res.x[:1]) and torch.equal(second.mask, res.mask[1:])


def test_stream_yields_live_snapshots_then_returns_both_models():
    models = {"tiny-l2": make_tiny(0, dataset="cifar10"), "tiny-standard": make_tiny(1, dataset="cifar10")}
    store = ModelStore(names=list(models), loader=models.__getitem__, published=False)
    seen = []
    gen = stream(store, "tiny-l2", True, lambda m: _job(m, 1, 0), steps=OPTIONS["steps"], updates=3,
                 live=lambda i, step, x: seen.append((i, step, x.shape)) or {"i": i})
    yielded = []
    try:
        while True:
            yielded.append(next(gen))
    except StopIteration as stop:
        results = stop.value
    assert list(results) == ["tiny-l2", "tiny-standard"]
    assert [s[:2] for s in seen] == [(0, 2), (0, 4), (0, 6), (1, 2), (1, 4), (1, 6)]
    assert len(yielded) == 6 and seen[0][2] == (2, 3, 16, 16)
    assert not torch.equal(results["tiny-l2"].x, results["tiny-standard"].x)
    with pytest.raises(ValueError, match="no standard twin"):
        next(stream(store, "tiny-standard", True, lambda m: _job(m, 1, 0), steps=2))


def test_friendly_errors_on_plain_and_streaming_callbacks():
    @friendly
    def bad(kind):
        if kind == "value":
            raise ValueError("unknown class 'zebra'")
        raise RuntimeError("boom at /root/secret/path.py")

    @friendly
    def streaming(kind):
        yield 1
        bad.__wrapped__(kind)

    with pytest.raises(gr.Error, match="unknown class 'zebra'"):
        bad("value")
    with pytest.raises(gr.Error) as err:
        bad("other")
    assert "Something went wrong" in str(err.value) and "/root" not in str(err.value) and "RuntimeError" not in str(err.value)
    gen = streaming("value")
    assert next(gen) == 1
    with pytest.raises(gr.Error, match="unknown class"):
        next(gen)


def test_a_dedicated_compute_thread_owns_the_cores_and_runs_every_call():
    """In a fresh process (it changes the process's thread counts): after ``dedicate_compute_thread(2)`` the main
    thread and any new thread compute single-threaded, the compute thread with 2 threads, and a batched call made from
    a request's thread runs there, with the same images as before."""
    import subprocess
    import sys
    code = """
import threading, torch
from synth.app import runs
runs.dedicate_compute_thread(2)
seen = {}
def task(model, label, seeds, callback, bf16, **options):
    seen["thread"], seen["threads"] = threading.current_thread().name, torch.get_num_threads()
    return "done"
other = {}
t = threading.Thread(target=lambda: other.setdefault("threads", torch.get_num_threads())); t.start(); t.join()
job = runs.Job(None, task, {"label": torch.zeros(2), "seeds": torch.zeros(2, 3, 4, 4)})
result = runs.MicroBatcher(window=0).run("k", job)
print(torch.get_num_threads(), other["threads"], seen["thread"].startswith("synth-compute"), seen["threads"], result)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1", "True", "2", "done"]
