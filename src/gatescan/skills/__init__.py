"""Skills audit: reads the skills installed on a machine (never runs, imports or installs them) and
judges each against an allowlist; the CLI uses only what is exported here, docs/skills.md has the rest."""

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
