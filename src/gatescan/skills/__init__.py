"""Skills audit (DESIGN.md, skills pipeline): inventory, manifest, identity, allowlist.

The CLI uses only what is exported here; docs/skills.md describes the behaviour and formats.
"""

from .allowlist import Allowlist, AllowlistError, dump_allowlist, load_allowlist, parse_allowlist
from .audit import RulesHook, SkillContext, SkillsAudit, audit_skills, init_allowlist
from .inventory import SkillRoot, default_roots

__all__ = [
    "Allowlist",
    "AllowlistError",
    "RulesHook",
    "SkillContext",
    "SkillRoot",
    "SkillsAudit",
    "audit_skills",
    "default_roots",
    "dump_allowlist",
    "init_allowlist",
    "load_allowlist",
    "parse_allowlist",
]
