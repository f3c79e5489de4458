"""A loopback TCP relay in front of PostgreSQL that counts every byte each way.

What the ledger's own counters (`state.postgres.transfer.TRAFFIC`) see is the rows and CSV bytes
of its COPYs; the relay sees the wire: those plus every query, answer, lock and handshake, so
the figures it gives cannot leave a statement out.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

CHUNK = 1 << 16


@dataclass(frozen=True)
class WireBytes:
    """Bytes the client sent to the server and the server sent back, so far."""

    to_server: int
    from_server: int

    def __sub__(self, earlier: WireBytes) -> WireBytes:
        return WireBytes(self.to_server - earlier.to_server, self.from_server - earlier.from_server)


class CountingRelay:
    """Listens on a free loopback port and relays each connection to `target_port`, counting bytes."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._guard = threading.Lock()
        self._counts = [0, 0]
        threading.Thread(target=self._accept, daemon=True).start()

    def bytes(self) -> WireBytes:
        """The totals so far."""
        with self._guard:
            return WireBytes(self._counts[0], self._counts[1])

    def close(self) -> None:
        """Stop accepting (relayed connections end when their client closes them)."""
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            for source, sink, slot in ((client, server, 0), (server, client, 1)):
                threading.Thread(target=self._pump, args=(source, sink, slot), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, slot: int) -> None:
        try:
            while data := source.recv(CHUNK):
                # Counted before it is passed on, so a reader that has the bytes sees them counted.
                with self._guard:
                    self._counts[slot] += len(data)
                sink.sendall(data)
        except OSError:
            pass  # the other direction ended the connection
        finally:
            # Either side ending ends both directions; each socket is closed by the pump reading it.
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            source.close()
