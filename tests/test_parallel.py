"""Claims in worker processes and on a Dask cluster give the records of a serial run, lose nothing when a worker
dies, resume, and stop cleanly on an interrupt.

Records are compared as the claim files on disk, without wall_time and versions (the only fields that may differ:
every claim seeds its own generators from the context).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import types

import pytest
from test_cli import assert_one_line_error, run

from ipverify.verify import executors, runner

CLAIMS = ["GD-1/symbolic", "GD-4/step-too-large", "GF-2/symbolic"]  # two SymPy checks and one training claim
UNSTABLE = ("wall_time", "versions")


def records(out) -> dict:
    """The claim files under OUT, by name, without the fields that depend on when and where a claim ran."""
    found = {}
    for path in sorted((out / "claims").glob("*.json")):
        data = json.loads(path.read_text())
        found[path.name] = {k: v for k, v in data.items() if k not in UNSTABLE}
    return found


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    runner.run_claims("quick", CLAIMS, "cpu", out, seed=5, jobs=1)
    found = records(out)
    assert len(found) == len(CLAIMS) and all(r["verdict"] in ("holds", "reacted") for r in found.values())
    return found


def spy_executor(monkeypatch) -> list:
    """The executors the runner makes, in order."""
    made = []
    real = runner._executor

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(runner, "_executor", spy)
    return made


def test_two_worker_processes_give_the_serial_records(tmp_path, serial, monkeypatch):
    made = spy_executor(monkeypatch)
    results = runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, jobs=2)
    assert isinstance(made[0], executors.ProcessExecutor) and made[0].capacity == 2
    assert records(tmp_path) == serial
    assert [r.claim for r in results] == [c.id for c in runner.select(CLAIMS)]
    order = [c["claim"] for c in json.loads((tmp_path / "report.json").read_text())["claims"]]
    assert order == [c.id for c in runner.select(CLAIMS)], "the report is not in catalogue order"


def test_a_run_of_sympy_checks_only_starts_no_pool(tmp_path, monkeypatch):
    made = spy_executor(monkeypatch)
    runner.run_claims("quick", ["GD-1/symbolic", "GF-2/symbolic"], "cpu", tmp_path, seed=5, jobs=2)
    assert isinstance(made[0], executors.SerialExecutor)


def _kill_when_busy(stop: threading.Event, killed: list, busy) -> threading.Thread:
    """A thread that kills one worker (SIGKILL) as soon as `busy()` says a claim is in flight."""
    def watch():
        while not stop.is_set():
            pid = busy()
            if pid:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_killed_pool_worker_loses_nothing(tmp_path, serial, monkeypatch):
    made, killed, stop = spy_executor(monkeypatch), [], threading.Event()

    def busy():
        pool = made[0]._pool if made else None
        processes = list((pool._processes or {}).values()) if pool is not None else []
        return processes[0].pid if processes and pool._pending_work_items else None

    thread = _kill_when_busy(stop, killed, busy)
    try:
        runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, jobs=2)
    finally:
        stop.set()
        thread.join()
    assert killed, "no worker was killed while claims were in flight"
    assert records(tmp_path) == serial


def test_an_interrupt_stops_the_workers_and_writes_the_partial_report(tmp_path, monkeypatch):
    made = spy_executor(monkeypatch)

    def interrupt(k, total, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, jobs=2, progress=interrupt)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and len(report["claims"]) == 1
    pool = made[0]._pool
    assert pool._shutdown_thread and all(not p.is_alive() for p in (pool._processes or {}).values())


def test_resume_with_workers_reruns_only_what_is_missing(tmp_path, serial):
    runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, jobs=2)
    (tmp_path / "claims" / "GD-4__step-too-large.json").write_text('{"claim": "GD-4/step')  # truncated by a kill
    (tmp_path / "claims" / "GF-2__symbolic.json").unlink()
    said = []
    again = runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, jobs=2, resume=True, say=said.append)
    assert {r.claim for r in again if r.details.get("resumed")} == {"GD-1/symbolic"}
    assert any("running GD-4/step-too-large again" in s for s in said)
    assert records(tmp_path) == serial


# ---------------------------------------------------------------------------------------------- dask

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


def test_dask_gives_the_serial_records_and_a_killed_worker_loses_nothing(tmp_path, serial, cluster):
    killed, stop = [], threading.Event()
    with distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)  # worker address -> pid

        def busy():
            processing = client.processing()
            return next((pids[w] for w, tasks in processing.items() if tasks and w in pids), None)

        thread = _kill_when_busy(stop, killed, busy)
        try:
            runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, scheduler=cluster.scheduler_address)
        finally:
            stop.set()
            thread.join()
    assert killed, "no worker was killed while claims were in flight"
    assert records(tmp_path) == serial
    (tmp_path / "claims" / "GD-1__symbolic.json").unlink()
    again = runner.run_claims("quick", CLAIMS, "cpu", tmp_path, seed=5, scheduler=cluster.scheduler_address,
                              resume=True)
    assert sorted(r.claim for r in again if not r.details.get("resumed")) == ["GD-1/symbolic"]
    assert records(tmp_path) == serial


def test_without_dask_the_dask_options_are_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import raises ImportError
    ran = []
    fake_runner = types.SimpleNamespace(run_claims=lambda **kw: ran.append(kw))
    monkeypatch.setitem(sys.modules, "ipverify.verify.runner", fake_runner)
    for option in (["--executor", "dask"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        code, out, err = run(["verify", "--only", CLAIMS[0], "--device", "cpu", "--out", str(tmp_path), *option])
        assert_one_line_error(code, err)
        assert "ipverify[dask]" in err and out == ""
    assert ran == []
    with pytest.raises(executors.DaskMissing, match="ipverify"):
        executors.make_executor(executor="dask")


def test_bad_jobs_and_scheduler_are_one_line_exit_2(tmp_path):
    for bad in (["--jobs", "0"], ["--jobs", "x"], ["--scheduler", "localhost:8786"], ["--executor", "mpi"]):
        code, _, err = run(["verify", "--device", "cpu", "--out", str(tmp_path / "new"), *bad])
        assert_one_line_error(code, err)
        assert not (tmp_path / "new").exists(), bad
