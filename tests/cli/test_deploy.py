"""deploy/: every gatescan command line in the compose file and the Kubernetes manifests is one
the CLI accepts (parsed by the real command tree, nothing run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import typer.main
import yaml

from gatescan.cli import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _accepts(argv: list[str]) -> None:
    """Parse argv down the command tree as `gatescan` would; a UsageError (Typer's click) when refused."""
    command = typer.main.get_command(app)
    ctx = command.make_context("gatescan", list(argv), resilient_parsing=False)
    while hasattr(command, "get_command"):  # a group: descend into the named subcommand
        name, *rest = [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r} in {argv}"
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)


def _shell_argv(script: str) -> list[list[str]]:
    """The gatescan argvs a `sh -c` script runs (with JOB_COMPLETION_INDEX=0), by running it
    with `gatescan` defined as a function that prints its arguments."""
    out = subprocess.run(["sh", "-c", "gatescan() { printf '%s\\0' \"$@\"; printf '\\n\\0'; return 0; }\n" + script],
                         capture_output=True, text=True, env={**os.environ, "JOB_COMPLETION_INDEX": "0"}, timeout=10)
    runs, current = [], []
    for field in out.stdout.split("\0")[:-1]:
        if field == "\n":
            runs.append(current)
            current = []
        else:
            current.append(field)
    return runs


def _command_lines() -> list[tuple[str, list[str]]]:
    found = []
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        if "build" in service:  # the gatescan image: its entrypoint is gatescan
            found.append((f"compose {name}", list(service["command"])))
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = doc["spec"]["template"]["spec"]
            for container in spec["containers"]:
                line = [*container.get("command", []), *container.get("args", [])]
                if line[:2] == ["sh", "-c"]:
                    for argv in _shell_argv(" ".join(line[2:])):
                        found.append((f"{path.name} {container['name']}", argv))
                else:
                    found.append((f"{path.name} {container['name']}", line))
    return found


LINES = _command_lines()


def test_deploy_holds_the_workers_the_dispatcher_the_indexed_job_and_the_merge():
    commands = [argv[0] for _, argv in LINES]
    assert commands.count("worker") == 4 and commands.count("merge") == 1 and commands.count("scan") == 2
    job = yaml.safe_load((DEPLOY / "kubernetes" / "sharded-job.yaml").read_text())
    assert job["spec"]["completionMode"] == "Indexed"
    shard = next(argv for where, argv in LINES if "sharded-job" in where)
    assert shard[shard.index("--shard") + 1] == "1/4"  # index 0 is shard 1 of 4


@pytest.mark.parametrize("where, argv", LINES, ids=[w for w, _ in LINES])
def test_every_command_line_in_deploy_is_accepted_by_the_cli(where, argv):
    _accepts(argv)
    assert not any(":" in a and "@" in a and a.split("@")[0].count(":") >= 2 for a in argv), "a password in a URL"


def test_the_checker_refuses_a_bad_command_line():
    with pytest.raises(Exception, match="No such option: --no-such-option") as refused:
        _accepts(["worker", "--broker", "redis://r:6379/0", "--vantage", "a", "--no-such-option"])
    assert "UsageError" in [c.__name__ for c in type(refused.value).__mro__]
