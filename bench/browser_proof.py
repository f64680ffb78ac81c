"""What --browser-proof adds to a scan: three lab twins (ollama-vulnerable, OpenClaw 2026.2.24 and
Clawdbot 2026.1.24: five provable findings) scanned without and with the proof, in turns.

Run inside a private network namespace (Chromium phones home at start):

    unshare -rn sh -c 'ip link set lo up && PYTHONPATH=src python bench/browser_proof.py'

Prints each scan's seconds and each proof's own `seconds` (a browser's start included in the
proof that started it). Quote the ratio and the per-finding figure, not a single run.
"""

from __future__ import annotations

import asyncio
import importlib
import time

from gatescan import app as api
from gatescan._paths import import_lab

TWINS = (("ollama", "ollama-vulnerable"), ("openclaw", "openclaw-gateway-2026.2.24"),
         ("openclaw", "openclaw-gateway-clawdbot-2026.1.24"))


def _twin(module: str, key: str):
    return next(s for s in importlib.import_module(f"gatescan.lab.{module}").SERVICES if s.key == key)


async def main(rounds: int = 2) -> None:
    import_lab()
    handles = [await _twin(m, k).start("127.0.0.1", 0) for m, k in TWINS]
    ports = ",".join(str(h.port) for h in handles)
    try:
        for _ in range(rounds):
            for proof in (False, True):
                began = time.monotonic()
                report = await api.scan_async(api.ScanRequest(targets=("127.0.0.1",), ports=ports, browser_proof=proof))
                proofs = [f.evidence.browser["seconds"] for f in report.findings if f.evidence.browser]
                print(f"browser_proof={proof}: scan {time.monotonic() - began:.2f} s, {len(report.findings)} findings, "
                      f"{len(proofs)} proofs" + (f" ({', '.join(f'{s:.2f}' for s in proofs)} s)" if proofs else ""))
    finally:
        for handle in handles:
            await handle.close()


if __name__ == "__main__":
    asyncio.run(main())
