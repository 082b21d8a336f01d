"""The one rule every webhook body meets before it is parsed: it is UTF-8 text."""

from __future__ import annotations

from services.sources.okta.webhook import UnreadableBatch


def readable_text(body: bytes) -> None:
    """JSON is UTF-8 (RFC 8259): a body that is not is refused whole, before any parsing.

    msgspec raises ``UnicodeDecodeError``, not its ``DecodeError``, for invalid UTF-8 inside
    a string, and lets it through untouched in the parts it skips or keeps raw; so without
    this check such a body is either a 500 or queued for the normalizer to choke on.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableBatch(
            f"the body is not UTF-8 (byte {error.start} is {body[error.start]:#04x})"
        ) from None
