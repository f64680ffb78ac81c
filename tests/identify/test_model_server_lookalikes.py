"""Look-alikes never cross-match: the model servers that all answer an OpenAI-style /v1/models
(llama.cpp, vLLM, LocalAI, LM Studio, text-generation-webui; LiteLLM and Ollama too) and the
flow builders are each named only by their own fingerprint. Every one of these fingerprints is
fed every other lab service (twins of all products and the decoys), and every other fingerprint
is fed these products' twins, one fingerprint at a time: nothing but the product's own
fingerprint may name it (issue 17, Bad input)."""

from __future__ import annotations

import pytest

from gatescan._paths import import_lab
from gatescan.identify.engine import identify
from gatescan.identify.fingerprints import load_fingerprints
from gatescan.model import Endpoint
from gatescan.net.client import Client
from gatescan.net.limits import Limits
from tests.identify._twins import started

PRODUCTS = ("langflow", "flowise", "lm-studio", "llama-cpp-server", "vllm", "localai", "text-generation-webui",
            "dify")
FINGERPRINTS = {fp.id: fp for fp in load_fingerprints()}
SERVICES = [s for s in import_lab().services() if s.key not in ("decoy-tarpit", "decoy-drip")]


def _pairs(svc) -> list[str]:
    """The fingerprints that must not name `svc`: ours for every service, every other one for our twins."""
    if svc.product in PRODUCTS:
        return sorted(fid for fid in FINGERPRINTS if fid != svc.product)
    return [fid for fid in PRODUCTS if fid in FINGERPRINTS and fid != svc.product]


def test_every_product_has_a_fingerprint_and_both_twins():
    for product in PRODUCTS:
        assert product in FINGERPRINTS, product
        twins = {s.twin for s in SERVICES if s.product == product}
        assert twins == {"vulnerable", "hardened"}, product


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.key)
async def test_no_other_fingerprint_names_it(svc):
    named = []
    async with started(svc) as handle, Client(Limits(endpoint_deadline=6.0)) as client:
        for fid in _pairs(svc):
            found = await identify(Endpoint("127.0.0.1", handle.port), client, fingerprints=[FINGERPRINTS[fid]])
            if found.product != "unknown":
                named.append((fid, found.confidence, [e.observed for e in found.evidence]))
    assert not named, named
