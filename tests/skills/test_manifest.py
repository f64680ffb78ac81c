"""SKILL.md frontmatter: tolerant of what real skills contain, bounded against hostile input."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.skills import json5
from gatescan.skills.manifest import parse_manifest, read_manifest

WEATHER_STYLE = """---
name: weather
description: "Forecasts: rain, temperature."
homepage: https://wttr.in/:help
metadata:
  {
    "openclaw":
      {
        "emoji": "x",
        "install":
          [
            {
              "id": "brew",
              "kind": "brew",
              "bins": ["curl"],
            },
          ],
      },
  }
---

# Weather
"""


def test_flow_mappings_with_trailing_commas():
    m = parse_manifest(WEATHER_STYLE)
    assert m.issues == [] and m.conflict is None
    assert m.name == "weather"
    assert m.runtime_block["install"][0]["bins"] == ["curl"]


def test_metadata_as_json5_string():
    text = """---
name: j5
description: d
metadata: |
  {openclaw: {requires: {bins: ["jq",],}, // comment
   always: true, emoji: '\\u2614'}}
---
"""
    m = parse_manifest(text)
    assert m.issues == []
    assert m.runtime_block == {"requires": {"bins": ["jq"]}, "always": True, "emoji": "\u2614"}


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("# no frontmatter\n", "no YAML frontmatter", 1),
        ("---\nname: x\ndescription: y\n", "no closing", 1),
        ("---\nname: x\ndescription: [unclosed\nother: 1\n---\n", "invalid YAML", None),
        ("---\n- a\n- b\n---\n", "not a YAML mapping", 2),
        ("---\nname: x\n---\n", "no `description`", 2),
        ("---\nname: x\ndescription: y\nmetadata: '{openclaw: nope'\n---\n", "neither a mapping nor JSON5", 4),
        ("---\nname: x\ndescription: y\nmetadata: 12\n---\n", "not a mapping", 4),
    ],
)
def test_invalid_manifests_name_a_line(text, message, line):
    m = parse_manifest(text)
    assert m.issues, text
    assert message in m.issues[0].message
    if line is not None:
        assert m.issues[0].line == line
    else:
        assert m.issues[0].line and m.issues[0].line >= 2


def test_yaml_error_line_is_the_file_line():
    text = "---\nname: x\ndescription: y\nbad: [1, 2\nnext: 3\n---\n"
    m = parse_manifest(text)
    assert m.issues and 4 <= m.issues[0].line <= 6


def test_invalid_yaml_still_read_by_line_fallback():
    m = parse_manifest("---\nname: fallback\ndescription: has: colons: everywhere\n---\n")
    assert m.name == "fallback"


def test_yaml_12_scalars():
    m = parse_manifest("---\nname: no\ndescription: on\nversion: 2026-01-02\n---\n")
    assert m.name == "no" and m.description == "on" and m.version == "2026-01-02"


def test_bom_and_crlf():
    m = parse_manifest("\ufeff---\r\nname: crlf\r\ndescription: d\r\n---\r\nbody\r\n")
    assert m.issues == [] and m.name == "crlf"


@pytest.mark.parametrize(
    "blocks, conflict",
    [
        ('{"openclaw": {"always": true}, "clawdbot": {"always": true}}', False),
        ('{"openclaw": {"always": false}, "clawdbot": {"always": true}}', True),
        ('{"openclaw": {"requires": {"env": ["A"]}}, "moltbot": {"requires": {"env": ["B"]}}}', True),
        ('{"clawdis": {"os": ["linux"]}, "openclaw": {"os": ["darwin"]}}', True),
    ],
)
def test_alias_blocks_disagreeing(blocks, conflict):
    m = parse_manifest(f"---\nname: a\ndescription: d\nmetadata: {blocks}\n---\n")
    assert m.issues == []
    assert (m.conflict is not None) is conflict
    if conflict:
        assert m.conflict_line == 4
        assert "disagree" in m.conflict


def test_top_level_clawdis_block_compared_too():
    m = parse_manifest('---\nname: a\ndescription: d\nmetadata: {"openclaw": {"always": true}}\n'
                       'clawdis: {"always": false}\n---\n')
    assert m.conflict and "clawdis" in m.conflict and "always" in m.conflict


def test_yaml_bomb_is_refused_after_bounded_work(monkeypatch):
    lines = ["---", "name: bomb", "description: d", 'a0: ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    lines[3] = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    lines.append("metadata: {openclaw: *a9}")
    lines.append("---")
    from gatescan.userio import BoundedYamlLoader

    work = {"compose": 0, "construct": 0}  # a runaway parse composes or builds ~9**10 nodes

    def counting(name, method):
        def wrapped(self, *args, **kwargs):
            work[name] += 1
            if work[name] > 100_000:  # pytest.fail is a BaseException: no `except Exception` eats it
                pytest.fail(f"runaway parse: {work}")
            return method(self, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(BoundedYamlLoader, "compose_node", counting("compose", BoundedYamlLoader.compose_node))
    monkeypatch.setattr(BoundedYamlLoader, "construct_object", counting("construct", BoundedYamlLoader.construct_object))
    m = parse_manifest("\n".join(lines) + "\n")
    assert m.issues and "aliases" in m.issues[0].message
    assert 0 < work["compose"] < 1000 and work["construct"] < 1000, work


def test_small_alias_fan_out_bounded_by_node_budget():
    # under the alias cap, but expanding past the node budget when walked
    lines = ["---", "name: b", "description: d", "a0: &a0 [" + ", ".join(["x"] * 200) + "]"]
    for i in range(1, 6):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
    lines.append("---")
    m = parse_manifest("\n".join(lines) + "\n")
    assert m.issues and "too many values" in m.issues[0].message


def test_deep_nesting_is_an_issue_not_a_crash():
    deep = "[" * 5000 + "]" * 5000
    m = parse_manifest(f"---\nname: d\ndescription: d\nx: {deep}\n---\n")
    assert m.issues and "deeper" in m.issues[0].message
    with pytest.raises(json5.JSON5Error):
        json5.loads(deep)


def test_nesting_up_to_the_depth_limit_reads():
    # PyPI json5 raises RecursionError from 44 nested objects on (see json5.py): this one reads
    # to its own limit without recursing past the stack, and refuses one level more
    deep = "{a: " * json5.MAX_DEPTH + "1" + "}" * json5.MAX_DEPTH
    value = json5.loads(deep)
    for _ in range(json5.MAX_DEPTH):
        value = value["a"]
    assert value == 1
    with pytest.raises(json5.JSON5Error, match="deeper"):
        json5.loads("{a: " + deep + "}")


def test_binary_invalid_utf8_and_huge_files(tmp_path):
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\x7fELF\x00\x00\x01" + os.urandom(4096))
    assert "binary" in read_manifest(binary).issues[0].message

    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nname: x\ndescription: caf\xe9\n---\n")
    m = read_manifest(bad)
    assert "invalid UTF-8" in m.issues[0].message and m.issues[0].line == 3
    assert m.name == "x"

    huge = tmp_path / "huge.md"
    with open(huge, "wb") as fh:
        fh.write(b"---\nname: huge\ndescription: big\n---\n")
        line = b"lorem ipsum " * 85 + b"\n"
        chunk = line * (1024 * 1024 // len(line))
        for _ in range(100):  # 100 MB of text: only the head is read
            fh.write(chunk)
    m = read_manifest(huge)
    assert m.name == "huge"


def test_not_a_regular_file(tmp_path):
    fifo = tmp_path / "SKILL.md"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        read_manifest(fifo)  # returns at once: a FIFO is refused, never opened for a blocking read


@pytest.mark.parametrize(
    "text, value",
    [
        ("{a: 1, b: [1, 2,], 'c': \"d\",}", {"a": 1, "b": [1, 2], "c": "d"}),
        ("// c\n/* block */ {x: 0x1F, y: .5, z: +1, w: -Infinity}", {"x": 31, "y": 0.5, "z": 1, "w": -math.inf}),
        ("['a\\\nb', \"\\u00e9\", null, true]", ["ab", "é", None, True]),
    ],
)
def test_json5(text, value):
    assert json5.loads(text) == value


@pytest.mark.parametrize("text", ["{a: }", "{a 1}", "[1 2]", "'open", "{a: 1} x", "/* open", ""])
def test_json5_errors(text):
    with pytest.raises(json5.JSON5Error):
        json5.loads(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parse_manifest_never_raises(body):
    """Whatever the text, parsing returns, and each issue points at a line of the file."""
    for text in ("---\n" + body + "\n---\n", body):
        m = parse_manifest(text)
        lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        assert all(i.line is None or 1 <= i.line <= lines for i in m.issues), (m.issues, lines)
        assert m.conflict_line is None or 1 <= m.conflict_line <= lines
        # a YAML error lies inside the frontmatter (an unclosed '[' is reported at the closing '---')
        assert all(2 <= i.line <= m.body_line - 1 for i in m.issues if i.message.startswith("invalid YAML")), m.issues
        if not text.lstrip("\ufeff").startswith("---"):
            assert m.fields == {} and [i.line for i in m.issues] == [1]


# Values YAML reads back as written when they are emitted as JSON (JSON is YAML's flow style):
# escaped ASCII text without surrogates (YAML decodes \\uXXXX one unit at a time), no floats
# (YAML 1.1 reads 1e3 as a string).
_text = st.text(st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",)), max_size=40)
_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), _text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    name=_text.filter(lambda n: n.strip() == n and n != ""),
    description=_text,
    version=st.one_of(st.from_regex(r"\A[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z"), _text),
    metadata=st.dictionaries(st.sampled_from(["openclaw", "clawdbot", "clawdis", "moltbot", "other"]),
                             st.dictionaries(_text, _json_value, max_size=3), max_size=3),
    extra=st.dictionaries(st.from_regex(r"\A[a-z][a-z_]{0,8}\Z").filter(
        lambda k: k not in ("name", "description", "version", "metadata", "clawdis")), _json_value, max_size=3),
    body=_text,
)
def test_parsed_manifest_fields_round_trip(name, description, version, metadata, extra, body):
    """What a frontmatter says is what the parsed manifest says: every field, the metadata, and
    one block per alias present; nothing is refused."""
    written = {"name": name, "description": description, "version": version, "metadata": metadata, **extra}
    text = "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in written.items()) + "---\n" + body
    m = parse_manifest(text)
    assert m.fields == written
    assert (m.name, m.description, m.version, m.metadata) == (name[:256], description, version, metadata)
    assert m.blocks == {f"metadata.{a}": b for a, b in metadata.items() if a != "other"}
    assert m.body_line == len(written) + 3
    assert [i.message for i in m.issues] == ([] if description else ["frontmatter has no `description`"])


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5), st.sampled_from(["bad: c: d", "bad: @x", 'bad: "\\q"', "a: 1\n- x"]))
def test_invalid_yaml_names_its_line(before, after, bad):
    """A frontmatter YAML error names the file line it is on (the opening '---' is line 1)."""
    good = [f"f{i}: v{i}" for i in range(before)]
    rest = [f"g{i}: w{i}" for i in range(after)]
    m = parse_manifest("---\n" + "\n".join(good + [bad] + rest) + "\n---\nbody\n")
    lines = [i.line for i in m.issues if i.message.startswith("invalid YAML")]
    assert lines == [2 + before + bad.count("\n")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}[]:,'\"/*\\ \nabc01.-+x")), max_size=200))
def test_json5_never_raises_anything_else(text):
    """JSON5Error or a value; and on text that is plain JSON, the value JSON gives."""
    try:
        value = json5.loads(text)
    except json5.JSON5Error:
        value = json5.JSON5Error
    try:
        strict = json.loads(text)
    except ValueError:
        return
    assert json.dumps(value, sort_keys=True) == json.dumps(strict, sort_keys=True)  # False is not 0


@settings(max_examples=150, deadline=None)
@given(_json_value, st.sampled_from([None, 2]))
def test_json5_reads_back_what_json_writes(value, indent):
    assert json.dumps(json5.loads(json.dumps(value, indent=indent))) == json.dumps(value)  # False is not 0


def test_fast_and_bounded_loaders_agree(openclaw_package):
    """libyaml (fast path) and the bounded pure-Python loader read real manifests the same."""
    import yaml

    from gatescan import userio

    if userio._CLoader is None:
        pytest.skip("PyYAML without libyaml: only the bounded loader exists")
    samples = [WEATHER_STYLE, "---\nname: no\ndescription: on\nversion: 2026-01-02\nn: 1.10\n---\n"]
    samples += [p.read_text(encoding="utf-8") for p in sorted(openclaw_package.glob("*skills/*/SKILL.md"))]
    for text in samples:
        block = text.split("---\n", 2)[1]
        assert userio.yaml_is_tame(block)
        fast = yaml.load(block, Loader=userio.FastYamlLoader)
        slow = yaml.load(block, Loader=userio.BoundedYamlLoader)
        assert fast == slow


@pytest.mark.parametrize("nested", ["- " * 30000 + "a", "? " * 30000 + "a", "x: " + "{a: " * 10000 + "}" * 10000])
def test_deep_block_nesting_takes_the_bounded_path(nested):
    from gatescan.userio import yaml_is_tame

    assert not yaml_is_tame(nested)
    m = parse_manifest(f"---\nname: d\ndescription: d\nx:\n  {nested}\n---\n")
    assert m.issues  # refused with a message, and the interpreter is still alive


def test_metadata_number_too_long_is_an_issue_and_the_skill_stays_audited(tmp_path):
    # int() refuses more than 4300 digits with a bare ValueError; it escaped parse_manifest,
    # the skill audit failed, and the skill vanished from skills[] (no status, no rules).
    from gatescan.skills import audit_skills

    with pytest.raises(json5.JSON5Error):
        json5.loads("9" * 5000)
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "SKILL.md").write_text(
        "---\nname: evil\ndescription: d\nmetadata: '{\"openclaw\": {\"x\": " + "9" * 5000 + "}}'\n---\n")
    audit = audit_skills([tmp_path])
    assert [s.name for s in audit.skills] == ["evil"]
    assert any(f.check == "skill.manifest.invalid" and "number too long" in f.evidence.summary
               for f in audit.findings)


@pytest.mark.parametrize("frontmatter", [
    "metadata: '{\"openclaw\": {\"x\": 0x" + "F" * 5000 + "}, \"clawdbot\": {\"x\": 1}}'\n",  # JSON5 hex
    "version: 0x" + "F" * 5000 + "\n",  # YAML hex, printed as the skill's version
    "metadata:\n  openclaw: {x: 0x" + "F" * 5000 + "}\n  clawdbot: {x: 1}\n",
], ids=["json5-hex", "yaml-hex-version", "yaml-hex-block"])
def test_hex_numbers_too_long_to_print_keep_the_skill_audited(tmp_path, frontmatter):
    # int(..., 16) has no digit limit, but str() of the result does: the conflict check and the
    # version field raised ValueError outside parse_manifest and the skill vanished from skills[]
    from gatescan.skills import audit_skills

    (tmp_path / "hex").mkdir()
    (tmp_path / "hex" / "SKILL.md").write_text("---\nname: hex\ndescription: d\n" + frontmatter + "---\n")
    audit = audit_skills([tmp_path])
    assert [s.name for s in audit.skills] == ["hex"] and not audit.errors


@pytest.mark.parametrize("tagged", ["!!int", "!!float"])
def test_empty_tagged_scalar_is_an_issue_not_a_lost_skill(tmp_path, tagged):
    # PyYAML raises IndexError (not YAMLError) on "!!int" with no value; it escaped
    # parse_manifest and the skill vanished from skills[] (hypothesis found it)
    from gatescan.skills import audit_skills

    assert parse_manifest(f"---\nname: s\ndescription: {tagged}\n---\n").issues
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "SKILL.md").write_text(f"---\nname: s\ndescription: {tagged}\n---\n")
    audit = audit_skills([tmp_path])
    assert [s.name for s in audit.skills] == ["s"] and not audit.errors
