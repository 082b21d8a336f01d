"""The chaos runner (issue 11): the whole pipeline under combined faults, then the proof.

    uv run python -m tests.chaos --events 2000 --seed 7 --faults all --store postgres

A run starts a private RabbitMQ node (so broker restarts disturb nothing else), the AWS
SCIM emulator with faults (10 % 5xx, 429 with Retry-After above 150 requests/s, 2 % of
writes applied with their answer lost, alternating a 500 and a cut connection), and the
gateway, normalizer and writer as separate ``idp-sync`` processes. It sends a seeded
workload of user creates, updates, reactivations, deactivations, deletions, group creates,
renames and deletions, member additions and removals through the generic Standard-Webhooks
route: several changes per request, each request retried with its ``webhook-id`` until
accepted. At seeded moments during the send it injects (``--faults``): ``kill-gateway``,
``kill-normalizer``, ``kill-writer`` (kill -9, then a restart), ``broker-stop``
(``stop_app``/``start_app``), ``broker-kill`` (kill -9 of the VM, then a restart on the same
data) and, with PostgreSQL, ``store-cut`` (``pg_terminate_backend`` of the writer's
connections); ``aws`` turns the emulator's faults on.

It then waits until every queue of the namespace is drained and nothing is unacked (the
writer has nothing unfinished), and compares AWS with the IdP's final directory:

- **lost**: an IdP user, group or membership AWS does not have, or one the IdP deleted
  (removed) that AWS still has: a change whose effect is missing.
- **wrong**: an object AWS has, as it should, with a field that differs from the IdP's
  (userName, displayName, givenName, familyName, emails, active; a group's displayName),
  or a membership the IdP never had.
- **duplicated**: more than one AWS object for one IdP object, an AWS object no IdP
  object accounts for, or more creates applied than the IdP created objects (counted once
  per operation): something created twice.
- **dead-lettered**: messages in any DLQ of the namespace, plus any held for review.

Each counts objects or memberships (messages for dead letters), out of N changes sent. It
prints ``lost L, wrong W, duplicated D, dead-lettered X of N changes; converged in S s``
(S from the last accepted webhook until drained) and the writes AWS received beyond the
minimum. It exits 0 only when all four are 0, it converged and no service had to be
restarted by the runner (an *incident*); otherwise it prints the first findings with the
changes behind them and the writer's log lines about them, and where the logs are.
"""

from .report import ChaosReport
from .runner import ChaosConfig, run_chaos

__all__ = ["ChaosConfig", "ChaosReport", "run_chaos"]
