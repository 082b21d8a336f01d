from __future__ import annotations

import pytest

from services.aws_scim_emulator._errors import InvalidRequest
from services.aws_scim_emulator._listing import parse_filter


@pytest.mark.parametrize(
    ("text", "parsed"),
    [('userName eq "a@b.c"', {"username": "a@b.c"}),
     ('  externalId EQ "x"  ', {"externalid": "x"}),
     ('id eq "1" and members eq "2"', {"id": "1", "members": "2"}),
     ('member eq "2" AND id eq "1"', {"members": "2", "id": "1"}),
     ('displayName eq "say \\"hi\\""', {"displayname": 'say "hi"'})],
)  # fmt: skip
def test_parses_eq_clauses(text: str, parsed: dict[str, str]) -> None:
    assert parse_filter(text) == parsed


@pytest.mark.parametrize(
    "text",
    ['userName co "a"', "userName pr", 'userName eq ""', "userName eq a",
     'a eq "1" or b eq "2"', 'a eq "1" and a eq "2"', 'a eq "1" and', ""],
)  # fmt: skip
def test_refuses_everything_else(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_filter(text)
