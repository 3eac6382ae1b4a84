"""Fixtures of the hardening suite, and its figures printed at the end of the session."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chargeback_cli.local_servers import LocalServers
from tests.hardening.hardening_support import TALLY, Captured
from tests.support.leak_scan import TOTALS


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "run"


@pytest.fixture
def servers(run_dir: Path) -> Iterator[LocalServers]:
    """Real servers (visa sftp, mastercard ftps, amex sftp-key, discover ftps) the test builds targets from."""
    with LocalServers(run_dir / "delivered") as running:
        yield running


@pytest.fixture
def captured(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Captured:
    """Everything written to stdout, stderr and the logging system so far, for the leak scan."""
    caplog.set_level(logging.DEBUG, logger="chargeback")
    caplog.set_level(logging.DEBUG, logger="chargeback_cli")

    def read() -> list[tuple[str, str]]:
        out, err = capfd.readouterr()
        return [("stdout", out), ("stderr", err), ("captured logs", caplog.text)]

    return read


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not (TOTALS.bytes_scanned or TALLY.bad_inputs_tried or TALLY.fuzz_examples_run):
        return
    terminalreporter.write_sep("-", "hardening figures")
    terminalreporter.write_line(
        f"faults survived: {TALLY.faults_survived}; bad inputs tried: {TALLY.bad_inputs_tried}; "
        f"fuzz examples run: {TALLY.fuzz_examples_run}; hostile names tried: {TALLY.hostile_names_tried}"
    )
    terminalreporter.write_line(
        f"leak scan: {TOTALS.bytes_scanned} bytes in {TOTALS.files_scanned} files and captured streams; "
        f"leaks found: {TOTALS.leaks}"
    )
