"""Checks a loaded report against the published JSON Schema before any renderer sees it, so
a hand-edited or corrupted file fails with its JSON path instead of a traceback later.

A small compiler for the subset of draft 2020-12 that report-v1.schema.json uses (jsonschema
is only a test dependency); the tests check it agrees with jsonschema.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

Check = Callable[[Any, str, list], None]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    # as in JSON Schema, 1.0 is an integer
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    text = resources.files("gatescan").joinpath("schemas/report-v1.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if ref not in self.refs:
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"unsupported $ref {ref}")
            self.refs[ref] = lambda v, p, e: None  # placeholder for recursion
            target = self.compile(self.root["$defs"][ref[len("#/$defs/"):]])
            self.refs[ref] = target
        return lambda v, p, e: self.refs[ref](v, p, e)

    def compile(self, node: dict[str, Any]) -> Check:
        checks: list[Check] = []
        if "$ref" in node:
            checks.append(self.ref(node["$ref"]))
        if "type" in node:
            names = node["type"] if isinstance(node["type"], list) else [node["type"]]
            tests = [_TYPES[n] for n in names]
            label = " or ".join(names)

            def check_type(v, p, e, tests=tests, label=label):
                if not any(t(v) for t in tests):
                    e.append(f"{p}: expected {label}, got {_kind(v)}")
            checks.append(check_type)
        if "const" in node:
            const = node["const"]
            checks.append(lambda v, p, e: None if v == const else e.append(f"{p}: must be {const!r}"))
        if "enum" in node:
            allowed = node["enum"]
            checks.append(lambda v, p, e: None if v in allowed else e.append(f"{p}: {v!r} is not one of {allowed}"))
        if "pattern" in node:
            rx = re.compile(node["pattern"])
            checks.append(lambda v, p, e: None if not isinstance(v, str) or rx.search(v)
                          else e.append(f"{p}: {v!r} does not match {rx.pattern}"))
        if "minLength" in node:
            n = node["minLength"]
            checks.append(lambda v, p, e: None if not isinstance(v, str) or len(v) >= n else e.append(f"{p}: too short"))
        for key, op, word in (("minimum", lambda a, b: a >= b, "below"), ("maximum", lambda a, b: a <= b, "above")):
            if key in node:
                bound = node[key]
                checks.append(lambda v, p, e, bound=bound, op=op, word=word:
                              None if not _TYPES["number"](v) or op(v, bound) else e.append(f"{p}: {v} is {word} {bound}"))
        if "required" in node:
            required = node["required"]
            checks.append(lambda v, p, e: None if not isinstance(v, dict) else
                          [e.append(f"{p}: missing {k!r}") for k in required if k not in v] and None)
        if "properties" in node:
            props = {k: self.compile(s) for k, s in node["properties"].items()}

            def check_props(v, p, e, props=props):
                if isinstance(v, dict):
                    for k, c in props.items():
                        if k in v:
                            c(v[k], f"{p}.{k}", e)
            checks.append(check_props)
        if "items" in node:
            item = self.compile(node["items"])

            def check_items(v, p, e, item=item):
                if isinstance(v, list):
                    for i, x in enumerate(v):
                        item(x, f"{p}[{i}]", e)
            checks.append(check_items)
        if "allOf" in node:
            for sub in node["allOf"]:
                checks.append(self.compile(sub))
        if "anyOf" in node or "oneOf" in node:
            subs = [self.compile(s) for s in node.get("anyOf", node.get("oneOf"))]
            exactly_one = "oneOf" in node

            def check_any(v, p, e, subs=subs, exactly_one=exactly_one):
                passed, first = 0, None
                for c in subs:
                    errs: list[str] = []
                    c(v, p, errs)
                    if not errs:
                        passed += 1
                    elif first is None:
                        first = errs[0]
                if passed == 0:
                    e.append(first or f"{p}: matches no alternative")
                elif exactly_one and passed > 1:
                    e.append(f"{p}: matches more than one alternative")
            checks.append(check_any)
        if len(checks) == 1:
            return checks[0]

        def check_all(v, p, e, checks=tuple(checks)):
            for c in checks:
                c(v, p, e)
        return check_all


@lru_cache(maxsize=4)
def _compiled(schema_json: str) -> Check:
    schema = json.loads(schema_json)
    return _Compiler(schema).compile(schema)


def validation_errors(doc: Any, schema: dict[str, Any] | None = None, *, limit: int = 5) -> list[str]:
    """Problems with `doc` (empty when valid), each naming its JSON path, at most `limit`."""
    check = _compiled(json.dumps(schema if schema is not None else report_schema(), sort_keys=True))
    errors: list[str] = []
    check(doc, "$", errors)
    return errors[:limit]


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number"}.get(type(v), type(v).__name__)
