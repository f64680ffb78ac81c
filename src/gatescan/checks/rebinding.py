"""http.host.unchecked: the privileged request, answered without credentials at the real host,
is answered the same when sent the way a browser on a DNS-rebinding name sends it: `Host` and
`Origin` both `<random>.rebind.invalid:<port>`. `GET /` served to any Host proves nothing.
Over HTTPS a browser checks the certificate against the rebinding name, which the service's
certificate cannot carry, so the page stops at a certificate warning: stated, a step lower.
"""

from __future__ import annotations

from ..catalog import HostUncheckedParams
from ..model import Access
from ..protocols import mcp
from .baseline import privileged, unless_open
from .context import random_token
from .registry import Outcome, register


def _over_tls(run, name: str) -> tuple[str, dict]:
    """The finding's words and facts for an HTTPS service (catalog lower_when: `tls`)."""
    if run.scheme != "https":
        return "", {}
    return (f" Over HTTPS, though, a browser would stop at the certificate: it checks it against {name}, "
            "a name this service's certificate cannot carry, so the page gets only as far as a "
            "certificate warning the user must click through (hence one step lower)."), {"tls": True}


@register("http.host.unchecked")
async def http_host_unchecked(run, params: HostUncheckedParams) -> Outcome:
    if params.protocol == "mcp":
        return await _mcp(run, params)
    req, state, base_exchange = await privileged(run, params)
    stop = unless_open(run, req, state, refused="is refused without credentials at the real host: "
                                                "authentication stands in the way of a rebinding page")
    if stop is not None:
        return stop
    name = f"{random_token('gs')}.rebind.invalid:{run.port}"
    headers = {**req.headers, "Host": name, "Origin": f"{run.scheme}://{name}"}
    answer = await run.http(req.method, req.path, headers=headers, json_body=req.json_body, stop=req.stop,
                            note="as a browser on a DNS-rebinding name sends it")
    verdict = req.classify(answer)
    if verdict is Access.OPEN:
        tls_note, tls_facts = _over_tls(run, name)
        exchanges = ([base_exchange] if base_exchange else []) + [answer.exchange]
        return Outcome.finding(
            f"{req.describe()} with Host and Origin {name} answered HTTP {answer.status} like the real host",
            f"{req.describe()} succeeds without credentials at the real host, and succeeds the same "
            f"with Host and Origin set to the unrelated name {name}, exactly as a browser sends it after a "
            "DNS-rebinding page points its own name at this address. A web page can therefore drive it."
            + tls_note, exchanges, target=run.base_url + req.path, data=tls_facts,
        )
    if answer.status is not None and not answer.error:
        return Outcome.passed(f"the rebinding-shaped request was refused (HTTP {answer.status})")
    return Outcome.inconclusive(f"the rebinding-shaped request got no answer ({answer.error})")


async def _mcp(run, params: HostUncheckedParams) -> Outcome:
    """MCP: the privileged request of the server's era (legacy initialize; modern server/discover
    and tools/list) with Host and Origin both the rebinding name."""
    transport = params.transport
    if transport == "ws":
        return Outcome.not_applicable("the WebSocket transport is judged by ws.origin.unchecked")
    path = params.path or ("/sse" if transport == "sse" else "/mcp")
    probe = mcp.list_tools_sse if transport == "sse" else mcp.list_tools_http
    done = run.results.get("auth.missing")
    auth = done.data.get("auth") if done else None
    era = (done.data.get("era") if done else None) or run.attribute("mcp_era")
    exchanges = list(done.exchanges[:1]) if done and auth is Access.OPEN else []
    if auth is None:
        base = await probe(run.client, run.base_url, path, tools=False, era=era)
        auth, era = base.state, base.era
        exchanges = base.exchanges[:1]
    asked = "server/discover and tools/list" if era == mcp.MODERN else "initialize"
    if auth is Access.CLOSED:
        return Outcome.not_applicable(f"MCP {asked} is refused without credentials at the real host: "
                                      "authentication stands in the way of a rebinding page")
    if auth is not Access.OPEN:
        return Outcome.inconclusive(f"the baseline MCP {asked} gave no clear answer")
    name = f"{random_token('gs')}.rebind.invalid:{run.port}"
    headers = {"Host": name, "Origin": f"{run.scheme}://{name}"}
    result = await probe(run.client, run.base_url, path, headers=headers, tools=False, era=era)
    if result.state is Access.OPEN:
        tls_note, tls_facts = _over_tls(run, name)
        return Outcome.finding(
            f"MCP {asked} with Host and Origin {name} was answered like at the real host",
            f"MCP {asked} over {transport} ({era} era) succeeds without credentials at the real host and "
            f"succeeds the same with Host and Origin set to the unrelated name {name}, as a browser "
            "sends it after DNS rebinding: a web page can list and call this server's tools." + tls_note,
            exchanges + result.exchanges, target=run.base_url + path, data=tls_facts,
        )
    first = result.exchanges[0].get("response") if result.exchanges else None
    status = first.get("status") if isinstance(first, dict) else None
    if status is not None and status != 200:
        return Outcome.passed(f"the rebinding-shaped {asked} was refused (HTTP {status})")
    return Outcome.inconclusive(f"the rebinding-shaped {asked}: {result.reason}")
