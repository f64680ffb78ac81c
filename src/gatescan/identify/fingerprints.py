"""Fingerprints as data: load fingerprints/<id>.yaml and validate them (matching: matcher.py).

The YAML format is the JSON Schema in schemas/fingerprint-v1.schema.json plus the semantic
checks below (probe references, regexes); a bad file fails naming the file, field and reason.

Format (one product per file; see fingerprints/openclaw-gateway.yaml for a worked example):

  id, name, category, impact (control|data|inference: rates the product's network findings),
  ports[], port_ranges[[a, b]], description, references[]
  probes[]:   {id, kind: http|ws, when: always|matched|unidentified|fallback, path, headers}
              http: method, body (text) | json (object), read_until (regex: stop reading there),
                    max_body (a larger read cap), path_from {probe, regex} (path taken from the
                    first group of regex in an earlier probe's body; `path` is the fallback),
                    sse_post (posted to the stream's `event: endpoint` URL; the reply is read
                    from the stream: legacy MCP SSE)
              ws:   subprotocols[], origin, read_first_frame (default true), send (text or JSON)
              `always` probes are cheap and run whenever the product is a candidate;
              `matched` probes run only after a matcher of this product matched (version,
              deeper evidence); `unidentified` probes run on every HTTP port nothing named;
              `fallback` probes only where the `unidentified` ones named nothing either (an
              older protocol's handshake after the current one's probe: MCP initialize).
              Identical requests are sent once per endpoint, whichever products ask.
  matchers[]: {probe, confidence, variant?, default_port_only?, <conditions>, not: {<conditions>}}
              (default_port_only: a weak, generic signal that counts only on the default ports;
              version_range: the versions an era marker implies, e.g. '>=2026.1.5 <2026.1.29',
              reported as attributes.version_range when no version is observable;
              attributes: {name: value} set when it matches, e.g. mcp_era: modern)
              conditions (all must hold): the matcher language of matcher.py.
  version[]:  {probe, source: body|frame|reply|close_reason, header, json, regex, decode: base64,
              decoded_regex}; first hit wins (decode: the regex's value is decoded, then read)
  attributes[]: the same with a `name` (e.g. protocol)
  checks:     {check-id: {parameters for that check} | null}: only ids this build runs, with
              the parameters the check declares (catalog.py); `open` / `closed` rules are
              conditions of the same language (HTTP ones)
  version_scheme: calver|semver|pep440 (how versions, era bands and advisory ranges compare;
              default pep440; identify/versions.py)
  advisories: [{id, summary, affected[], fixed, severity, cvss?, note?, references[]}], read by
              version.vulnerable; validated here (identify/advisories.py)
  recognition, version_source: one line each for the README's product table (how the product
              is recognised; where its version comes from without credentials, null: nowhere)
  mdns:       {types: [_x._tcp], type_prefixes: [_x-]}: what it advertises on the LAN (--mdns)
  embeds[]:   {protocol, name, path, probe, match: {<conditions>}, role?, transport?, variant?,
              checks_from?, checks?, attributes[]?}: a surface of another protocol the product
              serves (an MCP gateway, a plugin route). When `match` holds on `probe`'s answer the
              service records it in attributes.embedded and the checks run it: `checks_from`'s
              fingerprint's checks retargeted to `path`/`transport`, plus its own `checks`. The
              service stays the product that serves it (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import _paths, catalog, typed
from ..userio import UserFileError, YamlError, load_yaml, read_user_text
from . import matcher, versions
from .advisories import Advisory, AdvisoryError, parse_advisories
from .matcher import RuleError

MAX_FILE_BYTES = 1024 * 1024  # the largest shipped file is under 8 KiB
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "fingerprint-v1.schema.json"


class FingerprintError(ValueError):
    """A fingerprint file is malformed: names the file, the field and the reason."""

    def __init__(self, file: str | Path, where: str, reason: str):
        self.file, self.where, self.reason = str(file), where, reason
        super().__init__(f"{file}: {where or '<top>'}: {reason}")


# ---------------------------------------------------------------- the records


@dataclass(frozen=True)
class Probe:
    id: str
    kind: str  # http | ws
    when: str = "always"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    body: bytes | None = None
    read_until: str | None = None
    subprotocols: tuple[str, ...] = ()
    origin: str | None = None
    read_first_frame: bool = True
    send: str | None = None
    path_from: tuple[tuple, str] | None = None  # (source probe's key, regex): path read from its body
    max_body: int | None = None  # this probe's read cap, when larger than the scan's
    sse_post: str | None = None  # posted to the stream's endpoint event (net/sse.py)

    def key(self) -> tuple:
        """Requests with the same key are sent once per endpoint."""
        return (self.kind, self.method, self.path, self.headers, self.body, self.read_until,
                self.subprotocols, self.origin, self.read_first_frame, self.send, self.path_from, self.sse_post)

    def describe(self) -> str:
        if self.kind == "ws":
            extra = f" subprotocols={','.join(self.subprotocols)}" if self.subprotocols else ""
            sent = " +send" if self.send else ""
            return f"WS {self.path}{extra}{sent}"
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Matcher:
    probe: str
    confidence: float
    conditions: dict[str, Any]
    negated: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None
    default_port_only: bool = False
    version_range: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # set on the service when this matcher matched


@dataclass(frozen=True)
class Extractor:
    probe: str
    source: str = "body"
    header: str | None = None
    json: str | None = None
    regex: str | None = None
    name: str = "version"
    decode: str | None = None  # base64: the regex's value is decoded, then decoded_regex reads it
    decoded_regex: str | None = None


@dataclass(frozen=True)
class Embed:
    """A surface of another protocol on the product's own endpoint (fingerprint `embeds:`)."""

    protocol: str
    name: str
    path: str
    probe: str
    match: dict[str, Any]
    role: str = "server"
    transport: str | None = None
    variant: str | None = None
    checks_from: str | None = None
    checks: dict[str, catalog.CheckParams] = field(default_factory=dict)
    attributes: tuple[Extractor, ...] = ()

    @property
    def label(self) -> str:
        """How findings and check results name it: `MCP gateway at /mcp`."""
        return f"{self.name} at {self.path}"


@dataclass
class Fingerprint:
    id: str
    name: str
    category: str
    impact: str  # control | data | inference (catalog.IMPACT_CLASSES)
    ports: tuple[int, ...]
    probes: list[Probe]
    matchers: list[Matcher]
    version: list[Extractor] = field(default_factory=list)
    attributes: list[Extractor] = field(default_factory=list)
    checks: dict[str, catalog.CheckParams] = field(default_factory=dict)  # validated, typed
    advisories: list[Advisory] = field(default_factory=list)  # validated, ranges parsed
    version_scheme: str = versions.DEFAULT_SCHEME
    embeds: list[Embed] = field(default_factory=list)
    description: str = ""
    references: list[str] = field(default_factory=list)
    recognition: str = ""  # "" when the file does not say
    version_source: str | None = ""  # None: the product shows no version without credentials
    mdns_types: tuple[str, ...] = ()
    mdns_prefixes: tuple[str, ...] = ()
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def probe(self, probe_id: str) -> Probe:
        for p in self.probes:
            if p.id == probe_id:
                return p
        raise KeyError(probe_id)

    def probes_when(self, when: str) -> list[Probe]:
        return [p for p in self.probes if p.when == when]


# ---------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator(schema)


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problems(doc: Any, validator=None) -> list[tuple[str, str]]:
    problems = []
    for err in sorted((validator or _validator()).iter_errors(doc), key=lambda e: list(e.absolute_path)):
        # the deepest, most specific reason of a oneOf/allOf failure
        best = err
        while best.context:
            best = min(best.context, key=lambda e: len(list(e.absolute_path)) * -1)
        problems.append((_where(best.absolute_path) or _where(err.absolute_path), best.message))
    return problems


def _compile(file: Path, where: str, pattern: str) -> None:
    try:
        matcher.check_regex(where, pattern)
    except RuleError as exc:
        raise FingerprintError(file, exc.where, exc.reason) from None


def _check_conditions(file: Path, where: str, conds: dict[str, Any]) -> None:
    try:
        matcher.validate(conds, where)
    except RuleError as exc:
        raise FingerprintError(file, exc.where, exc.reason) from None


@lru_cache(maxsize=1)
def _rule_validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/rule", "$defs": schema["$defs"]})


def check_rule(file: str | Path, where: str, rule: Any) -> None:
    """A check's `open` / `closed` rule: HTTP conditions of the matcher language, at least one."""
    problems = _schema_problems(rule, _rule_validator())
    if problems:  # the deepest one: a bad value also leaves its key "unevaluated" one level up
        at, reason = max(problems, key=lambda p: len(p[0]))
        raise FingerprintError(file, f"{where}.{at}" if at else where, reason)
    _check_conditions(Path(file), where, rule)


def _build(file: Path, doc: dict[str, Any]) -> Fingerprint:
    probes: list[Probe] = []
    seen: set[str] = set()
    for i, p in enumerate(doc["probes"]):
        where = f"probes[{i}]"
        if p["id"] in seen:
            raise FingerprintError(file, f"{where}.id", f"duplicate probe id {p['id']!r}")
        seen.add(p["id"])
        headers = tuple(sorted((str(k), str(v)) for k, v in (p.get("headers") or {}).items()))
        if p["kind"] == "http":
            if "body" in p and "json" in p:
                raise FingerprintError(file, where, "give either body or json, not both")
            body = p.get("body")
            if "json" in p:
                body = json.dumps(p["json"], separators=(",", ":"))
                if not any(k.lower() == "content-type" for k, _ in headers):
                    headers = tuple(sorted(headers + (("Content-Type", "application/json"),)))
            if p.get("read_until"):
                _compile(file, f"{where}.read_until", p["read_until"])
            probes.append(Probe(
                id=p["id"], kind="http", when=p.get("when", "always"), path=p["path"],
                headers=headers, method=p.get("method", "POST" if body is not None else "GET"),
                body=body.encode() if body is not None else None, read_until=p.get("read_until"),
                max_body=p.get("max_body"),
                sse_post=None if p.get("sse_post") is None else p["sse_post"] if isinstance(p["sse_post"], str)
                else json.dumps(p["sse_post"], separators=(",", ":")),
            ))
        else:
            send = p.get("send")
            if send is not None and not isinstance(send, str):
                send = json.dumps(send, separators=(",", ":"))
            probes.append(Probe(
                id=p["id"], kind="ws", when=p.get("when", "always"), path=p.get("path", "/"),
                headers=headers, subprotocols=tuple(p.get("subprotocols") or ()),
                origin=p.get("origin"), read_first_frame=p.get("read_first_frame", True), send=send,
            ))
    kinds = {p.id: p.kind for p in probes}
    for i, p in enumerate(doc["probes"]):  # path_from names an earlier probe of this file
        if "path_from" in p:
            where, src = f"probes[{i}].path_from", p["path_from"]["probe"]
            earlier = {q.id: q for q in probes[:i]}
            if src not in earlier:
                raise FingerprintError(file, f"{where}.probe", f"unknown or later probe {src!r}")
            _compile(file, f"{where}.regex", p["path_from"]["regex"])
            probes[i] = replace(probes[i], path_from=(earlier[src].key(), p["path_from"]["regex"]))

    scheme = doc.get("version_scheme", versions.DEFAULT_SCHEME)
    matchers = []
    for i, m in enumerate(doc["matchers"]):
        where = f"matchers[{i}]"
        if m["probe"] not in kinds:
            raise FingerprintError(file, f"{where}.probe", f"unknown probe {m['probe']!r} (probes: {', '.join(kinds)})")
        conds = {k: v for k, v in m.items()
                 if k not in ("probe", "confidence", "variant", "not", "default_port_only", "version_range",
                              "attributes")}
        if not conds:
            raise FingerprintError(file, where, "a matcher needs at least one condition")
        _check_conditions(file, where, conds)
        _check_conditions(file, f"{where}.not", m.get("not") or {})
        if m.get("version_range") is not None:  # an era band: compared with advisory ranges
            try:
                versions.parse_range(m["version_range"], scheme)
            except versions.VersionError as exc:
                raise FingerprintError(file, f"{where}.version_range", f"{exc} ({scheme} scheme)") from None
        matchers.append(Matcher(probe=m["probe"], confidence=float(m["confidence"]), conditions=conds,
                                negated=dict(m.get("not") or {}), variant=m.get("variant"),
                                default_port_only=bool(m.get("default_port_only", False)),
                                version_range=m.get("version_range"),
                                attributes=tuple((m.get("attributes") or {}).items())))

    def extractors(key: str) -> list[Extractor]:
        return extractors_of(doc.get(key) or [], key)

    def extractors_of(items: list, key: str) -> list[Extractor]:
        out = []
        for i, e in enumerate(items):
            where = f"{key}[{i}]"
            if e["probe"] not in kinds:
                raise FingerprintError(file, f"{where}.probe", f"unknown probe {e['probe']!r}")
            if not (e.get("json") or e.get("regex") or e.get("header")):
                raise FingerprintError(file, where, "needs json, regex or header")
            if e.get("regex"):
                _compile(file, f"{where}.regex", e["regex"])
            if e.get("decoded_regex"):
                _compile(file, f"{where}.decoded_regex", e["decoded_regex"])
            if e.get("decode") and not e.get("regex"):
                raise FingerprintError(file, where, "decode needs the regex that finds the encoded value")
            out.append(Extractor(probe=e["probe"], source=e.get("source", "body"), header=e.get("header"),
                                 json=e.get("json"), regex=e.get("regex"), name=e.get("name", "version"),
                                 decode=e.get("decode"), decoded_regex=e.get("decoded_regex")))
        return out

    checks = parse_checks(doc.get("checks"), file)
    try:
        advisories = parse_advisories(doc.get("advisories"), scheme)
    except AdvisoryError as exc:
        raise FingerprintError(file, exc.where, exc.reason) from None

    embeds = []
    for i, e in enumerate(doc.get("embeds") or []):
        where = f"embeds[{i}]"
        if e["probe"] not in kinds:
            raise FingerprintError(file, f"{where}.probe", f"unknown probe {e['probe']!r} (probes: {', '.join(kinds)})")
        _check_conditions(file, f"{where}.match", e["match"])
        attrs = tuple(extractors_of(e.get("attributes") or [], f"{where}.attributes"))
        embeds.append(Embed(protocol=e["protocol"], name=e["name"], path=e["path"], probe=e["probe"],
                            match=dict(e["match"]), role=e.get("role", "server"), transport=e.get("transport"),
                            variant=e.get("variant"), checks_from=e.get("checks_from"),
                            checks=parse_checks(e.get("checks"), file, prefix=f"{where}.checks"),
                            attributes=attrs))

    ports = set(doc["ports"])
    for first, last in doc.get("port_ranges") or []:
        if last < first:
            raise FingerprintError(file, "port_ranges", f"range {first}-{last} is reversed")
        ports.update(range(first, last + 1))

    return Fingerprint(
        id=doc["id"], name=doc["name"], category=doc["category"], impact=doc["impact"],
        ports=tuple(sorted(ports)),
        probes=probes, matchers=matchers, version=extractors("version"),
        attributes=extractors("attributes"),
        checks=checks,
        advisories=advisories, version_scheme=scheme, embeds=embeds, description=doc.get("description", ""),
        references=list(doc.get("references") or []),
        recognition=doc.get("recognition", ""), version_source=doc.get("version_source", ""),
        mdns_types=tuple((doc.get("mdns") or {}).get("types") or ()),
        mdns_prefixes=tuple((doc.get("mdns") or {}).get("type_prefixes") or ()),
        path=file, raw=doc,
    )


# ---------------------------------------------------------------- check parameters


def parse_checks(raw: Mapping[str, Any] | None, file: str | Path = "<fingerprint>",
                 prefix: str = "checks") -> dict[str, catalog.CheckParams]:
    """A `checks:` block as the typed parameters its checks declare (catalog.py; null means the
    defaults). A check id this build does not run, a parameter its check does not declare, or a
    value of the wrong type or enum fails with FingerprintError naming the file, check and field."""
    out = {}
    for check_id, params in (raw or {}).items():
        where = f"{prefix}.{check_id}"
        try:
            entry = catalog.get(check_id)
        except KeyError:
            entry = None
        if entry is None or entry.params is None:
            built = ", ".join(sorted(i for i, e in catalog.CATALOGUE.items() if e.params))
            why = ("is not built yet" if entry is not None and entry.family == "network"
                   else f"is a {entry.family} check" if entry is not None else "is no check id")
            raise FingerprintError(file, where, f"{check_id!r} {why}: a fingerprint names checks this build "
                                                f"runs ({built})")
        out[check_id] = _parse_params(file, where, entry.params, {} if params is None else params)
    return out


_VARIANT_KEYS = ("by_variant", "only_variants")  # what a by_variant entry may not override


def _parse_params(file: str | Path, where: str, cls: type[catalog.CheckParams], raw: Any) -> catalog.CheckParams:
    """`raw` as the check's parameter dataclass; each `by_variant` entry is checked as the same
    dataclass and kept as the typed fields it overrides."""
    params = _decode(file, where, cls, raw)
    by_variant = {}
    for variant, overrides in params.by_variant.items():
        at = f"{where}.by_variant.{variant}"
        for key in overrides:
            if key in _VARIANT_KEYS:
                raise FingerprintError(file, f"{at}.{key}", f"unknown field {key!r} (a by_variant entry cannot set it)")
        typed_overrides = _decode(file, at, cls, overrides)
        by_variant[variant] = {key: getattr(typed_overrides, key) for key in overrides}
    return replace(params, by_variant=by_variant)


def _decode(file: str | Path, where: str, cls: type[catalog.CheckParams], raw: Any) -> catalog.CheckParams:
    try:
        params = typed.from_data(cls, raw, where)
    except typed.TypedError as exc:
        raise FingerprintError(file, exc.where, exc.reason) from None
    for f in dataclasses.fields(cls):  # `open` / `closed`: the matcher language, as matchers are
        value = getattr(params, f.name)
        if f.metadata.get("rule") and value is not None:
            check_rule(file, f"{where}.{f.name}", value)
    return params


def load_file(file: str | Path) -> Fingerprint:
    """Load and validate one fingerprint file; raises FingerprintError."""
    file = Path(file)
    try:
        text = read_user_text(file, MAX_FILE_BYTES)
    except UserFileError as exc:
        raise FingerprintError(file, "", f"unreadable: {exc}") from None
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise FingerprintError(file, f"line {exc.line}" if exc.line else "", f"{exc.kind}: {exc.message}") from None
    problems = _schema_problems(doc)
    if problems:
        where, reason = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FingerprintError(file, where, reason + more)
    if file.suffix in (".yaml", ".yml") and file.stem != doc["id"]:
        raise FingerprintError(file, "id", f"id {doc['id']!r} does not match the file name {file.name!r}")
    return _build(file, doc)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    return [path]


def default_dir() -> Path:
    return _paths.data_dir("fingerprints")


def load_fingerprints(path: str | Path | None = None) -> list[Fingerprint]:
    """Every fingerprint in `path` (a directory or one file; default: the shipped set)."""
    if path is None:
        return list(_shipped())
    out, ids = [], {}
    for file in _files(Path(path)):
        fp = load_file(file)
        if fp.id in ids:
            raise FingerprintError(file, "id", f"duplicate product id {fp.id!r} (also in {ids[fp.id]})")
        ids[fp.id] = file.name
        out.append(fp)
    if Path(path).is_dir() and (problems := embed_problems(out)):
        raise problems[0]
    return out


def embed_problems(fps: list[Fingerprint]) -> list[FingerprintError]:
    """An `embeds[].checks_from` must name a fingerprint of the same set."""
    ids = {fp.id for fp in fps}
    return [FingerprintError(fp.path or fp.id, f"embeds[{i}].checks_from", f"unknown product id {e.checks_from!r}")
            for fp in fps for i, e in enumerate(fp.embeds) if e.checks_from and e.checks_from not in ids]


@lru_cache(maxsize=1)
def _shipped() -> tuple[Fingerprint, ...]:
    return tuple(load_fingerprints(default_dir()))


def validate_path(path: str | Path | None = None) -> list[str]:
    """Problems found in every file under `path` (default: the shipped set); [] when all is well."""
    root = Path(path) if path is not None else default_dir()
    if not root.exists():
        return [f"{root}: no such file or directory"]
    problems, ids, loaded = [], {}, []
    for file in _files(root):
        try:
            fp = load_file(file)
        except FingerprintError as exc:
            problems.append(str(exc))
            continue
        if fp.id in ids:
            problems.append(str(FingerprintError(file, "id", f"duplicate product id {fp.id!r} (also in {ids[fp.id]})")))
        ids[fp.id] = file.name
        loaded.append(fp)
    if root.is_dir():
        problems += [str(p) for p in embed_problems(loaded)]
    return problems


def get(product_id: str) -> Fingerprint:
    for fp in _shipped():
        if fp.id == product_id:
            return fp
    raise KeyError(product_id)


def agent_ports() -> tuple[int, ...]:
    """The union of every shipped fingerprint's default ports: the `agents` port set."""
    return tuple(sorted({port for fp in _shipped() for port in fp.ports}))


def claimants(port: int, fingerprints: Iterable[Fingerprint] | None = None) -> list[Fingerprint]:
    """The fingerprints whose default ports include `port`."""
    return [fp for fp in (fingerprints if fingerprints is not None else _shipped()) if port in fp.ports]
