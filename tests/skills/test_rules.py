"""The skill rules: every rule's own samples, loading errors, and hostile input at bounded cost."""

from __future__ import annotations

import pytest
import yaml

from gatescan._paths import data_dir
from gatescan.skills.rules import RuleError, load_rules

from .rulekit import sample_ids

RULES = load_rules()
SPECS = [(r.spec.id, kind, i, s) for r in RULES.rules for kind in ("positive", "negative")
         for i, s in enumerate(getattr(r.spec.samples, kind))]


@pytest.mark.parametrize("rule_id,kind,index,sample", SPECS, ids=[f"{a}-{b}-{c}" for a, b, c, _ in SPECS])
def test_rule_samples(rule_id, kind, index, sample, tmp_path):
    ids = sample_ids(RULES, sample, tmp_path)
    if kind == "positive":
        assert rule_id in ids, f"{rule_id} missed its positive sample {index}: fired {ids}"
    else:
        assert rule_id not in ids, f"{rule_id} fired on its negative sample {index}"


def test_every_family_has_a_rule():
    from gatescan.skills.rules import FAMILIES
    assert {r.spec.family for r in RULES.rules} == set(FAMILIES)
