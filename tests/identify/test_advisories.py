"""Advisories as data (identify/advisories.py): the shipped ones load and are cited; a bad entry
(a range no version satisfies, an unknown field, a fixed version inside its own range ...) fails
the load naming the file and the field, and `gatescan fingerprints validate` exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gatescan.cli import app
from gatescan.identify.fingerprints import FingerprintError, load_file, load_fingerprints

GOOD = {"id": "CVE-2025-3248", "summary": "Unauthenticated code injection", "affected": [">=0.1.0,<1.3.0"],
        "fixed": "1.3.0", "severity": "critical", "references": ["https://nvd.nist.gov/vuln/detail/CVE-2025-3248"]}


def write(directory: Path, advisories, scheme: str | None = "pep440", **extra) -> Path:
    doc = {"id": "demo-product", "name": "Demo", "category": "demo", "impact": "data", "ports": [12345],
           "probes": [{"id": "root", "kind": "http", "path": "/"}],
           "matchers": [{"probe": "root", "confidence": 0.9, "body_contains": "demo", **extra}],
           "checks": {"version.vulnerable": None}, "advisories": advisories}
    if scheme:
        doc["version_scheme"] = scheme
    path = directory / "demo-product.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_good_advisory_loads_typed(tmp_path):
    fp = load_file(write(tmp_path, [GOOD, {**GOOD, "id": "GHSA-2j8v-hwgc-x698", "fixed": None, "note": "disputed",
                                           "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]))
    first, second = fp.advisories
    assert first.id == "CVE-2025-3248" and str(first.fixed) == "1.3.0" and str(first.affected[0]) == ">=0.1.0,<1.3.0"
    assert second.fixed is None and second.note == "disputed"
    assert fp.version_scheme == "pep440"


@pytest.mark.parametrize("entry, field, reason", [
    ({**GOOD, "affected": [">=2.0,<1.0"]}, "advisories[0].affected[0]", "is empty: no version satisfies it"),
    ({**GOOD, "affected": ["1.0"]}, "advisories[0].affected[0]", "is not a comparison"),
    ({**GOOD, "affected": ["<1.x"]}, "advisories[0].affected[0]", "parses as no pep440 version"),
    ({**GOOD, "affected": []}, "advisories[0].affected", "at least one affected range"),
    ({**GOOD, "fixed": "1.2.0"}, "advisories[0].fixed", "lies inside the affected range"),
    ({**GOOD, "fixed": "soon"}, "advisories[0].fixed", "parses as no pep440 version"),
    ({**GOOD, "severity": "severe"}, "advisories[0].severity", "is not one of"),
    ({**GOOD, "cvss": "9.8"}, "advisories[0].cvss", "is not a CVSS"),
    ({**GOOD, "references": []}, "advisories[0].references", "at least one reference"),
    ({**GOOD, "references": ["see the blog"]}, "advisories[0].references[0]", "is not an https URL"),
    ({**GOOD, "id": "cve 2025"}, "advisories[0].id", "is no CVE, GHSA or vendor id"),
    ({**GOOD, "affcted": ["<1.0"]}, "advisories[0].affcted", "unknown field 'affcted'"),
    ({k: v for k, v in GOOD.items() if k != "fixed"}, "advisories[0].fixed", "'fixed' is required"),
    ({**GOOD, "summary": "two\nlines"}, "advisories[0].summary", "one line"),
])
def test_a_bad_advisory_fails_the_load_naming_file_and_field(tmp_path, entry, field, reason):
    path = write(tmp_path, [entry])
    with pytest.raises(FingerprintError) as info:
        load_file(path)
    assert info.value.file == str(path) and info.value.where == field, str(info.value)
    assert reason in info.value.reason, str(info.value)


def test_duplicate_ids_and_bad_schemes_are_refused(tmp_path):
    with pytest.raises(FingerprintError, match=r"advisories\[1\]\.id: duplicate advisory 'CVE-2025-3248'"):
        load_file(write(tmp_path, [GOOD, GOOD]))
    with pytest.raises(FingerprintError, match="version_scheme"):
        load_file(write(tmp_path, [GOOD], scheme="romver"))
    # the range is read in the product's scheme: a CalVer product refuses semver-style ranges
    with pytest.raises(FingerprintError, match=r"advisories\[0\]\.affected\[0\]: .*calver"):
        load_file(write(tmp_path, [GOOD], scheme="calver"))


def test_an_era_band_is_read_in_the_scheme_too(tmp_path):
    with pytest.raises(FingerprintError) as info:
        load_file(write(tmp_path, [], scheme="calver", version_range=">=2026.1.5 <2026.13.1"))
    assert info.value.where == "matchers[0].version_range"


def test_cli_validate_exits_2_on_a_bad_range(tmp_path):
    path = write(tmp_path, [{**GOOD, "affected": [">=2.0,<1.0"]}])
    result = CliRunner().invoke(app, ["fingerprints", "validate", str(path)])
    assert result.exit_code == 2
    assert "advisories[0].affected[0]" in result.output


def test_shipped_advisories_are_cited_and_cover_the_issue_list():
    fps = {fp.id: fp for fp in load_fingerprints()}
    ids = {fp_id: {a.id for a in fp.advisories} for fp_id, fp in fps.items()}
    assert {"CVE-2026-25253", "ClawJacked", "GHSA-rqpp-rjj8-7wv8"} <= ids["openclaw-gateway"]
    assert "CVE-2025-49596" in ids["mcp-inspector"]
    assert "CVE-2025-52882" in ids["claude-code-ide"]
    assert {"CVE-2024-28224", "CVE-2024-37032", "CVE-2026-7482"} <= ids["ollama"]
    assert "CVE-2026-40110" in ids["jupyter-server"]
    for fp in fps.values():
        for adv in fp.advisories:
            assert any(r.startswith("https://") for r in adv.references), (fp.id, adv.id)
            if adv.fixed is not None:
                assert adv.matching(adv.fixed) is None, (fp.id, adv.id)
    # the fixes the issue names
    by_id = {a.id: a for a in fps["openclaw-gateway"].advisories}
    assert str(by_id["CVE-2026-25253"].fixed) == "2026.1.29" and str(by_id["ClawJacked"].fixed) == "2026.2.25"
    assert str({a.id: a for a in fps["mcp-inspector"].advisories}["CVE-2025-49596"].fixed) == "0.14.1"
