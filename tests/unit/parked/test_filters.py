"""Which parked messages a filter picks, and how times and ages are read."""

from __future__ import annotations

import datetime as dt

import pytest

from services.parked import Filters, ParkedMessage, moment
from services.shared import dead_letters as dl

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def _parked(**headers: object) -> ParkedMessage:
    body = b'{"source": "okta", "user": {"user_name": "jane@acme.com"}}'
    base = {"x-idp-sync-type": "user.upserted", "x-idp-sync-subject": "user:00u1",
            dl.ERROR_CLASS: "AwsRefused", dl.ERROR_DETAIL: "Request is unparsable",
            dl.LAST_FAILED_AT: "2026-11-02T11:00:00+00:00"}  # fmt: skip
    return ParkedMessage("ns.events.shard-0.dlq", "5f0c1d2e-aaaa", {**base, **headers}, body)


@pytest.mark.parametrize(
    ("filters", "picked"),
    [
        (Filters(), True),
        (Filters(ids=("5f0c",)), True),
        (Filters(ids=("6",)), False),
        (Filters(source="okta"), True),
        (Filters(source="generic"), False),
        (Filters(type="user.*"), True),
        (Filters(type="group.*"), False),
        (Filters(error="awsrefused"), True),
        (Filters(error="unparsable"), True),
        (Filters(error="Throttled"), False),
        (Filters(subject="00u1"), True),
        (Filters(subject="user:00u1"), True),
        (Filters(subject="Jane@Acme.com"), True),
        (Filters(subject="00u"), False),
        (Filters(since=NOW - dt.timedelta(hours=2)), True),
        (Filters(since=NOW), False),
        (Filters(until=NOW), True),
        (Filters(until=NOW - dt.timedelta(hours=2)), False),
    ],
)
def test_each_filter(filters: Filters, picked: bool) -> None:
    assert filters.matches(_parked()) is picked


def test_a_message_reads_its_reason_history_and_trace_from_headers() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    history = ["t1 attempt 1 AwsThrottled: slow down"]
    parked = _parked(**{dl.HISTORY: history, dl.ATTEMPTS: 2, "traceparent": traceparent})
    assert (parked.source, parked.type, parked.name) == ("okta", "user.upserted", "jane@acme.com")
    assert parked.attempts == 2
    assert parked.history == ["t1 attempt 1 AwsThrottled: slow down"]
    assert parked.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert parked.summary()["when"] == "2026-11-02T11:00:00+00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", NOW - dt.timedelta(minutes=30)), ("2h", NOW - dt.timedelta(hours=2)),
     ("1d", NOW - dt.timedelta(days=1)), ("2026-11-02T10:00", NOW - dt.timedelta(hours=2)),
     ("2026-11-02T11:00:00+01:00", NOW - dt.timedelta(hours=2))],
)  # fmt: skip
def test_times_and_ages(text: str, expected: dt.datetime) -> None:
    assert moment(text, NOW) == expected


def test_a_bad_time_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match="neither a time"):
        moment("yesterday", NOW)
