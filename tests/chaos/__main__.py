"""``python -m tests.chaos``: run the chaos experiment from the command line."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from services.shared.rabbit_node import RabbitNodeError, RabbitServerMissing

from . import __doc__ as about
from .faults import parse_kinds
from .runner import ChaosConfig, run_chaos
from .services import ServiceError


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.chaos", description=(about or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--events", type=int, default=1000, help="changes to send (1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of workload and faults (1)")
    parser.add_argument("--faults", default="all",
                        help="all, or a comma list of kill-gateway, kill-normalizer, "
                             "kill-writer, broker-stop, broker-kill, store-cut, aws")  # fmt: skip
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="each fault moment this often (default: one per 1000 events)",
    )
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=600.0,
        help="seconds to wait for convergence after the send (600)",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="where logs and state go (default: a new temporary directory)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory on success")
    args = parser.parse_args(argv)
    # `timeout` and CI stop with SIGTERM: exit through the cleanups, or the private broker
    # and the services would outlive the run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        kinds = parse_kinds(args.faults, args.store)
    except ValueError as error:
        parser.error(str(error))
    config = ChaosConfig(
        events=args.events, seed=args.seed, kinds=kinds, store=args.store, rounds=args.rounds,
        shards=args.shards, settle_timeout=args.settle_timeout, run_dir=args.run_dir,
        keep=args.keep, progress=_say,
    )  # fmt: skip
    try:
        report = run_chaos(config)
    except (RabbitServerMissing, RabbitNodeError, ServiceError) as error:
        _say(f"chaos run could not start its broker or the pipeline: {error}")
        for note in getattr(error, "__notes__", []):
            _say(note)
        return 3
    for line in report.lines():
        _say(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
