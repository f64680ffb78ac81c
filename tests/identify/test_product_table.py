"""The README's product table is what the fingerprints say (generated, so it cannot drift), the
agents port sets (OpenClaw's managed-browser CDP range, agents-wide from its data file), and
the optional fingerprint fields the table and --mdns read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gatescan import products
from gatescan.cli import app
from gatescan.identify.fingerprints import FingerprintError, get, load_fingerprints
from gatescan.scope.ports import WIDE_FILE, named_port_sets, wide_ports
from gatescan.userio import load_yaml

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_equals_what_the_fingerprints_say():
    held = products.readme_table(README.read_text(encoding="utf-8"))
    assert held is not None, f"README.md lost its {products.BEGIN!r} ... {products.END!r} block"
    assert held == products.markdown(load_fingerprints()), (
        "README.md's product table is stale: regenerate it with `gatescan fingerprints list --markdown`")


def test_the_table_has_one_row_per_fingerprint_with_its_ports_impact_and_checks():
    table = products.markdown(load_fingerprints())
    lines = table.splitlines()
    assert len(lines) == 2 + len(load_fingerprints())
    row = next(line for line in lines if line.startswith("| `chrome-devtools` |"))
    assert "9222, 18800-18899" in row and "| control |" in row and "`auth.missing`" in row
    # a product that hides its version says so; HTML in a cell is escaped, pipes too
    assert "not shown without credentials" in next(l for l in lines if "`openclaw-extension-relay`" in l)
    assert "<title>" not in table and "&lt;title>" in table


def test_fingerprints_list_markdown_prints_the_table():
    result = CliRunner().invoke(app, ["fingerprints", "list", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == products.markdown(load_fingerprints())


def test_every_shipped_fingerprint_says_how_it_is_recognised_and_where_its_version_comes_from():
    for fp in load_fingerprints():
        assert fp.recognition, fp.id
        assert fp.version_source is None or fp.version_source, fp.id  # "" means the file does not say


GOOD = """
id: demo-product
name: Demo
category: agent-gateway
impact: data
ports: [12345]
probes:
  - {id: root, kind: http, path: /}
matchers:
  - {probe: root, confidence: 0.9, body_contains: demo}
"""


@pytest.mark.parametrize("extra, field", [
    ("recognition: ''", "recognition"),
    ("version_source: 7", "version_source"),
    ("mdns: {types: [openclaw-gw]}", "mdns.types[0]"),
    ("mdns: {types: [_openclaw-gw._tcp], typos: [x]}", "mdns"),
    ("mdns: {type_prefixes: ['_clawdis-*']}", "mdns.type_prefixes[0]"),
])
def test_the_optional_fields_are_validated(tmp_path, extra, field):
    path = tmp_path / "demo-product.yaml"
    path.write_text(textwrap.dedent(GOOD) + extra + "\n")
    with pytest.raises(FingerprintError) as err:
        load_fingerprints(path)
    assert err.value.where.startswith(field), err.value


def test_absent_optional_fields_load_as_not_said(tmp_path):
    path = tmp_path / "demo-product.yaml"
    path.write_text(textwrap.dedent(GOOD) + "version_source: null\n")
    [fp] = load_fingerprints(path)
    assert (fp.recognition, fp.version_source, fp.mdns_types, fp.mdns_prefixes) == ("", None, (), ())
    assert products.rows([fp])[0][3:5] == ("-", products.NO_VERSION)


def test_agents_holds_openclaws_managed_browser_cdp_range_claimed_by_chrome_devtools():
    agents = set(named_port_sets()["agents"])
    assert set(range(18800, 18900)) <= agents
    assert set(range(18800, 18900)) <= set(get("chrome-devtools").ports)


def test_agents_wide_is_agents_plus_the_documented_alternative_ports():
    sets = named_port_sets()
    doc = load_yaml(WIDE_FILE.read_text(encoding="utf-8"))
    listed = {p for entry in doc["ports"] for p in range(entry["ports"][0], entry["ports"][1] + 1)}
    assert all(entry["why"].strip() for entry in doc["ports"])  # every port says why it is there
    assert set(wide_ports()) == listed
    assert set(sets["agents-wide"]) == set(sets["agents"]) | listed
    assert {80, 443, 3000, 8080, 8443} <= listed and not set(sets["agents"]) >= listed
