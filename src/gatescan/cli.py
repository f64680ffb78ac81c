"""The command line: builds objects, wires them, maps errors to exit codes (DESIGN.md).

No logic lives here: each command parses its options, calls the engine or a renderer,
and turns the outcome into one of the four exit codes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from . import __version__
from .model import ErrorRecord, Report
from .outputs import OutputOptions, ReportSink, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

app = typer.Typer(
    name="gatescan",
    help="Find AI-agent gateways anyone could drive, and skills that should not be there.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
allowlist_app = typer.Typer(help="Snapshot a known-good skill set, or print one.", no_args_is_help=True)
lab_app = typer.Typer(help="Lab services that behave like the products.", no_args_is_help=True)
fingerprints_app = typer.Typer(help="The product fingerprints gatescan ships.", no_args_is_help=True)
report_app = typer.Typer(help="Re-render or compare saved reports.", no_args_is_help=True)
app.add_typer(allowlist_app, name="allowlist")
app.add_typer(lab_app, name="lab")
app.add_typer(fingerprints_app, name="fingerprints")
app.add_typer(report_app, name="report")

# Output options shared by every command that produces a report (DESIGN.md, Commands).
JsonOpt = Annotated[Optional[str], typer.Option("--json", help="Write the JSON report to FILE (- for stdout).", metavar="FILE|-")]
JsonlOpt = Annotated[Optional[str], typer.Option("--jsonl", help="Stream JSONL events to FILE (- for stdout).", metavar="FILE|-")]
SarifOpt = Annotated[Optional[Path], typer.Option("--sarif", help="Write SARIF 2.1.0 to FILE.", metavar="FILE")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained HTML report to FILE.", metavar="FILE")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no console report; errors only.")]
StyleOpt = Annotated[str, typer.Option("--style", help="Console layout: table, tree or plain.")]
FailOnOpt = Annotated[str, typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity.")]
BaselineOpt = Annotated[Optional[Path], typer.Option("--baseline", help="Suppress findings listed in FILE (suppressions or a saved report).", metavar="FILE")]


def _outputs(json_: str | None, jsonl: str | None, sarif: Path | None, html: Path | None, quiet: bool,
             style: str, fail_on: str, baseline: Path | None) -> OutputOptions:
    return OutputOptions.parse(json=json_, jsonl=jsonl, sarif=sarif, html=html, quiet=quiet,
                               style=style, fail_on=fail_on, baseline=baseline)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"gatescan {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """gatescan: which of your agents could anyone drive?"""


def _fail_usage(message: str) -> "typer.Exit":
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def scan(
    targets: Annotated[Optional[list[str]], typer.Argument(help="Addresses, CIDRs, ranges (10.0.0.1-50), names, @file, nmap:FILE.xml, masscan:FILE.json. Default: 127.0.0.1 and ::1.")] = None,
    ports: Annotated[str, typer.Option("--ports", "-p", help="Ports: lists, ranges and named sets (agents).")] = "agents",
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Never probe these (always wins).")] = None,
    exclude_file: Annotated[Optional[list[Path]], typer.Option("--exclude-file", help="File of targets never to probe.")] = None,
    allow_public: Annotated[bool, typer.Option("--allow-public", help="Allow public addresses that are listed explicitly.")] = False,
    shard: Annotated[Optional[str], typer.Option("--shard", help="Scan only shard i of n (i/n, 1-based).")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="TCP connects in flight.")] = 2048,
    rate: Annotated[Optional[float], typer.Option("--rate", min=1, help="Global limit on connects per second.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.01, help="Per-connect timeout, seconds.")] = 1.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Extra attempts for connects that timed out.")] = 0,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Sweep processes (default: one per core for big scans).")] = None,
    identify: Annotated[bool, typer.Option("--identify/--no-identify", help="Identify the product on each open port.")] = True,
    checks: Annotated[bool, typer.Option("--checks/--no-checks", help="Run the checks each product's fingerprint names.")] = True,
    json_: JsonOpt = None, jsonl: JsonlOpt = None, sarif: SarifOpt = None, html: HtmlOpt = None,
    quiet: QuietOpt = False, style: StyleOpt = "table", fail_on: FailOnOpt = "high", baseline: BaselineOpt = None,
) -> None:
    """Sweep TARGETS for agent services, identify them and check how exposed they are."""
    from . import scope as scope_mod
    from .fingerprints import FingerprintError
    from .pipeline import run_scan
    from .ports import named_port_sets
    from .stages import network_stages
    from .sweep import SweepConfig

    try:
        outputs = _outputs(json_, jsonl, sarif, html, quiet, style, fail_on, baseline)
        port_list = scope_mod.parse_ports(ports, named_port_sets())
        plan = scope_mod.build_plan(
            targets or ["127.0.0.1", "::1"], port_list,
            excludes=exclude or (), exclude_files=exclude_file or (), allow_public=allow_public,
            shard=scope_mod.Shard.parse(shard) if shard else None,
        )
    except (scope_mod.ScopeError, UsageError, FingerprintError) as exc:
        raise _fail_usage(str(exc))

    report = Report(scope=plan.describe())
    report.scope.ports = ports
    config = SweepConfig(concurrency=concurrency, rate=rate, timeout=timeout, retries=retries, workers=workers)
    sink = ReportSink(outputs, report)
    sink.start(total=plan.total, label="sweep")

    async def _run() -> None:
        def on_error(error: ErrorRecord) -> None:
            report.errors.append(error)
            sink.error(error)

        async with network_stages(identify=identify, checks=checks, on_error=on_error) as stages:
            await run_scan(plan, config, report, observer=sink, stages=stages)

    try:
        asyncio.run(_run())
        report.finish()
    except KeyboardInterrupt:
        report.finish(complete=False)
        sink.interrupted()
    except Exception as exc:  # the run itself failed: keep what was found, say why, exit 3
        report.errors.append(ErrorRecord(where="scan", message=f"{type(exc).__name__}: {exc}"))
        report.finish(complete=False)
    raise typer.Exit(sink.finish())


def main() -> None:
    """Console-script entry point: Typer's usage errors already exit 2."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
