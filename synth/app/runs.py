"""How a tab's request runs: the task on the chosen model (and its standard twin), merged with
other visitors' requests into one batched PGD call, streamed to the page every few steps, with
one plain message for any failure.

- :class:`Job`: one model's share of a request (the task, its batched inputs, its options).
- :class:`MicroBatcher`: requests with the same task, model and options that arrive together
  (or while a call runs) become one call; each gets its own slice of the result and of every step.
- :func:`dedicate_compute_thread`: on a CPU server, every call runs on one thread that owns the cores.
- :func:`stream`: the one run helper of the tabs (a generator: live snapshots, then the results).
- :func:`friendly`: expected failures become one ``gr.Error`` sentence, the rest are logged.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import os
import queue
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import gradio as gr
import torch

from ..imageio import ImageError
from ..pgd import PGDResult
from ..tasks.results import batch_dim
from ..sources import ModelUnavailableError

log = logging.getLogger("synth.app")
# bfloat16 autocast in the demo where the CPU (or GPU) has native bf16 (about 2x faster, bench/pgd_speed.py);
# float32 elsewhere, see synth.pgd.bf16_is_native.
BF16 = os.environ.get("SYNTH_APP_BF16", "1") != "0"
MERGE_LIMIT = 16  # concurrent requests of one endpoint that may wait to be merged (Gradio's concurrency_limit)
MERGED_EVERY = 3  # a merged request's line of progress moves a third as often: each update is server work beside PGD
ERROR_SECONDS = 8  # an error toast goes away by itself, so it never sits over a later result


@dataclass
class Job:
    """One model's PGD work for one request: ``task(model, **inputs, **options, callback=..., bf16=BF16)``.

    Attributes:
        model: the loaded classifier.
        task: a ``synth.tasks`` function.
        inputs: tensors with the request's images on dim 0 (or None), merged across requests by concatenation.
        options: everything else (floats, ints, strings, bools); requests merge only when these are equal.
        merge: False for tasks whose batch dimension is not the request's (interpolation's frames).
        company: how many requests the batcher ran it with (set when its call starts; 1 = alone).
    """
    model: object
    task: Callable
    inputs: dict
    options: dict = field(default_factory=dict)
    merge: bool = True
    company: int = 1

    def key(self, model_name: str):
        if not self.merge:
            return object()  # never equal to another request's
        shapes = tuple(sorted((k, None if v is None else tuple(v.shape[1:])) for k, v in self.inputs.items()))
        return model_name, self.task.__name__, tuple(sorted(self.options.items())), shapes

    def rows(self) -> int:
        return next(len(v) for v in self.inputs.values() if isinstance(v, torch.Tensor))

    def __call__(self, inputs: dict, callback) -> PGDResult:
        return self.task(self.model, **inputs, **self.options, callback=callback, bf16=BF16)


def split_result(res: PGDResult, sizes: list[int]) -> list[PGDResult]:
    """Cut a batched result into the requests' parts (rows ``sizes[0]``, then ``sizes[1]`` ...), each of the result's
    type: every field along its per-image dimension (``synth.tasks.results.batch_dim``: dim 1 of the history (steps+1,
    N) and of feature painting's activation (2, N), else dim 0); fields shared by all images (config, one mask) are
    shared."""
    n, bounds = sum(sizes), [0]
    for s in sizes:
        bounds.append(bounds[-1] + s)
    dims = {f.name: batch_dim(f, getattr(res, f.name), n) for f in dataclasses.fields(res)}

    def part(name, a, b):
        v, d = getattr(res, name), dims[name]
        return v if d is None else v.narrow(d, a, b - a)

    return [dataclasses.replace(res, **{name: part(name, a, b) for name in dims}) for a, b in zip(bounds, bounds[1:])]


_COMPUTE: ThreadPoolExecutor | None = None  # set by dedicate_compute_thread


def dedicate_compute_thread(threads: int | None = None) -> None:
    """Run every batched call (of every :class:`MicroBatcher`) on one thread with ``threads`` intra-op threads (default:
    torch's count), and make every other thread of the process compute single-threaded. Call it first thing in a CPU
    server, before any torch work in the main thread.

    Why: each thread that runs a parallel torch op keeps its own OpenMP team, and once a process holds more OpenMP
    threads than CPUs, libgomp stops spinning between parallel regions (its "throttled" spin count); a PGD step is
    hundreds of short regions, each then paying a wake-up. Measured on 2 cores: a default 4-sample Generate call took
    1.5-1.7 s on a request's thread against 0.85-0.91 s on the main thread, and 0.84-0.92 s on this compute thread."""
    global _COMPUTE
    if _COMPUTE is not None:
        return
    n = threads or torch.get_num_threads()

    def own_the_cores():
        torch.get_num_threads()  # this thread's lazy set-up (to the process-wide count) happens now, not at its first op
        torch.set_num_threads(n)  # this thread's OpenMP count (and, for a moment, the process-wide one)

    _COMPUTE = ThreadPoolExecutor(1, thread_name_prefix="synth-compute", initializer=own_the_cores)
    _COMPUTE.submit(lambda: None).result()
    torch.set_num_threads(1)  # the count every other thread takes at its first parallel op, and this thread's


def on_compute_thread(fn: Callable, *args):
    """``fn(*args)`` on the dedicated compute thread if there is one, else here."""
    return fn(*args) if _COMPUTE is None else _COMPUTE.submit(fn, *args).result()


@dataclass
class _Ticket:
    job: Job
    on_step: Callable | None
    done: threading.Event = field(default_factory=threading.Event)
    taken: bool = False
    result: PGDResult | None = None
    error: BaseException | None = None


class MicroBatcher:
    """Merges concurrent requests with equal keys into one batched call of the task.

    A request waits for company until no other request of its key has arrived for ``window`` seconds (at most
    ``max_wait``: ten clients sending at the same moment reach the handlers spread over up to ~0.2 s, measured
    through the server), then the first of them to get the compute lock runs all requests pending under its key (up to
    ``max_rows`` images) as one call; requests that arrive while a call runs are merged into the next. One call runs
    at a time: on a small CPU, parallel calls only share its cores. Samples never interact in ``pgd`` (the score is
    summed), so a merged request gets the same images as alone.

    Args:
        window: seconds without a new request of the key that end the wait.
        max_wait: the longest a request waits for company.
        max_rows: the most images in one call.
    """

    def __init__(self, window: float = 0.2, max_wait: float = 0.5, max_rows: int = 128):
        self.window, self.max_wait, self.max_rows = window, max_wait, max_rows
        self._pending: dict = {}
        self._arrived: dict = {}  # key -> time of its latest request
        self._lock = threading.Lock()  # guards _pending and _arrived
        self._compute = threading.Lock()
        self.calls = 0  # batched calls made so far (the bench and tests read it)

    def run(self, key, job: Job, on_step: Callable | None = None) -> PGDResult:
        """Run ``job`` (merged with others of the same ``key``); ``on_step(step, x, score)`` gets this request's rows
        of every step. Returns this request's PGDResult; re-raises the batch's error."""
        ticket = _Ticket(job, on_step)
        with self._lock:
            self._pending.setdefault(key, []).append(ticket)
            self._arrived[key] = arrived = time.monotonic()
        while job.merge and self.window > 0:  # (a request that never merges has no company to wait for)
            with self._lock:
                latest = self._arrived.get(key, arrived)
            now = time.monotonic()
            rest = min(self.window - (now - latest), self.max_wait - (now - arrived))
            if rest <= 0:
                break
            time.sleep(rest)
        while not ticket.done.is_set():
            with self._compute:
                with self._lock:
                    batch = [] if ticket.taken else self._take(key)
                if batch:
                    on_compute_thread(self._execute, batch)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _take(self, key) -> list[_Ticket]:
        waiting, batch, rows = self._pending.get(key, []), [], 0
        while waiting and (not batch or rows + waiting[0].job.rows() <= self.max_rows):
            ticket = waiting.pop(0)
            ticket.taken, rows = True, rows + ticket.job.rows()
            batch.append(ticket)
        if not waiting:
            self._pending.pop(key, None)
            self._arrived.pop(key, None)
        return batch

    def _execute(self, batch: list[_Ticket]) -> None:
        """Run the batch as one call; if that fails, each request alone, so an error reaches only its own request."""
        try:
            self.calls += 1
            self._call(batch)
        except BaseException as err:  # noqa: BLE001 - every request gets a result or its own error
            for t in batch:
                if len(batch) == 1:
                    t.error = err
                    continue
                try:
                    self._call([t])
                except BaseException as own:  # noqa: BLE001
                    t.error = own
        finally:
            for t in batch:
                t.done.set()

    @staticmethod
    def _call(batch: list[_Ticket]) -> None:
        sizes = [t.job.rows() for t in batch]
        bounds = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        first = batch[0].job
        for t in batch:
            t.job.company = len(batch)
        inputs = {k: (None if v is None else torch.cat([t.job.inputs[k] for t in batch]) if len(batch) > 1 else v)
                  for k, v in first.inputs.items()}

        def callback(step, x, score):
            for t, a, b in zip(batch, bounds, bounds[1:]):
                if t.on_step is not None:
                    t.on_step(step, x[a:b], score[a:b])

        result = first(inputs, callback)
        parts = [result] if len(batch) == 1 else split_result(result, sizes)
        for t, part in zip(batch, parts):
            t.result = part


BATCHER = MicroBatcher()


def progress_text(name: str, step: int, steps: int, part: int = 1, parts: int = 1) -> str:
    """One line of progress, e.g. ``cifar10-l2: PGD step 30 of 60 ▰▰▰▰▰▱▱▱▱▱ (model 1 of 2)``."""
    filled = round(10 * step / max(steps, 1))
    of = f" (model {part} of {parts})" if parts > 1 else ""
    return f"`{name}`: PGD step {step} of {steps} {'▰' * filled}{'▱' * (10 - filled)}{of}"


def stream(store, name: str, compare: bool, make_job: Callable, steps: int, progress=None, live: Callable | None = None,
           status=None, finish: Callable | None = None, batcher: MicroBatcher | None = None, updates: int = 8):
    """The tabs' run helper, a generator: ``yield from stream(...)`` in a tab's callback.

    Runs ``make_job(model)`` on model ``name`` and, with ``compare``, on its standard twin; yields
    ``live(role_index, step, x)`` (a {component: value} dict) about ``updates`` times per model while PGD runs, with
    a line of progress in the ``status`` component (the tab's one progress bar), and reports progress to
    ``progress`` (a ``gr.Progress``, which API clients see). A request merged with others (a busy server) gets the
    progress line, a third as often, without the live images: every visitor's updates would take the cores from PGD. The
    last yield is ``finish(results)`` with the status's closing line: it must set every output of the event, since
    API clients read the outputs of the last yield.

    Returns:
        {model name: PGDResult}, the requested model first.
    """
    names = [name]
    if compare:
        twin = store.twin(name)
        if twin is None:
            raise ValueError(f"{name} has no standard twin to compare with.")
        names.append(twin)
    batcher = batcher or BATCHER
    every = max(1, steps // updates)
    total = steps * len(names)
    results, started = {}, time.perf_counter()
    for i, n in enumerate(names):
        job = make_job(store.get(n))
        snaps: queue.Queue = queue.Queue()

        def on_step(step, x, score, snaps=snaps, job=job):
            alone = job.company == 1
            if step % (every if alone else every * MERGED_EVERY) == 0 or step == steps:
                snaps.put((step, x.detach().float().cpu().clone() if alone else None))

        box: dict = {}

        def work(job=job, n=n, box=box, on_step=on_step):
            try:
                box["result"] = batcher.run(job.key(n), job, on_step)
            except BaseException as err:  # noqa: BLE001 - re-raised in the request's thread
                box["error"] = err

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive() or not snaps.empty():
            try:
                step, x = snaps.get(timeout=0.05)
            except queue.Empty:
                continue
            if progress is not None:
                progress((i * steps + step, total), desc=f"{n}: PGD step {step}/{steps}")
            out = live(i, step, x) if live is not None and x is not None else {}
            if status is not None:
                out[status] = progress_text(n, step, steps, i + 1, len(names))
            if out:
                yield out
        worker.join()
        if "error" in box:
            raise box["error"]
        results[n] = box["result"]
    final = finish(results) if finish is not None else {}
    if status is not None:
        each = f"`{names[0]}`" + "".join(f", and the same on `{n}`" for n in names[1:])  # the chart's steps per model
        final[status] = f"Done: {steps} steps on {each} in {time.perf_counter() - started:.1f} s."
    if final:
        yield final
    return results


def friendly(fn):
    """Turn expected failures into one ``gr.Error`` sentence shown for a few seconds; log the rest and show a short
    message, so the server never crashes and never shows a stack trace, a path or an exception name. Works on
    plain and generator callbacks."""

    def convert(err: BaseException) -> gr.Error:
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, (ImageError, ValueError, TypeError, KeyError, FileNotFoundError, ModelUnavailableError)):
            text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)  # KeyError's str() quotes
            return gr.Error(text, duration=ERROR_SECONDS, print_exception=False)
        log.error("unexpected error in %s: %s", fn.__name__, traceback.format_exc())
        return gr.Error("Something went wrong. Try other inputs or a smaller step count.", duration=ERROR_SECONDS,
                        print_exception=False)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                return (yield from fn(*args, **kwargs))
            except Exception as err:  # noqa: BLE001 - the demo must stay up
                raise convert(err) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the demo must stay up
            raise convert(err) from None
    return wrapper
