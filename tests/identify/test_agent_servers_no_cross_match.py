"""The fingerprints of issue 17's agent servers and apps (gradio, anythingllm, openhands,
a2a-agent, codex-app-server, goose, hermes-agent) name only their own twins: every other lab
service, twin or decoy, stays unmatched by each of them alone."""

from __future__ import annotations

import pytest

from gatescan._paths import import_lab
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import get as fingerprint
from gatescan.model import Endpoint
from gatescan.net.client import Client
from tests.identify._twins import started

OURS = ("gradio", "anythingllm", "openhands", "a2a-agent", "codex-app-server", "goose", "hermes-agent")


def _services():
    import_lab()
    from gatescan.lab import services
    return [s for s in services() if s.product not in OURS]


@pytest.mark.parametrize("svc", _services(), ids=lambda s: s.key)
async def test_no_fingerprint_of_ours_names_another_service(svc):
    fps = [fingerprint(p) for p in OURS]
    async with started(svc) as handle, Client() as client:
        service = await identify(Endpoint("127.0.0.1", handle.port), client, fingerprints=fps)
    assert service.product == "unknown", (svc.key, service.product, [e.observed for e in service.evidence])
