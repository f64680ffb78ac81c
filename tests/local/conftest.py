"""Local-mode fixtures: a fake HOME, and lab twins served from a thread of the test process
(so the listener census attributes them to this very process while app.local runs its own loop)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest


class LabThread:
    """An event loop in a thread serving lab services; `start` returns the bound port."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.handles: list = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def start(self, service, host: str, port: int = 0) -> int:
        handle = asyncio.run_coroutine_threadsafe(service.start(host, port), self.loop).result(10)
        self.handles.append(handle)
        return handle.port

    def close(self) -> None:
        for handle in self.handles:
            asyncio.run_coroutine_threadsafe(handle.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def lab_thread():
    lab = LabThread()
    yield lab
    lab.close()


@pytest.fixture
def home(tmp_path) -> Path:
    """An empty home directory (the test writes what it needs)."""
    h = tmp_path / "home"
    h.mkdir()
    return h


def write(path: Path, content: str | dict, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    path.chmod(mode)
    return path
