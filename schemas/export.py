"""Write the JSON Schema of the canonical events, and the services' AsyncAPI document,
into ``schemas/json/``.

uv run python -m schemas.export          # rewrite the files
uv run python -m schemas.export --check  # exit 1 if the files are out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

from .events import CanonicalEvent

JSON_DIR = Path(__file__).parent / "json"


def asyncapi() -> bytes:
    """The AsyncAPI document of the services' channels, from their FastStream brokers."""
    from faststream.specification import AsyncAPI

    from services.normalizer import OktaNormalizer, create_broker
    from services.shared.topology import Topology

    topology = Topology()
    # A URL without credentials: the document is published, the password never is.
    broker = create_broker("amqp://rabbitmq:5672/", topology, OktaNormalizer(None))
    for shard in range(topology.shards):
        broker.publisher(
            topology.shard_queue(shard), topology.events_exchange,
            title=f"canonical events, shard {shard}", schema=CanonicalEvent,
            description="Canonical events whose subject hashes to this shard (normalizer out).",
        )  # fmt: skip
    spec = AsyncAPI(broker, title="idp-sync", version="1").to_specification()
    document = msgspec.json.decode(spec.to_json())
    # FastStream cannot render a msgspec union; point at the exported JSON Schema instead.
    for name, payload in document["components"]["schemas"].items():
        if name.startswith("canonical events"):
            payload.clear()
            payload["$ref"] = "canonical-event.json"
    return msgspec.json.format(msgspec.json.encode(document, order="sorted")) + b"\n"


def rendered() -> dict[str, bytes]:
    """File name -> the exact bytes the export writes."""
    schema = msgspec.json.schema(CanonicalEvent)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:idp-sync:schemas:canonical-event",
        "title": "idp-sync canonical event",
        **schema,
    }
    return {
        "canonical-event.json": msgspec.json.format(msgspec.json.encode(schema)) + b"\n",
        "asyncapi.json": asyncapi(),
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    JSON_DIR.mkdir(exist_ok=True)
    stale = []
    for name, content in rendered().items():
        path = JSON_DIR / name
        if path.exists() and path.read_bytes() == content:
            continue
        stale.append(name)
        if not check:
            path.write_bytes(content)
    if check and stale:
        sys.stderr.write(f"out of date: {', '.join(stale)}; run: python -m schemas.export\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
