"""Where each object lives in the buckets. One place, so handlers, runner and docs agree.

Raw bucket:       incoming/<name>            what users drop
                  archive/<name>             inputs that were processed (moved by data_processor)
                  rejected/<name>            malformed inputs, byte for byte
                  rejected/<name>.error.json their error report
Processed bucket: batches/<batch_id>/manifest.json
                  batches/<batch_id>/rejects.json
                  batches/<batch_id>/rows/part-<NNN>/<network>.csv  the part's CSV rows of one network, no header
                  batches/<batch_id>/csv/<network>_chargebacks_<batch_id>_<NNN>.csv
                  deliveries/<batch_id>/<network>/<name>.json   delivery receipt (the ledger entry)
"""

from __future__ import annotations

INCOMING_PREFIX = "incoming/"
ARCHIVE_PREFIX = "archive/"
REJECTED_PREFIX = "rejected/"


def relative_input_name(key: str) -> str:
    """The part of an input key below `incoming/` (or the whole key for inputs elsewhere)."""
    for prefix in (INCOMING_PREFIX, ARCHIVE_PREFIX, REJECTED_PREFIX):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def archive_key(input_key: str) -> str:
    return ARCHIVE_PREFIX + relative_input_name(input_key)


def rejected_key(input_key: str) -> str:
    return REJECTED_PREFIX + relative_input_name(input_key)


def rejected_report_key(input_key: str) -> str:
    return rejected_key(input_key) + ".error.json"


def batch_prefix(batch_id: str) -> str:
    return f"batches/{batch_id}/"


def manifest_key(batch_id: str) -> str:
    return f"{batch_prefix(batch_id)}manifest.json"


def rejects_report_key(batch_id: str) -> str:
    return f"{batch_prefix(batch_id)}rejects.json"


def rows_key(batch_id: str, part: int, network: str) -> str:
    return f"{batch_prefix(batch_id)}rows/part-{part:03d}/{network}.csv"


def csv_file_name(network: str, batch_id: str, part: int) -> str:
    return f"{network}_chargebacks_{batch_id}_{part:03d}.csv"


def csv_key(batch_id: str, name: str) -> str:
    return f"{batch_prefix(batch_id)}csv/{name}"


def receipt_key(batch_id: str, network: str, name: str) -> str:
    return f"deliveries/{batch_id}/{network}/{name}.json"
