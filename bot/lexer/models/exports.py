"""The answer of an export's start and status calls (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.lexer.models.figures import expect, read_text


@dataclass(frozen=True)
class ExportStatus:
    """Answer of the export start and status calls."""

    status: str  # pending | complete | anything else = failed (SPEC §6)
    token: str
    url: str | None = field(default=None, repr=False)

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def complete(self) -> bool:
        return self.status == "complete" and bool(self.url)

    @property
    def failed(self) -> bool:
        return not self.pending and not self.complete


def parse_export_status(payload: Any) -> ExportStatus:
    d = expect(payload, dict, "export status")
    return ExportStatus(read_text(d, "status") or "unknown", read_text(d, "token"), d.get("url") or None)
