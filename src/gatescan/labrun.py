"""`gatescan lab up`: start the lab's twins and decoys on distinct 127.x addresses, each at its
product's default port, write the manifest once all listen, and stop cleanly on a signal.

Tests use the same code in-process through `running_lab()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

from ._paths import import_lab

DEFAULT_BASE = "127.0.10.1"
START_CONCURRENCY = 64


class LabError(RuntimeError):
    """The lab could not start (bad base address, unknown service, a port already taken)."""


@dataclass
class RunningLab:
    entries: list[dict[str, Any]] = field(default_factory=list)  # manifest endpoints, in start order
    handles: list[Any] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        return {"endpoints": self.entries}

    def endpoint(self, key: str) -> tuple[str, int]:
        """(host, port) of the first instance of lab service `key`."""
        for e in self.entries:
            if e["key"] == key:
                return e["host"], e["port"]
        raise KeyError(key)

    async def close(self) -> None:
        handles, self.handles = self.handles, []
        await asyncio.gather(*(h.close() for h in reversed(handles)), return_exceptions=True)


def addresses(base: str = DEFAULT_BASE) -> Iterator[str]:
    """Loopback addresses from `base` on (`base` is the first), skipping .0 and .255; refuses
    anything not in 127/8."""
    try:
        start = ipaddress.IPv4Address(base)
    except ValueError:
        raise LabError(f"--base must be an IPv4 address in 127.0.0.0/8, got {base!r}") from None
    if start not in ipaddress.IPv4Network("127.0.0.0/8"):
        raise LabError(f"the lab binds loopback only: --base {base} is not in 127.0.0.0/8")
    current = int(start) - 1
    while True:
        current += 1
        addr = ipaddress.IPv4Address(current)
        if addr not in ipaddress.IPv4Network("127.0.0.0/8"):
            raise LabError("ran out of 127.0.0.0/8 addresses")
        if current & 0xFF in (0, 255):
            continue
        yield str(addr)


def plan(only: list[str] | None = None, count: int = 1, base: str = DEFAULT_BASE,
         include_hostile: bool = False) -> list[tuple[Any, str, int]]:
    """[(LabService, host, port)] the lab would start: each service `count` times."""
    if count < 1:
        raise LabError("--count must be at least 1")
    lab = import_lab()
    try:
        services = lab.select(only, include_hostile=include_hostile)
    except KeyError as exc:
        known = sorted({s.product or s.key for s in lab.services()} | {s.key for s in lab.services()})
        raise LabError(f"{exc.args[0]} (known: {', '.join(known)}, decoys)") from None
    if not services:
        raise LabError("no lab service selected")
    addrs = addresses(base)
    return [(svc, next(addrs), svc.port) for _ in range(count) for svc in services]


async def start_lab(only: list[str] | None = None, count: int = 1, base: str = DEFAULT_BASE,
                    include_hostile: bool = False) -> RunningLab:
    """Start the selected services; every one listens when this returns (or nothing runs)."""
    placed = plan(only, count, base, include_hostile)
    lab = RunningLab()
    gate = asyncio.Semaphore(START_CONCURRENCY)
    failures: list[str] = []

    async def one(index: int, svc, host: str, port: int):
        async with gate:
            try:
                return index, svc, host, port, await svc.start(host, port)
            except OSError as exc:
                failures.append(f"{svc.key} on {host}:{port}: {exc.strerror or exc}")
                return None

    started = await asyncio.gather(*(one(i, *p) for i, p in enumerate(placed)))
    for item in sorted((s for s in started if s is not None), key=lambda s: s[0]):
        _, svc, host, port, handle = item
        lab.handles.append(handle)
        lab.entries.append(svc.manifest_entry(host, port))
    if failures:
        await lab.close()
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise LabError(f"could not start {failures[0]}{more}")
    return lab


def write_manifest(path: str | Path, lab: RunningLab) -> None:
    """Write the manifest atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(lab.manifest(), indent=2) + "\n")
    os.replace(tmp, path)


@contextlib.asynccontextmanager
async def running_lab(only: list[str] | None = None, count: int = 1, base: str = DEFAULT_BASE,
                      include_hostile: bool = False) -> AsyncIterator[RunningLab]:
    """In-process lab for tests: `async with running_lab(["openclaw-gateway"]) as lab:`."""
    lab = await start_lab(only, count, base, include_hostile)
    try:
        yield lab
    finally:
        await lab.close()


async def run_lab(
    only: list[str] | None = None,
    count: int = 1,
    base: str = DEFAULT_BASE,
    manifest: str | Path | None = None,
    on_ready: Callable[[RunningLab], None] | None = None,
    stop: asyncio.Event | None = None,
) -> RunningLab:
    """`gatescan lab up`: start, write the manifest, call on_ready, run until SIGINT/SIGTERM
    (or `stop` is set), then stop every service. Raises LabError before anything listens."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        lab = await start_lab(only, count, base)
        try:
            if manifest:
                write_manifest(manifest, lab)
            if on_ready:
                on_ready(lab)
            await stop.wait()
        finally:
            await lab.close()
        return lab
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def lab_table(lab: RunningLab, width: int = 120):
    """endpoint -> product (version, twin) -> expected findings, laid out for `width`: the
    endpoint, product id, version and finding ids never break, so a narrow console gets the
    details stacked in fewer columns, and one line per service where even those do not fit."""
    from rich.console import Group
    from rich.text import Text

    from .report.console import fits, unbroken_table

    title = f"gatescan lab: {len(lab.entries)} services"
    rows = [(f"{e['host']}:{e['port']}", e["key"], f"{e['product']} {e['version'] or '-'}" if e["product"] else "-",
             e["twin"], e["expected"]) for e in lab.entries]
    wide = unbroken_table(title, [("endpoint", True), ("service", True), ("product", False), ("twin", True),
                                  ("expected findings", False)],
                          [[ep, key, product, twin, ", ".join(expected) or "-"] for ep, key, product, twin, expected in rows])
    if fits(wide, width):
        return wide
    narrow = unbroken_table(title, [("endpoint / service", True), ("product, twin / expected findings", False)],
                            [[f"{ep}\n{key}", Text(f"{product} {twin}\n") + Text("\n".join(expected) or "-", style="dim")]
                             for ep, key, product, twin, expected in rows])
    if fits(narrow, width):
        return narrow
    return Group(Text(title), *(Text(f"{ep} {key} {product} {twin} expected: {', '.join(expected) or '-'}")
                                for ep, key, product, twin, expected in rows))


async def serve_one(key: str, host: str, port: int | None = None) -> None:
    """Run one lab service until a signal (the container entry point of lab/compose.yaml, where
    the container's own network namespace makes 0.0.0.0 private to it)."""
    svc = import_lab().get(key)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    handle = await svc.start(host, port or svc.port)
    print(json.dumps(svc.manifest_entry(host, port or svc.port)), flush=True)
    try:
        await stop.wait()
    finally:
        await handle.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m gatescan.labrun serve KEY [--host H] [--port P]` (used by lab/Dockerfile)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gatescan.labrun")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run one lab service in the foreground")
    serve.add_argument("key")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve_one(args.key, args.host, args.port))
    except KeyError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
