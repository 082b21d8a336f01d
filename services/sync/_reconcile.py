"""One full sync: read the IdP, AWS and the state store, plan, then (when asked) publish.

The IdP is read first and in full; only a complete read goes on to AWS. An empty read
where idp-sync owns objects of that source is refused unless allowed: an IdP glitch that
lists nobody must not read as "everyone left".
"""

from __future__ import annotations

from dataclasses import dataclass

from services.scim_writer import AwsObject, AwsScim, StateStore
from services.sources.directory import Directory, DirectoryReader

from ._aws_state import read_members, read_objects
from ._plan import Missing, Plan, groups_to_read, make_plan, prefix


class EmptyDirectory(Exception):
    """The IdP listed no users (or no groups) though idp-sync owns some from it."""


@dataclass
class Reconciler:
    """Plans one source against AWS; the composition root hands it its parts."""

    reader: DirectoryReader
    aws: AwsScim
    store: StateStore
    missing: Missing = "deactivate"
    adopt: bool = False
    allow_empty: bool = False

    async def plan(self) -> tuple[Directory, Plan]:
        """The directory as read and the plan that makes AWS hold it. Raises ``ReadFailed``
        (IdP or AWS) or ``EmptyDirectory``; changes nothing."""
        directory = await self.reader.read()
        start = prefix(directory)
        users = _by_external_id(await self.store.owned_objects("user", start))
        groups = _by_external_id(await self.store.owned_objects("group", start))
        self._refuse_empty(directory, users, groups)
        aws = await read_objects(self.aws)
        await read_members(self.aws, aws, groups_to_read(directory, aws, groups))
        plan = make_plan(directory, aws, users, groups, missing=self.missing, adopt=self.adopt)
        return directory, plan

    def _refuse_empty(
        self, directory: Directory, users: dict[str, AwsObject], groups: dict[str, AwsObject]
    ) -> None:
        if self.allow_empty:
            return
        for kind, read, owned in (("users", directory.users, users),
                                  ("groups", directory.groups, groups)):  # fmt: skip
            if not read and owned:
                raise EmptyDirectory(
                    f"{directory.source} listed no {kind}, but idp-sync owns {len(owned)} in "
                    f"AWS from it; nothing was changed. If the IdP really is empty, run "
                    f"again with --allow-empty")  # fmt: skip


def _by_external_id(objects: list[AwsObject]) -> dict[str, AwsObject]:
    return {o.external_id: o for o in objects}
