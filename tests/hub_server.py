"""A local stand-in for the Hugging Face Hub's file-resolve endpoint, for offline tests of the real
``huggingface_hub`` download path (pointed to with ``HF_ENDPOINT``).

Serves ``GET/HEAD /{owner}/{repo}/resolve/{revision}/{filename}`` from folders registered per repository,
with the headers ``hf_hub_download`` reads (``X-Repo-Commit``, ``ETag``, ``Content-Length``) and the Hub's
error codes (``X-Error-Code``: RepoNotFound, RevisionNotFound, EntryNotFound).
"""
from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class HubServer:
    """``with HubServer() as hub: hub.add("me/model", folder)``; ``hub.url`` is the endpoint; ``hub.requests``
    lists the paths asked for."""

    def __init__(self):
        self.repos: dict[str, dict[str, Path]] = {}  # repo id -> {revision or commit: folder}
        self.commits: dict[tuple[str, str], str] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.respond(body=False)

            def do_GET(self):
                self.respond(body=True)

            def respond(self, body):
                server.requests.append(f"{self.command} {self.path}")
                parts = unquote(urlsplit(self.path).path).strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return self.error(404, "EntryNotFound")
                repo_id, revision, filename = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                if repo_id not in server.repos:
                    return self.error(401, "RepoNotFound")
                if revision not in server.repos[repo_id]:
                    return self.error(404, "RevisionNotFound")
                path = server.repos[repo_id][revision] / filename
                if not path.is_file():
                    return self.error(404, "EntryNotFound")
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("X-Repo-Commit", server.commits[(repo_id, revision)])
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def error(self, code, what):
                self.send_response(code)
                self.send_header("X-Error-Code", what)
                self.send_header("X-Error-Message", what)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, repo_id: str, folder: Path, revision: str = "main") -> str:
        """Serve ``folder`` as ``repo_id`` at ``revision`` and at its commit id (returned, 40 hex digits)."""
        commit = hashlib.sha1(f"{repo_id}@{revision}@{folder}".encode()).hexdigest()
        for rev in (revision, commit):
            self.repos.setdefault(repo_id, {})[rev] = Path(folder)
            self.commits[(repo_id, rev)] = commit
        return commit

    def __enter__(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __exit__(self, *exc):
        if self.thread.is_alive():
            self.stop()
