"""http.host.unchecked: the privileged request, answered without credentials at the real host,
is answered the same when sent the way a browser on a DNS-rebinding name sends it: `Host` and
`Origin` both `<random>.rebind.invalid:<port>`. `GET /` served to any Host proves nothing.
"""

from __future__ import annotations

from typing import Any

from . import spec as specs
from .baseline import privileged
from .context import random_token
from .registry import Outcome, register


@register(
    "http.host.unchecked", order=30,
    title="{product} answers requests for any Host name (reachable by DNS rebinding)",
    remediation="Check the Host header against the names the service is meant to be reached by "
                "(loopback names only when bound to loopback), or turn authentication on.",
    references=("CWE-350",),
)
async def http_host_unchecked(run, params: dict[str, Any]) -> Outcome:
    req, state, base_exchange = await privileged(run, params)
    if req is None:
        return Outcome.not_applicable("the fingerprint names no privileged HTTP request for this product")
    if state == specs.CLOSED:
        return Outcome.not_applicable(f"{req.describe()} is refused without credentials at the real host: "
                                      "authentication stands in the way of a rebinding page")
    if state != specs.OPEN:
        why = run.results["auth.missing"].reason if "auth.missing" in run.results else "no clear answer"
        return Outcome.inconclusive(f"the baseline {req.describe()} gave no clear answer ({why})")
    name = f"{random_token('gs')}.rebind.invalid:{run.port}"
    headers = {**req.headers, "Host": name, "Origin": f"{run.scheme}://{name}"}
    answer = await run.http(req.method, req.path, headers=headers, json_body=req.json_body, stop=req.stop,
                            note="as a browser on a DNS-rebinding name sends it")
    verdict = req.classify(answer)
    if verdict == specs.OPEN:
        exchanges = ([base_exchange] if base_exchange else []) + [answer.exchange]
        return Outcome.finding(
            f"{req.describe()} with Host and Origin {name} answered HTTP {answer.status} like the real host",
            f"{req.describe()} succeeds without credentials at the real host, and succeeds the same "
            f"with Host and Origin set to the unrelated name {name}, exactly as a browser sends it after a "
            "DNS-rebinding page points its own name at this address. A web page can therefore drive it.",
            exchanges, target=run.base_url + req.path,
        )
    if answer.status is not None and not answer.error:
        return Outcome.passed(f"the rebinding-shaped request was refused (HTTP {answer.status})")
    return Outcome.inconclusive(f"the rebinding-shaped request got no answer ({answer.error})")
