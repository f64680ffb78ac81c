"""Sweep test fixtures: real listeners on loopback addresses and a refused port."""

from __future__ import annotations

import socket

import pytest

from gatescan.model import Endpoint
from tests.listeners import tcp_listener


@pytest.fixture
def listen():
    """listen(host, port=0) -> Endpoint: a real listener (never accepts) closed after the test."""
    socks: list[socket.socket] = []

    def _listen(host: str, port: int = 0) -> Endpoint:
        sock = tcp_listener(host, port)
        socks.append(sock)
        return Endpoint(host, sock.getsockname()[1])

    yield _listen
    for sock in socks:
        sock.close()


@pytest.fixture
def closed_port():
    """closed_port(host) -> a port bound but not listening there: connects are refused."""
    socks: list[socket.socket] = []

    def _closed(host: str = "127.0.0.1") -> int:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((host, 0))
        socks.append(sock)
        return sock.getsockname()[1]

    yield _closed
    for sock in socks:
        sock.close()
