"""Checklist: Discovery."""

from __future__ import annotations

from scim2_models import Context, ResourceType, Schema, ServiceProviderConfig

from tests.support.emulator import Aws

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_service_provider_config(aws: Aws) -> None:
    """[DOC] patch true; bulk, sort, etag, changePassword false; filter true with maxResults
    50; authenticationSchemes oauthbearertoken."""
    response = aws.http.get("/ServiceProviderConfig")
    spc = ServiceProviderConfig.model_validate(
        response.json(), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
    )
    assert spc.patch
    assert spc.bulk
    assert spc.sort
    assert spc.etag
    assert spc.change_password
    assert spc.filter
    assert spc.authentication_schemes
    assert spc.patch.supported is True
    assert (spc.bulk.supported, spc.sort.supported, spc.etag.supported) == (False, False, False)
    assert spc.change_password.supported is False
    assert (spc.filter.supported, spc.filter.max_results) == (True, 50)
    assert [s.type for s in spc.authentication_schemes] == ["oauthbearertoken"]
    assert spc.authentication_schemes[0].primary is True


def test_resource_types(aws: Aws) -> None:
    """[DOC] GET /ResourceTypes returns User (enterprise extension required) and Group."""
    body = aws.http.get("/ResourceTypes").json()
    types = [ResourceType.model_validate(r, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
             for r in body["Resources"]]  # fmt: skip
    assert body["totalResults"] == 2
    user, group = types
    assert (user.id, user.endpoint, user.schema_) == ("User", "/Users", USER_URN)
    assert user.schema_extensions is not None
    assert [(e.schema_, e.required) for e in user.schema_extensions] == [(ENTERPRISE_URN, True)]
    assert (group.id, group.endpoint) == ("Group", "/Groups")


def test_user_schema_declares_username(aws: Aws) -> None:
    """[DOC] GET /Schemas/<core User> returns userName {required, caseExact false, server}."""
    response = aws.http.get(f"/Schemas/{USER_URN}")
    schema = Schema.model_validate(response.json(), scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    user_name = next(a for a in schema.attributes or [] if a.name == "userName")
    assert user_name.required is not None
    assert user_name.case_exact is not None
    assert (user_name.required.value, user_name.case_exact.value) == (True, False)
    assert user_name.uniqueness is not None
    assert user_name.uniqueness.value == "server"
    assert aws.http.get("/Schemas/urn:nope").status_code == 404
    assert aws.http.get("/Schemas").json()["totalResults"] == 3
