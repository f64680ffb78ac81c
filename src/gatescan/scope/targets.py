"""Scope: what the user typed -> a lazy, policy-checked stream of (address, port) pairs.

Every decision about *whether* an address may be scanned is made here (DESIGN.md, Safety),
and `system_resolver` is the program's one name lookup. Nothing is ever sent from this module.

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

Policy: loopback, RFC 1918, CGNAT 100.64/10, link-local 169.254/16 and fe80::/10, and ULA
fc00::/7 are allowed. Any other address is refused (ScopeError naming it) unless
`allow_public` is set AND the token that produced it denotes exactly one address (an address,
a /32 or /128, a name's resolved address, one line or host of a file). A public CIDR or range,
even with `allow_public`, is refused: public addresses are listed one by one. Multicast,
broadcast, reserved and unspecified addresses are never scanned. Excludes are applied before
the policy (so an excluded public part does not cause a refusal) and always win, over
imports too. Excludes take the target forms except files (those go in exclude files, same
syntax as a target list); an exclude name that cannot be resolved is a ScopeError, since an
exclusion that cannot be honoured must stop the scan. A target name that cannot be resolved
is only an ErrorRecord in `plan.errors`: the scan goes on.

Order and sharding: the plan's pairs are numbered k = 0, 1, ...: first the host x port product
(IPv4 hosts ascending, then IPv6, each host's ports ascending), then the imported explicit
pairs not already in the product, sorted. Pair k belongs to shard i/n iff k mod n == i - 1.
A plan's own `part` split numbers the plan's pairs again from 0 and applies the same rule.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from . import imports as _imports
from ..model import ErrorRecord, Scope

DEFAULT_TARGETS: tuple[str, ...] = ("127.0.0.1", "::1")
MAX_TARGET_FILE_BYTES = 64 * 1024 * 1024
_MAX_TOKEN = 1024


class ScopeError(ValueError):
    """A target, port, shard or file the scope refuses; the CLI exits 2 with this message."""


class ResolveError(Exception):
    """A name the resolver could not turn into addresses."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, reason)
        self.name, self.reason = name, reason

    def __str__(self) -> str:
        return f"cannot resolve {self.name}: {self.reason}"


Resolver = Callable[[str], "list[str]"]


def system_resolver(name: str) -> list[str]:
    """The one place a name lookup happens: getaddrinfo, addresses deduplicated in order."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise ResolveError(name, getattr(exc, "strerror", None) or str(exc)) from None
    out: list[str] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in out:
            out.append(sockaddr[0])
    return out


def _show(token: object) -> str:
    text = str(token)
    return repr(text if len(text) <= 80 else text[:77] + "...")


# --- shards and ports ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based), written "i/n"; see the module docstring."""

    index: int
    count: int

    def __post_init__(self) -> None:
        for value in (self.index, self.count):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScopeError(f"bad shard {self.index!r}/{self.count!r}: expected integers")
        if not 1 <= self.index <= self.count:
            raise ScopeError(f"bad shard {self}: expected i/n with 1 <= i <= n")

    @classmethod
    def parse(cls, text: str) -> "Shard":
        if not isinstance(text, str):
            raise ScopeError(f"bad shard {_show(text)}: expected i/n, e.g. 2/4")
        m = re.fullmatch(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*", text)
        if not m:
            raise ScopeError(f"bad shard {_show(text)}: expected i/n, e.g. 2/4")
        index, count = int(m[1]), int(m[2])
        if not 1 <= index <= count:
            raise ScopeError(f"bad shard {_show(text)}: expected i/n with 1 <= i <= n")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_ports(spec: str, named: Mapping[str, Sequence[int]]) -> tuple[int, ...]:
    """"22,80-90,agents" -> sorted unique ports; names are matched case-insensitively."""
    if not isinstance(spec, str) or not spec.strip():
        raise ScopeError(f"bad port list {_show(spec)}: empty")
    names = {k.lower(): v for k, v in named.items()}
    found: set[int] = set()
    for raw in spec.split(","):
        token = raw.strip()
        if not token:
            raise ScopeError(f"bad port list {_show(spec)}: empty entry between commas")
        if token.lower() in names:
            ports = names[token.lower()]
            bad = [p for p in ports if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 65535]
            if bad:
                raise ScopeError(f"named port set {_show(token)} holds bad port {bad[0]!r}")
            found.update(ports)
            continue
        m = re.fullmatch(r"([0-9]{1,5})(?:\s*-\s*([0-9]{1,5}))?", token)
        if not m:
            known = ", ".join(sorted(names)) or "none"
            raise ScopeError(
                f"bad port {_show(token)}: expected a port 1-65535, a range like 80-90, "
                f"or a named set ({known})"
            )
        low = int(m[1])
        high = int(m[2]) if m[2] else low
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            raise ScopeError(f"bad port {_show(token)}: ports are 1-65535")
        if low > high:
            raise ScopeError(f"bad port range {_show(token)}: start is after end")
        found.update(range(low, high + 1))
    return tuple(sorted(found))


def format_ports(ports: Iterable[int]) -> str:
    """(22, 80, 81, 82) -> "22,80-82": the spec text a report shows for a port tuple."""
    out: list[str] = []
    run: list[int] = []
    for port in sorted(set(ports)):
        if run and port == run[-1] + 1:
            run[-1] = port
            continue
        if run:
            out.append(str(run[0]) if run[0] == run[-1] else f"{run[0]}-{run[-1]}")
        run = [port, port]
    if run:
        out.append(str(run[0]) if run[0] == run[-1] else f"{run[0]}-{run[-1]}")
    return ",".join(out)


# --- addresses as integer intervals --------------------------------------------------------

_MAPPED = (0xFFFF_0000_0000, 0xFFFF_FFFF_FFFF)  # ::ffff:0:0/96, reaches IPv4 on dual-stack sockets


def _net(text: str) -> tuple[int, int, int]:
    n = ipaddress.ip_network(text)
    return (n.version, int(n.network_address), int(n.broadcast_address))


# Allowed by default (the list); merged and sorted per version.
_ALLOWED = {
    4: [(a, b) for _v, a, b in sorted(_net(c) for c in (
        "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16"))],
    6: [(a, b) for _v, a, b in sorted(_net(c) for c in ("::1/128", "fc00::/7", "fe80::/10"))],
}
# Never scanned, whatever the flags: not a unicast host.
_NEVER = {
    4: [(a, b) for _v, a, b in sorted(_net(c) for c in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))],
    6: [(a, b) for _v, a, b in sorted(_net(c) for c in ("::/128", "ff00::/8"))],
}


def _first_outside(blocks: list[tuple[int, int]], start: int, end: int) -> int | None:
    """The first address of [start, end] that no block covers, or None."""
    cur = start
    for a, b in blocks:
        if b < cur:
            continue
        if a > cur:
            return cur
        cur = b + 1
        if cur > end:
            return None
    return cur if cur <= end else None


def _first_inside(blocks: list[tuple[int, int]], start: int, end: int) -> int | None:
    for a, b in blocks:
        if a <= end and b >= start:
            return max(a, start)
    return None


def _fmt(version: int, value: int) -> str:
    if version == 4:
        return socket.inet_ntoa(value.to_bytes(4, "big"))
    return str(ipaddress.IPv6Address(value))


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


def _collapse(intervals: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for v, a, b in sorted(intervals):
        if out and out[-1][0] == v and a <= out[-1][2] + 1:
            if b > out[-1][2]:
                out[-1] = (v, out[-1][1], b)
        else:
            out.append((v, a, b))
    return out


class _IntervalSet:
    """Collapsed intervals with bisect lookups; used for excludes and the product's hosts."""

    def __init__(self, intervals: Iterable[tuple[int, int, int]]) -> None:
        self.items = _collapse(intervals)
        self.keys = [(v, b) for v, _a, b in self.items]  # sorted by (version, end)

    def contains(self, version: int, value: int) -> bool:
        i = bisect.bisect_left(self.keys, (version, value))
        return i < len(self.items) and self.items[i][0] == version and self.items[i][1] <= value

    def subtract(self, version: int, start: int, end: int) -> list[tuple[int, int, int]]:
        out = []
        cur = start
        i = bisect.bisect_left(self.keys, (version, start))
        while cur <= end and i < len(self.items):
            v, a, b = self.items[i]
            if v != version or a > end:
                break
            if a > cur:
                out.append((version, cur, a - 1))
            cur = max(cur, b + 1)
            i += 1
        if cur <= end:
            out.append((version, cur, end))
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
    if "/" in token:
        if "%" in token:
            raise ScopeError(f"{bad}: scoped IPv6 addresses (%zone) are not supported")
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
            return None  # "my-host" is a name
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
            self._check_policy(piece, v, a, b)
        if record:
            self.hosts.extend(kept)
        return bool(kept)

    def _check_policy(self, piece: _Piece, v: int, a: int, b: int) -> None:
        public = _first_outside(_ALLOWED[v], a, b)
        if public is None:
            return
        addr = _fmt(v, public)
        head = f"refused {addr}" if piece.label == addr else f"refused {addr} (from {piece.label})"
        if piece.single and self.allow_public:
            if _first_inside(_NEVER[v], a, b) is None:
                return
            raise ScopeError(
                f"{head}: not a unicast host address "
                "(multicast, broadcast, reserved or unspecified)"
            )
        if self.allow_public:
            raise ScopeError(
                f"{head}: a public address inside a range; "
                "--allow-public admits public addresses only when each is listed on its own"
            )
        raise ScopeError(
            f"{head}: not a private address (allowed: "
            "loopback, RFC 1918, CGNAT, link-local, IPv6 ULA); to scan it, pass --allow-public "
            "and list it on its own"
        )


def _check_path(path: str | Path) -> None:
    if "\x00" in str(path):
        raise ScopeError(f"bad file name {_show(path)}")


def _target_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, token) of a target or exclude list; '#' starts a comment."""
    _check_path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TARGET_FILE_BYTES + 1)
    except OSError as exc:
        raise ScopeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_TARGET_FILE_BYTES:
        raise ScopeError(f"{path}: larger than the {MAX_TARGET_FILE_BYTES} byte limit")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScopeError(f"{path}:{line}: not UTF-8 text") from None
    for line_no, line in enumerate(text.splitlines(), 1):
        for token in line.split("#", 1)[0].split():
            yield line_no, token


# --- the plan -------------------------------------------------------------------------------


def build_plan(
    targets: Sequence[str],
    ports: Sequence[int],
    *,
    excludes: Sequence[str] = (),
    exclude_files: Sequence[str | Path] = (),
    allow_public: bool = False,
    resolver: Resolver = system_resolver,
    shard: Shard | None = None,
    port_spec: str | None = None,
) -> "ScanPlan":
    """Parse, resolve, exclude and police `targets`; ScopeError on anything refused.

    `ports` is what `parse_ports` returned; `port_spec` (the text the user typed) is only
    for `describe()`, which otherwise shows the ports compactly. No targets: an empty plan
    (the CLI substitutes DEFAULT_TARGETS).
    """
    if isinstance(targets, str) or isinstance(excludes, str) or isinstance(exclude_files, (str, Path)):
        raise TypeError("targets, excludes and exclude_files are sequences of strings")
    port_tuple = tuple(sorted(set(ports)))
    for port in port_tuple:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ScopeError(f"bad port {port!r}: ports are 1-65535")
    if shard is not None and not isinstance(shard, Shard):
        raise TypeError("shard must be a Shard")
    builder = _Builder(resolver, allow_public)
    builder.add_excludes(excludes, exclude_files)
    for token in targets:
        builder.add_target(token)
    hosts = _collapse(builder.hosts)
    host_set = _IntervalSet(hosts)
    port_set = set(port_tuple)
    explicit = sorted(
        (v, a, p) for v, a, p in builder.pairs if not (p in port_set and host_set.contains(v, a))
    )
    excluded = [str(t) for t in excludes] + [f"@{f}" for f in exclude_files]
    return ScanPlan(
        intervals=tuple(hosts),
        ports=port_tuple,
        pairs=tuple(explicit),
        shard=shard,
        errors=builder.errors,
        targets=[str(t) for t in targets],
        port_spec=port_spec if port_spec is not None else format_ports(port_tuple),
        excluded=excluded,
    )


class ScanPlan:
    """The (host, port) pairs of a scan, as integer intervals: memory grows with the number
    of ranges (and imported explicit pairs), never with the number of addresses. Picklable,
    so sweep worker processes receive it whole and each iterates its own `part`."""

    def __init__(
        self,
        *,
        intervals: tuple[tuple[int, int, int], ...],
        ports: tuple[int, ...],
        pairs: tuple[tuple[int, int, int], ...] = (),
        shard: Shard | None = None,
        errors: list[ErrorRecord] | None = None,
        targets: Sequence[str] = (),
        port_spec: str = "",
        excluded: Sequence[str] = (),
    ) -> None:
        self.intervals = intervals  # (version, first, last), collapsed and sorted
        self.ports = ports
        self.pairs = pairs  # (version, address, port) outside the product
        self.shard = shard
        self.errors = list(errors or [])
        self.targets = list(targets)
        self.port_spec = port_spec
        self.excluded = list(excluded)
        cum = [0]
        for _v, a, b in intervals:
            cum.append(cum[-1] + b - a + 1)
        self._cum = tuple(cum)
        self.host_count = cum[-1]
        self.total = self.count()

    def __repr__(self) -> str:
        return (f"ScanPlan(hosts={self.host_count}, ports={len(self.ports)}, "
                f"explicit={len(self.pairs)}, shard={self.shard}, total={self.total})")

    @property
    def _size(self) -> int:
        return self.host_count * len(self.ports) + len(self.pairs)

    def _select(self, part: Shard | None) -> tuple[int, int]:
        offset, stride = (self.shard.index - 1, self.shard.count) if self.shard else (0, 1)
        if part is not None:
            if not isinstance(part, Shard):
                raise TypeError("part must be a Shard")
            offset, stride = offset + stride * (part.index - 1), stride * part.count
        return offset, stride

    def count(self, part: Shard | None = None) -> int:
        """Pairs in this plan (or in `part` of it), by arithmetic."""
        offset, stride = self._select(part)
        size = self._size
        return 0 if offset >= size else (size - 1 - offset) // stride + 1

    def iter_pairs(self, part: Shard | None = None) -> Iterator[tuple[str, int]]:
        """The pairs, lazily, in plan order; parts of a plan are disjoint and cover it."""
        offset, stride = self._select(part)
        return self._generate(offset, stride)

    def _generate(self, offset: int, stride: int) -> Iterator[tuple[str, int]]:
        ports = self.ports
        n_ports = len(ports)
        product = self.host_count * n_ports
        if product and stride == 1:
            for v, a, b in self.intervals:
                for value in range(a, b + 1):
                    host = _fmt(v, value)
                    for port in ports:
                        yield host, port
        elif product and stride <= n_ports:
            # Every host has pairs: walk hosts, take its port indexes congruent to offset.
            index = 0
            for v, a, b in self.intervals:
                for value in range(a, b + 1):
                    host = _fmt(v, value)
                    for i in range((offset - index * n_ports) % stride, n_ports, stride):
                        yield host, ports[i]
                    index += 1
        elif product:
            # Fewer than one pair per host: jump from pair to pair, interval cursor forward.
            cum, intervals, cursor = self._cum, self.intervals, 0
            for k in range(offset, product, stride):
                index, i = divmod(k, n_ports)
                while cum[cursor + 1] <= index:
                    cursor += 1
                v, a, _b = intervals[cursor]
                yield _fmt(v, a + index - cum[cursor]), ports[i]
        pairs = self.pairs
        for j in range((offset - product) % stride, len(pairs), stride):
            v, a, port = pairs[j]
            yield _fmt(v, a), port

    def describe(self) -> Scope:
        return Scope(
            targets=list(self.targets),
            ports=self.port_spec,
            excluded=list(self.excluded),
            shard=str(self.shard) if self.shard else None,
        )
