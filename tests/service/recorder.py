"""A recording reverse proxy on 127.0.0.1: every party talks to the space
through it, and it keeps every response body (and every request's), so a
test can search all that any party received (or sent)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Recorder:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.responses: list[tuple[str, int, bytes]] = []  # (method and path, status, body)
        self.requests: list[tuple[str, bytes]] = []  # (method and path, body), as sent
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(120.0, connect=5.0))
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    response = recorder._client.request(
                        self.command, recorder.upstream + self.path, content=body, headers=headers
                    )
                except httpx.HTTPError:
                    self.send_error(502)
                    return
                with recorder._lock:
                    recorder.requests.append((f"{self.command} {self.path}", body))
                    recorder.responses.append(
                        (f"{self.command} {self.path}", response.status_code, response.content)
                    )
                try:
                    self.send_response(response.status_code)
                    for key, value in response.headers.items():
                        if key.lower() not in HOP_BY_HOP and key.lower() != "content-encoding":
                            self.send_header(key, value)
                    self.send_header("content-length", str(len(response.content)))
                    self.end_headers()
                    self.wfile.write(response.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller went away (a node stopped mid long poll)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [body for _, _, body in self.responses]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
