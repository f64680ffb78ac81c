"""Dify: both twins named `dify` with the version its service API's index shows without a key,
the setup state in the attributes; a fresh deployment (admin unclaimed) is the vulnerable one."""

from __future__ import annotations

import pytest

from tests.identify._real import exchange
from tests.identify._twins import identify_twin, lab_twins, started
from tests.netns import requires_netns

TWINS = lab_twins("dify")
BY_TWIN = {s.twin: s for s in TWINS}


@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_is_named_with_its_version_and_setup_state(svc):
    service = await identify_twin(svc)
    assert (service.product, service.version) == ("dify", svc.version)
    step = "not_started" if svc.twin == "vulnerable" else "finished"
    assert service.extra["attributes"]["setup_step"] == step
    assert service.extra["attributes"]["init_status"] == "finished"  # no INIT_PASSWORD


@requires_netns
@pytest.mark.parametrize("svc", TWINS, ids=lambda s: s.key)
async def test_twin_on_its_default_port(svc):
    service = await identify_twin(svc, "127.0.10.26", svc.port)
    assert (service.product, service.version) == ("dify", svc.version)


@pytest.mark.parametrize("path,status", [("/console/api/setup", 200), ("/v1/", 200), ("/console/api/apps", 401),
                                         ("/signin", 200)])
async def test_twins_answer_as_dify_does(path, status):
    for svc in TWINS:
        async with started(svc) as handle:
            got, headers = await exchange("127.0.0.1", handle.port, "GET", path, {"Host": "rebind.test"})
        assert got == status, (svc.key, path)  # nginx server_name _: any Host
        assert headers["server"].startswith("nginx/")
