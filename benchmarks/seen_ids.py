"""SeenIds (chargeback.seen_ids): speed and memory.

    .venv/bin/python benchmarks/seen_ids.py [--sizes 10000,100000,1000000] [--repeats 3]

For each size, distinct ids "CB-000000123" in order and in a shuffled order: CPU time (time.process_time)
per add, the best of --repeats, less the same loop calling a function that does nothing. Then, each in a
fresh child process: the RSS growth (VmRSS, after construction; ru_maxrss keeps the imports' higher peak) and the bytes an id
(tracemalloc, after construction) at each size, and the fixed memory the constructor allocates.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambda_functions"))

from chargeback.seen_ids import SeenIds  # noqa: E402

CHILD = """
import json, sys, tracemalloc
from chargeback.seen_ids import SeenIds
count = int(sys.argv[1])
def rss():  # the current RSS in KiB: ru_maxrss keeps the higher peak of the imports
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1])
ids = [f"CB-{i:09d}" for i in range(count)]
rss0 = rss()
seen = SeenIds()
rss1 = rss()
for value in ids:
    seen.add(value)
rss2 = rss()
del seen
tracemalloc.start()
seen = SeenIds()
fixed = tracemalloc.get_traced_memory()[0]
for value in ids:
    seen.add(value)
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({"fixed": fixed, "per_id": (current - fixed) / count, "peak_per_id": (peak - fixed) / count,
                  "rss_fixed_kib": rss1 - rss0, "rss_growth_kib": rss2 - rss1}))
"""


def nothing(value: str) -> bool:
    return True


def cpu_us_per_add(make: Callable[[], Callable[[str], bool]], ids: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        add = make()
        started = time.process_time()
        for value in ids:
            add(value)
        best = min(best, time.process_time() - started)
    return best * 1e6 / len(ids)


def memory(count: int) -> dict[str, float]:
    env_path = str(ROOT / "lambda_functions")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(count)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("ids        order    us/add")
    for count in (int(size) for size in args.sizes.split(",")):
        in_order = [f"CB-{i:09d}" for i in range(count)]
        shuffled = in_order[:]
        random.Random(count).shuffle(shuffled)
        for order, ids in (("in order", in_order), ("random", shuffled)):
            base = cpu_us_per_add(lambda: nothing, ids, args.repeats)
            cost = cpu_us_per_add(lambda: SeenIds().add, ids, args.repeats) - base
            print(f"{count:<10} {order:8} {cost:6.2f}")
    print()
    print("ids        fixed MiB  bytes/id  peak bytes/id  RSS fixed MiB  RSS growth MiB")
    for count in (int(size) for size in args.sizes.split(",")):
        m = memory(count)
        print(
            f"{count:<10} {m['fixed'] / 2**20:10.2f} {m['per_id']:9.2f} {m['peak_per_id']:14.2f}"
            f" {m['rss_fixed_kib'] / 1024:14.2f} {m['rss_growth_kib'] / 1024:15.2f}"
        )


if __name__ == "__main__":
    main()
