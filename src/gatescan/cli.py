"""The command line: builds objects, wires them, maps errors to exit codes (docs/architecture.md).

No logic lives here: each command parses its options, calls the engine or a renderer,
and turns the outcome into one of the four exit codes.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import __version__

if TYPE_CHECKING:  # imported where used: `gatescan --version` and `--help` load none of the engine
    from rich.console import Console

    from .model import Report
    from .report.sink import OutputOptions, ReportSink

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

# Output options shared by every command that produces a report (docs/architecture.md, Commands).
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
    from .report.sink import OutputOptions

    return OutputOptions.parse(json=json_, jsonl=jsonl, sarif=sarif, html=html, quiet=quiet,
                               style=style, fail_on=fail_on, baseline=baseline)


def _sink(outputs: OutputOptions, report: Report) -> ReportSink:
    from .report.sink import ReportSink, UsageError

    try:
        return ReportSink(outputs, report)
    except UsageError as exc:  # e.g. a --jsonl file that cannot be created
        raise _fail_usage(str(exc))


def _console(**options) -> Console:
    from rich.console import Console

    return Console(**options)


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


def _print_problem(label: str, message: str) -> None:
    """To stderr, the message as plain text: paths and names may hold Rich markup like `[/]`."""
    from rich.text import Text

    from .userio import escape_control

    _console(stderr=True).print(Text.assemble((f"{label}: ", "bold red"), escape_control(message)),
                                highlight=False, soft_wrap=True)


def _fail_usage(message: str) -> "typer.Exit":
    _print_problem("error", message)
    return typer.Exit(EXIT_USAGE)


def _check_output(option: str, dest: str) -> None:
    """An output FILE that could never be written is a usage error before any work, as for scan."""
    from .report.sink import UsageError, check_writable

    if dest != "-":
        try:
            check_writable(option, Path(dest))
        except UsageError as exc:
            raise _fail_usage(str(exc))


def _write_or_fail(dest: str, write) -> None:
    """A write that fails after the up-front check (a full disk) is an error line, not a traceback."""
    try:
        write()
    except OSError as exc:
        raise _fail_usage(f"cannot write {dest}: {exc.strerror or exc}")


@app.command()
def scan(
    targets: Annotated[Optional[list[str]], typer.Argument(help="Addresses, CIDRs, ranges (10.0.0.1-50), names, @file, nmap:FILE.xml, masscan:FILE.json. Default: 127.0.0.1 and ::1, every port.")] = None,
    ports: Annotated[Optional[str], typer.Option("--ports", "-p", help="Ports: lists, ranges and named sets (agents). Default: agents for the targets given; with none, every port (1-65535) of 127.0.0.1 and ::1.")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Never probe these (always wins).")] = None,
    exclude_file: Annotated[Optional[list[Path]], typer.Option("--exclude-file", help="File of targets never to probe.")] = None,
    allow_public: Annotated[bool, typer.Option("--allow-public", help="Allow public addresses that are listed explicitly.")] = False,
    shard: Annotated[Optional[str], typer.Option("--shard", help="Scan only shard i of n (i/n, 1-based).")] = None,
    concurrency: Annotated[Optional[int], typer.Option(
        "--concurrency", min=1, show_default=False,
        help="Most TCP connects in flight; the window adapts below it (default: 65536, or what the open-file limit allows).")] = None,
    rate: Annotated[Optional[float], typer.Option("--rate", min=1, help="Global limit on connects per second.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.01, help="Per-connect timeout, seconds.")] = 1.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Extra attempts for connects that timed out.")] = 0,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Sweep processes (default: one per core for big scans).")] = None,
    identify: Annotated[bool, typer.Option("--identify/--no-identify", help="Identify the product on each open port.")] = True,
    checks: Annotated[bool, typer.Option("--checks/--no-checks", help="Run the checks each product's fingerprint names.")] = True,
    intrusive: Annotated[bool, typer.Option("--intrusive", help="Also run checks that leave a trace on the target (auth.ratelimit.missing: a burst of random wrong credentials).")] = False,
    mdns: Annotated[bool, typer.Option("--mdns", help="Also scan what the LAN advertises over mDNS/DNS-SD (scope-checked); alone, only that.")] = False,
    mdns_time: Annotated[float, typer.Option("--mdns-time", min=0.1, max=60, help="Seconds to browse mDNS.")] = 3.0,
    browser_proof: Annotated[bool, typer.Option("--browser-proof", help="Replay WebSocket-Origin, rebinding and CORS findings in headless Chromium (as a loopback page and as a public one).")] = False,
    json_: JsonOpt = None, jsonl: JsonlOpt = None, sarif: SarifOpt = None, html: HtmlOpt = None,
    quiet: QuietOpt = False, style: StyleOpt = "table", fail_on: FailOnOpt = "high", baseline: BaselineOpt = None,
    # distributed scans (the [distributed] extra): send the shards to workers through a broker
    dispatch: Annotated[Optional[str], typer.Option("--dispatch", help="Send the scan to `gatescan worker`s through this Redis broker (redis:// or rediss://).", metavar="URL", rich_help_panel="Distributed")] = None,
    password_file: Annotated[Optional[Path], typer.Option("--password-file", help="File holding the broker password.", metavar="F", rich_help_panel="Distributed")] = None,
    ca: Annotated[Optional[Path], typer.Option("--ca", help="CA bundle of a rediss:// broker.", metavar="FILE", rich_help_panel="Distributed")] = None,
    vantage: Annotated[Optional[list[str]], typer.Option("--vantage", help="NAME=CIDR[,CIDR]: the vantage whose workers scan the targets in those CIDRs; repeatable.", metavar="NAME=CIDR", rich_help_panel="Distributed")] = None,
    shards: Annotated[Optional[int], typer.Option("--shards", min=1, help="Shards per vantage (default: two per live worker).", metavar="N", rich_help_panel="Distributed")] = None,
    resume: Annotated[Optional[str], typer.Option("--resume", help="Finish an earlier dispatched scan: re-send only its missing shards.", metavar="SCAN_ID", rich_help_panel="Distributed")] = None,
    attempts: Annotated[int, typer.Option("--attempts", min=1, help="Tries per shard before it is listed as failed.", rich_help_panel="Distributed")] = 3,
    broker_timeout: Annotated[float, typer.Option("--broker-timeout", min=0.1, help="Seconds the broker may be unreachable before the scan writes what it has (exit 3).", rich_help_panel="Distributed")] = 60.0,
    visibility_timeout: Annotated[float, typer.Option("--visibility-timeout", min=1, help="As the workers' --visibility-timeout.", rich_help_panel="Distributed")] = 3600.0,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="Sign task messages (with --sign-cert, --cert-store).", metavar="FILE", rich_help_panel="Distributed")] = None,
    sign_cert: Annotated[Optional[Path], typer.Option("--sign-cert", metavar="FILE", rich_help_panel="Distributed")] = None,
    cert_store: Annotated[Optional[Path], typer.Option("--cert-store", metavar="DIR", rich_help_panel="Distributed")] = None,
) -> None:
    """Sweep TARGETS for agent services, identify them and check how exposed they are.

    With no TARGETS, every port of 127.0.0.1 and ::1 (with --mdns: only what is advertised)."""
    from . import app as api
    from .report.sink import UsageError
    from .sweep import SweepConfig

    try:
        outputs = _outputs(json_, jsonl, sarif, html, quiet, style, fail_on, baseline)
        job = api.prepare_scan(api.ScanRequest(
            targets=tuple(targets or ()), ports=ports, excludes=tuple(exclude or ()),
            exclude_files=tuple(str(p) for p in exclude_file or ()), allow_public=allow_public, shard=shard,
            sweep=SweepConfig(concurrency=concurrency, rate=rate, timeout=timeout, retries=retries, workers=workers),
            identify=identify, checks=checks, intrusive=intrusive, mdns=mdns, mdns_seconds=mdns_time,
            browser_proof=browser_proof,
        ))
    except (api.RequestError, UsageError) as exc:
        raise _fail_usage(str(exc))
    if dispatch is None:
        given = [o for o, v in (("--vantage", vantage), ("--shards", shards), ("--resume", resume),
                                ("--password-file", password_file), ("--ca", ca)) if v]
        if given:
            raise _fail_usage(f"{', '.join(given)} only go with --dispatch URL")
        sink = _sink(outputs, job.report)
        sink.start(total=job.plan.total, label="sweep")
        api.scan(job, observer=sink)
        raise typer.Exit(sink.finish())
    _dispatch_scan(job.request, outputs, dispatch, password_file, ca, vantage or [], shards, resume, attempts,
                   broker_timeout, visibility_timeout, sign_key, sign_cert, cert_store)


def _dispatch_scan(request, outputs, url, password_file, ca, vantages, shards, resume, attempts, broker_timeout,
                   visibility_timeout, sign_key, sign_cert, cert_store) -> None:
    """scan --dispatch: the shards go to the workers; the merged report goes out as usual."""
    from . import app as api

    parsed, signing = _broker_and_signing(url, password_file, ca, sign_key, sign_cert, cert_store)
    from .distributed.dispatch import DispatchError, DispatchOptions, Vantage, dispatch
    from .distributed.progress import DispatchBar
    from .scope import ScopeError

    try:
        options = DispatchOptions(vantages=tuple(Vantage.parse(v) for v in vantages), shards=shards, resume=resume,
                                  max_attempts=attempts, broker_timeout=broker_timeout,
                                  visibility_timeout=visibility_timeout)
        if not options.vantages:
            raise api.RequestError("--dispatch needs at least one --vantage NAME=CIDR")
    except (api.RequestError, ScopeError) as exc:
        raise _fail_usage(str(exc))
    bar = DispatchBar(enabled=not outputs.quiet)
    state: dict = {}

    def started(report, total: int) -> None:
        state["sink"] = _sink(outputs, report)
        bar.start(total)

    from .distributed.celeryapp import BrokerError

    try:
        with bar:
            merged = dispatch(parsed, request, options, signing=signing, on_progress=bar.update, on_start=started)
    except (api.RequestError, ScopeError, BrokerError) as exc:
        raise _fail_usage(str(exc))
    except DispatchError as exc:
        _print_problem("error", str(exc))
        raise typer.Exit(EXIT_FAILED)
    sink = state["sink"]
    sink.report = merged  # the sink was built before the first shard went out; it writes the merged report
    raise typer.Exit(sink.finish())


@app.command()
def discover(
    mdns: Annotated[bool, typer.Option("--mdns", help="Browse mDNS/DNS-SD (the only method today; the default).")] = True,
    seconds: Annotated[float, typer.Option("--time", min=0.1, max=60, help="Seconds to browse.")] = 3.0,
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Never list these as in scope.")] = None,
    exclude_file: Annotated[Optional[list[Path]], typer.Option("--exclude-file", help="File of targets never to probe.")] = None,
    json_: JsonOpt = None,
) -> None:
    """List the agent gateways the LAN advertises (mDNS), each endpoint scope-checked; probes nothing."""
    import asyncio
    import json as jsonlib

    from rich.table import Table

    from . import scope
    from .discover import discover as run_discover, listing
    from .net.mdns import BrowseLimits
    from .report.console import cells
    from .report.jsonout import write_text_atomic

    if json_:
        _check_output("--json", json_)
    try:
        plan = scope.build_plan([], [1], excludes=tuple(exclude or ()), exclude_files=tuple(str(p) for p in exclude_file or ()))
    except scope.ScopeError as exc:
        raise _fail_usage(str(exc))
    found = asyncio.run(run_discover(plan, BrowseLimits(seconds=seconds)))
    doc = listing(found)
    if json_:
        text = jsonlib.dumps(doc, indent=2) + "\n"
        if json_ == "-":
            sys.stdout.write(text)
        else:
            _write_or_fail(json_, lambda: write_text_atomic(json_, text))
    if json_ != "-":
        table = Table("type", "instance", "endpoints", "advertised", "scope", box=None)
        for a in doc["adverts"]:
            endpoints = ", ".join(f"{e['host']}:{e['port']}" for e in a["endpoints"]) or "-"
            txt = " ".join(f"{k}={a['txt'][k]}" for k in ("gatewayPort", "lanHost", "displayName", "sshPort") if k in a["txt"])
            verdict = "; ".join(a["refused"]) or ("in scope" if a["endpoints"] else "no address")
            table.add_row(*cells(a["service_type"], a["instance"], endpoints, txt or "-", verdict))
        console = _console()
        console.print(table if doc["adverts"] else f"nothing advertised in {seconds:g} s ({', '.join(doc['types'])})")
        for error in found.errors:
            _print_problem("error", f"{error.where}: {error.message}")


# ---------------------------------------------------------------- skills

@app.command()
def skills(
    roots: Annotated[Optional[list[Path]], typer.Argument(help="Skill roots to audit (default: every agent's default roots).")] = None,
    allowlist: Annotated[Optional[list[Path]], typer.Option("--allowlist", help="Approved skills (gatescan allowlist, or a ClawHub feed/verdict file); repeatable.")] = None,
    json_: JsonOpt = None, jsonl: JsonlOpt = None, sarif: SarifOpt = None, html: HtmlOpt = None,
    quiet: QuietOpt = False, style: StyleOpt = "table", fail_on: FailOnOpt = "high", baseline: BaselineOpt = None,
    # the marketplace (skills/registry.py): off unless asked
    registry: Annotated[Optional[str], typer.Option("--registry", help="Ask this marketplace which published version each skill is and its security verdict (ClawHub: https://clawhub.ai). Sends slugs and fingerprints, never files.", metavar="URL")] = None,
    registry_snapshot: Annotated[Optional[str], typer.Option("--registry-snapshot", help="Save the registry's answers as an allowlist for offline runs (--allowlist FILE).", metavar="FILE")] = None,
) -> None:
    """Audit installed skills: known malicious, static rules for malicious content, unlisted, modified after install, shadowed, malformed."""
    from . import app as api
    from .report.sink import UsageError

    try:
        if registry_snapshot and not registry:
            raise api.RequestError("--registry-snapshot needs --registry URL")
        if registry_snapshot:
            _check_output("--registry-snapshot", registry_snapshot)
        outputs = _outputs(json_, jsonl, sarif, html, quiet, style, fail_on, baseline)
        job = api.prepare_skills(api.SkillsRequest(roots=tuple(str(p) for p in roots or ()),
                                                   allowlists=tuple(str(p) for p in allowlist or ()),
                                                   registry=registry))
    except (api.RequestError, UsageError) as exc:
        raise _fail_usage(str(exc))
    answers = _ask_registry(api, job, registry_snapshot) if registry else None
    sink = _sink(outputs, job.report)
    api.audit_skills(job, observer=sink, registry=answers)
    raise typer.Exit(sink.finish())


# ---------------------------------------------------------------- local

@app.command()
def local(
    allowlist: Annotated[Optional[list[Path]], typer.Option("--allowlist", help="Approved skills (as for gatescan skills); repeatable.")] = None,
    skills_: Annotated[bool, typer.Option("--skills/--no-skills", help="Audit the skills under every agent's default roots.")] = True,
    home: Annotated[Optional[Path], typer.Option("--home", help="Read this home directory's configs and skills (default: yours).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.01, help="Per-connect timeout, seconds.")] = 1.0,
    json_: JsonOpt = None, jsonl: JsonlOpt = None, sarif: SarifOpt = None, html: HtmlOpt = None,
    quiet: QuietOpt = False, style: StyleOpt = "table", fail_on: FailOnOpt = "high", baseline: BaselineOpt = None,
    # the fleet: every live worker's machine audited (the [distributed] extra)
    dispatch: Annotated[Optional[str], typer.Option("--dispatch", help="Audit every live `gatescan worker`'s machine through this broker.", metavar="URL", rich_help_panel="Distributed")] = None,
    password_file: Annotated[Optional[Path], typer.Option("--password-file", help="File holding the broker password.", metavar="F", rich_help_panel="Distributed")] = None,
    ca: Annotated[Optional[Path], typer.Option("--ca", help="CA bundle of a rediss:// broker.", metavar="FILE", rich_help_panel="Distributed")] = None,
    vantage: Annotated[Optional[list[str]], typer.Option("--vantage", help="Only the workers of this vantage; repeatable.", metavar="NAME", rich_help_panel="Distributed")] = None,
) -> None:
    """This machine: every listening port with its process, checked as a web page or a neighbour
    would reach it; agent, IDE and MCP client configs (read only, never started); installed skills."""
    from . import app as api
    from .report.sink import UsageError

    try:
        outputs = _outputs(json_, jsonl, sarif, html, quiet, style, fail_on, baseline)
        job = api.prepare_local(api.LocalRequest(home=str(home) if home else None, skills=skills_, timeout=timeout,
                                                 allowlists=tuple(str(p) for p in allowlist or ())))
    except (api.RequestError, UsageError) as exc:
        raise _fail_usage(str(exc))
    if dispatch is not None:
        if home or allowlist:
            raise _fail_usage("--home and --allowlist name files on this machine; a worker reads none a dispatcher names")
        _dispatch_local(job.request, outputs, dispatch, password_file, ca, tuple(vantage or ()))
    if vantage or password_file or ca:
        raise _fail_usage("--vantage, --password-file and --ca only go with --dispatch URL")
    sink = _sink(outputs, job.report)
    api.local(job, observer=sink)
    raise typer.Exit(sink.finish())


def _dispatch_local(request, outputs, url, password_file, ca, vantages) -> None:
    parsed, signing = _broker_and_signing(url, password_file, ca, None, None, None)
    from .distributed.celeryapp import BrokerError
    from .distributed.dispatch import DispatchError, DispatchOptions, dispatch_local

    state: dict = {}
    try:
        merged = dispatch_local(parsed, request, vantages, DispatchOptions(vantages=()), signing=signing,
                                on_start=lambda report, n: state.setdefault("sink", _sink(outputs, report)))
    except BrokerError as exc:
        raise _fail_usage(str(exc))
    except DispatchError as exc:
        _print_problem("error", str(exc))
        raise typer.Exit(EXIT_FAILED)
    sink = state["sink"]
    sink.report = merged
    raise typer.Exit(sink.finish())


def _ask_registry(api, job, snapshot_to: str | None):
    """The registry's answers (saved when asked); an unreachable registry ends the run (exit 3)."""
    from .report.jsonout import write_text_atomic
    from .skills.allowlist import dump_allowlist
    from .skills.registry import RegistryUnreachable, snapshot

    try:
        answers = api.query_registry(job)
    except RegistryUnreachable as exc:
        _print_problem("offline", f"{exc}. Run without --registry, or offline with a saved snapshot "
                                  "(--allowlist FILE written by --registry-snapshot).")
        raise typer.Exit(EXIT_FAILED)
    if snapshot_to:
        text = dump_allowlist(snapshot(answers))
        _write_or_fail(snapshot_to, lambda: write_text_atomic(snapshot_to, text))
    return answers


@allowlist_app.command("init")
def allowlist_init(
    directory: Annotated[Path, typer.Argument(help="A skill root holding the known-good skills.", metavar="DIR")],
    output: Annotated[str, typer.Option("--output", "-o", help="Where to write the allowlist (- for stdout).")] = "-",
) -> None:
    """Snapshot the skills under DIR as approved (identity and every file hash)."""
    from .report.jsonout import write_text_atomic
    from .skills.allowlist import dump_allowlist
    from .skills.audit import init_allowlist

    if not directory.is_dir():
        raise _fail_usage(f"{directory}: not a directory")
    _check_output("--output", output)
    text = dump_allowlist(init_allowlist(directory))
    if output == "-":
        sys.stdout.write(text)
    else:
        _write_or_fail(output, lambda: write_text_atomic(output, text))


@allowlist_app.command("show")
def allowlist_show(file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Print an allowlist (or a ClawHub feed/verdict file) as gatescan reads it."""
    from rich.table import Table

    from .report.console import cells
    from .skills.allowlist import AllowlistError, load_allowlist

    try:
        approved = load_allowlist(file)
    except AllowlistError as exc:
        raise _fail_usage(str(exc))
    table = Table("registry", "owner", "slug / name", "version", "fingerprint", "reason", box=None)
    for e in approved.entries:
        table.add_row(*cells(e.registry or "-", e.owner or "-", e.slug or e.name or "-", e.version or "*",
                             (e.fingerprint or e.file_tree_sha256 or "-")[:16], e.reason or ""))
    _console().print(table)


# ---------------------------------------------------------------- lab

@lab_app.command("up")
def lab_up(
    only: Annotated[Optional[str], typer.Option("--only", help="Comma-separated products or lab service keys.")] = None,
    count: Annotated[int, typer.Option("--count", min=1, help="Copies of each service.")] = 1,
    base: Annotated[Optional[str], typer.Option("--base", help="First 127.x address to use.")] = None,
    manifest: Annotated[Optional[Path], typer.Option("--manifest", help="Write the manifest JSON here once all listen.")] = None,
    procs: Annotated[int, typer.Option("--procs", min=1, help="Processes serving the lab (disjoint shares).")] = 1,
) -> None:
    """Start the lab services (vulnerable and hardened twins, decoys) until Ctrl-C."""
    import asyncio

    from . import labrun

    console = _console()

    def ready(lab) -> None:
        console.print(labrun.lab_table(lab, console.width))
        console.print("lab is up; Ctrl-C stops it", style="bold")

    selected = [p.strip() for p in only.split(",") if p.strip()] if only else None
    try:
        asyncio.run(labrun.run_lab(selected, count, base or labrun.DEFAULT_BASE, manifest, on_ready=ready,
                                   procs=procs))
    except labrun.LabError as exc:
        raise _fail_usage(str(exc))
    except OSError as exc:  # e.g. a --manifest in a directory that does not exist
        raise _fail_usage(f"{exc.filename or 'lab'}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


# ---------------------------------------------------------------- fingerprints

@fingerprints_app.command("list")
def fingerprints_list(
    markdown: Annotated[bool, typer.Option("--markdown", help="The product table as Markdown (the README's).")] = False,
) -> None:
    """List the shipped fingerprints: product id, name, category, default ports."""
    from .identify.fingerprints import FingerprintError, load_fingerprints
    from .report.console import unbroken_table

    try:
        fps = load_fingerprints()
    except FingerprintError as exc:
        raise _fail_usage(str(exc))
    if markdown:
        from . import products

        sys.stdout.write(products.markdown(fps))
        return
    # ports wrap between ports, never inside one; ids and categories never wrap
    table = unbroken_table(None, [("id", True), ("name", False), ("category", True), ("ports", False),
                                  ("checks", True, "right")],
                           [[fp.id, fp.name, fp.category, ", ".join(map(str, fp.ports)) or "-", str(len(fp.checks))]
                            for fp in sorted(fps, key=lambda f: f.id)], box=None)
    _console().print(table)


@fingerprints_app.command("show")
def fingerprints_show(product: Annotated[str, typer.Argument(help="Product id, e.g. openclaw-gateway.")]) -> None:
    """Print one fingerprint file as shipped."""
    from .identify.fingerprints import FingerprintError, get

    try:
        fp = get(product)
    except KeyError:
        raise _fail_usage(f"no fingerprint with id {product!r} (see `gatescan fingerprints list`)")
    except FingerprintError as exc:
        raise _fail_usage(str(exc))
    typer.echo(Path(fp.path).read_text(encoding="utf-8") if fp.path else str(fp))


@fingerprints_app.command("validate")
def fingerprints_validate(
    path: Annotated[Optional[Path], typer.Argument(help="A fingerprint file or directory (default: the shipped set).")] = None,
) -> None:
    """Validate fingerprint files against the schema; exit 2 naming file, field and reason."""
    from .identify.fingerprints import validate_path

    problems = validate_path(path)
    if problems:
        for problem in problems:
            _print_problem("invalid", problem)
        raise typer.Exit(EXIT_USAGE)
    typer.echo(f"ok: {path or 'shipped fingerprints'}")


# ---------------------------------------------------------------- saved reports

def _load_reports(paths: list[Path]) -> list[Report]:
    from .report.jsonout import ReportLoadError, load_report

    try:
        return [load_report(str(p)) for p in paths]
    except ReportLoadError as exc:
        raise _fail_usage(str(exc))


@report_app.command("render")
def report_render(
    report_file: Annotated[Path, typer.Argument(help="A saved JSON report.", metavar="REPORT.json")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format (console, or a name of the report registry; a wrong name lists them).")] = "console",
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write to FILE (default: stdout).")] = None,
    style: StyleOpt = "table",
) -> None:
    """Re-render a saved report in another format."""
    from .report import FORMATS, RenderOptions, write_report
    from .report.console import ConsoleReporter

    if fmt not in FORMATS:
        raise _fail_usage(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    try:
        options = RenderOptions(style=style)
    except ValueError as exc:
        raise _fail_usage(str(exc))
    (report,) = _load_reports([report_file])
    if fmt == "console" and not output:  # a person at a terminal: colour and its width
        ConsoleReporter(_console(), style=style).render(report)
        return
    try:
        write_report(report, fmt, output or "-", options)
    except OSError as exc:
        raise _fail_usage(f"cannot write {output or 'stdout'}: {exc.strerror or exc}")


@report_app.command("diff")
def report_diff(
    old: Annotated[Path, typer.Argument(metavar="OLD.json")],
    new: Annotated[Path, typer.Argument(metavar="NEW.json")],
    json_: JsonOpt = None,
    unchanged: Annotated[bool, typer.Option("--unchanged", help="Also list unchanged findings.")] = False,
    fail_on: FailOnOpt = "high",
) -> None:
    """New, resolved and unchanged findings between two reports; exit 1 when a new one reaches --fail-on."""
    import json as jsonlib

    from .model import Severity
    from .report.diff import DiffError, diff_reports, render_diff
    from .report.jsonout import write_text_atomic

    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        raise _fail_usage(f"--fail-on: {exc}")
    if json_:
        _check_output("--json", json_)
    old_report, new_report = _load_reports([old, new])
    try:
        result = diff_reports(old_report, new_report)
    except DiffError as exc:
        raise _fail_usage(f"{old} and {new}: {exc}")
    if json_:
        text = jsonlib.dumps(result.to_dict(), indent=2) + "\n"
        if json_ == "-":
            sys.stdout.write(text)
        else:
            _write_or_fail(json_, lambda: write_text_atomic(json_, text))
    if json_ != "-":
        render_diff(result, _console(), show_unchanged=unchanged)
    raise typer.Exit(EXIT_FINDINGS if result.new_at_least(threshold) else EXIT_OK)


@app.command()
def merge(
    reports: Annotated[list[Path], typer.Argument(help="Shard reports to combine.", metavar="A.json B.json ...")],
    output: Annotated[str, typer.Option("--output", "-o", help="Where to write the merged report (- for stdout).")] = "-",
) -> None:
    """Combine shard reports into one; refuses mixed tool versions and overlapping shards."""
    from rich.text import Text

    from .report import write_report
    from .report.merge import MergeError, merge_reports, why_incomplete

    _check_output("--output", output)
    loaded = _load_reports(reports)
    try:
        merged = merge_reports(loaded, names=[str(p) for p in reports])
    except MergeError as exc:
        raise _fail_usage(str(exc))
    _write_or_fail(output, lambda: write_report(merged, "json", output))
    if not merged.complete:
        why = "; ".join(why_incomplete(merged, loaded, [str(p) for p in reports]))
        _console(stderr=True, highlight=False).print(Text(f"merged report is incomplete: {why}", style="yellow"))
        raise typer.Exit(EXIT_FAILED)


# ---------------------------------------------------------------- distributed scans (the [distributed] extra)

BrokerOpt = Annotated[str, typer.Option("--broker", help="The Redis broker: redis://HOST:PORT/DB, or rediss:// for TLS (no password in it).", metavar="URL")]
PasswordFileOpt = Annotated[Optional[Path], typer.Option("--password-file", help="File holding the broker password (never on the command line).", metavar="F")]
CaOpt = Annotated[Optional[Path], typer.Option("--ca", help="CA bundle that signed a rediss:// broker's certificate.", metavar="FILE")]
SignKeyOpt = Annotated[Optional[Path], typer.Option("--sign-key", help="Sign task messages with this private key (Celery's auth serializer; with --sign-cert and --cert-store).", metavar="FILE")]
SignCertOpt = Annotated[Optional[Path], typer.Option("--sign-cert", help="The certificate of --sign-key.", metavar="FILE")]
CertStoreOpt = Annotated[Optional[Path], typer.Option("--cert-store", help="Directory of the certificates whose signatures are accepted.", metavar="DIR")]
VisibilityOpt = Annotated[float, typer.Option("--visibility-timeout", min=1, help="Seconds before a shard whose worker died is handed to another (just above the longest shard; the same on every side).")]


def _distributed():
    """The distributed package, or a usage error saying which extra installs it."""
    try:
        import celery  # noqa: F401
    except ImportError:
        raise _fail_usage("distributed scans need the extra: pip install 'gatescan[distributed]'")
    from . import distributed
    from .distributed import celeryapp

    return distributed, celeryapp


def _broker_and_signing(broker: str, password_file: Path | None, ca: Path | None, key: Path | None,
                        cert: Path | None, store: Path | None):
    _, celeryapp = _distributed()
    try:
        parsed = celeryapp.parse_broker(broker, str(password_file) if password_file else None, str(ca) if ca else None)
    except celeryapp.BrokerError as exc:
        raise _fail_usage(str(exc))
    given = [o for o, v in (("--sign-key", key), ("--sign-cert", cert), ("--cert-store", store)) if v]
    if given and len(given) != 3:
        raise _fail_usage("signed messages need all of --sign-key, --sign-cert and --cert-store")
    signing = celeryapp.Signing(str(key), str(cert), str(store)) if given else None
    return parsed, signing


@app.command()
def worker(
    broker: BrokerOpt,
    vantage: Annotated[list[str], typer.Option("--vantage", help="The vantage (queue) to serve: a DNS-label name; repeatable.", metavar="NAME")],
    password_file: PasswordFileOpt = None, ca: CaOpt = None,
    allow: Annotated[Optional[list[str]], typer.Option("--allow", help="Scan only inside these CIDRs (besides the private-only policy); repeatable.", metavar="CIDR")] = None,
    pool: Annotated[int, typer.Option("--pool", min=1, help="Processes in the worker's pool: shards run at once.", metavar="N")] = 1,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", min=1, help="Cap on a shard's TCP connects in flight.", metavar="N")] = None,
    rate: Annotated[Optional[float], typer.Option("--rate", min=1, help="Cap on a shard's connects per second.", metavar="R")] = None,
    visibility_timeout: VisibilityOpt = 3600.0,
    sign_key: SignKeyOpt = None, sign_cert: SignCertOpt = None, cert_store: CertStoreOpt = None,
) -> None:
    """Serve distributed scans: take shards off the queue of each --vantage and scan them here."""
    parsed, signing = _broker_and_signing(broker, password_file, ca, sign_key, sign_cert, cert_store)
    from .distributed.worker import WorkerOptions, run_worker
    from .scope import ScopeError

    options = WorkerOptions(vantages=tuple(vantage), allow=tuple(allow or ()), pool=pool, concurrency=concurrency,
                            rate=rate, visibility_timeout=visibility_timeout)
    try:
        options.check()
    except (ValueError, ScopeError) as exc:
        raise _fail_usage(str(exc))
    from .distributed.celeryapp import BrokerError

    try:
        run_worker(parsed, options, signing)
    except BrokerError as exc:
        raise _fail_usage(str(exc))


def _stop_as_on_ctrl_c(signum: int, frame) -> None:
    """SIGTERM (CI timeouts, `docker stop`) and SIGHUP end the run as Ctrl-C does: the partial
    report is written with complete: false and the exit is 3, not a silent 143. The SIGINT
    handler is asyncio.run's while a scan runs (it cancels the scan cleanly), else Python's."""
    signal.getsignal(signal.SIGINT)(signal.SIGINT, frame)


def main() -> None:
    """Console-script entry point: Typer's usage errors already exit 2."""
    for stream in (sys.stdout, sys.stderr):  # names that are not UTF-8 must not crash a report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A job started with `&` ignores SIGINT: keep it blocked, but install Python's handler so
        # asyncio.run sets up its Ctrl-C path, which SIGTERM and SIGHUP take.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_as_on_ctrl_c)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
