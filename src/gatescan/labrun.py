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
import sys
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
                    include_hostile: bool = False, procs: int = 1) -> RunningLab:
    """Start the selected services; every one listens when this returns (or nothing runs).

    With `procs` > 1 the plan is dealt round-robin into `procs` disjoint shares: this process
    serves the first, and one child process (`python -m gatescan.labrun share`) each of the
    others, so one event loop no longer answers every probe of a big lab. Every child computes
    the same plan, starts only its share, and reports its manifest entries on stdout."""
    if procs < 1:
        raise LabError("--procs must be at least 1")
    placed = plan(only, count, base, include_hostile)
    lab = RunningLab()
    shares = list(await asyncio.gather(*(_ShareProcess.spawn(only, count, base, include_hostile, share, procs)
                                         for share in range(1, min(procs, len(placed))))))
    try:
        own = await _start_share(placed, 0, procs)
        remote = await asyncio.gather(*(s.ready() for s in shares), return_exceptions=True)
    except BaseException:
        await asyncio.gather(*(s.close() for s in shares), return_exceptions=True)
        raise
    failures = [str(r) for r in remote if isinstance(r, BaseException)]
    lab.handles = [*own.handles, *shares]
    if failures:
        await lab.close()
        raise LabError(failures[0])
    indexed = list(own.indexed)
    for r in remote:
        indexed.extend((i, e) for i, e in r)
    lab.entries = [e for _, e in sorted(indexed, key=lambda item: item[0])]
    return lab


@dataclass
class _Share:
    indexed: list[tuple[int, dict[str, Any]]]  # (plan index, manifest entry)
    handles: list[Any]


async def _start_share(placed: list[tuple[Any, str, int]], share: int, procs: int) -> _Share:
    """Start the services at plan indexes i with i % procs == share; all listen, or none."""
    gate = asyncio.Semaphore(START_CONCURRENCY)
    failures: list[str] = []

    async def one(index: int, svc, host: str, port: int):
        async with gate:
            try:
                return index, svc, host, port, await svc.start(host, port)
            except OSError as exc:
                failures.append(f"{svc.key} on {host}:{port}: {exc.strerror or exc}")
                return None

    started = await asyncio.gather(*(one(i, *p) for i, p in enumerate(placed) if i % procs == share))
    out = _Share([], [])
    for item in sorted((s for s in started if s is not None), key=lambda s: s[0]):
        index, svc, host, port, handle = item
        out.handles.append(handle)
        out.indexed.append((index, svc.manifest_entry(host, port)))
    if failures:
        await asyncio.gather(*(h.close() for h in reversed(out.handles)), return_exceptions=True)
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise LabError(f"could not start {failures[0]}{more}")
    return out


class _ShareProcess:
    """A child process serving one share; `close()` ends its stdin, which stops it."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def spawn(cls, only, count, base, include_hostile, share, procs) -> "_ShareProcess":
        args = [sys.executable, "-m", "gatescan.labrun", "share", str(share), str(procs),
                "--count", str(count), "--base", base]
        if only:
            args += ["--only", ",".join(only)]
        if include_hostile:
            args.append("--include-hostile")
        # the child imports this very gatescan, whatever put it on our sys.path
        src = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
        return cls(await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.PIPE,
                                                        stdout=asyncio.subprocess.PIPE, env=env))

    async def ready(self) -> list[tuple[int, dict[str, Any]]]:
        line = await self.proc.stdout.readline()
        if not line:
            raise LabError(f"lab share process exited ({await self.proc.wait()}) before it listened")
        reply = json.loads(line)
        if "error" in reply:
            raise LabError(reply["error"])
        return [(i, e) for i, e in reply["entries"]]

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def serve_share(only: list[str] | None, count: int, base: str, include_hostile: bool,
                      share: int, procs: int) -> None:
    """The child side of `--procs`: start share `share` of the plan, print its entries as one
    JSON line, and serve until stdin closes (the parent stopped or died) or a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        mine = await _start_share(plan(only, count, base, include_hostile), share, procs)
    except LabError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return
    print(json.dumps({"entries": mine.indexed}), flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    eof = asyncio.ensure_future(reader.read())
    halted = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({eof, halted}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        eof.cancel()
        halted.cancel()
        await asyncio.gather(*(h.close() for h in reversed(mine.handles)), return_exceptions=True)


def write_manifest(path: str | Path, lab: RunningLab) -> None:
    """Write the manifest atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(lab.manifest(), indent=2) + "\n")
    os.replace(tmp, path)


@contextlib.asynccontextmanager
async def running_lab(only: list[str] | None = None, count: int = 1, base: str = DEFAULT_BASE,
                      include_hostile: bool = False, procs: int = 1) -> AsyncIterator[RunningLab]:
    """In-process lab for tests: `async with running_lab(["openclaw-gateway"]) as lab:`."""
    lab = await start_lab(only, count, base, include_hostile, procs)
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
    procs: int = 1,
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
        lab = await start_lab(only, count, base, procs=procs)
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
    """`python -m gatescan.labrun serve KEY [--host H] [--port P]` (used by lab/Dockerfile), and
    `share SHARE PROCS ...`, the child process `lab up --procs` starts."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gatescan.labrun")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run one lab service in the foreground")
    serve.add_argument("key")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    share = sub.add_parser("share", help="serve one share of the lab (started by `lab up --procs`)")
    share.add_argument("share", type=int)
    share.add_argument("procs", type=int)
    share.add_argument("--count", type=int, default=1)
    share.add_argument("--base", default=DEFAULT_BASE)
    share.add_argument("--only", default=None)
    share.add_argument("--include-hostile", action="store_true")
    args = parser.parse_args(argv)
    if args.cmd == "share":
        only = [p for p in args.only.split(",") if p] if args.only else None
        asyncio.run(serve_share(only, args.count, args.base, args.include_hostile, args.share, args.procs))
        return 0
    try:
        asyncio.run(serve_one(args.key, args.host, args.port))
    except KeyError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
