"""``report --dask``: a real ``distributed.LocalCluster`` (2 worker processes) over real and simulated
captures gives the report ``--jobs 1`` gives, byte for byte, even when a worker dies mid-run."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import distributed
import pytest
from click.testing import CliRunner

from tests.sniffer.fleet.data import CORRUPT, REAL_SAMPLE, corrupt, real_copies, simulated
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.report import CaptureResult, build, find_captures, render_json
from v2gsniff.sniffer.report.collect import capture_names
from v2gsniff.sniffer.report.fleet import MAX_BATCH, Analyse, batches, run_dask


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fleet")
    real_copies(folder / "real")
    simulated(folder / "sim", 12)
    corrupt(folder / "bad")
    return folder


@pytest.fixture(scope="module")
def baseline(inputs: Path) -> str:
    res = CliRunner().invoke(report, [str(inputs), "--format", "json", "--jobs", "1"])
    assert res.exit_code == CORRUPT, res.output
    return res.stdout


@pytest.fixture(scope="module")
def cluster() -> Any:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as c:
        yield c


def test_the_cluster_report_is_the_jobs_1_report(inputs: Path, baseline: str, cluster: Any) -> None:
    res = CliRunner().invoke(report, [str(inputs), "--format", "json", "--dask", cluster.scheduler_address])
    assert res.exit_code == CORRUPT, res.output
    assert res.stdout == baseline
    data = json.loads(baseline)
    assert len(data["captures"]) == len(REAL_SAMPLE) + 12 + 2
    notes = {c["capture"]: c["message"] for c in data["captures"]}
    # Corrupt captures are problem lines of the report, not a failed run.
    assert notes["bad/junk.pcap"].startswith("cannot read:") and "not a pcap or pcapng file" in notes["bad/junk.pcap"]
    assert notes["bad/broken.pcapng"].startswith("cannot read:") and "impossible length" in notes["bad/broken.pcapng"]
    assert sum(len(c["message"] or "") > 0 for c in data["captures"]) >= 4
    assert len(data["sessions"]) > len(REAL_SAMPLE) + 12 - 3
    # The closing summary line counts every capture.
    total = len(data["captures"])
    assert f"{total} captures read ({total} decoded, 0 from cache), 2 failed, 1 read up to an error" in res.stderr


def test_dask_local_starts_its_own_cluster(inputs: Path, baseline: str) -> None:
    res = CliRunner().invoke(report, [str(inputs), "--format", "json", "--dask", "local", "--jobs", "2"])
    assert res.exit_code == CORRUPT, res.output
    assert res.stdout == baseline


def test_without_dask_the_option_says_what_to_install(inputs: Path) -> None:
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from v2gsniff.sniffer.commands.report import report\n"
            f"report.main([{str(inputs / 'sim')!r}, '--dask', 'local'])")
    proc = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2  # a usage error: the option cannot be used
    assert "--dask needs Dask: pip install 'v2gsniff[fleet]'" in proc.stderr


def test_a_worker_killed_mid_run_still_gives_the_whole_report(inputs: Path, baseline: str, cluster: Any) -> None:
    files, _ = find_captures([inputs])
    killed: list[tuple[str, int, tuple[str, ...]]] = []
    with distributed.Client(cluster) as spy:
        pids = spy.run(os.getpid)

        def kill_a_busy_worker(_: CaptureResult) -> None:
            if killed:
                return
            busy = {w: keys for w, keys in spy.processing().items() if keys}
            if busy:
                worker = sorted(busy)[0]
                os.kill(pids[worker], signal.SIGKILL)
                killed.append((worker, pids[worker], tuple(busy[worker])))

        results = run_dask(files, cluster.scheduler_address, None, Analyse(), kill_a_busy_worker,
                           names=capture_names(files, [inputs]))
        spy.wait_for_workers(2, timeout=60)
        alive = set(spy.run(os.getpid).values())
    assert killed, "a worker was busy when the first result came back"
    assert killed[0][1] not in alive, "the killed worker process is gone (its nanny started a new one)"
    assert killed[0][2], "it was killed in the middle of a capture"
    assert render_json(build(results)) == baseline


def test_batches_deal_every_capture_once_biggest_first() -> None:
    order = list(range(1000))
    groups = batches(order, 2)
    assert sorted(i for g in groups for i in g) == order
    assert max(map(len, groups)) <= MAX_BATCH and len(groups) >= 16, "several tasks per worker"
    assert [g[0] for g in groups] == list(range(len(groups))), "each batch starts with one of the biggest"
    assert batches(list(range(23)), 2) == [[i] for i in range(23)], "few captures: one per task"
