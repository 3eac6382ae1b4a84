"""Write a realistic chargeback batch file of N records, as a stream (any size, flat memory).

    python benchmarks/generate_batch.py N OUT [--shape object|array|jsonl] [--reject-rate 0.01] [--seed 1]

All four networks with their aliases, full (Luhn-valid) and masked PANs, USD/EUR/GBP/JPY/BHD amounts given as
strings and as numbers, non-ASCII merchant names, and a share of records that fail validation on purpose.
Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

NETWORKS = {
    "visa": (["visa", "VISA", "Visa Inc"], ["10.4", "13.1", "12.6.1", "13.3", "11.3"], ["4111111111111111", "4012888888881881"]),
    "mastercard": (["mastercard", "MC", "Master Card"], ["4837", "4853", "4808", "4834"], ["5555555555554444", "2223000048400011"]),
    "amex": (["amex", "AMEX", "American Express"], ["F29", "C08", "P08", "C04"], ["378282246310005", "371449635398431"]),
    "discover": (["discover", "DISC", "Discover Card"], ["UA02", "AA", "RG", "UA01"], ["6011111111111117", "6011000990139424"]),
}  # fmt: skip
CURRENCIES = [("USD", 2, 60), ("EUR", 2, 15), ("GBP", 2, 10), ("JPY", 0, 10), ("BHD", 3, 5)]
MERCHANTS = ["Acme Outdoor Supply", "Café Zürich GmbH", "東京ラーメン株式会社", "Northwind Books", "Harbor View Hotel",
             "Prairie Fuel & Go", "Boulangerie Saint-Étienne", "Lakeside Electronics, Inc.", "Sunrise Pharmacy"]  # fmt: skip
STAGES = ["first_chargeback"] * 6 + ["representment", "pre_arbitration", "arbitration"]
BASE_DATE = date(2026, 6, 1)


def make_record(rng: random.Random, index: int, reject_rate: float) -> dict[str, Any]:
    network = rng.choice(list(NETWORKS))
    aliases, codes, pans = NETWORKS[network]
    pan = rng.choice(pans)
    card = pan if rng.random() < 0.3 else pan[:6] + rng.choice("*X") * (len(pan) - 10) + pan[-4:]
    currency, units, _ = rng.choices(CURRENCIES, weights=[c[2] for c in CURRENCIES])[0]
    minor = rng.randint(100, 500_000)
    amount = f"{minor / 10**units:.{units}f}" if units else str(minor)
    transaction = BASE_DATE + timedelta(days=rng.randint(0, 90))
    chargeback = transaction + timedelta(days=rng.randint(1, 60))
    record: dict[str, Any] = {
        "chargeback_id": f"CB-{index:09d}",
        "network": rng.choice(aliases),
        "case_number": f"{network[:2].upper()}-{rng.randint(10**6, 10**7 - 1)}",
        "arn": "".join(rng.choice("0123456789") for _ in range(23)),
        "card_number": card,
        "merchant_id": f"MID-{rng.randint(1000, 999_999)}",
        "merchant_name": rng.choice(MERCHANTS),
        "transaction_id": f"TXN-{rng.randint(10**7, 10**8 - 1)}",
        "transaction_date": transaction.isoformat(),
        "chargeback_date": chargeback.isoformat(),
        "amount": amount if rng.random() < 0.7 else json.loads(amount),
        "currency": currency,
        "reason_code": rng.choice(codes),
        "stage": rng.choice(STAGES),
        "response_due_date": (chargeback + timedelta(days=30)).isoformat(),
    }
    if rng.random() < reject_rate:
        broken = rng.choice(["reason_code", "amount", "chargeback_date", "cvv"])
        record |= {"reason_code": "99.99"} if broken == "reason_code" else {}
        record |= {"amount": "10.123", "currency": "USD"} if broken == "amount" else {}
        record |= {"chargeback_date": "2026-01-01"} if broken == "chargeback_date" else {}
        record |= {"cvv": "123"} if broken == "cvv" else {}
    return record


def write_batch(out: TextIO, count: int, shape: str, reject_rate: float, seed: int) -> None:
    rng = random.Random(seed)
    if shape == "object":
        out.write(f'{{"batch_id": "BENCH-{seed}", "source": "benchmark", "chargebacks": [\n')
    elif shape == "array":
        out.write("[\n")
    for index in range(count):
        line = json.dumps(make_record(rng, index, reject_rate), ensure_ascii=False)
        if shape == "jsonl":
            out.write(line + "\n")
        else:
            out.write(("" if index == 0 else ",\n") + line)
    if shape == "object":
        out.write('\n], "created_at": "2026-11-18T06:00:00Z"}\n')
    elif shape == "array":
        out.write("\n]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=["object", "array", "jsonl"], default="object")
    parser.add_argument("--reject-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8", buffering=1024 * 1024) as out:
        write_batch(out, args.count, args.shape, args.reject_rate, args.seed)
    print(f"{args.out}: {args.count} records, {args.out.stat().st_size} bytes, shape {args.shape}")


if __name__ == "__main__":
    main()
