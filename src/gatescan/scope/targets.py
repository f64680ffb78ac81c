"""Parsing what the user typed (literals, ranges, names, files, excludes) into intervals; every
interval goes through the policy (policy.py) before the plan keeps it. Nothing is sent from here.

Target syntax (command line, one token each):
  10.0.0.5  fd00::5            one address (an IPv4-mapped IPv6 address means its IPv4 one)
  10.0.0.0/24  fd00::/120      a CIDR (host bits are ignored: 10.0.0.5/24 is 10.0.0.0/24)
  10.0.0.1-50  fd00::1-ff      a range ending at that last octet (IPv4, decimal) / hextet (hex)
  10.0.0.1-10.0.1.7            a range between two full addresses
  gw.lan                       a host name, resolved once; every address it yields is checked
  @FILE                        a file; its format is sniffed from its first byte: '<' nmap XML,
                               '[' or '{' masscan JSON, anything else a target list (targets
                               separated by whitespace or newlines, '#' starts a comment, no
                               @/nmap:/masscan: inside); a pipe (@/dev/stdin) is a target list
  nmap:FILE  masscan:FILE      an import, format forced (nmap -oX; masscan -oJ or -oD)

Imports: only hosts nmap marks "up" (masscan lists only live ones). A host with open TCP ports
in the file contributes exactly those (host, port) pairs, whatever `-p` says; a host with none
(a ping scan, or everything closed) is scanned like a typed address, on the `-p` ports.
Excludes take the target forms except files (those go in exclude files, same syntax as a
target list); an exclude name that cannot be resolved is a ScopeError, since an exclusion
that cannot be honoured must stop the scan. A target name that cannot be resolved is only an
ErrorRecord in `plan.errors`: the scan goes on.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from . import imports as _imports
from .policy import ResolveError, Resolver, ScopeError, _IntervalSet, _fmt, check_policy
from ..model import ErrorRecord
from ..userio import UserFileError, read_user_bytes

DEFAULT_TARGETS: tuple[str, ...] = ("127.0.0.1", "::1")
# Ports when none are given: every port of this machine (agents on random ports: an IDE's
# server, a moved gateway; about 131k loopback probes), the agent ports of anything named.
DEFAULT_PORTS, TARGET_PORTS = "1-65535", "agents"
MAX_TARGET_FILE_BYTES = 64 * 1024 * 1024
_MAX_TOKEN = 1024


def _show(token: object) -> str:
    text = str(token)
    return repr(text if len(text) <= 80 else text[:77] + "...")


_MAPPED = (0xFFFF_0000_0000, 0xFFFF_FFFF_FFFF)  # ::ffff:0:0/96, reaches IPv4 on dual-stack sockets


def _split_mapped(version: int, start: int, end: int) -> list[tuple[int, int, int]]:
    """An IPv6 interval's part inside ::ffff:0:0/96 becomes the IPv4 interval it reaches."""
    if version == 4 or end < _MAPPED[0] or start > _MAPPED[1]:
        return [(version, start, end)]
    out = []
    if start < _MAPPED[0]:
        out.append((6, start, _MAPPED[0] - 1))
    out.append((4, max(start, _MAPPED[0]) - _MAPPED[0], min(end, _MAPPED[1]) - _MAPPED[0]))
    if end > _MAPPED[1]:
        out.append((6, _MAPPED[1] + 1, end))
    return out


# --- token parsing --------------------------------------------------------------------------

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def _is_hostname(text: str) -> bool:
    if len(text) > 253 or not _HOSTNAME.fullmatch(text):
        return False
    last = text.rstrip(".").rsplit(".", 1)[-1]
    return not last.isdigit()  # "10.0.0.300" is a bad address, not a name


def _ip(text: str) -> tuple[int, int] | None:
    """(version, value) of an address literal, IPv4-mapped IPv6 as IPv4; None if not one."""
    if "%" in text:
        raise ScopeError(f"bad target {_show(text)}: scoped IPv6 addresses (%zone) are not supported")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return (4, int(ip.ipv4_mapped))
    return (ip.version, int(ip))


@dataclass
class _Piece:
    """Intervals one token (or file line, or resolved address) denotes."""

    label: str
    intervals: list[tuple[int, int, int]]
    single: bool


def _parse_literal(token: str) -> _Piece | None:
    """Address, CIDR or range; None when the token is none of these (maybe a name)."""
    bad = f"bad target {_show(token)}"
    if "%" in token:  # here, not in _ip, so that a range's refusal names the whole token
        raise ScopeError(f"{bad}: scoped IPv6 addresses (%zone) are not supported")
    if "/" in token:
        try:
            net = ipaddress.ip_network(token, strict=False)
        except ValueError as exc:
            raise ScopeError(f"{bad}: {exc}") from None
        iv = _split_mapped(net.version, int(net.network_address), int(net.broadcast_address))
        return _Piece(token, iv, net.num_addresses == 1)
    if "-" in token:
        left, right = token.split("-", 1)
        start = _ip(left)
        if start is None:
            if _is_hostname(left):
                return None  # "my-host" is a name
            # "127.0.0.300-301": shaped like a range but its start is no address, so no name either
            raise ScopeError(f"{bad}: {_show(left)} is not an address; a range is ADDR-ADDR or ADDR-LAST (e.g. 10.0.0.1-50)")
        end = _ip(right)
        if end is None:
            version = 4 if "." in left and ":" not in left else 6
            if version == 4 and re.fullmatch(r"[0-9]{1,3}", right) and int(right) <= 255:
                end = (4, (start[1] & ~0xFF) | int(right))
            elif version == 6 and re.fullmatch(r"[0-9A-Fa-f]{1,4}", right) and start[0] == 6:
                end = (6, (start[1] & ~0xFFFF) | int(right, 16))
            else:
                raise ScopeError(f"{bad}: a range is ADDR-ADDR or ADDR-LAST (e.g. 10.0.0.1-50)")
        if start[0] != end[0]:
            raise ScopeError(f"{bad}: range mixes IPv4 and IPv6")
        if start[1] > end[1]:
            raise ScopeError(f"{bad}: range start is after its end")
        return _Piece(token, _split_mapped(start[0], start[1], end[1]), start[1] == end[1])
    addr = _ip(token)
    if addr is None:
        return None
    return _Piece(token, [(addr[0], addr[1], addr[1])], True)


class _Builder:
    def __init__(self, resolver: Resolver, allow_public: bool) -> None:
        self.resolver = resolver
        self.allow_public = allow_public
        self.errors: list[ErrorRecord] = []
        self.excludes = _IntervalSet(())
        self.hosts: list[tuple[int, int, int]] = []
        self.pairs: set[tuple[int, int, int]] = set()
        self._names: dict[str, list[tuple[int, int]] | ResolveError] = {}

    # names ---------------------------------------------------------------------------------
    def resolve(self, name: str, where: str) -> list[tuple[int, int]] | None:
        """Addresses of a name, looked up once per plan; failures become error records."""
        if name not in self._names:
            try:
                raw = self.resolver(name)
                found: list[tuple[int, int]] = []
                for text in raw:
                    addr = _ip(text) if isinstance(text, str) and "%" not in text else None
                    if addr is None:
                        raise ResolveError(name, f"resolver returned unusable address {_show(text)}")
                    if addr not in found:
                        found.append(addr)
                if not found:
                    raise ResolveError(name, "no addresses")
                self._names[name] = found
            except ResolveError as exc:
                self._names[name] = exc
        result = self._names[name]
        if isinstance(result, ResolveError):
            self.errors.append(ErrorRecord(where=where, message=str(result)))
            return None
        return result

    def _pieces(self, token: str, where: str) -> list[_Piece]:
        """A plain token (no files) as pieces; ScopeError when it is no target at all."""
        if not token or len(token) > _MAX_TOKEN:
            raise ScopeError(f"bad target {_show(token)}")
        piece = _parse_literal(token)
        if piece is not None:
            return [piece]
        if not _is_hostname(token):
            raise ScopeError(
                f"bad target {_show(token)}: expected an address, CIDR, range (10.0.0.1-50), "
                "host name, @FILE, nmap:FILE or masscan:FILE"
            )
        addrs = self.resolve(token, where)
        if addrs is None:
            return []
        return [_Piece(f"{token} ({_fmt(v, a)})", [(v, a, a)], True) for v, a in addrs]

    # excludes ------------------------------------------------------------------------------
    def add_excludes(self, tokens: Sequence[str], files: Sequence[str | Path]) -> None:
        found: list[tuple[int, int, int]] = []

        def one(token: str, where: str) -> None:
            if token.startswith("@") or token.startswith(("nmap:", "masscan:")):
                raise ScopeError(f"bad exclude {_show(token)}: use --exclude-file for files")
            before = len(self.errors)
            pieces = self._pieces(token, where)
            if len(self.errors) > before:  # an exclude we cannot honour stops the scan
                raise ScopeError(f"exclude {_show(token)}: {self.errors.pop().message}")
            for piece in pieces:
                found.extend(piece.intervals)

        for token in tokens:
            if not isinstance(token, str):
                raise ScopeError(f"bad exclude {_show(token)}")
            one(token.strip(), f"exclude {token}")
        for path in files:
            for line_no, token in _target_lines(path):
                try:
                    one(token, f"{path}:{line_no}")
                except ScopeError as exc:
                    raise ScopeError(f"{path}:{line_no}: {exc}") from None
        self.excludes = _IntervalSet(found)

    # targets -------------------------------------------------------------------------------
    def add_target(self, token: str) -> None:
        if not isinstance(token, str):
            raise ScopeError(f"bad target {_show(token)}")
        token = token.strip()
        if token.startswith("@"):
            self.add_file(token[1:], None)
        elif token.startswith("nmap:"):
            self.add_file(token[5:], "nmap")
        elif token.startswith("masscan:"):
            self.add_file(token[8:], "masscan")
        else:
            for piece in self._pieces(token, f"target {token}"):
                self.admit(piece)

    def add_file(self, path: str, fmt: str | None) -> None:
        if not path:
            raise ScopeError("bad target: a file name is missing after @, nmap: or masscan:")
        _check_path(path)
        if fmt is None:
            try:
                fmt = _imports.sniff(path)
            except OSError as exc:
                raise ScopeError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if fmt is None:
            for line_no, token in _target_lines(path):
                where = f"{path}:{line_no}"
                if token.startswith(("@", "nmap:", "masscan:")):
                    raise ScopeError(f"{where}: {_show(token)}: files cannot name other files")
                try:
                    pieces = self._pieces(token, where)
                except ScopeError as exc:
                    raise ScopeError(f"{where}: {exc}") from None
                for piece in pieces:
                    piece.label = f"{where}: {piece.label}"
                    self.admit(piece)
            return
        try:
            hosts = _imports.load(path, fmt)  # type: ignore[arg-type]
        except _imports.ImportFileError as exc:
            raise ScopeError(str(exc)) from None
        for host in hosts:
            ip = host.address
            version, value = (4, int(ip.ipv4_mapped)) if ip.version == 6 and ip.ipv4_mapped else (ip.version, int(ip))
            piece = _Piece(f"{path}:{host.line}: {ip}", [(version, value, value)], True)
            if not host.ports:
                self.admit(piece)
            elif self.admit(piece, record=False):
                self.pairs.update((version, value, port) for port in host.ports)

    def admit(self, piece: _Piece, record: bool = True) -> bool:
        """Apply excludes then the policy to a piece; keep what is left when `record`.
        Returns whether anything is left."""
        kept: list[tuple[int, int, int]] = []
        for v, a, b in piece.intervals:
            kept.extend(self.excludes.subtract(v, a, b))
        for v, a, b in kept:
            check_policy(v, a, b, label=piece.label, single=piece.single, allow_public=self.allow_public)
        if record:
            self.hosts.extend(kept)
        return bool(kept)


def _check_path(path: str | Path) -> None:
    if "\x00" in str(path):
        raise ScopeError(f"bad file name {_show(path)}")


def _target_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, token) of a target or exclude list; '#' starts a comment."""
    _check_path(path)
    try:
        raw = read_user_bytes(path, MAX_TARGET_FILE_BYTES)
    except UserFileError as exc:
        raise ScopeError(f"{path}: cannot read: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScopeError(f"{path}:{line}: not UTF-8 text") from None
    for line_no, line in enumerate(text.splitlines(), 1):
        for token in line.split("#", 1)[0].split():
            yield line_no, token
