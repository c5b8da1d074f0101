"""The sandbox's HTTP server: Zoom's OAuth (`/oauth/...`), REST API (`/v2/...`) and recording
downloads (`/rec/...`, `downloads.py`) on loopback.

    server = SandboxServer().start()
    server.url            # "http://127.0.0.1:PORT"     -> ZOOM_OAUTH_BASE_URL
    server.api_base_url   # "http://127.0.0.1:PORT/v2"  -> ZOOM_API_BASE_URL
    server.stop()

A `ThreadingHTTPServer` on a background thread, speaking HTTP/1.1 with keep-alive so a pooled
`requests.Session` reuses its connections. Every request to `/oauth` and `/v2` first gets the
configured latency and, maybe, a fault (stall, dropped connection, 5xx, 429); `/_sandbox/` is
the control API and gets neither.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from . import api, control, downloads, oauth
from .api.routing import PER_SECOND_MESSAGE
from .config import Fault, SandboxConfig
from .state import SandboxState
from .web import Request, Response
from .webhooks import WebhookSender

logger = logging.getLogger(__name__)

SERVER_ERROR_MESSAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class SandboxServer:
    """The sandbox Zoom on `host:port` (port 0: any free port, known once constructed)."""

    def __init__(
        self,
        state: SandboxState | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        config: SandboxConfig | None = None,
    ) -> None:
        self.state = state if state is not None else SandboxState()
        self.config = config if config is not None else SandboxConfig()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.api_base_url = f"{self.url}/v2"
        # Sends the changes as Zoom's event notifications once config.webhook_url is set.
        self.webhooks = WebhookSender(self.state, self.config)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"zoom-sandbox-{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.webhooks.stop()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (the management command)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to an empty sandbox with default knobs (listeners stay registered)."""
        self.state.reset()
        self.config.reset()

    # --- the request pipeline --------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return control.handle(self, request)
        state = self.state
        with state.lock:
            state.stats.requests_total += 1
        if self.config.latency_seconds > 0:
            time.sleep(self.config.latency_seconds)
        fault = self.config.draw_fault(request.method, path)
        response = self._injected(fault) if fault else None
        if response is None:
            if path.startswith("/v2/"):
                response = api.dispatch(state, self.config, request)
                response = downloads.with_own_links(response, request, self.url)
            elif path.startswith("/oauth/"):
                response = oauth.handle(state, self.config, request, api_url=self.url)
            elif path.startswith(downloads.PREFIX):
                response = downloads.handle(state, self.config, request, default_base=self.url)
            else:
                response = Response.json(
                    404, {"code": 2300, "message": "This API endpoint is not recognized."}
                )
        with state.lock:
            state.stats.responses_by_status[response.status] += 1
        return response

    def _injected(self, fault: Fault) -> Response | None:
        """What a fault does to a request; None when it only delays it (a stall)."""
        with self.state.lock:
            self.state.stats.faults_injected[fault.action] += 1
            if fault.action == "429":
                self.state.stats.rate_limited += 1
        if fault.action == "stall":
            time.sleep(fault.stall_seconds)
            return None
        if fault.action == "drop":
            return Response.dropped()
        if fault.action == "429":
            return Response.json(
                429,
                {"code": 429, "message": PER_SECOND_MESSAGE},
                {
                    "X-RateLimit-Category": "Light",
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": "10",
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(fault.retry_after),
                },
            )
        if fault.action == "refuse" and fault.refusal is not None:
            refusal = dict(fault.refusal)
            status = refusal.pop("status")
            if not refusal["errors"]:
                del refusal["errors"]
            return Response.json(status, refusal)
        status = int(fault.action)
        return Response.json(status, {"code": status, "message": SERVER_ERROR_MESSAGES[status]})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Benchmarks open many connections at once.
    request_queue_size = 256
    sandbox: SandboxServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "ZoomSandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _serve(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=raw_path,  # still percent-encoded: the API router decodes per segment
            query=dict(parse_qsl(raw_query, keep_blank_values=True)),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
        )
        try:
            response = self.server.sandbox.handle(request)
        except Exception:
            logger.exception("sandbox failed on %s %s", self.command, raw_path)
            response = Response.json(500, {"code": 500, "message": "Internal Server Error"})
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.stream is not None:
            try:
                for chunk in response.stream:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away mid-file
        elif response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        # Silent: a benchmark sends thousands of requests a second. Requests are in the stats.
        pass
