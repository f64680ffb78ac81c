"""version.vulnerable: the identified version, or the version band identification reports, against
the product's advisories (its fingerprint's `advisories:`, compared in its `version_scheme`).

Sends nothing: the evidence is what identification observed. An exact version inside an affected
range is a finding; without one, a band (`attributes.version_range`: an era's title, a protocol
reply) entirely inside an affected range is a finding that says it rests on a band, a band that
straddles a fix is inconclusive, and no version and no band is not_applicable. Never a guess.
"""

from __future__ import annotations

from ..catalog import VersionParams
from ..identify import versions
from ..identify.advisories import Advisory
from ..model import Severity
from .context import identification_exchanges
from .registry import Outcome, register


def _describe(adv: Advisory, affected: versions.Range) -> str:
    fixed = f"fixed in {adv.fixed}" if adv.fixed else "no fixed version"
    note = f" Note: {adv.note.strip()}" if adv.note else ""
    return f"{adv.id} ({adv.severity}): {adv.summary} Affected {affected}, {fixed}.{note}"


def _ids(hits) -> str:
    """The advisory ids for a title or reason: the first three, then how many more."""
    ids = [a.id for a, _ in hits]
    return ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")


def _worst(hits: list[tuple[Advisory, versions.Range]]) -> str:
    return max((Severity(a.severity) for a, _ in hits), key=lambda s: s.rank).value


def _references(hits: list[tuple[Advisory, versions.Range]]) -> list[str]:
    out: list[str] = []
    for adv, _ in hits:
        for ref in (adv.id, *adv.references):
            if ref not in out:
                out.append(ref)
    return out


@register("version.vulnerable")
async def version_vulnerable(run, params: VersionParams) -> Outcome:
    fp = run.fingerprint
    advisories: list[Advisory] = list(fp.advisories) if fp is not None else []
    if not advisories:
        return Outcome.not_applicable("no advisory is known for this product")
    scheme = fp.version_scheme
    known = ", ".join(a.id for a in advisories)
    service = run.service
    attrs = service.extra.get("attributes") if isinstance(service.extra, dict) else None
    band_text = attrs.get("version_range") if isinstance(attrs, dict) else None

    if service.version:
        try:
            version = versions.parse(service.version, scheme)
        except versions.VersionError as exc:
            return Outcome.inconclusive(f"the reported version cannot be compared: {exc}")
        hits = [(a, r) for a in advisories if (r := a.matching(version)) is not None]
        if not hits:
            return Outcome.passed(f"version {version} is outside the affected ranges of every known "
                                  f"advisory ({known})")
        ids = _ids(hits)
        summary = (f"Identification read version {version}, which falls in the affected range of "
                   f"{len(hits)} known advisor{'y' if len(hits) == 1 else 'ies'}: "
                   + " ".join(_describe(a, r) for a, r in hits))
        return Outcome.finding(f"version {version} is affected by {ids}", summary, identification_exchanges(run.service, version_only=True),
                               title=f"{{product}} {version} is affected by {ids}",
                               data={"severity": _worst(hits)}, references=_references(hits))

    if band_text:
        try:
            band = versions.parse_range(band_text, scheme)
        except versions.VersionError as exc:
            return Outcome.inconclusive(f"the version band cannot be compared: {exc}")
        inside: list[tuple[Advisory, versions.Range]] = []
        straddled: list[Advisory] = []
        for adv in advisories:
            holding = next((r for r in adv.affected if band.within(r)), None)
            if holding is not None:
                inside.append((adv, holding))
            elif any(band.overlaps(r) for r in adv.affected):
                straddled.append(adv)
        if inside:
            ids = _ids(inside)
            summary = (f"The exact version is not observable without credentials; identification places "
                       f"it in the band {band} (what it matched is below), and that whole band lies inside "
                       f"the affected range of: " + " ".join(_describe(a, r) for a, r in inside)
                       + " This finding rests on the band, not on an exact version.")
            if straddled:
                summary += (" The band also straddles the fix of " + ", ".join(a.id for a in straddled)
                            + ", which it cannot decide.")
            return Outcome.finding(f"the version band {band} lies inside the affected range of {ids}",
                                   summary, identification_exchanges(run.service),
                                   title=f"{{product}} (version band {band}) is affected by {ids}",
                                   data={"severity": _worst(inside), "band": str(band)},
                                   references=_references(inside))
        if straddled:
            return Outcome.inconclusive(
                f"the version band {band} straddles the fix of {', '.join(a.id for a in straddled)}: it holds "
                "affected and fixed versions alike, and the exact version is not observable")
        return Outcome.passed(f"the version band {band} lies outside the affected ranges of every known "
                              f"advisory ({known})")
    return Outcome.not_applicable("the version is not observable, and identification reports no version band")
