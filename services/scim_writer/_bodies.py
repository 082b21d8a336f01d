"""Canonical state to the SCIM bodies AWS accepts, built with scim2-models."""

from __future__ import annotations

from typing import Any

from scim2_models import Context, Email, EnterpriseUser, Name, User

from schemas import UserState

AwsUser = User[EnterpriseUser]
"""Built once: scim2-models makes a new pydantic class each time it is subscripted."""


def user_resource(state: UserState, external_id: str) -> dict[str, Any]:
    """The full user for ``POST``/``PUT /Users``: one primary email, the extension only
    when it has data (AWS lists its URN in ``schemas`` only then)."""
    user = AwsUser(
        user_name=state.user_name,
        display_name=state.display_name,
        name=Name(given_name=state.given_name, family_name=state.family_name),
        emails=[Email(value=state.email, primary=True, type="work")] if state.email else None,
        external_id=external_id,
        active=state.active,
        title=state.title,
    )
    if state.department or state.employee_number:
        user[EnterpriseUser] = EnterpriseUser(
            department=state.department, employee_number=state.employee_number
        )
    body: dict[str, Any] = user.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    return body
