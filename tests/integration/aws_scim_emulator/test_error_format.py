"""Checklist: Error format."""

from __future__ import annotations

import re
import uuid

import pydantic
import pytest
from scim2_models import Error

from tests.support.emulator import Aws, user_body

from .scim_parsing import AWS_ONLY_ERROR_KEYS, parse_error

E = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.mark.parametrize("status", [400, 401, 404, 409])
def test_every_error_body_has_the_aws_shape(aws: Aws, status: int) -> None:
    """[OBS] {"schema":[E],"schemas":[E],"detail","status":"<code>","exceptionRequestId",
    "timeStamp":"YYYY-MM-DD HH:MM:SS.mmm"}, no scimType."""
    aws.create_user("taken")
    requests = {
        400: lambda: aws.http.post("/Users", json={"userName": "x"}),
        401: lambda: aws.http.get("/Users", headers={"Authorization": "Bearer no"}),
        404: lambda: aws.http.get("/Users/missing"),
        409: lambda: aws.http.post("/Users", json=user_body("taken")),
    }
    response = requests[status]()
    body = response.json()
    assert response.status_code == status
    assert set(body) == {"schema", "schemas", "detail", "status", "exceptionRequestId", "timeStamp"}
    assert body["schema"] == body["schemas"] == [E]
    assert body["status"] == str(status)
    uuid.UUID(body["exceptionRequestId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", body["timeStamp"])
    assert parse_error(response).status == status


def test_scim2_models_parses_the_standard_part_only(aws: Aws) -> None:
    """AWS adds keys SCIM does not define; a strict SCIM parser refuses exactly those."""
    response = aws.http.get("/Users/missing")
    with pytest.raises(pydantic.ValidationError) as refused:
        Error.model_validate(response.json())
    assert {e["loc"][0] for e in refused.value.errors()} == set(AWS_ONLY_ERROR_KEYS)
    assert parse_error(response).detail == response.json()["detail"]


def test_validation_failures_use_the_generic_detail(aws: Aws) -> None:
    """[OBS] Validation failures use detail "Request is unparsable, ... violates schema."."""
    response = aws.http.post("/Users", json=user_body(displayName=""))
    assert response.status_code == 400
    expected = "Request is unparsable, syntactically incorrect, or violates schema."
    assert response.json()["detail"] == expected


def test_malformed_json_is_400(aws: Aws) -> None:
    response = aws.http.post("/Users", content=b"{not json")
    assert response.status_code == 400
