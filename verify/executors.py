"""Where claims run: in this process, in a pool of local processes, or on a Dask cluster.

Every executor has one interface: `submit(claim, ctx)` returns a `concurrent.futures.Future` of the claim's
record as a strict-JSON dict (`CheckResult.to_dict()`; a worker receives only the claim's id), `capacity` says
how many claims it runs at once, and `close(cancel)` stops it (`cancel=True`: drop what has not finished and stop
the workers now).

The worker side, `run_claim`, looks the claim up by id and runs it as the serial runner does. Every claim seeds its
own generators from the context (base seed + a fixed offset per claim), so where and in which order claims run
changes nothing in their records but the wall time.

A pool worker has one torch thread unless asked for more, ignores Ctrl-C (the main process stops the pool), exits
when the main process is gone (killed), and starts from a fork server that has imported the catalogue once, so a
worker costs a fork, not an import.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path

PRELOAD = ["torch", "ipverify.verify.claims", "ipverify.verify.runner"]
"""What the fork server imports once for all workers."""


class DaskMissing(RuntimeError):
    """The Dask executor was asked for and `dask.distributed` is not installed."""


def run_claim(claim_id: str, ctx, threads: int = 1) -> dict:
    """Run one claim, found by id, on `threads` torch threads; its record as a strict-JSON dict."""
    import torch

    from ipverify.verify import runner
    from ipverify.verify.claims import all_claims

    torch.set_num_threads(threads)
    claim = next(c for c in all_claims() if c.id == claim_id)
    home = runner._hypothesis_home(Path(ctx.out) / ".hypothesis") if ctx.out else contextlib.nullcontext()
    with home:
        return runner._run_one(claim, ctx).to_dict()


class SerialExecutor:
    """Runs each claim in this process when it is submitted, on the threads the caller set."""

    capacity = 1
    name = "serial"

    def submit(self, claim, ctx) -> cf.Future:
        from ipverify.verify import runner  # looked up at call time: the runner's `_run_one` is what runs

        future: cf.Future = cf.Future()
        future.set_result(runner._run_one(claim, ctx).to_dict())  # an interrupt propagates to the caller
        return future

    def close(self, cancel: bool = False) -> None:
        pass


def _worker_start(threads: int, main: int) -> None:
    """Pool worker start: ignore Ctrl-C (it reaches the whole process group, and only the main process acts on it),
    set the torch threads, and exit as soon as the main process `main` is gone: a killed run leaves no worker
    behind holding its terminal or pipes (nothing else would stop it: the fork server lives as long as its
    workers)."""
    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_without, args=(main,), daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process stays a zombie until it is reaped
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _exit_without(main: int) -> None:
    while _alive(main):
        time.sleep(0.2)
    os._exit(1)


def _context():
    """A fork server (Linux) that has imported the catalogue, else spawn: never a fork of a process whose torch
    threads may be running."""
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def start_server() -> None:
    """Start the fork server now, so that its import of the catalogue overlaps the caller's own."""
    if sys.platform.startswith("linux"):
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()


class ProcessExecutor:
    """`jobs` worker processes on this machine, one claim each at a time."""

    name = "process"

    def __init__(self, jobs: int, threads: int = 1):
        self.capacity, self.threads = jobs, threads
        self._pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_worker_start,
                                            initargs=(threads, os.getpid()))

    def submit(self, claim, ctx) -> cf.Future:
        return self._pool.submit(run_claim, claim.id, ctx, self.threads)

    def restart(self) -> None:
        """A fresh pool after a worker died (the old one is broken and refuses work)."""
        self.close(cancel=True)
        self.__init__(self.capacity, self.threads)

    def close(self, cancel: bool = False) -> None:
        processes = list((self._pool._processes or {}).values()) if cancel else []
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        for process in processes:  # claims in flight: stop them now, their records are not kept
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=10)


def _distributed():
    try:
        import distributed
    except ImportError:
        raise DaskMissing("the Dask executor needs dask.distributed: pip install 'ipverify[dask]'") from None
    return distributed


class DaskExecutor:
    """Claims as tasks of a `dask.distributed` cluster: the one at `address` (tcp://HOST:PORT), or an embedded
    `LocalCluster` of `jobs` single-threaded worker processes. A task whose worker dies is run again by the
    scheduler on another worker (its claim is deterministic, so the rerun gives the same record)."""

    name = "dask"
    capacity = 10**9  # every claim is handed to the scheduler at once: it balances them and reruns lost ones

    def __init__(self, address: str | None = None, jobs: int = 1, threads: int = 1, cluster_options=None):
        distributed = _distributed()
        self.threads, self._cluster = threads, None
        if address is None:
            options = dict(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
            import dask

            _context()  # its workers start from the fork server that imported the catalogue
            method = "forkserver" if sys.platform.startswith("linux") else "spawn"
            with dask.config.set({"distributed.worker.multiprocessing-method": method}):
                self._cluster = distributed.LocalCluster(**{**options, **(cluster_options or {})})
            address = self._cluster
        self.client = distributed.Client(address, set_as_default=False)
        self._executor = self.client.get_executor(pure=False)

    def submit(self, claim, ctx) -> cf.Future:
        return self._executor.submit(run_claim, claim.id, ctx, self.threads)

    def close(self, cancel: bool = False) -> None:
        with contextlib.suppress(Exception):
            self._executor.shutdown(wait=not cancel)
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def make_executor(jobs: int = 1, threads: int = 1, executor: str | None = None, scheduler: str | None = None):
    """The executor a run asks for: Dask when `scheduler` is given or `executor == "dask"`, a process pool when
    `jobs > 1`, else serial."""
    if scheduler or executor == "dask":
        return DaskExecutor(scheduler, jobs=jobs, threads=threads)
    if executor not in (None, "process", "serial"):
        raise ValueError(f"unknown executor {executor!r}; allowed: serial, process, dask")
    if jobs > 1 and executor != "serial":
        return ProcessExecutor(jobs, threads)
    return SerialExecutor()
