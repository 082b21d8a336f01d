"""ServiceProviderConfig, ResourceTypes and Schemas, as AWS's developer guide shows them."""

from __future__ import annotations

from typing import Any

from ._errors import NotFound
from ._listing import LIST_URN
from ._validation import ENTERPRISE_URN, GROUP_URN, USER_URN

_DOCS = "https://docs.aws.amazon.com/singlesignon/latest/developerguide/what-is-scim.html"

SERVICE_PROVIDER_CONFIG: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "documentationUri": _DOCS,
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "documentationUri": _DOCS,
            "primary": True,
        }
    ],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 1, "maxPayloadSize": 1048576},
    "filter": {"supported": True, "maxResults": 50},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
}

_RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
RESOURCE_TYPES: list[dict[str, Any]] = [
    {
        "schemas": [_RESOURCE_TYPE_URN],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_URN,
        "schemaExtensions": [{"schema": ENTERPRISE_URN, "required": True}],
    },
    {
        "schemas": [_RESOURCE_TYPE_URN],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group",
        "schema": GROUP_URN,
    },
]


def _attribute(name: str, *, required: bool = False, unique: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "multiValued": False,
        "description": name,
        "required": required,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "server" if unique else "none",
    }


def _schema(urn: str, name: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": urn,
        "name": name,
        "description": name,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"/Schemas/{urn}"},
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    USER_URN: _schema(
        USER_URN,
        "User",
        [
            _attribute("userName", required=True, unique=True),
            _attribute("displayName", required=True),
            *(_attribute(n) for n in ("nickName", "profileUrl", "title", "userType")),
            *(_attribute(n) for n in ("preferredLanguage", "locale", "timezone")),
        ],
    ),
    GROUP_URN: _schema(GROUP_URN, "Group", [_attribute("displayName", required=True)]),
    ENTERPRISE_URN: _schema(
        ENTERPRISE_URN,
        "EnterpriseUser",
        [
            _attribute(n)
            for n in ("employeeNumber", "costCenter", "organization", "division", "department")
        ],
    ),
}


def list_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "schemas": [LIST_URN],
        "Resources": resources,
    }


def schema(urn: str) -> dict[str, Any]:
    try:
        return SCHEMAS[urn]
    except KeyError:
        raise NotFound from None


def resource_type(name: str) -> dict[str, Any]:
    for resource in RESOURCE_TYPES:
        if resource["id"] == name:
            return resource
    raise NotFound
