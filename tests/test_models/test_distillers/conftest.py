"""Fixtures of the distillation tests (defined in distill_helpers)."""

from distill_helpers import landmark_identities, torch_teacher  # noqa: F401
