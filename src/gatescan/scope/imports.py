"""Reading other scanners' results (nmap -oX, masscan -oJ/-oD) as scan targets.

Pure file parsing with line numbers for every complaint; gatescan.scope decides what is allowed.
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.parsers import expat

from ..userio import BoundedReader, UserFileError, json_problem, open_user_file

Format = Literal["nmap", "masscan"]

MAX_IMPORT_BYTES = 512 * 1024 * 1024  # a masscan -oJ of a /8 stays well below this
_SNIFF_BYTES = 4096


class ImportFileError(ValueError):
    """An import file that is not what it claims to be; names the file and line."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.line, self.reason))


@dataclass
class ImportedHost:
    """One host of an import: its address, the first line naming it, its open TCP ports.

    `ports` empty means the file shows the host up with nothing open (or not port-scanned):
    scope then scans it on the `-p` ports. Otherwise scope scans exactly these ports.
    """

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    line: int
    ports: set[int] = field(default_factory=set)


def sniff(path: str | Path) -> Format | None:
    """Guess an `@file`'s format from its first bytes: '<' nmap XML, '[' or '{' masscan JSON,
    anything else a plain target list (None)."""
    if not os.path.isfile(path):  # a pipe: a sniffed head would be gone when it is read again
        return None
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "nmap"
    if text.startswith((b"[", b"{")):
        return "masscan"
    return None


def load(path: str | Path, fmt: Format) -> list[ImportedHost]:
    """Hosts of an nmap XML or masscan JSON file, in file order, one entry per address."""
    path = str(path)
    if "\x00" in path:
        raise ImportFileError(repr(path), None, "bad file name")
    hosts: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, ImportedHost] = {}
    try:
        with open_user_file(path, MAX_IMPORT_BYTES) as fh:  # stat says 0 for a pipe: reads are bounded
            if fmt == "nmap":
                _read_nmap(path, fh, hosts)
            elif fmt == "masscan":
                _read_masscan(path, fh, hosts)
            else:  # pragma: no cover - callers pass a Format
                raise ImportFileError(path, None, f"unknown import format {fmt!r}")
    except UserFileError as exc:
        raise ImportFileError(path, None, f"cannot read: {exc}") from None
    return list(hosts.values())


def _address(path: str, line: int, text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not isinstance(text, str) or "%" in text:
        raise ImportFileError(path, line, f"bad address {str(text)[:80]!r}")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ImportFileError(path, line, f"bad address {text[:80]!r}") from None


def _port(path: str, line: int, value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 5:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ImportFileError(path, line, f"bad port {str(value)[:20]!r}")
    return value  # 0 (nmap -p0, masscan's ICMP-ish records) is valid in a file, never scanned


def _add(hosts: dict, addr, line: int, ports: set[int]) -> None:
    entry = hosts.get(addr)
    if entry is None:
        hosts[addr] = ImportedHost(addr, line, set(ports))
    else:
        entry.ports |= ports


def _read_nmap(path: str, fh: BoundedReader, hosts: dict) -> None:
    """nmap -oX: <nmaprun><host><status state="up"/><address addr=.. addrtype="ipv4"/>
    <ports><port protocol="tcp" portid="80"><state state="open"/>..."""
    parser = expat.ParserCreate()
    # Never fetch or expand external entities/DTDs (nmap's <!DOCTYPE nmaprun> has none).
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state: dict = {"root": None, "host": None, "port": None}

    def start(name: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if state["root"] is None:
            if name != "nmaprun":
                raise ImportFileError(path, line, f"not nmap XML (root element <{name[:40]}>, expected <nmaprun>)")
            state["root"] = name
            return
        host = state["host"]
        if name == "host":
            state["host"] = {"line": line, "up": False, "addrs": [], "ports": set()}
        elif host is None:
            return
        elif name == "status":
            host["up"] = attrs.get("state") == "up"
        elif name == "address" and attrs.get("addrtype") in ("ipv4", "ipv6"):
            host["addrs"].append(_address(path, line, attrs.get("addr")))
        elif name == "port":
            proto = attrs.get("protocol")
            state["port"] = _port(path, line, attrs.get("portid")) if proto == "tcp" else None
        elif name == "state" and state["port"] is not None and attrs.get("state") == "open":
            if state["port"]:
                host["ports"].add(state["port"])

    def end(name: str) -> None:
        if name == "port":
            state["port"] = None
        elif name == "host" and state["host"] is not None:
            host, state["host"] = state["host"], None
            if host["up"]:
                for addr in host["addrs"]:
                    _add(hosts, addr, host["line"], host["ports"])

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.ParseFile(fh)
    except expat.ExpatError as exc:
        raise ImportFileError(path, exc.lineno, f"not valid nmap XML: {expat.ErrorString(exc.code)}") from None
    if state["root"] is None:
        raise ImportFileError(path, None, "not nmap XML (no <nmaprun> element)")


class _TextStream:
    """A file's UTF-8 text read a chunk at a time: `buf[pos:]` is what is not parsed yet, and
    what was parsed is dropped, so memory holds about one chunk however large the file."""

    CHUNK = 1024 * 1024

    def __init__(self, path: str, fh: BoundedReader) -> None:
        self._path, self._fh = path, fh
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._newlines_read = 0  # in the bytes before the chunk being decoded
        self.buf, self.pos, self.eof = "", 0, False
        self._line, self._line_pos = 1, 0  # the line number at buf[_line_pos]

    def fill(self) -> bool:
        """Append one more chunk; False once the file has ended."""
        if self.eof:
            return False
        raw = self._fh.read(self.CHUNK)
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            line = self._newlines_read + raw.count(b"\n", 0, max(exc.start, 0)) + 1
            raise ImportFileError(self._path, line, "not valid masscan JSON: not UTF-8 text") from None
        self._newlines_read += raw.count(b"\n")
        if self.pos > self.CHUNK:  # drop what was parsed, keeping the line count
            self.line_at(self.pos)
            self.buf, self._line_pos, self.pos = self.buf[self.pos:], 0, 0
        self.buf += text
        self.eof = not raw
        return True

    def skip_ws(self) -> bool:
        """Move past whitespace; False when the file ends first."""
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < n:
                return True
            if not self.fill():
                return False

    def ahead(self, count: int) -> str:
        """The next `count` characters (fewer at the end of the file)."""
        while len(self.buf) - self.pos < count and self.fill():
            pass
        return self.buf[self.pos:self.pos + count]

    def line_at(self, pos: int) -> int:
        self._line += self.buf.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line


MAX_MASSCAN_RECORD = 4 * 1024 * 1024  # characters of one record, banners included
# The last record older masscan -oJ writes (not JSON: the key has no quotes).
_FINISHED_TRAILER = re.compile(r"\{\s*finished\s*:\s*1\s*\}")


def _read_masscan(path: str, fh: BoundedReader, hosts: dict) -> None:
    """masscan -oJ: a JSON array of {"ip", "ports": [{"port", "proto", "status"}]} objects
    that older releases end with a trailing comma, a `{finished: 1}` record, or both before
    "]" (and an interrupted run may leave without the "]"); -oD/ndjson is the same objects one
    per line, no brackets. Read as a stream: a 200 MB file costs one chunk of memory."""
    stream = _TextStream(path, fh)
    decoder = json.JSONDecoder()
    addresses: dict = {}  # each address's text parsed once: a host has a record per open port

    def fail(reason: str, pos: int | None = None) -> ImportFileError:
        return ImportFileError(path, stream.line_at(stream.pos if pos is None else pos), f"not valid masscan JSON: {reason}")

    if not stream.skip_ws():
        return  # masscan writes an empty file when it found nothing
    in_array = stream.buf[stream.pos] == "["
    if in_array:
        stream.pos += 1
    elif stream.buf[stream.pos] != "{":
        raise fail("expected '[' or '{'")
    records = 0
    while True:
        if not stream.skip_ws():
            if in_array and records == 0:
                raise fail("unterminated array")
            break  # an interrupted masscan run leaves no closing bracket
        ch = stream.buf[stream.pos]
        if in_array and ch == "]":
            stream.pos += 1
            if stream.skip_ws():
                raise fail("data after the closing ']'")
            break
        if ch != "{":
            raise fail(f"expected a host object, found {stream.ahead(10)!r}")
        trailer = _FINISHED_TRAILER.match(stream.ahead(64))
        if trailer:
            stream.pos += trailer.end()
        else:
            _masscan_record(path, stream.line_at(stream.pos), _next_record(stream, decoder, fail), hosts, addresses)
        records += 1
        if stream.skip_ws() and stream.buf[stream.pos] == ",":
            stream.pos += 1  # masscan's trailing comma after the last record is accepted here


def _next_record(stream: _TextStream, decoder: json.JSONDecoder, fail) -> object:
    """The JSON object at the stream's position, reading on while it is cut by the chunk end."""
    while True:
        try:
            record, stream.pos = decoder.raw_decode(stream.buf, stream.pos)
            return record
        except json.JSONDecodeError as exc:
            if len(stream.buf) - stream.pos <= MAX_MASSCAN_RECORD and stream.fill():
                continue
            raise fail(json_problem(exc, at=False), exc.pos) from None
        except RecursionError:
            raise fail("nested too deeply") from None


def _masscan_record(path: str, line: int, record: object, hosts: dict, addresses: dict) -> None:
    if not isinstance(record, dict) or "ip" not in record:
        raise ImportFileError(path, line, 'not valid masscan JSON: a record without "ip"')
    text = record["ip"]
    addr = addresses.get(text) if isinstance(text, str) else None
    if addr is None:
        addr = _address(path, line, text)
        if isinstance(text, str):
            addresses[text] = addr
    ports_field = record.get("ports", [])
    if not isinstance(ports_field, list):
        raise ImportFileError(path, line, 'not valid masscan JSON: "ports" is not a list')
    open_ports: set[int] = set()
    for entry in ports_field:
        if not isinstance(entry, dict) or "port" not in entry:
            raise ImportFileError(path, line, 'not valid masscan JSON: a port entry without "port"')
        if entry.get("proto", "tcp") != "tcp":
            continue
        # banner records (--banners) carry "service" and no "status": the port answered.
        if entry.get("status", "open") != "open":
            continue
        port = _port(path, line, entry["port"])
        if port:
            open_ports.add(port)
    _add(hosts, addr, line, open_ports)
