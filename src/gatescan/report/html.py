"""The HTML report (`--html FILE`): one self-contained file an auditor can send on.

Summary, inline-SVG charts by severity and product, sortable tables, expandable evidence.
No network fetches: inline CSS and script only, pinned by a Content-Security-Policy.
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter, defaultdict
from html import escape
from typing import Any, Iterable

from ..userio import escape_control
from ..model import CheckStatus, Finding, Report, Severity, sort_findings
from .interface import RenderOptions, ReportFormat
from .verdict import verdict_text

SEV_COLOUR = {
    Severity.CRITICAL: "#7b1fa2", Severity.HIGH: "#c62828", Severity.MEDIUM: "#ef6c00",
    Severity.LOW: "#1565c0", Severity.INFO: "#607d8b",
}
RESULT_CLASS = {CheckStatus.FINDING: "r-finding", CheckStatus.PASSED: "r-passed",
                CheckStatus.INCONCLUSIVE: "r-inconclusive", CheckStatus.NOT_APPLICABLE: "r-na"}
SEVERITIES_DESC = sorted(Severity, key=lambda s: -s.rank)

CSS = """
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dde2ea;--bg:#f6f8fb}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
margin:0;background:var(--bg)}header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
header .meta{color:#c9d1dc;font-size:12px;margin-top:4px}main{padding:18px 28px;max-width:1500px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}.verdict{font-size:16px;font-weight:600;padding:12px 16px;border-radius:8px;
margin-bottom:16px;background:#fff;border-left:6px solid #2e7d32}.verdict.bad{border-left-color:#c62828}
.verdict.warn{border-left-color:#ef6c00}.verdict.note{border-left-color:#607d8b}
.verdict.incomplete,.badge.incomplete{background:#fff3e0}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:var(--muted);font-size:12px}
.charts{display:flex;gap:24px;flex-wrap:wrap}.charts figure{margin:0}.charts figcaption{font-weight:600;margin-bottom:6px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:6px 8px;
text-align:left;vertical-align:top}th{background:#eef1f6;cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
.sev{display:inline-block;color:#fff;border-radius:4px;padding:1px 7px;font-size:11px;font-weight:700;
text-transform:uppercase}.chk{display:inline-block;border-radius:4px;padding:0 6px;margin:1px 2px 1px 0;font-size:12px;
border:1px solid var(--line)}.r-finding{background:#ffebee;border-color:#ef9a9a}.r-passed{background:#e8f5e9;
border-color:#a5d6a7}.r-inconclusive{background:#fff8e1;border-color:#ffe082}.r-na{color:var(--muted)}
details summary{cursor:pointer}details pre{background:#f3f5f9;border:1px solid var(--line);padding:8px;
white-space:pre-wrap;word-break:break-all;max-height:420px;overflow:auto;font-size:12px}
.muted{color:var(--muted)}code{font-size:12px}.badge{border-radius:4px;padding:1px 6px;background:#e8f5e9}
footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
"""

# Sorts a table when its header is clicked; `#sort=<table-id>:<column>[:desc]` sorts on load
# (the tests use that to check the sorting in a real browser).
JS = """
(function(){
function key(td){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent.trim();
var n=parseFloat(v);return isNaN(n)||!/^-?[0-9.]+$/.test(v)?v.toLowerCase():n;}
function sortTable(table,col,desc){var tb=table.tBodies[0];var rows=Array.prototype.slice.call(tb.rows);
rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);if(x===y)return 0;
var r=(typeof x===typeof y)?(x<y?-1:1):(typeof x==='number'?-1:1);return desc?-r:r;});
rows.forEach(function(r){tb.appendChild(r);});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){th.classList.remove('sorted-asc','sorted-desc');
if(i===col)th.classList.add(desc?'sorted-desc':'sorted-asc');});table.setAttribute('data-sorted',col+(desc?':desc':':asc'));}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(table){
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){
sortTable(table,i,th.classList.contains('sorted-asc'));});});});
var m=/^#sort=([\\w-]+):(\\d+)(:desc)?$/.exec(location.hash);
if(m){var t=document.getElementById(m[1]);if(t)sortTable(t,parseInt(m[2],10),!!m[3]);}
})();
"""


def address_key(host: str | None, port: int | None = None) -> str:
    """A sort key that orders addresses as addresses (10.0.0.9 before 10.0.0.10, IPv4 before
    IPv6 before names). Starts with a letter, so the page's sorter compares it as text."""
    try:
        ip = ipaddress.ip_address(str(host).strip("[]"))
        key = f"a{ip.version}:{int(ip):039d}"
    except ValueError:
        key = f"b:{str(host or '').lower()}"
    return key if port is None else f"{key}:{int(port):05d}"  # 8080.0 is a JSON integer too


_LINES = "\n"  # what a <pre> block keeps as itself


def _e(value: Any, keep: str = "") -> str:
    """HTML-escaped, control characters shown as escapes (userio.escape_control); `keep=_LINES`
    for a <pre> block whose lines are meant."""
    return "" if value is None else escape(escape_control(str(value), keep), quote=True)


def _sev(sev: Severity) -> str:
    return f'<span class="sev" style="background:{SEV_COLOUR[sev]}">{sev.value}</span>'


def _where(f: Finding) -> str:
    if f.port is not None:
        return f.target or f"{f.host}:{f.port}"
    loc = f.path or f.target
    return f"{loc}:{f.line}" if f.line else loc


def _table(table_id: str, headers: Iterable[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (f'<table class="sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _bar_chart(title: str, counts: list[tuple[str, int, str]]) -> str:
    """Horizontal bars: (label, value, colour)."""
    width, bar_h, gap, label_w = 460, 20, 6, 150
    top = max((c for _, c, _ in counts), default=0) or 1
    height = max(1, len(counts)) * (bar_h + gap) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}">']
    for i, (label, value, colour) in enumerate(counts):
        y = i * (bar_h + gap) + 2
        w = 0 if not value else max(2, int((width - label_w - 50) * value / top))
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1d2330">{_e(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3" fill="{colour}"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12" fill="#1d2330">{value}</text>')
    if not counts:
        parts.append('<text x="0" y="14" font-size="12" fill="#5f6b7a">no findings</text>')
    parts.append("</svg>")
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


def _stacked_by_product(findings: list[Finding]) -> str:
    """One bar per product, stacked by severity."""
    per: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        per[f.product or ("skills" if f.check.startswith("skill.") else "config")][f.severity] += 1
    products = sorted(per, key=lambda p: (-sum(per[p].values()), p))[:12]
    width, bar_h, gap, label_w = 520, 20, 6, 170
    top = max((sum(per[p].values()) for p in products), default=0) or 1
    height = max(1, len(products)) * (bar_h + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Findings by product">']
    for i, product in enumerate(products):
        y = i * (bar_h + gap) + 2
        x = label_w
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1d2330">{_e(product)}</text>')
        for sev in SEVERITIES_DESC:
            n = per[product][sev]
            if not n:
                continue
            w = max(2, int((width - label_w - 40) * n / top))
            parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{bar_h}" fill="{SEV_COLOUR[sev]}">'
                         f"<title>{_e(product)}: {n} {sev.value}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 6}" y="{y + 15}" font-size="12" fill="#1d2330">{sum(per[product].values())}</text>')
    if not products:
        parts.append('<text x="0" y="14" font-size="12" fill="#5f6b7a">no findings</text>')
    ly = height - 12
    lx = 0
    for sev in SEVERITIES_DESC:
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{SEV_COLOUR[sev]}"/>'
                     f'<text x="{lx + 14}" y="{ly}" font-size="11" fill="#5f6b7a">{sev.value}</text>')
        lx += 80
    parts.append("</svg>")
    return f"<figure><figcaption>Findings by product</figcaption>{''.join(parts)}</figure>"


def _evidence(f: Finding) -> str:
    body = []
    if f.evidence.summary:
        body.append(f"<p>{_e(f.evidence.summary)}</p>")
    for n, ex in enumerate(f.evidence.exchanges, 1):
        req = json.dumps(ex.request, indent=2, ensure_ascii=False)
        resp = json.dumps(ex.response, indent=2, ensure_ascii=False) if ex.response is not None else "(no response)"
        body.append(f"<p class=muted>Exchange {n}</p><pre>request: {_e(req, keep=_LINES)}\n\nresponse: {_e(resp, keep=_LINES)}</pre>")
    if f.evidence.browser is not None:
        body.append(f"<p class=muted>Browser</p><pre>{_e(json.dumps(f.evidence.browser, indent=2), keep=_LINES)}</pre>")
    if f.remediation:
        body.append(f"<p><b>Remediation:</b> {_e(f.remediation)}</p>")
    if f.references:
        body.append("<p><b>References:</b> " + ", ".join(f"<code>{_e(r)}</code>" for r in f.references) + "</p>")
    extra = [f"{k}: {getattr(f, k)}" for k in ("vantage", "machine", "skill") if getattr(f, k)]
    if extra:
        body.append(f"<p class=muted>{_e('; '.join(extra))}</p>")
    return f"<details><summary>{_e(f.title)}</summary>{''.join(body)}</details>"


def _findings_rows(findings: list[Finding]) -> list[str]:
    return [
        f'<tr><td data-sort="{f.severity.rank}">{_sev(f.severity)}</td><td><code>{_e(f.check)}</code></td>'
        f"<td>{_e(_where(f))}</td><td>{_e(f.product or '')}</td><td>{_evidence(f)}</td></tr>"
        for f in findings
    ]


class HtmlFormat(ReportFormat):
    """`--html`: one self-contained page an auditor can send on."""

    def render(self, report: Report, options: RenderOptions) -> list[str]:
        return [render_html(report)]


def render_html(report: Report) -> str:
    findings = sort_findings(report.findings)
    counts = Counter(f.severity for f in findings)
    verdict, worst = verdict_text(report)
    # green only when nothing was found: high and up is red, medium amber, low and info neutral
    vclass = "verdict" + ("" if worst is None else " bad" if worst.at_least(Severity.HIGH)
                          else " warn" if worst.at_least(Severity.MEDIUM) else " note")
    vclass += "" if report.complete else " incomplete"
    title = f"gatescan report {report.scan_id}"
    out: list[str] = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
        'script-src \'unsafe-inline\'; img-src data:">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>gatescan report</h1><div class=meta>scan {_e(report.scan_id)} · "
        f"{_e(report.tool.get('name'))} {_e(report.tool.get('version'))} · started {_e(report.started_at)} · "
        f"finished {_e(report.finished_at or 'not finished')} · "
        f"{'complete' if report.complete else 'INCOMPLETE'}</div></header><main>",
        f'<div class="{vclass}" id=verdict>{_e(verdict)}</div>',
    ]
    cards = [("services", len(report.services)), ("findings", len(findings))]
    cards += [(s.value, counts.get(s, 0)) for s in SEVERITIES_DESC]
    if report.skills is not None:
        cards.append(("skills", len(report.skills)))
    cards += [("suppressed", len(report.suppressed)), ("errors", len(report.errors))]
    out.append('<section id=summary><h2>Summary</h2><div class=cards>'
               + "".join(f'<div class=card><b>{n}</b><span>{_e(label)}</span></div>' for label, n in cards)
               + "</div>")
    scope = report.scope
    out.append(f"<p class=muted>Scope: {_e(', '.join(scope.targets) or '(default)')} · ports {_e(scope.ports or '-')}"
               + (f" · excluded {_e(', '.join(scope.excluded))}" if scope.excluded else "")
               + (f" · shard {_e(scope.shard)}" if scope.shard else "")
               + (f" · vantages {_e(', '.join(str(v.get('name')) for v in scope.vantages))}" if scope.vantages else "")
               + "</p></section>")
    out.append('<section id=charts><h2>Findings</h2><div class=charts>'
               + _bar_chart("Findings by severity", [(s.value, counts.get(s, 0), SEV_COLOUR[s]) for s in SEVERITIES_DESC])
               + _stacked_by_product(findings) + "</div></section>")

    by_service: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.port is not None:
            by_service[(f.host, f.port)].append(f)
    if report.services:
        rows = []
        for s in report.services:
            found = by_service.get((s.host, s.port), [])
            worst_s = found[0].severity if found else None
            checks = "".join(f'<span class="chk {RESULT_CLASS[c.result]}" title="{_e(c.result.value)}: {_e(c.reason)}">'
                             f"{_e(c.check)}</span>" for c in s.checks)
            rows.append(
                f"<tr><td data-sort=\"{_e(address_key(s.host, s.port))}\">{_e(s.host)}</td><td data-sort={s.port}>{s.port}</td><td>{_e(s.product_name or s.product)}"
                f"</td><td>{_e(s.version or '')}</td><td data-sort={s.confidence}>{s.confidence:.2f}</td>"
                f"<td>{checks}</td><td data-sort={worst_s.rank if worst_s else -1}>"
                f"{_sev(worst_s) + f' {len(found)}' if worst_s else '<span class=muted>none</span>'}</td>"
                f"<td>{_e(s.vantage or '')}</td></tr>")
        out.append(f"<section><h2>Services ({len(report.services)})</h2>"
                   + _table("services", ("Host", "Port", "Product", "Version", "Confidence", "Checks", "Findings", "Vantage"), rows)
                   + "</section>")
    out.append(f"<section><h2>Findings ({len(findings)})</h2>"
               + (_table("findings", ("Severity", "Check", "Where", "Product", "Title (click for evidence)"),
                         _findings_rows(findings)) if findings else "<p class=muted>No findings.</p>")
               + "</section>")
    if report.skills:
        rows = [f"<tr><td>{_e(k.name)}</td><td>{_e(k.status)}</td><td>{_e(k.agent or '')}</td><td>{_e(k.source or '')}</td>"
                f"<td>{_e(k.version or '')}</td><td>{_e(k.owner or '')}</td><td><code>{_e(k.path)}</code></td>"
                f"<td>{_e(k.machine or '')}</td></tr>" for k in report.skills]
        out.append(f"<section><h2>Skills ({len(report.skills)})</h2>"
                   + _table("skills", ("Skill", "Status", "Agent", "Source", "Version", "Owner", "Path", "Machine"), rows)
                   + "</section>")
    if report.local:
        out.append(_local(report.local))
    if report.shards:
        rows = [f"<tr><td>{_e(s.get('id'))}</td><td>{_e(s.get('vantage') or '')}</td><td>{_e(s.get('worker') or '')}</td>"
                f"<td>{_e(s.get('status'))}</td><td>{_e(s.get('attempts', ''))}</td></tr>" for s in report.shards]
        out.append(f"<section><h2>Shards ({len(report.shards)})</h2>"
                   + _table("shards", ("Shard", "Vantage", "Worker", "Status", "Attempts"), rows) + "</section>")
    if report.suppressed:
        rows = [f'<tr><td data-sort="{s.finding.severity.rank}">{_sev(s.finding.severity)}</td>'
                f"<td><code>{_e(s.finding.check)}</code></td><td>{_e(_where(s.finding))}</td>"
                f"<td>{_e(s.reason or '')}</td><td>{_e(s.expires or '')}</td></tr>" for s in report.suppressed]
        out.append(f"<section><h2>Suppressed ({len(report.suppressed)})</h2>"
                   + _table("suppressed", ("Severity", "Check", "Where", "Reason", "Expires"), rows) + "</section>")
    if report.errors:
        rows = [f"<tr><td>{_e(e.where)}</td><td>{_e(e.message)}</td><td>{_e(e.vantage or '')}</td></tr>"
                for e in report.errors]
        out.append(f"<section><h2>Errors ({len(report.errors)})</h2>"
                   + _table("errors", ("Where", "Message", "Vantage"), rows) + "</section>")
    out.append(f"</main><footer>{_e(report.schema)} {_e(report.schema_version)} · generated by gatescan; "
               f"open the JSON report for every field.</footer><script>{JS}</script></body></html>\n")
    return "".join(out)


def _local(local: dict[str, Any]) -> str:
    parts = ["<section id=local><h2>This machine</h2>"]
    listeners = local.get("listeners") or []
    if listeners:
        rows = []
        for item in listeners:
            proc = item.get("process") or {}
            cmd = proc.get("cmdline")
            cmd = " ".join(cmd) if isinstance(cmd, list) else (cmd or proc.get("exe") or "")
            rows.append(f"<tr><td data-sort=\"{_e(address_key(item.get('bind')))}\">{_e(item.get('bind'))}</td><td>{_e(item.get('port'))}</td><td>{_e(proc.get('pid', ''))}</td>"
                        f"<td><code>{_e(cmd)}</code></td></tr>")
        parts.append("<h3>Listeners</h3>" + _table("listeners", ("Bind", "Port", "PID", "Process"), rows))
    configs = local.get("configs") or []
    if configs:
        rows = [f"<tr><td>{_e(c.get('agent'))}</td><td><code>{_e(c.get('path'))}</code></td></tr>" for c in configs]
        parts.append("<h3>Configuration files read</h3>" + _table("configs", ("Agent", "Path"), rows))
    servers = local.get("mcp_servers") or []
    if servers:
        rows = []
        for m in servers:
            cmd = m.get("command")
            what = " ".join(cmd) if isinstance(cmd, list) else (cmd or m.get("url") or "")
            rows.append(f"<tr><td>{_e(m.get('client'))}</td><td>{_e(m.get('name'))}</td><td>{_e(m.get('transport'))}</td>"
                        f"<td><code>{_e(what)}</code></td><td><code>{_e(m.get('config_path'))}</code></td></tr>")
        parts.append("<h3>MCP servers configured</h3>"
                     + _table("mcp", ("Client", "Name", "Transport", "Command / URL", "Config"), rows))
    parts.append("</section>")
    return "".join(parts)
