"""Judgements over a whole capture's records (what a capture can and cannot show)."""

from .visibility import VisibilityCheck, VisibilityFinding, check_visibility

__all__ = ["VisibilityCheck", "VisibilityFinding", "check_visibility"]
