"""Fuzzing every door of idp-sync with Hypothesis: ``python -m tests.fuzz``.

Doors: each gateway webhook route (``gateway-<idp>``), each source's mapping in the
normalizer (``mapping-<idp>``: raw event in, canonical events or ``Unmappable`` out), and
the AWS SCIM emulator's SCIM and admin surfaces (``emulator-scim``, ``emulator-admin``).
Each door's module says which answers it may give. ``tests/unit/test_fuzz_doors.py`` runs a
small, derandomized share of the same cases in the suite.
"""
