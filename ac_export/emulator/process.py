"""Start the emulator as a subprocess (its own interpreter and GIL) and learn its address."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from ac_export.emulator.server import LISTENING_PREFIX

STARTUP_TIMEOUT_S = 30.0


class EmulatorStartError(RuntimeError):
    """The emulator process exited or stayed silent instead of listening."""


class EmulatorProcess:
    """A running `python -m ac_export.emulator --port 0 …` and the URL it listens on."""

    def __init__(
        self, args: list[str], timeout_s: float = STARTUP_TIMEOUT_S, env: dict[str, str] | None = None
    ) -> None:
        self._log = tempfile.NamedTemporaryFile(prefix="ac-emulator-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = Path(self._log.name)
        command = [sys.executable, "-m", "ac_export.emulator", "--port", "0", *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)
        self.base_url = self._await_listening_line(timeout_s)

    def _await_listening_line(self, timeout_s: float) -> str:
        lines: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None  # started with stdout=PIPE
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout_s)
        line = lines[0].strip() if lines else ""
        if not line.startswith(LISTENING_PREFIX):
            self.kill()
            raise EmulatorStartError(f"emulator did not start: {line!r}; log: {self.log_text()[-2000:]}")
        return line.removeprefix(LISTENING_PREFIX)

    def log_text(self) -> str:
        """What the emulator wrote to stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """Stop gracefully (SIGTERM: the state file is written); kill if it does not exit in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()
        return self.process.returncode

    def kill(self) -> None:
        """Kill at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()
        with contextlib.suppress(FileNotFoundError):
            self.log_path.unlink()
