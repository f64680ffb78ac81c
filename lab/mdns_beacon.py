"""The OpenClaw gateway's LAN beacon for the lab: a twin that also registers itself with
python-zeroconf the way each era's gateway does (OpenClaw's docs, gateway/bonjour.md, and
src/infra/bonjour.ts across tags), plus the hostile responders the mDNS tests need.

Facts: the service type by era (`_openclaw-gw._tcp` from 2026.1.29, `_moltbot-gw._tcp`
2026.1.27-beta, `_clawdbot-gw._tcp` 2026.1.20-1.24, `_clawdbot-bridge._tcp` up to 2026.1.16,
`_clawdis-bridge._tcp` / `_clawdis-master._tcp` before); the SRV port is the gateway port; the
instance is `<machine name> (OpenClaw)`; TXT always `role=gateway`, `transport=gateway`,
`gatewayPort`, `lanHost=<host>.local`, `displayName`, and in full mode (the default up to
2026.1.24) `sshPort` and `cliPath`.

Not in `gatescan lab up` (no SERVICES here): a beacon multicasts to the whole LAN, so only tests
inside a private network namespace with multicast on `lo` start one.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from dataclasses import dataclass

ERA_TYPES = {
    "openclaw": "_openclaw-gw._tcp", "moltbot": "_moltbot-gw._tcp", "clawdbot": "_clawdbot-gw._tcp",
    "clawdbot-bridge": "_clawdbot-bridge._tcp", "clawdis": "_clawdis-master._tcp",
}
ERA_LABEL = {"openclaw": "OpenClaw", "moltbot": "Moltbot", "clawdbot": "Clawdbot", "clawdbot-bridge": "Clawdbot",
             "clawdis": "Clawdis"}


def beacon_txt(port: int, machine: str, *, full: bool) -> dict[str, str]:
    txt = {"role": "gateway", "transport": "gateway", "gatewayPort": str(port), "lanHost": f"{machine}.local",
           "displayName": machine}
    if full:
        txt.update({"sshPort": "22", "cliPath": f"/home/{machine}/.npm-global/bin/openclaw"})
    return txt


@dataclass
class Beacon:
    """Registered adverts on one AsyncZeroconf; close() unregisters them (goodbye packets)."""

    zeroconf: object

    async def close(self) -> None:
        await self.zeroconf.async_unregister_all_services()
        await self.zeroconf.async_close()


async def advertise(adverts: list[tuple[str, str, str, int, dict[str, str]]], interface: str = "127.0.0.1") -> Beacon:
    """Register (service type, instance, address, port, txt) tuples; answers on `interface`."""
    from zeroconf import IPVersion
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    azc = AsyncZeroconf(interfaces=[interface], ip_version=IPVersion.V4Only)
    for service_type, instance, address, port, txt in adverts:
        fq = f"{service_type}.local."
        # one host name per address: records of one name are one host's, and would merge
        host = txt.get("lanHost", "").removesuffix(".local") or "lab-" + address.replace(".", "-")
        server = f"{host}.local."
        info = AsyncServiceInfo(fq, f"{instance}.{fq}", addresses=[socket.inet_aton(address)], port=port,
                                properties=txt, server=server)
        await azc.async_register_service(info, allow_name_change=True)
    return Beacon(azc)


async def gateway_beacon(era: str, address: str, port: int, machine: str = "labbox") -> Beacon:
    """One gateway's beacon as its era sends it (full mode, with sshPort and cliPath, before 2026.1.29)."""
    full = era != "openclaw"
    return await advertise([(ERA_TYPES[era], f"{machine} ({ERA_LABEL[era]})", address, port,
                             beacon_txt(port, machine, full=full))])


# ------------------------------------------------------------------ hostile responders

MDNS_GROUP, MDNS_PORT = "224.0.0.251", 5353


def _name(text: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in text.rstrip(".").split(".")) + b"\x00"


def _rr(name: bytes, rtype: int, rdata: bytes, ttl: int = 120) -> bytes:
    return name + struct.pack("!HHIH", rtype, 0x0001, ttl, len(rdata)) + rdata


def ptr_flood_packets(service_type: str, count: int, per_packet: int = 60) -> list[bytes]:
    """mDNS responses announcing `count` distinct instances of `service_type` (PTR records only,
    never resolvable): 10,000 instances in ~170 packets."""
    owner = _name(f"{service_type}.local.")
    packets = []
    for start in range(0, count, per_packet):
        n = min(per_packet, count - start)
        answers = b"".join(_rr(owner, 12, _name(f"flood-{start + i}.{service_type}.local.")) for i in range(n))
        packets.append(struct.pack("!HHHHHH", 0, 0x8400, 0, n, 0, 0) + answers)
    return packets


def malformed_packets(service_type: str, count: int = 200, seed: int = 17) -> list[bytes]:
    """Responses that break the format: truncated records, compression loops, lengths past the
    end, random bytes after a valid header, a TXT whose length bytes lie."""
    rng = random.Random(seed)
    owner = _name(f"{service_type}.local.")
    header = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0)
    shapes = [
        header + owner[:5],  # name cut mid-label
        header + b"\xc0\x0c",  # a pointer to itself: a compression loop
        header + owner + struct.pack("!HHIH", 12, 1, 120, 4000) + b"\x03abc",  # rdlength past the end
        header + owner + struct.pack("!HHIH", 16, 1, 120, 3) + b"\xffab",  # TXT whose length byte lies
        struct.pack("!HHHHHH", 0, 0x8400, 0, 65535, 65535, 65535),  # counts with no records
    ]
    packets = []
    for i in range(count):
        if i % 3 == 0:
            packets.append(header + bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600))))
        else:
            packets.append(shapes[i % len(shapes)])
    return packets


async def send_packets(packets: list[bytes], rounds: int = 1, interface: str = "127.0.0.1") -> None:
    """Multicast `packets` to the mDNS group from `interface`, `rounds` times, yielding between."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sock.setblocking(False)
        for _ in range(rounds):
            for packet in packets:
                try:
                    sock.sendto(packet, (MDNS_GROUP, MDNS_PORT))
                except BlockingIOError:
                    await asyncio.sleep(0.001)
            await asyncio.sleep(0.01)
    finally:
        sock.close()


__all__ = ["ERA_TYPES", "advertise", "gateway_beacon", "ptr_flood_packets", "malformed_packets", "send_packets",
           "beacon_txt"]
