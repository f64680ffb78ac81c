"""The listener census: every listening TCP socket with its process, container runtimes attributed.

Inside the suite's private namespace only this test's sockets listen, so the census is exact."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from gatescan.local import listeners
from gatescan.local.model import Listener
from tests.listeners import tcp_listener
from tests.netns import requires_netns

pytestmark = requires_netns


def _ours(found):
    return {(l.bind, l.port): l for l in found if l.pid == os.getpid()}


def test_every_family_and_bind_with_its_process():
    socks = [tcp_listener(h) for h in ("127.0.0.1", "::1", "0.0.0.0", "10.99.0.1", "::")]
    try:
        found, errors = listeners.collect()
        ours = _ours(found)
        want = {(h, s.getsockname()[1]) for h, s in zip(("127.0.0.1", "::1", "0.0.0.0", "10.99.0.1", "::"), socks)}
        assert want <= set(ours)
        one = ours[("127.0.0.1", socks[0].getsockname()[1])]
        assert one.exe and os.path.samefile(one.exe, sys.executable) or one.exe == os.path.realpath(sys.executable)
        assert one.cmdline and "pytest" in " ".join(one.cmdline)
        assert one.process()["pid"] == os.getpid()
        assert not any("exited" in e.message for e in errors)
    finally:
        for s in socks:
            s.close()


def test_wide_binds_and_scan_hosts():
    assert listeners.is_wide("0.0.0.0") and listeners.is_wide("::") and listeners.is_wide("10.99.0.1")
    assert not listeners.is_wide("127.0.0.5") and not listeners.is_wide("::1")
    own, _ = listeners.own_addresses()
    assert "10.99.0.1" in own and "127.0.0.1" not in own
    assert listeners.scan_hosts(Listener("0.0.0.0", 80), own) == ["127.0.0.1", *[a for a in own if ":" not in a]]
    assert listeners.scan_hosts(Listener("127.0.0.9", 80), own) == ["127.0.0.9"]


@pytest.mark.parametrize("name,cmdline,parents,runtime,container", [
    ("docker-proxy", ("/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "8080",
                      "-container-ip", "172.17.0.2", "-container-port", "80"), (),
     "docker-proxy", {"ip": "172.17.0.2", "port": 80, "proto": "tcp"}),
    ("rootlessport", ("rootlessport",), [("conmon", ("/usr/bin/conmon", "--api-version", "1", "-c", "abc123",
                                                      "-u", "abc123", "-n", "webui"))],
     "rootlessport", {"id": "abc123", "name": "webui"}),
    ("slirp4netns", ("/usr/bin/slirp4netns", "--disable-host-loopback", "--mtu=65520", "4242", "tap0"), (),
     "slirp4netns", {"pid": 4242}),
    ("node", ("node", "server.js"), (), None, {}),
])
def test_container_runtimes_are_attributed(name, cmdline, parents, runtime, container):
    got = listeners.attribute(Listener("0.0.0.0", 8080, pid=1, name=name, cmdline=cmdline), parents)
    assert got.runtime == runtime and got.container == container


def test_a_real_docker_proxy_process_is_attributed(tmp_path):
    """A process whose name is docker-proxy (a script of that name), listening as the real one does."""
    script = tmp_path / "docker-proxy"
    script.write_text(f"#!{sys.executable}\n"
                      "import socket, sys, time\n"
                      "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                      "s.bind(('0.0.0.0', 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)\n")
    script.chmod(0o755)
    proc = subprocess.Popen([str(script), "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "0",
                             "-container-ip", "172.17.0.9", "-container-port", "11434"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        found, _ = listeners.collect()
        (mine,) = [l for l in found if l.port == port]
        assert mine.pid == proc.pid and mine.runtime == "docker-proxy"
        assert mine.container == {"ip": "172.17.0.9", "port": 11434, "proto": "tcp"}
        assert mine.process()["runtime"] == "docker-proxy"
    finally:
        proc.kill()
        proc.wait()


def test_a_process_that_vanishes_is_an_error_not_a_crash():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    errors: list = []
    got = listeners._owned(Listener("127.0.0.1", 1, pid=proc.pid), errors)
    assert got.pid is None and got.process() is None
    assert errors and "exited while being inspected" in errors[0].message


def test_a_process_this_user_may_not_inspect_keeps_what_is_visible():
    """Pid 1 belongs to the host's user namespace: its exe link is not ours to read."""
    errors: list = []
    got = listeners._owned(Listener("127.0.0.1", 1, pid=1), errors)
    assert got.pid == 1 and got.name  # the name is public
    try:
        os.readlink("/proc/1/exe")
        pytest.skip("this user may read pid 1's exe link")
    except PermissionError:
        assert got.exe is None
