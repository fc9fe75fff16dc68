"""Latency of every tab's default request through the API (gradio_client), on the bundled
models, with the app launched in-process on a free port as ``python app.py`` launches it:
one visitor alone (median of 3 after a warm-up), with *compare* on, and 10 visitors at once
(each with its own class and seed; median and max of their latencies, and the max over the
single request's median, the demo's target being at most 2.5x for Generate; Generate's 10 at once in 3 rounds,
the median round reported). Also counts the batched PGD calls the 10 requests became.

    python -m bench.app_latency
"""
from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from bench._app import free_port, visitor_uploads
from bench._report import report

from app import QUEUE, TABS, build_demo
from synth.app.requests import tab_requests
from synth.app.runs import BATCHER, dedicate_compute_thread
from synth.app.store import ModelStore
from synth.app.widgets import DISPLAY_CSS

CONCURRENT = 10
REPEATS = 3  # rounds of the first tab's concurrent visitors (the round with the median max is reported)
TITLES = {tab.__name__.rsplit(".tab_", 1)[1]: title for title, tab in TABS}  # endpoint -> tab title


def main():
    from gradio_client import Client
    dedicate_compute_thread()  # as app.py's main() does on a CPU, before any torch work; the floor below runs there too
    store = ModelStore(published=False)
    demo = build_demo(store)
    demo.queue(**QUEUE)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=DISPLAY_CSS, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    client = Client(url, verbose=False)
    model = store.get(store.default)
    # each visitor uploads an image of its own (identical uploads at once are bench/soak.py's case)
    uploads = visitor_uploads(Path(tempfile.mkdtemp()), CONCURRENT)
    # every tab's default request, as the tab declares it (visitor j: its own class, seed and photo)
    calls = [(endpoint, TITLES[endpoint], (lambda j, e=endpoint: tab_requests(store, uploads, j)[e]))
             for endpoint in tab_requests(store, uploads)]

    def timed(args, endpoint, c=None):
        t0 = time.perf_counter()
        (c or client).predict(*args, api_name=f"/{endpoint}")
        return time.perf_counter() - t0

    rows, out = [], {}
    for endpoint, label, request in calls:
        args = lambda j: request(j).args  # noqa: E731
        timed(args(0), endpoint)  # warm-up
        single = statistics.median(timed(args(0), endpoint) for _ in range(3))
        with_compare = statistics.median(timed(request(0).with_(compare=True), endpoint) for _ in range(3))
        clients = [Client(url, verbose=False) for _ in range(CONCURRENT)]
        rounds = []  # (latencies, batched calls) of each round of CONCURRENT visitors at once
        for _ in range(REPEATS if endpoint == calls[0][0] else 1):  # the first tab's round is the target's: repeated
            before = BATCHER.calls
            with ThreadPoolExecutor(CONCURRENT) as pool:
                rounds.append((list(pool.map(lambda j: timed(args(j), endpoint, clients[j]), range(CONCURRENT))),
                               BATCHER.calls - before))
        together, merged = sorted(rounds, key=lambda r: max(r[0]))[len(rounds) // 2]  # the round of the median max
        out[label] = {"seconds": single, "seconds_with_compare": with_compare, "concurrent_median": statistics.median(together),
                      "concurrent_max": max(together), "concurrent_max_over_single": max(together) / single,
                      "batched_calls": merged, "rounds_max": [max(r[0]) for r in rounds]}
        rows.append(f"| {label} | {single:.2f} s | {with_compare:.2f} s | {statistics.median(together):.2f} s / "
                    f"{max(together):.2f} s | {max(together) / single:.1f}x | {merged} |")
    demo.close()
    # the floor: the first tab's (Generate's) default request without the server: one visitor's samples alone, and the
    # CONCURRENT visitors' samples merged into one PGD call
    from synth.app.runs import Job, MicroBatcher
    from synth.tasks import TASKS, Batch
    endpoint, first_title, request = calls[0]
    task, at = TASKS[endpoint], request(0).at
    cfg = task.config(model)
    per_visitor = request(0).args[at["count"]] if "count" in at else 1

    def job(visitors):
        y = torch.tensor([j % len(model.classes) for j in visitors for _ in range(per_visitor)])
        streams = [torch.Generator().manual_seed(1000 * j + k) for j in visitors for k in range(per_visitor)]
        return Job(model, task.function, task.prepare(model, Batch(None, y, streams), {}, cfg), {"preset": cfg})
    direct = MicroBatcher(window=0)
    direct.run("w", job([0]))
    t0 = time.perf_counter()
    direct.run("one", job([0]))
    alone = time.perf_counter() - t0
    merged_times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        direct.run("all", job(list(range(CONCURRENT))))
        merged_times.append(time.perf_counter() - t0)
    merged = statistics.median(merged_times)
    through_server = out[first_title]["concurrent_max"]
    out["pgd_only"] = {"one_request": alone, f"{CONCURRENT}_merged": merged, "samples_per_request": per_visitor,
                       "server_over_merged": through_server / merged}
    rounds = ", ".join(f"{t:.2f}" for t in sorted(out[first_title]["rounds_max"]))
    md = (f"Latency of each tab's default request on `{store.default}` through the API (client on the same machine; one "
          f"visitor: median of 3; {CONCURRENT} visitors at once, each with its own class and seed):\n\n"
          f"| tab | one visitor | with *compare* | {CONCURRENT} at once: median / max | max / one visitor | "
          f"batched PGD calls for the {CONCURRENT} |\n|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows)
          + f"\n\nThe floor on this CPU, PGD alone without the server: one default {first_title} request ({per_visitor} "
          f"sample(s)) {alone:.2f} s, the {CONCURRENT} requests' {CONCURRENT * per_visitor} samples merged into one call "
          f"{merged:.2f} s (median of {REPEATS}). Through the server the last of the {CONCURRENT} finished after "
          f"{through_server:.2f} s (the median of {REPEATS} rounds: {rounds} s): "
          f"{through_server / merged:.2f}x the merged call (the demo's target: at most 1.3x).")
    report("app_latency", {"model": store.default, "concurrent": CONCURRENT, "results": out}, md, doc="docs/results.md")


if __name__ == "__main__":
    main()
