"""Soak: visitors over every tab for a long while, through the API, against the app run as a deployed server is
(``python app.py`` in its own process, the bundled models).

``--clients`` visitors (default 10) each send every tab's default request in turn (each visitor starts at another
tab) for ``--warm-up-minutes`` and then ``--minutes`` (default 3 + 30). On every other round all visitors upload the same photo, so
identical uploads reach the server at the same moment (the upload race of gradio-app/gradio#13722). It passes when
no request failed and the server's resident memory at the end is within 10% of its level after the warm-up (one
request per tab, one round of all visitors, then ``--warm-up-minutes`` (default 3) of the full load, which the
first run showed the server needs to reach its working set: +90 MB in the first 1.5 min, then a slower climb).
Every request counts, the warm-up's too; the growth per minute after the warm-up is reported beside.
Writes bench/results/soak.json and the README's section.

    python -m bench.soak [--minutes 30] [--clients 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._app import free_port, visitor_uploads
from bench._report import ROOT, report

MEMORY_LIMIT = 0.10  # the server's memory may end at most 10% above its level after the warm-up


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and its children in MB (Linux /proc)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def start_server(port: int, log: Path) -> subprocess.Popen:
    """``python app.py`` on ``port`` (bundled models only), its output in ``log``."""
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "0"}
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def connect(url: str, server: subprocess.Popen, timeout: float = 600):
    """A ``gradio_client.Client`` once the server answers (it loads its models first)."""
    from gradio_client import Client
    deadline = time.time() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode} before answering")
        try:
            return Client(url, verbose=False)
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(3)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--warm-up-minutes", type=float, default=3.0, help="of full load before the memory baseline")
    args = p.parse_args(argv)
    from gradio_client import Client

    from synth.app.requests import tab_requests
    from synth.app.store import ModelStore
    folder = Path(tempfile.mkdtemp())
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(port, folder / "server.log")
    try:
        connect(url, server)
        store = ModelStore(published=False)  # the requests' defaults, as the tabs declare them
        own, shared = visitor_uploads(folder, args.clients), visitor_uploads(folder, args.clients, shared=True)
        endpoints = list(tab_requests(store, own))
        clients = [Client(url, verbose=False) for _ in range(args.clients)]
        results, lock = [], threading.Lock()

        def send(j: int, k: int) -> None:
            """Visitor ``j``'s ``k``-th request: tab ``(j + k) mod tabs``, the shared photo on odd rounds."""
            endpoint = endpoints[(j + k) % len(endpoints)]
            request = tab_requests(store, shared if (k // len(endpoints)) % 2 else own, j)[endpoint]
            t0, error = time.perf_counter(), None
            try:
                clients[j].predict(*request.args, api_name=f"/{endpoint}")
            except Exception as err:  # a failed request: counted and named, the soak goes on
                error = f"{type(err).__name__}: {str(err)[:200]}"
            with lock:
                results.append({"visitor": j, "endpoint": endpoint, "seconds": time.perf_counter() - t0, "error": error})

        for endpoint in endpoints:  # warm-up: each tab once, then every visitor once at the same moment
            send(0, endpoints.index(endpoint))
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(lambda j: send(j, 0), range(args.clients)))
        warm_up_requests, results[:] = list(results), []
        memory = [(0.0, rss_mb(server.pid))]
        deadline = time.time() + 60 * (args.warm_up_minutes + args.minutes)
        t_start = time.time()

        def visitor(j: int) -> None:
            k = 0
            while time.time() < deadline:
                send(j, k)
                k += 1

        threads = [threading.Thread(target=visitor, args=(j,)) for j in range(args.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(15)
            memory.append((time.time() - t_start, rss_mb(server.pid)))
        end = rss_mb(server.pid)
        memory.append((time.time() - t_start, end))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    measured = [(t, m) for t, m in memory if t >= 60 * args.warm_up_minutes]
    warm = measured[0][1]
    mean_t, mean_m = statistics.fmean(t for t, _ in measured), statistics.fmean(m for _, m in measured)
    slope = (sum((t - mean_t) * (m - mean_m) for t, m in measured)
             / max(sum((t - mean_t) ** 2 for t, _ in measured), 1e-9) * 60)  # MB per minute
    failed = [r for r in results if r["error"]]
    per_tab = Counter(r["endpoint"] for r in results)
    growth = end / warm - 1
    passed = not failed and not [r for r in warm_up_requests if r["error"]] and growth <= MEMORY_LIMIT
    data = {"minutes": args.minutes, "clients": args.clients, "requests": len(results), "failed": len(failed),
            "errors": Counter(r["error"] for r in failed), "per_tab": per_tab,
            "warm_up_failed": sum(bool(r["error"]) for r in warm_up_requests),
            "median_seconds": statistics.median(r["seconds"] for r in results) if results else None,
            "warm_up_minutes": args.warm_up_minutes,
            "memory_mb": {"after_warm_up": warm, "max": max(m for _, m in memory), "end": end, "growth": growth,
                          "mb_per_minute_after_warm_up": slope, "samples": memory}, "passed": passed}
    errors = ", ".join(f"{n} x {e}" for e, n in data["errors"].items())
    total = args.warm_up_minutes + args.minutes
    md = (f"Soak: {args.clients} visitors x every tab for {total:g} min against `python app.py`, identical uploads "
          f"at once every other round: **{len(results)} requests, {len(failed)} failed**{f' ({errors})' if errors else ''}; "
          f"server memory {warm:.0f} MB after {args.warm_up_minutes:g} min of warm-up, {end:.0f} MB at the end "
          f"({growth:+.1%}, {slope:+.1f} MB/min): "
          + ("passes." if passed else f"fails (the target: 0 failed, memory within {MEMORY_LIMIT:.0%})."))
    report("soak", data, md)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
