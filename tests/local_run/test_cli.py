"""`chargeback run` as a user types it: exit status, the --json summary, --targets, the report."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample_chargeback_data.json"

SERVE_TARGETS = """
import json, sys
from pathlib import Path
from chargeback_cli.local_servers import LocalServers
with LocalServers(Path(sys.argv[1])) as servers:
    Path(sys.argv[2]).write_text(json.dumps(servers.targets()))
    sys.stdin.read()
"""


def _chargeback(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chargeback_cli.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_json_summary_of_the_sample_is_the_only_output_and_exit_is_zero(tmp_path):
    result = _chargeback("run", str(SAMPLE), "--workdir", str(tmp_path / "run"), "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "succeeded"
    assert summary["error"] is None
    assert summary["received"] == summary["valid"] + summary["rejected"]
    assert {file["network"] for file in summary["files"]} == {"visa", "mastercard", "amex", "discover"}
    for file in summary["files"]:
        delivered = tmp_path / "run" / "delivered" / file["network"] / file["name"]
        assert file["delivered"] and delivered.stat().st_size == file["bytes"]
    assert (tmp_path / "run" / summary["rejects_report"]).is_file()
    assert list((tmp_path / "run" / "alerts").glob("*.json"))


def test_a_malformed_input_exits_one_with_the_error_in_the_summary(tmp_path):
    broken = tmp_path / "not_json.json"
    broken.write_text("chargeback_id,network\nCB-1,visa\n")

    result = _chargeback("run", str(broken), "--workdir", str(tmp_path / "run"), "--json")

    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert "not_json.json" in summary["error"]
    assert summary["files"] == []
    assert list((tmp_path / "run" / "s3").rglob("rejected/not_json.json"))


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "does-not-exist.json"],
        ["run", str(SAMPLE), "--reject-policy", "lenient"],
        ["run", str(SAMPLE), "--max-records-per-file", "0"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two(args):
    assert _chargeback(*args).returncode == 2


def test_targets_deliver_to_servers_another_process_started(tmp_path):
    targets_file = tmp_path / "targets.json"
    served = tmp_path / "elsewhere"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_TARGETS, str(served), str(targets_file)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not targets_file.exists() or not targets_file.read_text():
            assert time.monotonic() < deadline, "the server process did not start"
            time.sleep(0.1)

        result = _chargeback(
            "run", str(SAMPLE), "--targets", str(targets_file), "--workdir", str(tmp_path / "run"), "--json"
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for file in summary["files"]:
        assert (served / file["network"] / file["name"]).is_file()
    assert not (tmp_path / "run" / "delivered").exists()


def test_the_readable_report_names_each_file_and_where_it_went(tmp_path):
    result = _chargeback("run", str(SAMPLE), "--workdir", str(tmp_path / "run"))

    assert result.returncode == 0, result.stderr
    assert "SUCCEEDED" in result.stdout
    assert "Deliver File" in result.stdout
    for network in ("visa", "mastercard", "amex", "discover"):
        assert f"delivered to {network}" in result.stdout
    assert "amount [precision]" in result.stdout, "the report says why a record was rejected"
    assert '"level"' not in result.stdout, "handler log lines belong in DIR/logs, not in the report"
