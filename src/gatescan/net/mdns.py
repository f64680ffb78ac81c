"""mDNS / DNS-SD browsing (python-zeroconf): which instances of the given service types the LAN
advertises, for a bounded time, with bounded memory whatever the responders send.

It knows nothing of fingerprints or scope: the caller names the types (and type prefixes, found by
enumerating `_services._dns-sd._udp`) and polices what comes back. Bounds: the browse ends at
`seconds`; at most `max_instances` are resolved and kept (the rest are counted, and a flood of new
names past `flood_names` ends the browse early); each resolution waits `resolve_timeout`; each
instance keeps `max_addresses` addresses and `max_txt_keys` TXT entries of `max_txt_value`
characters. Malformed packets are dropped by zeroconf's parser; nothing here raises for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field

SERVICES_META = "_services._dns-sd._udp.local."


@dataclass(frozen=True)
class BrowseLimits:
    seconds: float = 3.0
    max_instances: int = 256
    flood_names: int = 4096  # new names seen past max_instances that end the browse early
    max_types: int = 32  # types found through a prefix
    max_addresses: int = 8
    max_txt_keys: int = 32
    max_txt_value: int = 256
    resolve_timeout: float = 1.5
    resolve_concurrency: int = 16


@dataclass(frozen=True)
class Advert:
    """One advertised instance: its type (`_openclaw-gw._tcp`), instance name, SRV host and
    port, addresses (A/AAAA) and TXT entries, as advertised (trimmed to the limits)."""

    service_type: str
    instance: str
    server: str | None = None
    port: int | None = None
    addresses: tuple[str, ...] = ()
    txt: tuple[tuple[str, str], ...] = ()

    def txt_value(self, key: str) -> str | None:
        for k, v in self.txt:
            if k == key:
                return v
        return None

    def ports(self) -> tuple[int, ...]:
        """The SRV port and, when it differs and is a port, TXT `gatewayPort` (OpenClaw's beacon)."""
        out = [self.port] if self.port else []
        raw = self.txt_value("gatewayPort")
        if raw is not None and raw.isdigit() and 1 <= int(raw) <= 65535 and int(raw) not in out:
            out.append(int(raw))
        return tuple(out)


@dataclass(frozen=True)
class BrowseResult:
    adverts: tuple[Advert, ...]
    types: tuple[str, ...]  # every type browsed, the prefix-matched ones included
    dropped: int = 0  # instances seen past max_instances, not resolved
    unresolved: tuple[str, ...] = ()  # "type instance" names that gave no SRV record in time
    ended_early: str | None = None  # why the browse stopped before `seconds`


def _short(fqdn: str) -> str:
    return fqdn[:-len(".local.")] if fqdn.endswith(".local.") else fqdn.rstrip(".")


def _text(raw: bytes | str | None, limit: int) -> str:
    value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    return "".join(c if c.isprintable() else "\ufffd" for c in value[:limit])


@dataclass
class _Browse:
    limits: BrowseLimits
    prefixes: tuple[str, ...]
    loop: asyncio.AbstractEventLoop
    wanted: set[str] = field(default_factory=set)  # fully qualified types
    names: dict[str, str] = field(default_factory=dict)  # instance fqdn -> type fqdn, accepted
    dropped_names: set[str] = field(default_factory=set)
    resolving: set[asyncio.Task] = field(default_factory=set)
    new_types: asyncio.Queue = field(default_factory=asyncio.Queue)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ended_early: str | None = None

    def on_change(self, zeroconf, service_type: str, name: str, state_change) -> None:
        """zeroconf's handler (called in the event loop): remember new names, within bounds."""
        from zeroconf import ServiceStateChange

        if state_change is ServiceStateChange.Removed or self.stop.is_set():
            return
        if service_type == SERVICES_META:  # the type enumeration: `name` is a type
            if (name not in self.wanted and name.startswith(self.prefixes) and name.endswith("._tcp.local.")
                    and len(self.wanted) < self.limits.max_types):
                self.wanted.add(name)
                self.new_types.put_nowait(name)
            return
        if name in self.names or name in self.dropped_names:
            return
        if len(self.names) < self.limits.max_instances:
            self.names[name] = service_type
            return
        self.dropped_names.add(name)
        if len(self.dropped_names) >= self.limits.flood_names and not self.stop.is_set():
            self.ended_early = (f"more than {self.limits.max_instances + self.limits.flood_names} instances "
                                "advertised: browsing stopped early")
            self.stop.set()


async def browse(types: tuple[str, ...], prefixes: tuple[str, ...] = (), limits: BrowseLimits | None = None,
                 *, interfaces=None) -> BrowseResult:
    """Browse `types` (e.g. `_openclaw-gw._tcp`) and any type starting with one of `prefixes`
    for `limits.seconds`, then resolve each instance (SRV, TXT, addresses) within the limits.
    Sends DNS-SD queries to 224.0.0.251 on `interfaces` (default: every interface)."""
    from zeroconf import InterfaceChoice, IPVersion
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    limits = limits or BrowseLimits()
    state = _Browse(limits, tuple(f"{p}" for p in prefixes), asyncio.get_running_loop())
    state.wanted.update(f"{t}.local." for t in types)
    azc = AsyncZeroconf(interfaces=interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only)
    browsers: list = []
    resolved: dict[str, Advert] = {}
    gate = asyncio.Semaphore(limits.resolve_concurrency)
    started: set[str] = set()

    async def resolve(name: str, type_: str) -> None:
        async with gate:
            info = AsyncServiceInfo(type_, name)
            try:
                found = await info.async_request(azc.zeroconf, limits.resolve_timeout * 1000)
            except Exception:  # noqa: BLE001 - a bad record costs its instance
                found = False
        if not found or not info.port:
            return
        addresses = []
        for text in info.parsed_addresses():
            try:
                addresses.append(str(ipaddress.ip_address(text)))
            except ValueError:
                continue
        txt = []
        for key, value in list((info.properties or {}).items())[:limits.max_txt_keys]:
            txt.append((_text(key, 64), _text(value, limits.max_txt_value)))
        instance = name[:-len(type_)].rstrip(".") if name.endswith(type_) else name
        resolved[name] = Advert(service_type=_short(type_), instance=_text(instance, 255),
                                server=_text(info.server, 255) or None, port=int(info.port),
                                addresses=tuple(addresses[:limits.max_addresses]), txt=tuple(txt))

    async def resolve_new() -> None:
        """Start a resolution for each accepted name once (polled: zeroconf's handler is sync)."""
        while True:
            for name, type_ in list(state.names.items()):
                if name not in started:
                    started.add(name)
                    task = asyncio.create_task(resolve(name, type_))
                    state.resolving.add(task)
            while not state.new_types.empty():
                browsers.append(AsyncServiceBrowser(azc.zeroconf, [state.new_types.get_nowait()],
                                                    handlers=[state.on_change]))
            await asyncio.sleep(0.05)

    poller = None
    try:
        browsers.append(AsyncServiceBrowser(azc.zeroconf, sorted(state.wanted), handlers=[state.on_change]))
        if prefixes:
            browsers.append(AsyncServiceBrowser(azc.zeroconf, [SERVICES_META], handlers=[state.on_change]))
        poller = asyncio.create_task(resolve_new())
        try:
            await asyncio.wait_for(state.stop.wait(), limits.seconds)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        for b in browsers:  # no new names from here on; what is resolving gets its timeout
            await b.async_cancel()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        poller = None
        for name, type_ in list(state.names.items()):  # names that arrived in the last poll interval
            if name not in started:
                started.add(name)
                state.resolving.add(asyncio.create_task(resolve(name, type_)))
        if state.resolving:
            await asyncio.wait(state.resolving, timeout=limits.resolve_timeout * 2 + 1)
    finally:
        if poller is not None:
            poller.cancel()
        for task in state.resolving:
            task.cancel()
        await asyncio.gather(*state.resolving, return_exceptions=True)
        for b in browsers:
            try:
                await b.async_cancel()
            except Exception:  # noqa: BLE001 - already cancelled
                pass
        await azc.async_close()
    adverts = tuple(resolved[n] for n in sorted(resolved))
    unresolved = [f"{_short(t)} {_short(n)}" for n, t in state.names.items() if n not in resolved]
    return BrowseResult(adverts=adverts, types=tuple(sorted(_short(t) for t in state.wanted)),
                        dropped=len(state.dropped_names), unresolved=tuple(sorted(unresolved)),
                        ended_early=state.ended_early)
