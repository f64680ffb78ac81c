"""A sweep worker process, started by gatescan.sweep (`python -m gatescan.sweep.worker` works too).
It reads its job (plan, shard, parameters) from stdin, probes its shard and writes events to stdout."""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys

# Messages on stdout, one per line, tab-separated (hosts and numbers never contain tabs):
#   O host port | E host port errno | N text | P done open inflight timed_out retries_waiting window
#   D done open timed_out suppressed
#   F text (the worker failed)
# stdin stays open for the whole run: EOF means the parent closed it or died, and the worker stops.

HEADER = struct.Struct("!I")


def encode_job(job: dict) -> bytes:
    data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("parent closed the job pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def _emit(msg: tuple) -> None:
    line = "\t".join(str(part).replace("\t", " ").replace("\n", " ") for part in msg) + "\n"
    _write_all(line.encode("utf-8", "replace"))


def main() -> int:
    # The parent owns interruption: it terminates us. Ctrl-C must not print tracebacks here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        (size,) = HEADER.unpack(_read_exactly(0, HEADER.size))
        job = pickle.loads(_read_exactly(0, size))
        for entry in reversed(job.get("sys_path", [])):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        from gatescan.sweep.engine import EngineParams, run_engine

        # The outer job is plain data; the plan and its shard are unpickled once sys.path
        # matches the parent's, so plans defined outside the package load too.
        plan, shard = pickle.loads(job["plan_and_shard"])
        params = EngineParams(*job["params"])
        run_engine(plan.iter_pairs(shard), params, _emit, watch_fd=0)
        return 0
    except (BrokenPipeError, EOFError):
        return 0  # the parent went away: nothing to report to
    except Exception as exc:  # reported to the parent, which raises it as a SweepError
        try:
            _emit(("F", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main())
