"""All of local mode's file readers in one call: each reads files only (never the network),
bounded through userio, and turns every failure into an ErrorRecord."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from ..model import ErrorRecord
from .model import LocalFindings

Reader = Callable[[Path, Mapping[str, str], Path], LocalFindings]


def _readers() -> list[tuple[str, Reader]]:
    from . import ide, mcp_clients, openclaw_config, settings

    return [("openclaw_config", openclaw_config.read), ("ide", ide.read), ("mcp_clients", mcp_clients.read),
            ("settings", settings.read)]


def read_all(home: Path, env: Mapping[str, str], cwd: Path) -> LocalFindings:
    """Every reader's findings, merged; a reader that raises (a bug) costs its own part only."""
    out = LocalFindings()
    for name, reader in _readers():
        try:
            out = out + reader(home, env, cwd)
        except Exception as exc:  # a reader bug must not cost the audit
            out = out + LocalFindings(errors=(ErrorRecord(where=f"local.{name}", message=f"reader failed: {exc!r}"),))
    return out
