"""Each IdP's way of proving a webhook is its own, right or wrong as the plan says.

``credentials`` returns the headers to send and whether they are the right ones for this
body: a request with the right ones must never be refused 401, one without them must never
be queued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time

from ._engine import Plan
from ._values import header_value

Headers = list[tuple[bytes, bytes]]
OKTA_SECRET = "Basic fuzz-okta-secret"
AUTHENTIK_SECRET = "fuzz-authentik-secret"
GOOGLE_TOKEN = "fuzz-google-channel-token"
KEYCLOAK_SECRET = "fuzz-keycloak-secret"
WEBHOOK_KEY = b"fuzz-standard-webhooks-key-32byt"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()


def _mangled(rng: random.Random, right: str) -> str:
    """The right value, slightly wrong: what a typo or a truncating proxy makes of it."""
    at = rng.randrange(len(right))
    return rng.choice(
        (
            right[:at] + chr((ord(right[at]) + 1) % 128) + right[at + 1 :],
            right.swapcase(),
            right + " ",
            " " + right,
            right[:-1],
            right * 2,
            right.partition(" ")[2] or right + "x",
        )
    )


def _secret_header(rng: random.Random, plan: Plan, name: bytes, right: str) -> tuple[Headers, bool]:
    if plan.credentials == "valid":
        return [(name, right.encode())], True
    if plan.credentials == "missing":
        return [], False
    if plan.credentials == "wrong":
        return [(name, b"Basic d3Jvbmc6d3Jvbmc=")], False
    if plan.credentials == "mangled":
        return [(name, _mangled(rng, right).encode("utf-8"))], False
    return [(name, header_value(rng))], False


def okta(rng: random.Random, plan: Plan, _: bytes) -> tuple[Headers, bool]:
    return _secret_header(rng, plan, b"authorization", OKTA_SECRET)


def authentik(rng: random.Random, plan: Plan, _: bytes) -> tuple[Headers, bool]:
    return _secret_header(rng, plan, b"authorization", f"Bearer {AUTHENTIK_SECRET}")


def google(rng: random.Random, plan: Plan, _: bytes) -> tuple[Headers, bool]:
    headers, valid = _secret_header(rng, plan, b"x-goog-channel-token", GOOGLE_TOKEN)
    state = rng.choice((b"exists", b"update", b"delete", b"not_exists", b"sync", b""))
    uri = rng.choice(
        (
            b"https://admin.googleapis.com/admin/directory/v1/users?domain=acme.com&event=update",
            b"https://admin.googleapis.com/admin/reports/v1/activity/users/all/applications/admin",
            b"http://[",
            b"",
            header_value(rng),
        )
    )
    headers += [
        (b"x-goog-resource-state", state),
        (b"x-goog-resource-uri", uri),
        (b"x-goog-channel-id", rng.choice((b"ch-1", header_value(rng)))),
        (b"x-goog-message-number", rng.choice((b"7", header_value(rng)))),
    ]
    return headers, valid


def keycloak(rng: random.Random, plan: Plan, body: bytes) -> tuple[Headers, bool]:
    right = hmac.new(KEYCLOAK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if plan.credentials == "valid":  # the gateway allows case and surrounding spaces
        shown = rng.choice((right, right.upper(), f" {right} "))
        return [(b"x-keycloak-signature", shown.encode())], True
    headers, _ = _secret_header(rng, plan, b"x-keycloak-signature", right)
    # A mangling may only change case or spacing, which the gateway allows.
    presented = headers[0][1].decode("latin-1") if headers else ""
    return headers, presented.strip().lower() == right


def _webhook_signature(msg_id: bytes, timestamp: bytes, body: bytes) -> bytes:
    signed = hmac.new(WEBHOOK_KEY, msg_id + b"." + timestamp + b"." + body, hashlib.sha256)
    return b"v1," + base64.b64encode(signed.digest())


def generic(rng: random.Random, plan: Plan, body: bytes) -> tuple[Headers, bool]:
    """Standard Webhooks: ``webhook-signature`` over ``id.timestamp.body``, 5 minutes' grace."""
    msg_id, now = b"msg_" + str(rng.randrange(10**6)).encode(), int(time.time())
    timestamp = str(now).encode()
    signature = _webhook_signature(msg_id, timestamp, body)
    valid = plan.credentials == "valid"
    if plan.credentials == "missing":
        headers = [
            (b"webhook-id", msg_id),
            (b"webhook-timestamp", timestamp),
            (b"webhook-signature", signature),
        ]
        del headers[rng.randrange(3)]
        return headers, False
    if plan.credentials == "wrong":
        stale = rng.choice((now - 400, now + 400, "abc", "1e400", "nan", "-1"))
        timestamp = str(stale).encode()  # signed right, but too old, too new or no time
        signature = _webhook_signature(msg_id, timestamp, body)
        return [
            (b"webhook-id", msg_id),
            (b"webhook-timestamp", timestamp),
            (b"webhook-signature", signature),
        ], False
    if plan.credentials == "mangled":
        signature = rng.choice(
            (
                b"v1",
                b"v1,",
                b"v1,@@@",
                b"v1,abc",
                b"v1,a,b",
                b"v2," + signature[3:],
                signature + b"  " + signature,
                b" " + signature,
                signature[:-2],
                b"v1,=",
                b"v1," + base64.b64encode(b"x" * 32),
            )
        )
    elif plan.credentials == "hostile":
        msg_id, signature = header_value(rng) or b"x", header_value(rng)
    # Entries are space-separated; one right ``v1`` entry is enough, whatever else is there.
    valid = valid or _webhook_signature(msg_id, timestamp, body) in signature.split()
    return [
        (b"webhook-id", msg_id),
        (b"webhook-timestamp", timestamp),
        (b"webhook-signature", signature),
    ], valid


def entra(rng: random.Random, plan: Plan, _: bytes) -> tuple[Headers, bool | None]:
    """Graph signs nothing: the clientState is in the body, so validity is judged there."""
    noise = [] if plan.credentials == "valid" else [(b"authorization", header_value(rng))]
    return noise, None
