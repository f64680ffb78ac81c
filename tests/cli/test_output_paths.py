"""An output that could never be written is refused before the scan (exit 2, nothing sent)."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import run_gatescan
from tests.netns import requires_netns


def _refused_before_sending(*outputs: str) -> str:
    """Scan a listener of our own with `outputs`; assert exit 2 and that no connect reached it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    try:
        out = run_gatescan("scan", "127.0.0.1", "-p", str(server.getsockname()[1]), *outputs)
        with pytest.raises(socket.timeout):
            server.accept()  # a connect, even one closed at once, would wait in the accept queue
    finally:
        server.close()
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    return out.stderr


@requires_netns
@pytest.mark.parametrize("second", ["--sarif", "--html", "--jsonl"])
def test_two_outputs_naming_one_file_are_refused(tmp_path, second):
    err = _refused_before_sending("--json", str(tmp_path / "r.json"), second, str(tmp_path / "." / "r.json"))
    assert "--json" in err and second in err and "r.json" in err
    assert not (tmp_path / "r.json").exists()


@requires_netns
def test_two_outputs_naming_one_file_through_a_symlink_are_refused(tmp_path):
    (tmp_path / "alias.json").symlink_to(tmp_path / "r.json")
    err = _refused_before_sending("--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "alias.json"))
    assert "alias.json" in err


@requires_netns
@pytest.mark.parametrize("option", ["--html", "--json", "--sarif"])
def test_a_path_that_can_never_be_written_is_refused_before_the_scan(option):
    # /proc takes no new file even from root (the suite runs as root of its own namespace,
    # where permission bits would say yes)
    err = _refused_before_sending(option, "/proc/version")
    assert option in err and "/proc/version" in err

