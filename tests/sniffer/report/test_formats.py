"""Formats people use: Markdown with its plots beside it, HTML that prints every section (checked
in a real headless Chromium), a terminal table."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REAL, need_shared
from tests.sniffer.report.real import GOLDEN_CAPTURES, result_of
from v2gsniff.sniffer.commands.report import report as report_cmd
from v2gsniff.sniffer.report import build, markdown_files, render_html, render_markdown, render_table
from v2gsniff.sniffer.report.markdown import NO_PLOTS, identity_line


def _report():  # type: ignore[no-untyped-def]
    need_shared()
    return build([result_of(n) for n in GOLDEN_CAPTURES])


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "svg")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "svg")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def test_markdown_to_a_directory_writes_every_plot_it_references(tmp_path: Path) -> None:
    report = _report()
    files = markdown_files(report)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    md = files["report.md"]
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert refs and NO_PLOTS not in md
    assert sorted(refs) == sorted(n for n in files if n.endswith(".svg"))
    for ref in refs:
        root = ET.parse(tmp_path / ref).getroot()  # a well-formed SVG file of its own, with its style
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.find("{http://www.w3.org/2000/svg}style") is not None
    assert NO_PLOTS in render_markdown(report), "without files, the report says where the plots are"


def test_markdown_directory_from_the_command_line(tmp_path: Path) -> None:
    need_shared()
    res = CliRunner().invoke(report_cmd, [str(REAL / GOLDEN_CAPTURES[1]), "-o", str(tmp_path / "out") + "/"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "out" / "report.md").read_text()
    assert all((tmp_path / "out" / ref).is_file() for ref in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md))


def test_html_has_no_raw_markdown_and_prints_every_section() -> None:
    page = render_html(_report())
    parser = _Text()
    parser.feed(page)
    text = "".join(parser.text)
    assert "**" not in text and "`" not in text and "<br>" not in text
    assert re.search(r"@media print\{section\.vehicle\{display:block", page)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("headless Chromium is absent (Debian: apt-get install chromium poppler-utils)")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is absent (Debian: apt-get install poppler-utils)")
    return path


def test_html_printed_by_chromium_shows_every_vehicle_section(tmp_path: Path) -> None:
    chromium = _chromium()
    report = _report()
    html = tmp_path / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-extensions", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
           html.as_uri()]
    # Its own process group, so the browser's helper processes end with it whatever happens.
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert pdf.exists(), err.decode(errors="replace")[-2000:]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    flat = " ".join(text.split())
    for v in report.vehicles:
        # The heading, and the identity line only a vehicle's (otherwise hidden) section carries.
        assert " ".join(v.name.split()) in flat, f"section {v.name!r} missing from the printed report"
        assert " ".join(identity_line(v, str, str).split()) in flat, f"section {v.name!r} not printed"
    # The sections' own content is there too, not only the names in the table.
    assert flat.count("SupportedAppProtocol, frame") >= sum(len(s.handshakes) > 0 for s in report.sessions)


def test_terminal_table_lists_every_vehicle_and_colours_only_when_asked() -> None:
    report = _report()
    plain = render_table(report, width=200)
    assert "\x1b[" not in plain
    for v in report.vehicles:
        assert v.name in plain
    assert "\x1b[" in render_table(report, width=200, color=True)
