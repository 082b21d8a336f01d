"""Full sync: read a whole IdP directory, compare it with AWS and the state store, and
publish the canonical events that close the gap (``idp-sync sync``).

Parts: ``Reconciler`` (read and plan, changing nothing), ``Plan``/``Change`` (what differs,
with counts), ``events_of`` (the plan as canonical events, versioned by the read's start),
``publish_all`` and ``wait_for`` (send them to the writer and wait for their outcomes).
"""

from ._events import events_of
from ._outcomes import Outcomes, wait_for
from ._plan import COUNT_KEYS, Change, Missing, Phase, Plan, make_plan
from ._publish import publish_all
from ._reconcile import EmptyDirectory, Reconciler

__all__ = [
    "COUNT_KEYS", "Change", "EmptyDirectory", "Missing", "Outcomes", "Phase", "Plan",
    "Reconciler", "events_of", "make_plan", "publish_all", "wait_for",
]  # fmt: skip
