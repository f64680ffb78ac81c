"""Every listening TCP socket of this machine (IPv4 and IPv6) and, where the user may see it, the
process behind it, through psutil (the socket table and /proc, never hand-parsed).

A port published by a container runtime is owned by the runtime's forwarder, not by the
service: docker-proxy (`-host-ip A -host-port P -container-ip C -container-port Q`, moby
libnetwork/cmd/docker-proxy), podman's rootlessport (a child of conmon, whose command line names
the container with `-n NAME` and `-c ID`) and slirp4netns (rootless networking; its last
argument is the pid of the namespace's first process). Those are attributed to the runtime and,
where its command line or parent says which, to the container; none of this needs root.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import replace
from typing import Iterable, Sequence

import psutil

from ..model import ErrorRecord
from .model import Listener

RUNTIMES = ("docker-proxy", "rootlessport", "slirp4netns")
MAX_CMDLINE_ARGS = 256  # a command line is evidence, not a payload
MAX_ARG_CHARS = 4096


def collect() -> tuple[list[Listener], list[ErrorRecord]]:
    """The listening sockets, one per (bind, port), sorted; what could not be read is an error."""
    errors: list[ErrorRecord] = []
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:  # macOS without root: the socket table only per process
        conns = _per_process(errors)
    except OSError as exc:
        return [], [ErrorRecord(where="local.listeners", message=f"cannot read the socket table: {exc}")]
    seen: dict[tuple[str, int], Listener] = {}
    hidden = 0
    for c in conns:
        if c.status != psutil.CONN_LISTEN or not c.laddr:
            continue
        bind, port = _address(c.laddr.ip), c.laddr.port
        if (bind, port) in seen and seen[(bind, port)].pid is not None:
            continue  # SO_REUSEPORT: several sockets, one listener as far as a client can tell
        listener = _owned(Listener(bind=bind, port=port, pid=c.pid), errors)
        hidden += listener.pid is None
        seen[(bind, port)] = listener
    if hidden:
        errors.append(ErrorRecord(where="local.listeners", message=(
            f"{hidden} listening socket(s) belong to processes this user may not inspect: "
            "they are scanned, without process details")))
    return sorted(seen.values(), key=lambda l: (_family(l.bind), l.bind, l.port)), errors


def _per_process(errors: list[ErrorRecord]) -> list:
    out = []
    for proc in psutil.process_iter(["pid"]):
        try:
            for c in proc.net_connections(kind="tcp"):
                out.append(c._replace(pid=proc.pid) if hasattr(c, "_replace") else c)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def _address(ip: str) -> str:
    """An IPv4-mapped IPv6 listen address (::ffff:127.0.0.1) is its IPv4 one."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return str(addr.ipv4_mapped)
    return str(addr)


def _family(bind: str) -> int:
    return 6 if ":" in bind else 4


def _owned(listener: Listener, errors: list[ErrorRecord]) -> Listener:
    """The listener with its process (a process that vanished or is not ours: as it was)."""
    if listener.pid is None:
        return listener
    try:
        proc = psutil.Process(listener.pid)
        with proc.oneshot():
            name = proc.name()
            try:
                exe = proc.exe() or None
            except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
                exe = None
            try:
                cmdline = _clip(proc.cmdline())
            except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
                cmdline = None
    except psutil.NoSuchProcess:  # it exited between the socket table and now
        errors.append(ErrorRecord(where=f"local.listeners {listener.bind}:{listener.port}",
                                  message=f"process {listener.pid} exited while being inspected"))
        return replace(listener, pid=None)
    except (psutil.AccessDenied, psutil.ZombieProcess, OSError) as exc:
        errors.append(ErrorRecord(where=f"local.listeners {listener.bind}:{listener.port}",
                                  message=f"process {listener.pid}: {type(exc).__name__}"))
        return listener
    found = replace(listener, name=name, exe=exe, cmdline=cmdline)
    return attribute(found, _parents(listener.pid))


def _clip(args: Sequence[str]) -> tuple[str, ...]:
    return tuple(a[:MAX_ARG_CHARS] for a in list(args)[:MAX_CMDLINE_ARGS])


def _parents(pid: int, depth: int = 3) -> list[tuple[str, tuple[str, ...]]]:
    """(name, cmdline) of up to `depth` ancestors: conmon names the container rootlessport serves."""
    out: list[tuple[str, tuple[str, ...]]] = []
    try:
        proc = psutil.Process(pid)
        for parent in proc.parents()[:depth]:
            try:
                out.append((parent.name(), _clip(parent.cmdline())))
            except (psutil.Error, OSError):
                continue
    except (psutil.Error, OSError):
        pass
    return out


def _flag(args: Sequence[str], *names: str) -> str | None:
    """The value of `-name V`, `--name V` or `--name=V`."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg[len(name) + 1:]
    return None


def attribute(listener: Listener, parents: Iterable[tuple[str, Sequence[str]]] = ()) -> Listener:
    """The listener attributed to the container runtime that published it, if one did."""
    name = (listener.name or "").lower()
    base = (listener.exe or "").rsplit("/", 1)[-1].lower()
    runtime = next((r for r in RUNTIMES if r in (name, base) or name.startswith(r[:15])), None)
    if runtime is None:
        return listener
    args = listener.cmdline or ()
    container: dict = {}
    if runtime == "docker-proxy":
        for key, flag in (("ip", "-container-ip"), ("port", "-container-port"), ("proto", "-proto")):
            value = _flag(args, flag, "-" + flag)
            if value:
                container[key] = int(value) if key == "port" and value.isdigit() else value
    elif runtime == "slirp4netns" and len(args) >= 2:  # slirp4netns [OPTIONS] PID TAPNAME
        pid = args[-1] if args[-1].isdigit() else args[-2]
        if pid.isdigit():
            container["pid"] = int(pid)
    for parent_name, parent_args in parents:
        if parent_name == "conmon":  # podman: conmon -c <id> -n <name> ...
            cid, cname = _flag(parent_args, "-c", "--cid"), _flag(parent_args, "-n", "--name")
            if cid:
                container["id"] = cid
            if cname:
                container["name"] = cname
            break
    return replace(listener, runtime=runtime, container=container)


# --- this host's own addresses: where a wide bind is reached from the network -------------------

def own_addresses() -> tuple[list[str], list[ErrorRecord]]:
    """This host's non-loopback unicast addresses (IPv6 link-local left out: it needs a zone)."""
    out: list[str] = []
    try:
        interfaces = psutil.net_if_addrs()
    except OSError as exc:
        return [], [ErrorRecord(where="local.addresses", message=f"cannot list interface addresses: {exc}")]
    for addrs in interfaces.values():
        for a in addrs:
            if a.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                ip = ipaddress.ip_address(a.address.split("%", 1)[0])
            except ValueError:
                continue
            if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
                continue
            if str(ip) not in out:
                out.append(str(ip))
    return out, []


def is_wide(bind: str) -> bool:
    """Bound beyond loopback: 0.0.0.0, ::, or a LAN/any non-loopback address."""
    try:
        return not ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return True


def scan_hosts(listener: Listener, own: Sequence[str]) -> list[str]:
    """The addresses a listener is probed on: its own loopback address, or for a wildcard bind
    loopback plus each of this host's addresses of that family (an IPv6 wildcard also takes
    IPv4 unless the socket is v6-only, which the table does not say: both are tried)."""
    bind = listener.bind
    if bind == "0.0.0.0":
        return ["127.0.0.1", *[a for a in own if ":" not in a]]
    if bind == "::":
        return ["::1", "127.0.0.1", *own]
    return [bind]
