"""SIGTERM and SIGHUP keep the report, as Ctrl-C does: CI timeouts and `docker stop` send SIGTERM.
A real subprocess scans a tarpit of the test's own (it accepts and never answers, so
identification waits on it) and is signalled mid-run: partial JSON, complete: false, exit 3."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.cli.conftest import gatescan_exe
from tests.netns import requires_netns


class Tarpit:
    """A loopback listener that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = threading.Semaphore(0)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.release()

    def close(self) -> None:
        self.server.close()
        for conn in self.held:
            conn.close()


@requires_netns
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_sigterm_and_sighup_write_the_partial_report_and_exit_3(tmp_path, validate_report, signum, sigint):
    tarpit = Tarpit()
    out_json = tmp_path / "partial.json"
    try:
        proc = subprocess.Popen(
            [gatescan_exe(), "scan", "127.0.0.1", "-p", str(tarpit.port), "--json", str(out_json), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # "ignored": as a job started with `&` by a non-interactive shell runs
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint == "ignored" else None,
        )
        # the sweep's connect, then identification's: the scan is now waiting on the tarpit
        for _ in range(2):
            assert tarpit.accepted.acquire(timeout=60), "the scan never reached the tarpit"
        assert proc.poll() is None, "the scan ended before it was signalled"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        tarpit.close()
    assert proc.returncode == 3, err
    doc = validate_report(json.loads(out_json.read_text()))
    assert doc["complete"] is False
    assert doc["stats"]["open"] == 1
    assert "Traceback" not in err
