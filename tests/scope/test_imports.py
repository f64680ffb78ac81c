"""nmap -oX and masscan -oJ/-oD imports: what is taken, and errors that name file and line."""

from __future__ import annotations

import pytest

from gatescan.scope import ScopeError, build_plan

NMAP = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<nmaprun scanner="nmap" args="nmap -sT -oX out.xml 10.0.0.0/29" start="1700000000" version="7.93" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="1000" services="1-1000"/>
<host starttime="1700000000" endtime="1700000001"><status state="up" reason="conn-refused" reason_ttl="0"/>
<address addr="10.0.0.1" addrtype="ipv4"/>
<address addr="00:11:22:33:44:55" addrtype="mac" vendor="X"/>
<hostnames><hostname name="gw.lan" type="PTR"/></hostnames>
<ports><extraports state="closed" count="997"><extrareasons reason="conn-refused" count="997"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="8080"><state state="open" reason="syn-ack" reason_ttl="0"/></port>
<port protocol="tcp" portid="9000"><state state="filtered" reason="no-response" reason_ttl="0"/></port>
<port protocol="udp" portid="53"><state state="open" reason="udp-response" reason_ttl="0"/></port>
</ports>
</host>
<host><status state="down" reason="no-response" reason_ttl="0"/>
<address addr="10.0.0.2" addrtype="ipv4"/></host>
<host><status state="up" reason="echo-reply" reason_ttl="0"/>
<address addr="10.0.0.3" addrtype="ipv4"/>
<hostnames/>
</host>
<host><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="fd00::7" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="18789"><state state="open" reason="syn-ack" reason_ttl="0"/></port></ports>
</host>
<runstats><finished time="1700000002" timestr="x" elapsed="2" summary="x" exit="success"/><hosts up="3" down="1" total="4"/></runstats>
</nmaprun>
"""

MASSCAN_OJ = """[
{   "ip": "10.0.0.5",   "timestamp": "1700000000", "ports": [ {"port": 11434, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },
{   "ip": "10.0.0.5",   "timestamp": "1700000000", "ports": [ {"port": 22, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },
{   "ip": "10.0.0.6",   "timestamp": "1700000000", "ports": [ {"port": 53, "proto": "udp", "status": "open", "reason": "x", "ttl": 64} ] },
{   "ip": "10.0.0.5",   "timestamp": "1700000001", "ports": [ {"port": 11434, "proto": "tcp", "service": {"name": "http", "banner": "HTTP/1.0 200 OK ],"} } ] },
]
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nmap_import(tmp_path, resolver):
    f = write(tmp_path, "scan.xml", NMAP)
    plan = build_plan([f"nmap:{f}"], [80, 443], resolver=resolver)
    assert list(plan.iter_pairs()) == [
        # hosts without open ports join the product (the -p ports) ...
        ("10.0.0.3", 80), ("10.0.0.3", 443),
        # ... hosts with open TCP ports contribute exactly those pairs
        ("10.0.0.1", 22), ("10.0.0.1", 8080), ("fd00::7", 18789),
    ]
    assert resolver.calls == []  # hostnames in the file are never looked up
    sniffed = build_plan([f"@{f}"], [80, 443], resolver=resolver)
    assert list(sniffed.iter_pairs()) == list(plan.iter_pairs())


def test_masscan_import_with_trailing_comma(tmp_path, resolver):
    f = write(tmp_path, "scan.json", MASSCAN_OJ)
    plan = build_plan([f"masscan:{f}"], [80], resolver=resolver)
    assert list(plan.iter_pairs()) == [("10.0.0.6", 80), ("10.0.0.5", 22), ("10.0.0.5", 11434)]
    assert list(build_plan([f"@{f}"], [80], resolver=resolver).iter_pairs()) == list(plan.iter_pairs())


@pytest.mark.parametrize("text", [
    MASSCAN_OJ.replace("},\n]", "}\n]"),                      # newer masscan: no trailing comma
    MASSCAN_OJ.rsplit("]", 1)[0],                            # interrupted: no closing bracket
    "\n".join(line.rstrip(",") for line in MASSCAN_OJ.splitlines()[1:-1]),  # -oD ndjson
    MASSCAN_OJ.replace("},\n]", "},\n{finished: 1}\n]"),     # older masscan -oJ: its trailer record
    MASSCAN_OJ.replace("},\n]", "},\n{ finished : 1 }\n]").rsplit("]", 1)[0],
])
def test_masscan_variants(tmp_path, resolver, text):
    f = write(tmp_path, "scan.json", text)
    plan = build_plan([f"masscan:{f}"], [80], resolver=resolver)
    assert plan.total == 3


def test_empty_masscan_file(tmp_path, resolver):
    f = write(tmp_path, "scan.json", "")
    assert build_plan([f"masscan:{f}"], [80], resolver=resolver).total == 0


def test_explicit_pairs_coexist_with_the_product(tmp_path, resolver):
    f = write(tmp_path, "scan.xml", NMAP)
    plan = build_plan([f"nmap:{f}", "10.0.0.0/31"], [22, 80], resolver=resolver)
    pairs = list(plan.iter_pairs())
    assert pairs == [
        ("10.0.0.0", 22), ("10.0.0.0", 80), ("10.0.0.1", 22), ("10.0.0.1", 80),
        ("10.0.0.3", 22), ("10.0.0.3", 80),
        # ("10.0.0.1", 22) is already in the product: listed once
        ("10.0.0.1", 8080), ("fd00::7", 18789),
    ]
    assert plan.total == len(pairs) == len(set(pairs))


def test_excludes_win_over_imports(tmp_path, resolver):
    f = write(tmp_path, "scan.xml", NMAP)
    plan = build_plan([f"nmap:{f}"], [80], excludes=["10.0.0.1", "fd00::/64"], resolver=resolver)
    assert list(plan.iter_pairs()) == [("10.0.0.3", 80)]


def test_imported_public_addresses_follow_the_policy(tmp_path, resolver):
    f = write(tmp_path, "scan.xml", NMAP.replace("10.0.0.3", "203.0.113.9"))
    with pytest.raises(ScopeError, match=rf"203\.0\.113\.9.*{f}:\d+"):
        build_plan([f"nmap:{f}"], [80], resolver=resolver)
    plan = build_plan([f"nmap:{f}"], [80], allow_public=True, resolver=resolver)
    assert ("203.0.113.9", 80) in list(plan.iter_pairs())


BAD_NMAP = [
    ("<nmaprun>\n<host>\n</nmaprun>\n", 3),                       # mismatched tag
    ("<?xml version='1.0'?>\n<report>\n</report>\n", 2),          # not nmap
    ("<nmaprun>\n<host><status state='up'/>\n<address addr='10.0.0.999' addrtype='ipv4'/></host></nmaprun>", 3),
    ("<nmaprun>\n<host><status state='up'/><address addr='10.0.0.1' addrtype='ipv4'/>\n"
     "<ports><port protocol='tcp' portid='http'><state state='open'/></port></ports></host></nmaprun>", 3),
    ("<nmaprun>\n<host><status state='up'/>\n", 3),                # truncated (interrupted nmap)
    ("<", 1),
]


@pytest.mark.parametrize("text,line", BAD_NMAP)
def test_bad_nmap_names_file_and_line(tmp_path, resolver, text, line):
    f = write(tmp_path, "bad.xml", text)
    for token in (f"nmap:{f}", f"@{f}"):
        with pytest.raises(ScopeError) as err:
            build_plan([token], [80], resolver=resolver)
        assert f"{f}:{line}:" in str(err.value)


BAD_MASSCAN = [
    ('[\n{"ip": "10.0.0.1", "ports": []},\n{"ip": "10.0.0.1" "ports": []}\n]', 3),
    ('[\n{"ip": "10.0.0.1"},\n{"ports": []}\n]', 3),
    ('[\n{"ip": "10.0.0.999", "ports": []}\n]', 2),
    ('[\n{"ip": "10.0.0.1", "ports": [{"port": 99999, "proto": "tcp"}]}\n]', 2),
    ('[\n{"ip": "10.0.0.1", "ports": [{"proto": "tcp"}]}\n]', 2),
    ('[\n{"ip": "10.0.0.1", "ports": {}}\n]', 2),
    ('[\n{"ip": "10.0.0.1"}\n]\n[', 4),
    ('[\n\n  17\n]', 3),
    ('[', 1),
    ('hello', 1),
]


@pytest.mark.parametrize("text,line", BAD_MASSCAN)
def test_bad_masscan_names_file_and_line(tmp_path, resolver, text, line):
    f = write(tmp_path, "bad.json", text)
    with pytest.raises(ScopeError) as err:
        build_plan([f"masscan:{f}"], [80], resolver=resolver)
    assert f"{f}:{line}:" in str(err.value)


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_masscan_records_cut_by_the_read_chunk(tmp_path, resolver, monkeypatch, chunk):
    """The file is read a chunk at a time: a record, a trailer or an error cut by a chunk
    boundary reads as it does whole, with the same line numbers."""
    from gatescan.scope import imports

    f = write(tmp_path, "scan.json", "\ufeff" + MASSCAN_OJ.replace("},\n]", "},\n{finished: 1}\n]"))
    whole = list(build_plan([f"masscan:{f}"], [80], resolver=resolver).iter_pairs())
    monkeypatch.setattr(imports._TextStream, "CHUNK", chunk)
    assert list(build_plan([f"masscan:{f}"], [80], resolver=resolver).iter_pairs()) == whole
    for text, line in BAD_MASSCAN:
        bad = write(tmp_path, "bad.json", text)
        with pytest.raises(ScopeError) as err:
            build_plan([f"masscan:{bad}"], [80], resolver=resolver)
        assert f"{bad}:{line}:" in str(err.value)


def test_a_large_masscan_file_is_streamed(tmp_path):
    """Memory does not grow with the file: 16 MB of records for 16 hosts peaks at a few chunks
    (reading it whole held the bytes and the text, 32 MB and more)."""
    import tracemalloc

    from gatescan.scope import imports

    record = '{   "ip": "10.0.0.%d",   "timestamp": "1700000000", "ports": [ {"port": %d, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },\n'
    f = tmp_path / "big.json"
    with f.open("w") as out:
        out.write("[\n")
        size, i = 0, 0
        while size < 16 * 1024 * 1024:
            size += out.write(record % (i % 16, 1000 + i % 51))
            i += 1
        out.write("{finished: 1}\n]\n")
    tracemalloc.start()
    try:
        hosts = imports.load(f, "masscan")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(hosts) == 16 and all(len(h.ports) == 51 for h in hosts)
    assert peak < 8 * 1024 * 1024, peak


def test_masscan_json_errors_read_as_sentences(tmp_path, resolver):
    f = write(tmp_path, "bad.json", '[\n{"ip": "10.0.0.1", "ports": []},\n{"ip": "10.0.0.2, "ports": []}\n]')
    with pytest.raises(ScopeError) as err:
        build_plan([f"masscan:{f}"], [80], resolver=resolver)
    assert str(err.value).endswith(f"{f}:3: not valid masscan JSON: Expecting ',' delimiter")
    f = write(tmp_path, "cut.json", '[\n{"ip": "10.0.0.1", "ports": []},\n{"ip": "10.0.0.2')
    with pytest.raises(ScopeError) as err:
        build_plan([f"masscan:{f}"], [80], resolver=resolver)
    assert f"{f}:3: not valid masscan JSON: Unterminated string" in str(err.value)
    assert "starting at" not in str(err.value)


def test_missing_import_file(tmp_path, resolver):
    with pytest.raises(ScopeError, match="gone.xml"):
        build_plan([f"nmap:{tmp_path}/gone.xml"], [80], resolver=resolver)


def test_deeply_nested_json_is_a_scope_error(tmp_path, resolver):
    f = write(tmp_path, "deep.json", '[\n{"ip": "10.0.0.1", "x": ' + "[" * 50000 + "]" * 50000 + "}]")
    with pytest.raises(ScopeError, match=rf"{f}:2: .*nested too deeply"):
        build_plan([f"masscan:{f}"], [80], resolver=resolver)


def _fifo(tmp_path, data: bytes):
    """A named pipe a thread fills with `data` (what `... | gatescan scan @/dev/stdin` reads)."""
    import os
    import threading

    path = tmp_path / "pipe"
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "wb") as fh:
            fh.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return path


def test_a_piped_target_list_is_read_whole():
    # `... | gatescan scan @/dev/stdin`: sniffing used to eat the head of the pipe, so the
    # list came out empty and nothing was scanned
    import subprocess
    import sys

    code = ("from gatescan.scope import build_plan; "
            "print(sorted(h for h, _ in build_plan(['@/dev/stdin'], [80]).iter_pairs()))")
    out = subprocess.run([sys.executable, "-c", code], input="10.0.0.1 10.0.0.2\n", capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "['10.0.0.1', '10.0.0.2']", out.stderr


def test_a_piped_masscan_import_is_bounded(tmp_path, resolver, monkeypatch):
    from gatescan.scope import imports

    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 100)  # stat says 0 bytes for a pipe
    path = _fifo(tmp_path, b"[" + b'{"ip": "10.0.0.5", "ports": []},' * 20 + b"]")
    with pytest.raises(ScopeError, match="byte limit"):
        build_plan([f"masscan:{path}"], [80], resolver=resolver)


def test_a_piped_nmap_import_is_bounded(tmp_path, resolver, monkeypatch):
    # expat streams the file: for a pipe (stat says 0 bytes) the reads themselves are capped
    from gatescan.scope import imports

    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 100)
    path = _fifo(tmp_path, b"<nmaprun>" + b"<!-- padding -->" * 50 + b"</nmaprun>")
    with pytest.raises(ScopeError, match="more than the 100 byte limit"):
        build_plan([f"nmap:{path}"], [80], resolver=resolver)
