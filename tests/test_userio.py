"""userio: the one bounded read of user-named files and streams (limits hold for pipes too)."""

import io
import os
import threading

import pytest

from gatescan.userio import UserFileError, read_user_bytes, read_user_stream, read_user_text


@pytest.mark.parametrize("size, ok", [(0, True), (99, True), (100, True), (101, False), (5000, False)])
def test_the_limit_is_in_bytes_and_inclusive(tmp_path, size, ok):
    p = tmp_path / "f"
    p.write_bytes(b"x" * size)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        try:
            with open(fifo, "wb") as fh:
                fh.write(b"x" * size)
        except BrokenPipeError:  # the reader stopped at the limit
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    for source, reason in ((p, "larger than the 100 byte limit"), (fifo, "more than the 100 byte limit")):
        if ok:
            assert read_user_bytes(source, 100) == b"x" * size
        else:
            with pytest.raises(UserFileError, match=reason):
                read_user_bytes(source, 100)
    writer.join(timeout=10)


def test_reasons_name_no_path(tmp_path):
    with pytest.raises(UserFileError, match="^no such file$"):
        read_user_text(tmp_path / "gone", 10)
    with pytest.raises(UserFileError, match="^is a directory, not a file$"):
        read_user_text(tmp_path, 1 << 20)
    (tmp_path / "bin").write_bytes(b"ok\n\xff")
    with pytest.raises(UserFileError, match=r"^not UTF-8 text \(byte 3\)$"):
        read_user_text(tmp_path / "bin", 10)


def test_a_stream_is_bounded_and_decoded():
    assert read_user_stream(io.BytesIO("héllo".encode()), 6) == "héllo"
    with pytest.raises(UserFileError, match="more than the 5 byte limit"):
        read_user_stream(io.BytesIO("héllo".encode()), 5)
    with pytest.raises(UserFileError, match="not UTF-8 text"):
        read_user_stream(io.BytesIO(b"\xfe"), 5)


def _pipe(tmp_path, data: bytes):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        try:
            with open(fifo, "wb") as fh:
                fh.write(data)
        except BrokenPipeError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    return fifo


def test_an_allowlist_from_a_pipe_is_read_and_bounded(tmp_path, monkeypatch):
    from gatescan.skills import allowlist

    assert allowlist.load_allowlist(_pipe(tmp_path, b"entries: []\n")).entries == []
    (tmp_path / "pipe").unlink()
    monkeypatch.setattr(allowlist, "MAX_BYTES", 100)
    with pytest.raises(allowlist.AllowlistError, match="more than the 100 byte limit"):
        allowlist.load_allowlist(_pipe(tmp_path, b"entries: []\n#" + b"x" * 500))


def test_a_target_list_from_a_pipe_is_bounded(tmp_path, monkeypatch):
    from gatescan.scope import ScopeError, build_plan, targets

    monkeypatch.setattr(targets, "MAX_TARGET_FILE_BYTES", 100)
    with pytest.raises(ScopeError, match="more than the 100 byte limit"):
        build_plan([f"@{_pipe(tmp_path, b'10.0.0.1 ' * 50)}"], [80])
