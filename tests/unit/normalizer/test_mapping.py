from __future__ import annotations

import pytest

from services.normalizer import Unmappable
from services.sources.mapping import clean, split_display_name, user_name, user_state


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("Ada <Countess> Lovelace", "Ada Countess Lovelace"), ("  a\tb\n c ", "a b c"),
     ("50% off; now: yes", "50 off now yes"), ("\x00\x07", None), ("", None), (None, None)],
)  # fmt: skip
def test_clean_removes_what_aws_refuses(raw: str | None, cleaned: str | None) -> None:
    assert clean(raw) == cleaned


def test_user_names_lose_whitespace_and_are_capped() -> None:
    assert user_name("jane doe@example.com") == "janedoe@example.com"
    assert len(user_name("x" * 300)) == 128
    with pytest.raises(Unmappable, match="no usable userName"):
        user_name(" <;> ")


def test_names_fall_back_to_the_display_name() -> None:
    assert split_display_name("Ada King Lovelace") == ("Ada", "King Lovelace")
    assert split_display_name("Prince") == ("Prince", "Prince")
    state = user_state(name="ada@example.com", display_name="Ada Lovelace", given_name=None,
                       family_name=None, email_address="not an email")  # fmt: skip
    assert (state.given_name, state.family_name, state.email) == ("Ada", "Lovelace", None)


def test_display_name_falls_back_to_names_then_login() -> None:
    named = user_state(name="a@x.org", display_name=None, given_name="Ada", family_name="L",
                       email_address="a@x.org")  # fmt: skip
    assert named.display_name == "Ada L"
    bare = user_state(name="a@x.org", display_name=None, given_name=None, family_name=None,
                      email_address=None)  # fmt: skip
    assert (bare.display_name, bare.given_name, bare.family_name) == ("a@x.org",) * 3
