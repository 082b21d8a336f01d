"""``python -m tests.fuzz [--cases N] [--door NAME ...] [--seed S] [--jobs J]``.

Runs every door (or the named ones) for ``--cases`` cases each, doors in parallel over
``--jobs`` processes, and prints per door the cases, the answers seen with their counts,
and the failures (with the first few inputs). Exits 1 when any door failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from ._doors import DOORS, run_named
from ._engine import Report


def _print(report: Report) -> None:
    answers = ", ".join(f"{answer} x{n}" for answer, n in sorted(report.answers.items()))
    print(f"{report.door}: {report.cases} cases in {report.seconds:.1f} s")  # noqa: T201
    print(f"  answers: {answers}")  # noqa: T201
    print(f"  failures: {report.failed}")  # noqa: T201
    for kind, count in report.kinds.most_common():
        print(f"  - x{count} {kind}")  # noqa: T201
        if kind in report.examples:
            print(f"    e.g. {report.examples[kind][:1500]}")  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000, help="cases per door")
    parser.add_argument("--door", action="append", choices=sorted(DOORS), help="repeatable")
    parser.add_argument("--seed", type=int, default=0, help="base seed (runs are repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="doors run at once")
    args = parser.parse_args(argv)
    names = args.door or list(DOORS)
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        futures = [pool.submit(run_named, name, args.cases, args.seed) for name in names]
        reports = []
        for future in as_completed(futures):  # each door as soon as it is done
            reports.append(future.result())
            _print(reports[-1])
            sys.stdout.flush()
    failed = sum(report.failed for report in reports)
    print(  # noqa: T201
        f"{len(reports)} doors, {sum(r.cases for r in reports)} cases, "
        f"failures: {failed}, wall time {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
