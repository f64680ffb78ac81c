"""`gatescan scan` end to end through the installed console script: reports, exit codes, refusals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

import pytest

from tests.cli.conftest import gatescan_exe, run_gatescan, tcp_listeners
from tests.netns import requires_netns


@requires_netns
def test_scan_finds_exactly_the_listeners_and_writes_a_valid_report(tmp_path, validate_report):
    wanted = [("127.0.0.1", 0), ("127.0.0.2", 0), ("127.0.0.3", 0)]
    with tcp_listeners(wanted) as bound:
        ports = ",".join(str(p) for _, p in bound)
        out_json = tmp_path / "r.json"
        out = run_gatescan("scan", "127.0.0.1-4", "-p", ports, "--no-identify", "--json", str(out_json),
                           "--jsonl", str(tmp_path / "r.jsonl"))
    assert out.returncode == 0, out.stdout + out.stderr
    doc = validate_report(json.loads(out_json.read_text()))
    found = sorted((s["host"], s["port"]) for s in doc["services"])
    assert found == sorted(bound)
    assert doc["complete"] is True
    assert doc["stats"]["probes_total"] == 4 * len(bound)
    events = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert {e["type"] for e in events} >= {"service", "summary"}
    assert sorted((e["host"], e["port"]) for e in events if e["type"] == "service") == sorted(bound)


@pytest.mark.parametrize(
    "args, token",
    [
        (["scan", "127.0.0.1", "-p", "70000"], "70000"),
        (["scan", "127.0.0.1", "-p", "80,abc"], "abc"),
        (["scan", "127.0.0.300", "-p", "80"], "127.0.0.300"),
        (["scan", "10.0.0.0/33", "-p", "80"], "10.0.0.0/33"),
        (["scan", "127.0.0.1", "--fail-on", "severe"], "severe"),
        (["scan", "127.0.0.1", "--shard", "5/4"], "5/4"),
        (["scan", "nmap:/nonexistent/scan.xml"], "/nonexistent/scan.xml"),
        (["scan", "127.0.0.1", "-p", "1", "--jsonl", "/nonexistent/dir/r.jsonl"], "/nonexistent/dir/r.jsonl"),
        (["scan", "127.0.0.1", "-p", "1", "--json", "-", "--sarif", "-"], "--sarif"),
        (["scan", "127.0.0.1", "-p", "1", "--json", "/nonexistent/dir/r.json"], "/nonexistent/dir/r.json"),
        (["scan", "127.0.0.1", "-p", "1", "--sarif", "/"], "--sarif"),
    ],
)
def test_bad_input_exits_2_naming_the_token_without_a_traceback(args, token):
    out = run_gatescan(*args)
    assert out.returncode == 2, out.stdout + out.stderr
    assert token in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_bad_import_file_names_file_and_line(tmp_path):
    bad = tmp_path / "scan.xml"
    bad.write_text('<?xml version="1.0"?>\n<nmaprun>\n<host><address addr="127.0.0.1"\n')
    out = run_gatescan("scan", f"nmap:{bad}")
    assert out.returncode == 2
    assert f"{bad}:3" in out.stderr  # file:line
    assert "Traceback" not in out.stderr


@requires_netns
def test_public_address_is_refused_before_anything_is_sent():
    # 203.0.113.0/24 is a documentation range; here it is an alias on lo inside the suite's own
    # namespace, so a connection, if one were made, would reach our listener and nothing else.
    subprocess.run(["ip", "addr", "add", "203.0.113.7/32", "dev", "lo"], capture_output=True)
    server = socket.create_server(("203.0.113.7", 0))
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        for args in (["scan", "203.0.113.7", "-p", str(port)],
                     ["scan", "203.0.113.0/24", "-p", str(port), "--allow-public"]):
            out = run_gatescan(*args)
            assert out.returncode == 2, out.stdout + out.stderr
            assert "203.0.113." in out.stderr
        with pytest.raises(socket.timeout):
            server.accept()  # a connect, even one closed at once, would wait in the accept queue
        # listed explicitly with --allow-public, the address is scanned
        out = run_gatescan("scan", "203.0.113.7", "-p", str(port), "--allow-public", "--no-identify",
                           "--json", "-", "--quiet")
        assert out.returncode == 0, out.stderr
        assert [(s["host"], s["port"]) for s in json.loads(out.stdout)["services"]] == [("203.0.113.7", port)]
    finally:
        server.close()
        # the namespace is shared with the rest of the run: local mode would count the alias as
        # one of this host's own addresses
        subprocess.run(["ip", "addr", "del", "203.0.113.7/32", "dev", "lo"], capture_output=True)


def test_refused_scan_sends_nothing():
    """A scope error (one bad token among good ones) exits before any probe: our listener sees no connect."""
    with tcp_listeners([("127.0.0.1", 0)]) as bound:
        host, port = bound[0]
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.5)
        out = run_gatescan("scan", "127.0.0.1", "bogus..token", "-p", str(server.getsockname()[1]))
        try:
            conn, _ = server.accept()
            conn.close()
            connected = True
        except socket.timeout:
            connected = False
        server.close()
    assert out.returncode == 2
    assert "bogus..token" in out.stderr
    assert not connected


@requires_netns
def test_ctrl_c_writes_partial_report_and_exits_3(tmp_path, validate_report):
    out_json = tmp_path / "partial.json"
    jsonl = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [gatescan_exe(), "scan", "127.0.0.0/12", "-p", "1-4", "--rate", "2000", "--no-identify",
         "--json", str(out_json), "--jsonl", str(jsonl), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if jsonl.exists() and '"progress"' in jsonl.read_text():
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    doc = validate_report(json.loads(out_json.read_text()))
    assert doc["complete"] is False
    assert 0 < doc["stats"]["probes_done"] < doc["stats"]["probes_total"]
    assert "Traceback" not in err


@requires_netns
def test_no_arguments_sweeps_every_port_of_loopback_and_named_targets_keep_the_agent_ports():
    """`gatescan scan` alone finds what listens anywhere on 127.0.0.1 and ::1 (agents on random
    ports); a target given keeps the `agents` port set."""
    from gatescan.scope.ports import named_port_sets

    agents = set(named_port_sets()["agents"])
    with tcp_listeners([("127.0.0.1", 0), ("::1", 0), ("127.0.0.1", 0)]) as bound:
        random_ports = [(h, p) for h, p in bound if p not in agents]
        assert random_ports, "the kernel gave only agent ports"
        out = run_gatescan("scan", "--no-identify", "--json", "-", "--quiet")
        named = run_gatescan("scan", "127.0.0.1", "--no-identify", "--json", "-", "--quiet")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["scope"]["targets"] == ["127.0.0.1", "::1"]
    assert doc["scope"]["ports"] == "1-65535" and doc["stats"]["probes_total"] == 2 * 65535
    assert set(random_ports) <= {(s["host"], s["port"]) for s in doc["services"]}
    assert named.returncode == 0, named.stderr
    doc = json.loads(named.stdout)
    assert doc["scope"]["ports"] == "agents" and doc["stats"]["probes_total"] == len(agents)
    assert not {(s["host"], s["port"]) for s in doc["services"]} & set(random_ports)


@requires_netns
def test_unresolvable_name_is_an_error_entry_and_the_scan_goes_on(validate_report):
    # Inside the namespace no resolver is reachable, so the name fails at once.
    with tcp_listeners([("127.0.0.1", 0)]) as bound:
        port = bound[0][1]
        out = run_gatescan("scan", "no-such-host.invalid", "127.0.0.1", "-p", str(port), "--no-identify",
                           "--json", "-", "--quiet")
    assert out.returncode == 0, out.stderr
    doc = validate_report(json.loads(out.stdout))
    assert [(s["host"], s["port"]) for s in doc["services"]] == [("127.0.0.1", port)]
    assert any("no-such-host.invalid" in (e["where"] + e["message"]) for e in doc["errors"])
    assert doc["complete"] is True


@requires_netns
def test_an_unreachable_ipv6_address_is_named_unambiguously_in_errors(validate_report):
    # No route to fd00::/8 in the namespace: the connect fails with ENETUNREACH at once.
    # Every connect unreachable: nothing was scanned, exit 3 (tests/cli/test_nothing_scanned.py).
    out = run_gatescan("scan", "fd00::", "-p", "8888", "--json", "-", "--quiet")
    assert out.returncode == 3, out.stderr
    doc = validate_report(json.loads(out.stdout))
    assert [e["where"] for e in doc["errors"]] == ["scan", "[fd00::]:8888"]


@requires_netns
def test_lab_up_with_an_unwritable_manifest_is_a_usage_error():
    out = run_gatescan("lab", "up", "--only", "ollama", "--base", "127.0.50.0",
                       "--manifest", "/nonexistent/dir/lab.json", timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "/nonexistent/dir" in out.stderr


def test_error_messages_print_paths_with_markup_characters_verbatim(tmp_path):
    """A path like `[/]x.yaml` is text, not Rich markup: no crash, the name is shown as it is."""
    weird = tmp_path / "[" / "red]" / "[bold]base.yaml"  # the path reads ".../[/red]/[bold]base.yaml"
    weird.parent.mkdir(parents=True)
    weird.write_text("suppressions: [\n")
    out = run_gatescan("scan", "127.0.0.1", "-p", "1", "--baseline", str(weird))
    assert out.returncode == 2
    assert "[bold]base.yaml" in out.stderr and "Traceback" not in out.stderr
