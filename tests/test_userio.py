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


# --- load_yaml: the one bounded YAML reader (manifests, allowlists, baselines, fingerprints) ---


def _bomb(levels: int, width: int = 10) -> str:
    """A "billion laughs": each level aliases the one below `width` times."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, problem", [
    pytest.param("- " * 100_000 + "x\n", "nesting too deep", id="deep-block-list"),
    pytest.param("x: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting too deep", id="deep-flow-list"),
    pytest.param(_bomb(8), "more than 64 YAML aliases", id="alias-bomb-many-aliases"),
    pytest.param(_bomb(6), "expands to too many values", id="alias-bomb-few-aliases"),  # 60 aliases, 10^7 values
    pytest.param("a: &a [*a]\n", "nesting too deep", id="alias-cycle"),
    pytest.param("a: 0x" + "F" * 5000 + "\n", "a number too long", id="hex-number"),
    pytest.param("a: " + "9" * 5000 + "\n", "a number too long", id="decimal-number"),
    pytest.param("a: !!int\n", "not usable YAML", id="empty-int-tag"),
    pytest.param("a: [unclosed\n", "not valid YAML at line 2", id="syntax"),
])
def test_load_yaml_refuses_what_would_not_end(text, problem):
    from gatescan.userio import YamlError, load_yaml

    with pytest.raises(YamlError) as err:
        load_yaml(text)
    assert problem in str(err.value)


def test_load_yaml_reads_yaml_1_2_scalars_and_a_few_aliases():
    from gatescan.userio import load_yaml

    assert load_yaml("a: no\nb: true\nc: 2026-01-02\nd: &x [1]\ne: *x\n") == {
        "a": "no", "b": True, "c": "2026-01-02", "d": [1], "e": [1]}
    assert len(load_yaml(_bomb(2))["a2"]) == 10
