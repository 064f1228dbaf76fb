"""ISO-8601 text for instants: the one format the database stores and the buttons carry (pure).

Outside bot/store/ because pure modules use it too, and importing the store
package would pull in sqlite-utils.
"""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


def to_iso(t: datetime, timespec: str = "seconds") -> str:
    """An instant as UTC ISO text; one timespec per column, so text order is time order."""
    return t.astimezone(UTC).isoformat(timespec=timespec)


def utcnow_iso(now: datetime | None = None) -> str:
    """`now` (the current time when None) as UTC ISO text to the second."""
    return to_iso(now or datetime.now(UTC))


def parse_iso(text: str | None, *, lenient: bool = False) -> datetime | None:
    """ISO text -> datetime; None for empty text.

    lenient: text that does not parse is None and naive text is read as UTC,
    for views (App Home) that show whatever is stored and must never fail on it.
    """
    if not text:
        return None
    if not lenient:
        return datetime.fromisoformat(text)
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
