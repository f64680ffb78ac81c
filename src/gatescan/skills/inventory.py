"""Where each agent keeps its skills, and which SKILL.md folders are under those roots.

Roots carry precedence so a skill hidden by a same-named one is reported (skill.shadowed);
symlinks that leave a root are reported (skill.symlink.escape) and never followed.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from .hashes import SKILL_FILE_NAMES
from ..userio import read_bounded

MAX_DEPTH = 6  # OpenClaw: any SKILL.md up to 6 levels under a root
MAX_DIRS_PER_ROOT = 200_000
MAX_ENTRIES_PER_DIR = 20_000
MAX_CONFIG_BYTES = 4 * 1024 * 1024
SKIP_DIRS = {"node_modules", ".git", ".clawhub", ".clawdhub"}


@dataclass(frozen=True)
class SkillRoot:
    """A directory an agent loads skills from. Lower `precedence` wins within one agent."""

    path: Path
    agent: str = "user"
    source: str = "local"  # e.g. openclaw-workspace, openclaw-managed, claude-personal
    precedence: int = 0
    explicit: bool = False  # named by the user: a missing root is an error, not a skip


@dataclass
class FoundSkill:
    root: SkillRoot
    dir: Path
    skill_file: Path
    real_root: str = ""


@dataclass
class SymlinkEscape:
    root: SkillRoot
    link: Path
    target: str
    outside: str = "the skills root"


@dataclass
class WalkError:
    where: str
    message: str


# --- default roots ---


def _read_json(path: Path) -> object | None:
    """A config file, bounded; anything unreadable is None (configs are optional)."""
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES)
        if len(data) > MAX_CONFIG_BYTES:
            return None
        from . import json5

        try:
            return json.loads(data)
        except ValueError:
            return json5.loads(data.decode("utf-8", "replace"))  # openclaw.json is JSON5
    except (OSError, ValueError, RecursionError):
        return None


def _expand(raw: object, home: Path, base: Path) -> Path | None:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 4096:
        return None
    text = raw.strip()
    if text == "~" or text.startswith("~/"):
        return home / text[2:]
    p = Path(text)
    return p if p.is_absolute() else base / p


def _openclaw_config(state: Path, env: Mapping[str, str], home: Path, legacy: bool) -> tuple[list[Path], list[Path]]:
    """(workspaces, extra skill dirs) named in openclaw.json / clawdbot.json, every shape."""
    names = ("clawdbot.json",) if legacy else ("openclaw.json",)
    override = env.get("CLAWDBOT_CONFIG_PATH" if legacy else "OPENCLAW_CONFIG_PATH")
    paths = [Path(override)] if override else [state / n for n in names]
    workspaces: list[Path] = []
    extras: list[Path] = []
    for cfg_path in paths:
        cfg = _read_json(cfg_path)
        if not isinstance(cfg, dict):
            continue
        base = cfg_path.parent

        def add_ws(v: object) -> None:
            p = _expand(v, home, base)
            if p is not None:
                workspaces.append(p)

        agents = cfg.get("agents") if isinstance(cfg.get("agents"), dict) else {}
        defaults = agents.get("defaults") if isinstance(agents.get("defaults"), dict) else {}
        add_ws(defaults.get("workspace"))
        for item in agents.get("list") or []:
            if isinstance(item, dict):
                add_ws(item.get("workspace"))
        entries = agents.get("entries") if isinstance(agents.get("entries"), dict) else {}
        for item in list(entries.values())[:256]:
            if isinstance(item, dict):
                add_ws(item.get("workspace"))
        agent = cfg.get("agent") if isinstance(cfg.get("agent"), dict) else {}
        add_ws(agent.get("workspace"))
        routing = cfg.get("routing") if isinstance(cfg.get("routing"), dict) else {}
        r_agents = routing.get("agents") if isinstance(routing.get("agents"), dict) else {}
        for item in list(r_agents.values())[:256]:
            if isinstance(item, dict):
                add_ws(item.get("workspace"))
        skills = cfg.get("skills") if isinstance(cfg.get("skills"), dict) else {}
        load = skills.get("load") if isinstance(skills.get("load"), dict) else {}
        for raw in (load.get("extraDirs") or [])[:256] if isinstance(load.get("extraDirs"), list) else []:
            p = _expand(raw, home, base)
            if p is not None:
                extras.append(p)
    return workspaces, extras


def default_roots(home: Path, cwd: Path, env: Mapping[str, str] | None = None) -> list[SkillRoot]:
    """Every agent's default skill roots, highest precedence first within each agent.

    OpenClaw (docs/tools/skills.md, 2026): workspace skills, workspace .agents/skills,
    ~/.agents/skills, managed ~/.openclaw/skills (and legacy ~/.clawdbot, ~/.moltbot),
    skills.load.extraDirs; then Claude Code, Codex, Cursor, Gemini CLI, Copilot, Windsurf, Amp
    (snyk/agent-scan's well-known client list).
    """
    env = os.environ if env is None else env
    home = Path(home)
    cwd = Path(cwd)
    out: list[SkillRoot] = []

    def add(path: Path, agent: str, source: str) -> None:
        prec = sum(1 for r in out if r.agent == agent)
        out.append(SkillRoot(Path(path), agent, source, prec))

    state = Path(env["OPENCLAW_STATE_DIR"]) if env.get("OPENCLAW_STATE_DIR") else home / ".openclaw"
    legacy_state = Path(env["CLAWDBOT_STATE_DIR"]) if env.get("CLAWDBOT_STATE_DIR") else home / ".clawdbot"
    ws, extras = _openclaw_config(state, env, home, legacy=False)
    lws, lextras = _openclaw_config(legacy_state, env, home, legacy=True)
    workspaces = ws + [state / "workspace"] + lws + [legacy_state / "workspace"]
    try:  # profiles: ~/.openclaw-<profile>/workspace
        profiles = sorted(p for p in home.glob(".openclaw-*") if p.is_dir())[:32]
    except OSError:
        profiles = []
    workspaces += [p / "workspace" for p in profiles]
    for w in workspaces:
        add(w / "skills", "openclaw", "openclaw-workspace")
    for w in workspaces:
        add(w / ".agents" / "skills", "openclaw", "agents-skills-project")
    add(cwd / ".agents" / "skills", "openclaw", "agents-skills-project")
    add(cwd / ".openclaw" / "skills", "openclaw", "openclaw-project")
    add(home / ".agents" / "skills", "openclaw", "agents-skills-personal")
    add(state / "skills", "openclaw", "openclaw-managed")
    add(legacy_state / "skills", "openclaw", "openclaw-managed")
    add(home / ".moltbot" / "skills", "openclaw", "openclaw-managed")
    for p in profiles:
        add(p / "skills", "openclaw", "openclaw-managed")
    for e in extras + lextras:
        add(e, "openclaw", "openclaw-extra")

    add(home / ".claude" / "skills", "claude-code", "claude-personal")
    add(cwd / ".claude" / "skills", "claude-code", "claude-project")
    for p in _plugin_skill_dirs(home / ".claude" / "plugins"):
        add(p, "claude-code", "claude-plugin")

    codex_home = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    add(codex_home / "skills", "codex", "codex-personal")
    add(cwd / ".codex" / "skills", "codex", "codex-project")
    add(home / ".cursor" / "skills", "cursor", "cursor-personal")
    add(cwd / ".cursor" / "skills", "cursor", "cursor-project")
    add(home / ".gemini" / "skills", "gemini-cli", "gemini-personal")
    add(cwd / ".gemini" / "skills", "gemini-cli", "gemini-project")
    add(home / ".copilot" / "skills", "copilot", "copilot-personal")
    add(cwd / ".github" / "skills", "copilot", "copilot-project")
    add(home / ".codeium" / "windsurf" / "skills", "windsurf", "windsurf-personal")
    add(cwd / ".windsurf" / "skills", "windsurf", "windsurf-project")
    add(home / ".config" / "agents" / "skills", "amp", "amp-personal")
    add(cwd / ".amp" / "skills", "amp", "amp-project")

    # one root per real directory: the first (highest-precedence) claim keeps it
    seen: set[str] = set()
    unique: list[SkillRoot] = []
    for r in out:
        key = os.path.normcase(os.path.abspath(r.path))
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def _plugin_skill_dirs(plugins: Path, max_depth: int = 5, limit: int = 256) -> list[Path]:
    """`skills` directories inside Claude Code's plugin caches (~/.claude/plugins/cache/**)."""
    found: list[Path] = []
    stack = [(plugins / "cache", 0), (plugins / "marketplaces", 0)]
    while stack and len(found) < limit:
        d, depth = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))[:MAX_ENTRIES_PER_DIR]
        except OSError:
            continue
        for name in entries:
            if name == "skills":
                found.append(d / name)
            elif depth < max_depth and name not in SKIP_DIRS:
                stack.append((d / name, depth + 1))
    return sorted(found)


def user_roots(paths: Sequence[Path | str | SkillRoot]) -> list[SkillRoot]:
    """Roots the user named, in the order given (earlier wins a name clash)."""
    out = []
    for i, p in enumerate(paths):
        if isinstance(p, SkillRoot):
            out.append(p)
        else:
            out.append(SkillRoot(Path(p), "user", "path", i, explicit=True))
    return out


# --- walking one root ---


def inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def discover(root: SkillRoot, max_depth: int = MAX_DEPTH) -> Iterator[FoundSkill | SymlinkEscape | WalkError]:
    """SKILL.md folders under one root, in a stable (sorted) order.

    A folder that holds a skill file is a skill and is not searched further; dot folders and
    node_modules are skipped; symlinks are followed only when they resolve inside the root
    (each real directory once, so loops end), otherwise reported.
    """
    base = root.path
    try:
        st = os.stat(base)
    except FileNotFoundError:
        if root.explicit:
            yield WalkError(str(base), "skills root does not exist")
        return
    except OSError as exc:
        yield WalkError(str(base), f"cannot read skills root: {exc.strerror or exc}")
        return
    if not stat.S_ISDIR(st.st_mode):
        yield WalkError(str(base), "skills root is not a directory")
        return
    real_root = os.path.realpath(base)
    visited = {real_root}
    budget = MAX_DIRS_PER_ROOT
    stack: list[tuple[Path, int]] = [(Path(base), 0)]
    while stack:
        d, depth = stack.pop()
        budget -= 1
        if budget < 0:
            yield WalkError(str(base), f"stopped after {MAX_DIRS_PER_ROOT} directories")
            return
        truncated = False
        try:
            with os.scandir(d) as it:
                entries = []
                for e in it:
                    entries.append(e)
                    if len(entries) >= MAX_ENTRIES_PER_DIR:
                        yield WalkError(str(d), f"more than {MAX_ENTRIES_PER_DIR} entries; rest skipped")
                        truncated = True
                        break
        except OSError as exc:
            yield WalkError(str(d), f"cannot list directory: {exc.strerror or exc}")
            continue
        entries.sort(key=lambda e: e.name)
        names = {e.name for e in entries}
        # a skill folder stuffed past the entry limit is still a skill: look its file up by name
        skill_name = next((n for n in SKILL_FILE_NAMES if n in names or (truncated and os.path.lexists(d / n))), None)
        if skill_name is not None:
            skill_path = d / skill_name
            if skill_path.is_symlink():
                target = os.path.realpath(skill_path)
                if not inside(target, os.path.realpath(d)):  # OpenClaw: must stay in its folder
                    yield SymlinkEscape(root, skill_path, target, "its skill folder")
                    continue
            yield FoundSkill(root, d, skill_path, real_root)
            continue
        if depth >= max_depth:
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith(".") or e.name in SKIP_DIRS:
                continue
            try:
                if e.is_symlink():
                    target = os.path.realpath(e.path)
                    if not inside(target, real_root):
                        if os.path.isdir(target) or not os.path.exists(target):
                            yield SymlinkEscape(root, Path(e.path), target)
                        continue
                    if not os.path.isdir(target) or target in visited:
                        continue
                    # a target the walk reaches anyway is not walked twice; one under a
                    # skipped (dot) directory is, once (`visited` ends loops)
                    rel = os.path.relpath(target, real_root).split(os.sep)
                    if not any(seg.startswith(".") or seg in SKIP_DIRS for seg in rel if seg != "."):
                        continue
                    visited.add(target)
                    subdirs.append(Path(e.path))
                elif e.is_dir(follow_symlinks=False):
                    subdirs.append(Path(e.path))
            except OSError as exc:
                yield WalkError(e.path, f"cannot stat: {exc.strerror or exc}")
        for s in reversed(subdirs):
            stack.append((s, depth + 1))
