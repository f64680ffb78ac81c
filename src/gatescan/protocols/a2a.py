"""Minimal A2A (Agent2Agent) client: read an agent's card, then prove with one read-only call the
card declares whether the agent answers without credentials. Never sends a message or creates a task.

Facts (checked against the real a2a-sdk 0.3.26 and 1.3.0): the card is served at
`/.well-known/agent-card.json` (0.3 and 1.x; 0.3 also at the older `/.well-known/agent.json`,
which is all agents before 0.3 serve). A 0.3 card names its endpoint in the top-level `url`
(`preferredTransport`, `additionalInterfaces`); a 1.0 card in `supportedInterfaces[]`
(`url`, `protocolBinding`, `protocolVersion`). 1.x reads the version from the `A2A-Version`
header and takes a request without it for 0.3 (`-32009 VERSION_NOT_SUPPORTED`); its JSON-RPC
methods are `ListTasks`, `GetTask`, `GetExtendedAgentCard`, 0.3's `tasks/get`. The SDKs ship no
authentication: an agent that declares none answers `ListTasks`, or a `GetTask`/`tasks/get` of a
task that exists nowhere with `-32001 Task not found`, which is the request reaching its task
store; an agent behind authentication answers 401/403 first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..model import Access
from ..net.client import Client

CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json")
VERSION_HEADER = "A2A-Version"
TASK_NOT_FOUND = -32001
METHOD_NOT_FOUND = -32601
_AUTH_WORDS = re.compile(r"unauthori[sz]ed|unauthenticated|forbidden|credential|api.?key|token", re.I)


@dataclass(frozen=True)
class Interface:
    """One endpoint the card declares: where, in which binding (JSONRPC, HTTP+JSON, GRPC)."""

    url: str
    binding: str
    protocol_version: str | None = None


@dataclass(frozen=True)
class AgentCard:
    path: str  # where it was served
    name: str
    version: str | None  # the agent's own version
    protocol_version: str | None
    interfaces: tuple[Interface, ...]
    extended: bool  # an authenticated extended card is declared
    security: bool  # security schemes or requirements are declared

    @property
    def modern(self) -> bool:
        """A 1.0 card (supportedInterfaces) or an interface declaring protocol 1.x."""
        return any((i.protocol_version or "").startswith("1") for i in self.interfaces) or (
            (self.protocol_version or "").startswith("1"))


def parse_card(doc: Any, path: str) -> AgentCard | None:
    """The card in a JSON document, or None when it is not one (a name and skills at least)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or "skills" not in doc:
        return None
    interfaces: list[Interface] = []
    for entry in doc.get("supportedInterfaces") or []:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            interfaces.append(Interface(entry["url"], str(entry.get("protocolBinding") or "JSONRPC"),
                                        _str(entry.get("protocolVersion"))))
    if isinstance(doc.get("url"), str):  # 0.3 and older: the preferred transport at `url`
        interfaces.append(Interface(doc["url"], str(doc.get("preferredTransport") or "JSONRPC"),
                                    _str(doc.get("protocolVersion"))))
    for entry in doc.get("additionalInterfaces") or []:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            interfaces.append(Interface(entry["url"], str(entry.get("transport") or "JSONRPC"),
                                        _str(doc.get("protocolVersion"))))
    caps = doc.get("capabilities") if isinstance(doc.get("capabilities"), dict) else {}
    extended = caps.get("extendedAgentCard") is True or doc.get("supportsAuthenticatedExtendedCard") is True
    security = bool(doc.get("securitySchemes") or doc.get("security") or doc.get("securityRequirements"))
    versions = [i.protocol_version for i in interfaces if i.protocol_version]
    return AgentCard(path, doc["name"][:200], _str(doc.get("version")),
                     _str(doc.get("protocolVersion")) or (versions[0] if versions else None),
                     tuple(interfaces), extended, security)


def _str(value: Any) -> str | None:
    return value[:100] if isinstance(value, str) and value else None


@dataclass
class A2aResult:
    state: Access
    reason: str
    card: AgentCard | None = None
    call: str | None = None  # the call that decided it
    exchanges: list[dict[str, Any]] = field(default_factory=list)


async def fetch_card(client: Client, base_url: str, result: A2aResult) -> AgentCard | None:
    """The first card served at the well-known paths (each answer is kept as evidence)."""
    for path in CARD_PATHS:
        answer = await client.http("GET", base_url + path, headers={"Accept": "application/json"})
        result.exchanges.append(answer.exchange)
        card = parse_card(answer.json(), path) if answer.status == 200 else None
        if card is not None:
            return card
    return None


def local_path(url: str) -> str:
    """The path of a declared URL, used on the scanned endpoint: only this endpoint is in scope,
    whatever host the card names (often a public name or 0.0.0.0)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


async def check_auth(client: Client, base_url: str, *, task_id: str) -> A2aResult:
    """Read the card, then send the read-only call of each declared interface (JSON-RPC first)
    until one decides; `task_id` names a task that exists nowhere."""
    result = A2aResult(Access.UNDECIDED, "")
    card = result.card = await fetch_card(client, base_url, result)
    if card is None:
        result.reason = "no agent card at " + " or ".join(CARD_PATHS)
        return result
    spoken = [i for i in card.interfaces if i.binding.upper() in ("JSONRPC", "HTTP+JSON")]
    if not spoken:
        result.reason = "the card declares no JSON-RPC or HTTP+JSON interface (gRPC is not spoken)"
        return result
    for iface in sorted(spoken, key=lambda i: i.binding.upper() != "JSONRPC"):
        path = local_path(iface.url)
        modern = (iface.protocol_version or "").startswith("1") or (iface.protocol_version is None and card.modern)
        if iface.binding.upper() == "JSONRPC":
            await _jsonrpc(client, base_url, path, modern, task_id, result)
        else:
            await _rest(client, base_url, path, task_id, result)
        if result.state is not Access.UNDECIDED:
            return result
    if card.extended:
        await _extended(client, base_url, card, result)
    return result


def _headers(modern: bool) -> dict[str, str]:
    return {"Content-Type": "application/json", "Accept": "application/json",
            **({VERSION_HEADER: "1.0"} if modern else {})}


async def _jsonrpc(client: Client, base_url: str, path: str, modern: bool, task_id: str, result: A2aResult) -> None:
    calls = ([("ListTasks", {"pageSize": 1}), ("GetTask", {"id": task_id})] if modern
             else [("tasks/get", {"id": task_id})])
    for n, (method, params) in enumerate(calls, 1):
        answer = await client.http("POST", base_url + path, headers=_headers(modern),
                                   json_body={"jsonrpc": "2.0", "id": n, "method": method, "params": params},
                                   note="no credentials sent")
        result.exchanges.append(answer.exchange)
        result.call = f"{method} at {path}"
        if _refused(answer, result):
            return
        doc = answer.json()
        if not isinstance(doc, dict) or answer.status != 200:
            result.reason = f"{method} answered HTTP {answer.status} without a JSON-RPC reply" + (
                f" ({answer.error})" if answer.error else "")
            return
        error = doc.get("error") if isinstance(doc.get("error"), dict) else None
        if "result" in doc:
            tasks = doc["result"].get("tasks") if isinstance(doc["result"], dict) else None
            result.state = Access.OPEN
            result.reason = f"{method} at {path} answered without credentials" + (
                f" ({len(tasks)} task(s) listed)" if isinstance(tasks, list) else "")
            return
        code, message = (error or {}).get("code"), str((error or {}).get("message", ""))[:120]
        if code == TASK_NOT_FOUND:
            result.state = Access.OPEN
            result.reason = (f"{method} at {path} of a task that exists nowhere reached the task store "
                             f"without credentials ({code} {message})")
            return
        if _AUTH_WORDS.search(message):
            result.state, result.reason = Access.CLOSED, f"{method} refused: {code} {message}"
            return
        result.reason = f"{method} answered JSON-RPC error {code} {message}"
        if code != METHOD_NOT_FOUND:
            return


async def _rest(client: Client, base_url: str, path: str, task_id: str, result: A2aResult) -> None:
    prefix = path.split("?", 1)[0].rstrip("/")
    answer = await client.http("GET", f"{base_url}{prefix}/tasks/{task_id}", headers=_headers(True),
                               note="no credentials sent")
    result.exchanges.append(answer.exchange)
    result.call = f"GET {prefix}/tasks/{{id}}"
    if _refused(answer, result):
        return
    if answer.status == 404 and "TASK_NOT_FOUND" in (answer.text or ""):
        result.state = Access.OPEN
        result.reason = f"GET {prefix}/tasks/<random> reached the task store without credentials (404 TASK_NOT_FOUND)"
        return
    result.reason = f"GET {prefix}/tasks/<random> answered HTTP {answer.status}"


async def _extended(client: Client, base_url: str, card: AgentCard, result: A2aResult) -> None:
    """The authenticated extended card the card declares, asked for with no credentials."""
    if card.modern:
        iface = next((i for i in card.interfaces if i.binding.upper() == "JSONRPC"), None)
        if iface is None:
            return
        path = local_path(iface.url)
        answer = await client.http("POST", base_url + path, headers=_headers(True),
                                   json_body={"jsonrpc": "2.0", "id": 9, "method": "GetExtendedAgentCard",
                                              "params": {}}, note="no credentials sent")
        call = f"GetExtendedAgentCard at {path}"
        doc = answer.json()
        served = isinstance(doc, dict) and isinstance(doc.get("result"), dict)
    else:
        path = "/agent/authenticatedExtendedCard"
        answer = await client.http("GET", base_url + path, note="no credentials sent")
        call = f"GET {path}"
        served = answer.status == 200 and parse_card(answer.json(), path) is not None
    result.exchanges.append(answer.exchange)
    result.call = call
    if _refused(answer, result):
        return
    if served:
        result.state, result.reason = Access.OPEN, f"{call}: the authenticated extended card was served without credentials"


def _refused(answer, result: A2aResult) -> bool:
    if answer.status in (401, 403):
        auth = answer.headers.get("www-authenticate", "")
        result.state = Access.CLOSED
        result.reason = f"{result.call} refused with HTTP {answer.status}" + (f" ({auth[:80]})" if auth else "")
        return True
    return False
