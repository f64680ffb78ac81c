"""Minimal OpenClaw gateway WebSocket client: the pre-authentication part of `connect`.

It asks a gateway how far a connect gets (Origin gate, then credential/device gates) without
ever sending a credential or a device identity, so no failed-login counter or pairing request
is created (the gateway's connect handshake, checked against openclaw@2026.9.6). Identification may reuse
`protocol_version()` and `connect_probe()`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from ..model import Access
from ..net.client import Client

# Outcome kinds of one connect attempt (richer than, and mapped onto, Access by `.access`).
ORIGIN_REJECTED = "origin_rejected"  # close 1008 "origin not allowed": the Origin gate held
NEXT_GATE = "next_gate"  # an auth / device-identity / pairing error: the Origin gate let us by
HELLO_OK = "hello_ok"  # admitted outright (no auth, no device needed)
RATE_LIMITED = "rate_limited"  # past the Origin gate, refused by the auth limiter (AUTH_RATE_LIMITED)
PROTOCOL_MISMATCH = "protocol_mismatch"  # our range missed; expected_protocol says the server's
UNEXPECTED = "unexpected"  # anything else: no gate could be told from it

# details.code values that come after the Origin check (verified against openclaw@2026.9.6).
NEXT_GATE_CODES = frozenset({
    "AUTH_TOKEN_MISSING", "AUTH_TOKEN_MISMATCH", "AUTH_PASSWORD_MISSING", "AUTH_PASSWORD_MISMATCH",
    "AUTH_TOKEN_NOT_CONFIGURED", "AUTH_PASSWORD_NOT_CONFIGURED", "AUTH_RATE_LIMITED",
    "AUTH_REQUIRED", "AUTH_UNAUTHORIZED", "AUTH_TAILSCALE_IDENTITY_MISSING",
    "AUTH_TAILSCALE_IDENTITY_MISMATCH", "DEVICE_IDENTITY_REQUIRED", "PAIRING_REQUIRED",
})
# Older eras carry no details.code: their error messages mark the same gates.
NEXT_GATE_TEXT = ("unauthorized", "device identity required", "pairing required",
                  "control ui requires")
ORIGIN_CODES = frozenset({"CONTROL_UI_ORIGIN_NOT_ALLOWED", "ORIGIN_NOT_ALLOWED"})

DEFAULT_RANGE = (3, 4)  # protocol 3 until ~2026-05, 4 since; one retry follows a mismatch


@dataclass
class ConnectOutcome:
    kind: str
    reason: str  # one line a report reader understands
    code: str | None = None  # error details.code, when the server sent one
    expected_protocol: int | None = None
    server_version: str | None = None  # from hello-ok, when admitted
    upgrade_status: int | None = None
    close: dict[str, Any] | None = None  # {code, reason} when the server closed
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # one per socket (a retry adds one)

    @property
    def access(self) -> Access:
        """Did the connect get past the Origin gate?"""
        if self.kind in (NEXT_GATE, HELLO_OK, RATE_LIMITED):
            return Access.OPEN
        return Access.CLOSED if self.kind == ORIGIN_REJECTED else Access.UNDECIDED

    @property
    def exchange(self) -> dict[str, Any]:
        """The socket that decided, as evidence."""
        return self.exchanges[-1] if self.exchanges else {"request": {}, "response": None}


def connect_frame(min_protocol: int, max_protocol: int, client_id: str = "cli",
                  auth: dict[str, str] | None = None) -> dict[str, Any]:
    """A connect request with no `device`, and no `auth` unless given (only the intrusive rate-limit
    check gives one: a random wrong credential, which the gateway counts as a failed login)."""
    mode = {"openclaw-control-ui": "ui", "webchat": "webchat"}.get(client_id, "cli")
    return {
        "type": "req", "id": f"gatescan-{uuid.uuid4().hex[:12]}", "method": "connect",
        "params": {
            "minProtocol": min_protocol, "maxProtocol": max_protocol,
            "client": {"id": client_id, "version": "0.0.0", "platform": "linux", "mode": mode},
            "role": "operator", "scopes": ["operator.read"],
            **({"auth": dict(auth)} if auth else {}),
        },
    }


def ws_url(host: str, port: int, tls: bool = False, path: str = "/") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'wss' if tls else 'ws'}://{shown}:{port}{path}"


async def connect_probe(
    client: Client, host: str, port: int, *, origin: str | None = None, client_id: str = "cli",
    protocol_range: tuple[int, int] = DEFAULT_RANGE, tls: bool = False, retry_mismatch: bool = True,
    auth: dict[str, str] | None = None,
) -> ConnectOutcome:
    """One connect attempt (plus one retry on a protocol mismatch)."""
    outcome = await _attempt(client, host, port, origin, client_id, protocol_range, tls, auth)
    if (retry_mismatch and outcome.kind == PROTOCOL_MISMATCH and outcome.expected_protocol
            and not protocol_range[0] <= outcome.expected_protocol <= protocol_range[1]):
        n = outcome.expected_protocol
        again = await _attempt(client, host, port, origin, client_id, (n, n), tls, auth)
        again.exchanges = outcome.exchanges + again.exchanges
        again.expected_protocol = again.expected_protocol or n
        return again
    return outcome


async def protocol_version(client: Client, host: str, port: int, *, tls: bool = False) -> int | None:
    """The server's protocol version, from the pre-auth mismatch reply to a 1..1 range."""
    outcome = await connect_probe(client, host, port, protocol_range=(1, 1), tls=tls, retry_mismatch=False)
    return outcome.expected_protocol


async def _attempt(client: Client, host, port, origin, client_id, protocol_range, tls, auth=None) -> ConnectOutcome:
    outcome = None
    note = f"connect as {client_id}" + (", a random wrong credential (intrusive)" if auth else "")
    async with client.websocket(ws_url(host, port, tls), origin=origin, note=note) as ws:
        if ws.accepted:
            outcome = await _converse(ws, client_id, protocol_range, client.limits, auth)
            outcome.upgrade_status = 101
    if outcome is None:
        if ws.status is not None:
            outcome = ConnectOutcome(UNEXPECTED, f"the WebSocket upgrade was answered with HTTP {ws.status}, not 101",
                                     upgrade_status=ws.status)
        elif ws.error == "timeout":
            outcome = ConnectOutcome(UNEXPECTED, "the WebSocket upgrade timed out")
        else:
            outcome = ConnectOutcome(UNEXPECTED, f"the WebSocket upgrade failed ({ws.error})")
    outcome.exchanges = [ws.exchange]
    return outcome


async def _converse(ws, client_id, protocol_range, limits, auth=None) -> ConnectOutcome:
    request = connect_frame(*protocol_range, client_id=client_id, auth=auth)
    reply_timeout, max_frames = limits.read_timeout, limits.max_frames
    frames_read = 0
    sent = False

    def done(kind: str, reason: str, **kw: Any) -> ConnectOutcome:
        return ConnectOutcome(kind, reason, **kw)

    # ≥2026.1.20 sends connect.challenge first; older eras wait for the client.
    try:
        async with asyncio.timeout(reply_timeout):
            while True:
                if not sent:
                    try:
                        raw = await ws.recv(min(2.0, reply_timeout))
                    except TimeoutError:
                        raw = None  # no challenge: an older era; connect anyway
                else:
                    raw = await ws.recv()
                if raw is not None:
                    frames_read += 1
                    if frames_read > max_frames:
                        return done(UNEXPECTED, f"no reply among the first {max_frames} frames")
                    if isinstance(raw, bytes):
                        return done(UNEXPECTED, "the server sent a binary frame (the gateway speaks JSON text)")
                    try:
                        frame = json.loads(raw)
                    except ValueError:
                        return done(UNEXPECTED, "the server sent a frame that is not JSON")
                    if not isinstance(frame, dict):
                        return done(UNEXPECTED, "the server sent JSON that is not a gateway frame")
                    if not sent and frame.get("type") == "event" and frame.get("event") == "connect.challenge":
                        pass  # expected; answer it below
                    elif sent and frame.get("type") == "res" and frame.get("id") == request["id"]:
                        return _classify_res(frame, done)
                    # other events (tick, presence) are skipped
                if not sent:
                    await ws.send(json.dumps(request))
                    sent = True
    except TimeoutError:
        what = "the connect request" if sent else "the WebSocket"
        return done(UNEXPECTED, f"no answer to {what} within {reply_timeout:g} s")
    except ConnectionClosed as exc:
        rcvd = exc.rcvd
        close = {"code": rcvd.code, "reason": rcvd.reason} if rcvd else None
        if exc.sent is not None and exc.sent.code == 1009:
            return done(UNEXPECTED, "the server sent a frame larger than the size cap")
        if close is None:
            return done(UNEXPECTED, "the connection dropped without a close frame")
        return _classify_close(close, done, sent)


def _classify_res(frame: dict[str, Any], done) -> ConnectOutcome:
    if frame.get("ok") is True:
        payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
        if payload.get("type") == "hello-ok":
            server = payload.get("server") if isinstance(payload.get("server"), dict) else {}
            version = server.get("version") if isinstance(server.get("version"), str) else None
            return done(HELLO_OK, "the gateway answered hello-ok with no credentials", server_version=version)
        return done(UNEXPECTED, "the connect succeeded without a hello-ok payload")
    error = frame.get("error") if isinstance(frame.get("error"), dict) else {}
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    code = details.get("code") if isinstance(details.get("code"), str) else None
    message = str(error.get("message", ""))[:200]
    low = message.lower()
    if code == "PROTOCOL_MISMATCH" or "protocol mismatch" in low:
        expected = details.get("expectedProtocol")
        return done(PROTOCOL_MISMATCH, f"protocol mismatch: {message}", code=code,
                    expected_protocol=expected if isinstance(expected, int) else None)
    if code in ORIGIN_CODES or "origin not allowed" in low:
        return done(ORIGIN_REJECTED, f"refused on Origin: {message}", code=code)
    if code == "AUTH_RATE_LIMITED" or "too many failed" in low:
        return done(RATE_LIMITED, f"throttled: {message}", code=code)
    if code in NEXT_GATE_CODES or (code is None and low.startswith(NEXT_GATE_TEXT)):
        return done(NEXT_GATE, f"reached the credential/device gate: {message}", code=code)
    return done(UNEXPECTED, f"unexpected connect error: {message or 'no message'}", code=code)


def _classify_close(close: dict[str, Any], done, sent: bool) -> ConnectOutcome:
    reason = str(close.get("reason") or "")
    low = reason.lower()
    if close.get("code") == 1008 and "origin not allowed" in low:
        return done(ORIGIN_REJECTED, f"closed 1008: {reason}", close=close)
    if close.get("code") == 1008 and sent and "too many failed" in low:
        return done(RATE_LIMITED, f"throttled: closed 1008 {reason}", close=close)
    if close.get("code") == 1002 and "protocol mismatch" in low:
        return done(PROTOCOL_MISMATCH, "closed 1002: protocol mismatch", close=close)
    if close.get("code") == 1008 and sent and low.startswith(NEXT_GATE_TEXT):
        return done(NEXT_GATE, f"reached the credential/device gate: closed 1008 {reason}", close=close)
    when = "after the connect request" if sent else "before the connect request"
    return done(UNEXPECTED, f"closed {when} ({close.get('code')} {reason!r})", close=close)


__all__ = ["ConnectOutcome", "connect_probe", "protocol_version", "connect_frame", "ws_url",
           "ORIGIN_REJECTED", "NEXT_GATE", "HELLO_OK", "RATE_LIMITED", "PROTOCOL_MISMATCH", "UNEXPECTED"]
