"""Serve the emulator with uvicorn on a socket bound first, so `--port 0` can report the real port."""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn

from ac_export.emulator.app import build_app
from ac_export.emulator.runtime import Emulator

LISTENING_PREFIX = "ac-export emulator listening on "


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about the responses the emulator cuts short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that one."""
        return "returned without completing response" not in record.getMessage()


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints the listening line once it accepts connections."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then announce the URL."""
        await super().startup(sockets)
        # Test harnesses wait for this exact line on stdout to learn the port.
        print(f"{LISTENING_PREFIX}{self.url}", flush=True)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one); OSError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(emulator: Emulator, sock: socket.socket) -> None:
    """Serve until SIGINT/SIGTERM; the state file is written on the way out."""
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        build_app(emulator), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    config.load()
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    server = _AnnouncingServer(config, f"http://{shown_host}:{port}")
    server.run(sockets=[sock])
    sys.stdout.flush()
