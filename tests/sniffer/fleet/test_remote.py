"""fsspec inputs: ``file://``, ``memory://`` and S3 (a local S3-compatible server started here) read
like local folders, and a remote capture is read as a stream, not fetched whole."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import pytest
from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from tests.sniffer.fleet.data import CUT_OFF, a_second_later, real_copies, recorded_earlier, simulated
from v2gsniff.sniffer.capture.remote import BLOCK, base_name, is_url, open_any
from v2gsniff.sniffer.commands.report import report
from v2gsniff.sniffer.report import analyse_file
from v2gsniff.sniffer.report.collect import collect, sized_captures
from v2gsniff.sniffer.setup import AnalysisSetup
from v2gsniff.sniffer.simulate import simulate, write_pcapng


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A folder of real and simulated captures and its ``--jobs 1`` JSON report."""
    folder = tmp_path_factory.mktemp("remote")
    real_copies(folder / "real")
    simulated(folder / "sim", 4)
    res = CliRunner().invoke(report, [str(folder), "--format", "json"])
    assert res.exit_code == CUT_OFF, res.output  # one real capture is cut off mid-record
    return folder, res.stdout


def _report(*args: str, status: int = CUT_OFF) -> str:
    res = CliRunner().invoke(report, [*args, "--format", "json"])
    assert res.exit_code == status, res.output
    return res.stdout


def test_urls_are_told_from_paths() -> None:
    assert is_url("s3://bucket/prefix/") and is_url("file:///tmp/x.pcap") and is_url("memory://a/b")
    assert not is_url("/tmp/x.pcap") and not is_url("C://x") and not is_url("captures/din_dc.pcapng")
    assert base_name("s3://bucket/a/b.dump") == "b.dump" and base_name("/tmp/c.pcap") == "c.pcap"


def test_file_url_gives_the_local_report(local: tuple[Path, str]) -> None:
    folder, expected = local
    assert _report(folder.as_uri()) == expected
    assert _report(f"{folder.as_uri()}/", "--jobs", "2") == expected


def test_memory_url_gives_the_local_report(local: tuple[Path, str]) -> None:
    folder, expected = local
    fs = fsspec.filesystem("memory")
    for path in folder.rglob("*"):
        if path.is_file():
            fs.pipe_file(f"/fleet/{path.relative_to(folder).as_posix()}", path.read_bytes())
    try:
        assert _report("memory://fleet/") == expected
        # One object named explicitly, like one local file.
        one = next(p for p in folder.rglob("sim-0000.pcapng"))
        assert _report("memory://fleet/sim/sim-0000.pcapng", status=0) == _report(str(one), status=0)
    finally:
        fs.rm("/fleet", recursive=True)


def test_a_missing_url_is_a_problem_not_a_crash() -> None:
    one = Path(__file__).resolve().parents[3] / "captures" / "din_dc.pcapng"
    res = CliRunner().invoke(report, ["memory://nothing-here/", str(one), "--format", "json"])
    assert res.exit_code == 3, res.output  # as for a missing local path: the report of the rest is written
    assert "memory://nothing-here/" in res.stderr
    assert [c["capture"] for c in json.loads(res.stdout)["captures"]] == ["din_dc.pcapng"]


def test_a_remote_capture_streams(tmp_path: Path) -> None:
    """A capture several read buffers long: its first frames arrive after one block, not the file."""
    need_shared()
    data = (REAL / "everest-logfiles__Fiat_Scudo_2024-02-20T09-29-24.291Z-1_din_spec.dump").read_bytes()
    big = data + data[24:] * 7  # classic pcap: one file header, the records eight times
    fs = fsspec.filesystem("memory")
    fs.pipe_file("/stream/big.dump", big)
    try:
        with open_any("memory://stream/big.dump") as reader:
            items = iter(reader)
            frames = [next(items) for _ in range(10)]
            assert [f.index for f in frames] == list(range(1, 11))
            assert reader.bytes_read <= 2 * BLOCK < len(big) / 3
            assert 10 + sum(1 for _ in items) == 8 * 9752
            assert reader.bytes_read == len(big)
    finally:
        fs.rm("/stream", recursive=True)


def test_url_listings_give_sizes_and_the_biggest_go_first(tmp_path: Path) -> None:
    folder = tmp_path / "caps"
    folder.mkdir()
    for name, loops in (("a", 2), ("b", 32), ("c", 1), ("d", 16), ("e", 4), ("f", 8)):
        write_pcapng(simulate("din-dc", seed=7, loops=loops), folder / f"{name}.pcapng")
    sizes = {f.as_uri(): f.stat().st_size for f in folder.iterdir()}
    assert len(set(sizes.values())) == 6
    found, problems = sized_captures([folder.as_uri()])
    assert not problems and dict(found) == sizes
    log = tmp_path / "started"
    results = collect([url for url, _ in found], jobs=2, work=LogStart(str(log)), sizes=[n for _, n in found])
    started = log.read_text().split()
    biggest = sorted(sizes, key=lambda u: -sizes[u])
    # Two workers take the first two at once (either may log first), then the rest in turn.
    assert set(started[:2]) == set(biggest[:2]) and biggest[-1] in started[-2:]
    assert [r.path for r in results] == [url for url, _ in found], "results in the list's order"


@dataclass(frozen=True)
class LogStart:
    """``analyse_file`` that first notes which capture it starts (picklable, for worker processes)."""

    log: str

    def __call__(self, location: str | Path, label: str | None, name: str | None, pnc: AnalysisSetup | None) -> Any:
        with open(self.log, "a") as fh:
            fh.write(f"{location}\n")
        return analyse_file(location, label, name, pnc)


@pytest.mark.parametrize("scheme", ["file", "memory"])
def test_a_warm_cache_over_urls_reads_no_capture_and_a_rewritten_one_alone(scheme: str, tmp_path: Path) -> None:
    folder = tmp_path / "caps"
    files = simulated(folder, 5)
    recorded_earlier(files)
    fs = fsspec.filesystem("memory")
    if scheme == "memory":
        for f in files:
            fs.pipe_file(f"/warm/{f.name}", f.read_bytes())
    url = folder.as_uri() if scheme == "file" else "memory://warm/"
    cache = ["--cache", str(tmp_path / "cache")]
    try:
        res = CliRunner().invoke(report, [url, "--format", "json", *cache])
        assert "(5 decoded, 0 from cache), 0 failed, 0 read up to an error, 5 hashed" in res.stderr
        warm = CliRunner().invoke(report, [url, "--format", "json", *cache])
        assert "(0 decoded, 5 from cache), 0 failed, 0 read up to an error, 0 hashed" in warm.stderr
        assert warm.stdout == res.stdout
        changed = a_second_later(files[2].read_bytes())
        if scheme == "memory":
            fs.pipe_file(f"/warm/{files[2].name}", changed)
        else:
            files[2].write_bytes(changed)
            recorded_earlier([files[2]], 60)
        again = CliRunner().invoke(report, [url, "--format", "json", *cache])
        assert "(1 decoded, 4 from cache), 0 failed, 0 read up to an error, 1 hashed" in again.stderr
        assert again.stdout == CliRunner().invoke(report, [url, "--format", "json"]).stdout != res.stdout
    finally:
        if scheme == "memory":
            fs.rm("/warm", recursive=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's standalone S3 server on 127.0.0.1 (skips when it cannot start)."""
    pytest.importorskip("s3fs", reason="s3fs is in the test extra")
    port = _free_port()
    code = f"from moto.server import main; main(['-H', '127.0.0.1', '-p', '{port}'])"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if proc.poll() is not None:
                pytest.skip(f"the S3 test server did not start: {proc.stderr.read().decode()[-300:]}")  # type: ignore[union-attr]
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("the S3 test server did not answer within 20 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_s3_prefix_gives_the_local_report_and_keeps_a_cache_there(
        s3: str, local: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import s3fs

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": s3, "key": "testing", "secret": "testing"})
    folder, expected = local
    fs = s3fs.S3FileSystem(endpoint_url=s3, key="testing", secret="testing", skip_instance_cache=True)
    fs.mkdir("fleet")
    for path in folder.rglob("*"):
        if path.is_file():
            fs.pipe_file(f"fleet/captures/{path.relative_to(folder).as_posix()}", path.read_bytes())
    s3fs.S3FileSystem.clear_instance_cache()
    assert _report("s3://fleet/captures/") == expected
    assert _report("s3://fleet/captures/", "--jobs", "2") == expected
    n = len(list(folder.rglob("*.*")))
    listed, _ = sized_captures(["s3://fleet/captures/"])
    assert sorted(size for _, size in listed) == sorted(p.stat().st_size for p in folder.rglob("*.*"))

    def run() -> str:
        res = CliRunner().invoke(report, ["s3://fleet/captures/", "--format", "json", "--cache", "s3://fleet/cache"])
        assert res.exit_code == CUT_OFF and res.stdout == expected
        return res.stderr

    assert f"({n} decoded, 0 from cache), 0 failed, 1 read up to an error, {n} hashed" in run()
    assert f"{n} captures read (0 decoded, {n} from cache), 0 failed, 1 read up to an error, 0 hashed" in run()
    assert len(fs.find("fleet/cache/index")) == n and len(fs.find("fleet/cache")) == 2 * n
    # A new object of the same size under the same name has a new ETag: that capture alone is read again.
    sim = "fleet/captures/sim/sim-0001.pcapng"
    fs.pipe_file(sim, a_second_later(fs.cat_file(sim)))
    res = CliRunner().invoke(report, ["s3://fleet/captures/", "--format", "json", "--cache", "s3://fleet/cache"])
    assert f"(1 decoded, {n - 1} from cache), 0 failed, 1 read up to an error, 1 hashed" in res.stderr
    assert res.stdout == _report("s3://fleet/captures/") != expected
