"""A misbehaving ActiveCampaign for tests: a proxy in front of the emulator that breaks chosen answers.

Requests a `target` matches get one `fault`; every other request reaches the emulator unchanged, so
an export runs as it would against a server that is broken in one place only. The proxy records
every request it saw (method, path, query), so a test can prove that no write was sent. It listens
on 127.0.0.1 on a free port, served by uvicorn in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ac_export.activecampaign.api.tls import verifying_context

# Faults of a paged read (they need a read of more than one page to show) and of any answer.
PAGING_FAULTS = ("repeated_page", "ignored_offset", "changing_total", "missing_meta")
ANSWER_FAULTS = ("html_200", "endless_429", "cut_body", "huge_body")
# Faults of a count (`limit=1`): what a 230-member list is claimed to hold.
COUNT_FAULTS = {"count_inflated": 1_000_000, "count_halved": None, "count_zero": 0}
HUGE_BYTES = 100_000_000
HTML = b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body>Back soon</body></html>"

Target = Callable[[Request], bool]


def everything(request: Request) -> bool:
    """Every API request."""
    return True


@dataclass
class Hostile:
    """The proxy's state: which requests misbehave and how, and every request it saw."""

    upstream: str
    fault: str = ""
    target: Target = everything
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    struck: int = 0
    _previous: dict[str, bytes] = field(default_factory=dict)

    def strike(self, fault: str, target: Target) -> None:
        """Break the answers `target` matches with `fault` from now on ("" heals the server)."""
        self.fault, self.target, self.struck = fault, target, 0
        self._previous.clear()

    def writes(self) -> list[tuple[str, str, str]]:
        """Requests seen that are not reads."""
        return [seen for seen in self.seen if seen[0] != "GET"]


class HostileServer:
    """The proxy running on 127.0.0.1: `base_url` is what a client is given as the API host."""

    def __init__(self, upstream: str) -> None:
        self.state = Hostile(upstream)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        methods = ["GET", "POST", "PUT", "DELETE"]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])
        config = uvicorn.Config(app, log_level="critical", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        """Serve until `stop`."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    async def _handle(self, request: Request) -> Response:
        state = self.state
        path = "/" + request.path_params["path"]
        state.seen.append((request.method, path, request.url.query))
        struck = bool(state.fault) and path.startswith("/api/3/") and state.target(request)
        if struck:
            state.struck += 1
            early = _early_fault(state.fault)
            if early is not None:
                return early
        query = _query(request, state.fault if struck else "")
        body = await request.body()
        sent_on = {k: v for k, v in request.headers.items() if k.lower() in ("api-token", "content-type")}
        async with httpx.AsyncClient(
            base_url=state.upstream, timeout=60, verify=verifying_context()
        ) as upstream:
            answer = await upstream.request(
                request.method,
                path,
                params=query,
                content=body,
                headers=sent_on,
            )
        content = answer.content
        if struck:
            content = _late_fault(state, path, content)
            if state.fault == "cut_body":
                return _cut(content)
        headers = {k: v for k, v in answer.headers.items() if k.lower() in ("retry-after", "content-type")}
        return Response(content, answer.status_code, headers=headers)


def _query(request: Request, fault: str) -> list[tuple[str, str | int | float | bool | None]]:
    """The query sent on: without its paging parameters for a server that ignores them."""
    ignored = {"ignored_offset": ("offset", "id_greater"), "ignored_email": ("email",)}.get(fault, ())
    return [(k, v) for k, v in request.query_params.multi_items() if k not in ignored]


def _early_fault(fault: str) -> Response | None:
    """Answers that never reach the emulator."""
    if fault == "html_200":
        return Response(HTML, 200, media_type="text/html")
    if fault == "endless_429":
        return Response(b'{"message":"Too many requests"}', 429, media_type="application/json")
    if fault == "huge_body":
        return StreamingResponse(_huge(), 200, media_type="application/json")
    if fault == "missing_object":
        return Response(b"{}", 200, media_type="application/json")
    if fault == "not_found":
        return Response(
            b'{"message":"No Result found for List with id 0"}', 404, media_type="application/json"
        )
    return None


def _late_fault(state: Hostile, path: str, content: bytes) -> bytes:
    """The emulator's answer, broken after the fact."""
    fault = state.fault
    if fault == "repeated_page":
        previous = state._previous.get(path)
        state._previous[path] = content
        return previous if previous is not None and state.struck == 2 else content
    if fault in ("changing_total", "missing_meta", *COUNT_FAULTS):
        body: dict[str, Any] = json.loads(content)
        meta = body.get("meta") or {}
        if fault == "missing_meta":
            body.pop("meta", None)
        elif fault == "changing_total" and state.struck >= 2:
            meta["total"] = str(int(meta["total"]) // 2)
        elif fault in COUNT_FAULTS and int(meta.get("total", 0)) > 0:  # a lie about a side with people
            claimed = COUNT_FAULTS[fault]
            meta["total"] = str(int(meta["total"]) // 2 if claimed is None else claimed)
            if claimed == 0:
                body["contacts"] = []
        return json.dumps(body).encode()
    return content


def _cut(content: bytes) -> Response:
    """Half the answer, then the connection closed: its declared length is never reached."""

    async def half() -> AsyncIterator[bytes]:
        yield content[: len(content) // 2]
        await asyncio.sleep(0.01)
        raise ConnectionResetError("cut on purpose")

    return StreamingResponse(half(), 200, headers={"Content-Length": str(len(content))})


async def _huge() -> AsyncIterator[bytes]:
    """A 100 MB JSON answer, sent in 1 MB pieces (no Content-Length: the reader must count)."""
    yield b'{"contacts":[],"padding":"'
    piece = b"x" * 1_000_000
    for _ in range(HUGE_BYTES // len(piece)):
        yield piece
    yield b'"}'


@contextlib.contextmanager
def hostile_server(upstream: str) -> Iterator[HostileServer]:
    """A running proxy in front of `upstream` (the emulator's base URL), stopped on exit."""
    server = HostileServer(upstream)
    server.start()
    try:
        yield server
    finally:
        server.stop()
