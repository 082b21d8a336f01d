"""Log lines of the long-running services: JSON, one object per line, each with the trace
and span it belongs to, so a log line leads to its trace and back."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from .telemetry import current_ids

QUIET = ("httpx", "httpcore", "aiormq", "aio_pika", "faststream", "asyncio", "opentelemetry")


class JsonLines(logging.Formatter):
    """``{"time", "level", "logger", "message", "trace_id", "span_id"[, "error"]}``."""

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = current_ids()
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname, "logger": record.name,
            "message": record.getMessage(), "trace_id": trace_id, "span_id": span_id,
        }  # fmt: skip
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """idp-sync's own loggers at ``level``, as JSON lines on stderr; libraries only from
    WARNING (httpx logs every request at INFO, which would drown the outcomes)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
