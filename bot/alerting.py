"""Feature module: see install()."""

from __future__ import annotations


def install(runtime) -> None:
    """Register this feature's command/action handlers and start its workers (filled in by the feature)."""
