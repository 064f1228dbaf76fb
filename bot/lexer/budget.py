"""How Lexer's 100 requests per 5 minutes are shared between classes of work (pure decisions).

Classes: scheduled digests, alert checks, export polls, interactive commands.
Digests hold what the subscriptions due in the coming window need; alert checks a
small fixed share while alerts are on; export polls may not crowd out waiting
commands; commands get the rest. A reservation nobody is using is lent: a class
may send whenever the free slots exceed what the *other* classes still hold.
The limiter that counts the window is bot.lexer.rate_limit; what digests and
alerts hold is computed from the subscriptions in digests.reservations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DIGEST, ALERT, EXPORT, COMMAND = "digest", "alert", "export", "command"
CLASSES = (DIGEST, ALERT, EXPORT, COMMAND)
ALERT_SHARE = 6  # one 5-minute check pass needs 1-3 requests; two passes fit in a window
EXPORT_SHARE_WHILE_COMMANDS_WAIT = 10  # export polls are patient: they wait their turn behind queued commands
REQUESTS_PER_COMMAND = 2  # a typical /lexer answer (one or two reports; users/groups/forms are cached)
ANSWER_WITHIN_S = 25 * 60.0  # response_url lives 30 minutes; past this we say when to try instead of queueing


@dataclass(frozen=True)
class Reservations:
    """What each class still holds in the current window (digests: computed from the subscriptions)."""

    held: dict[str, int] = field(default_factory=dict)

    def held_by_others(self, budget_class: str) -> int:
        return sum(n for cls, n in self.held.items() if cls != budget_class)


def room_for(
    budget_class: str, in_window: int, limit: int, reservations: Reservations, used: dict[str, int], waiting: int = 0
) -> int:
    """How many requests of this class may be sent now."""
    free = limit - in_window - reservations.held_by_others(budget_class)
    if budget_class == EXPORT and waiting and used.get(EXPORT, 0) >= EXPORT_SHARE_WHILE_COMMANDS_WAIT:
        return 0
    return max(0, free)


def wait_for_slots(needed: int, room: int, slot_ends: list[float], now: float, limit: int, window_s: float) -> float:
    """Seconds until `needed` more requests can be sent, given `room` free now and when counted ones free up."""
    if needed <= room:
        return 0.0
    short = needed - room
    ends = sorted(e for e in slot_ends if e > now)
    if short <= len(ends):
        return ends[short - 1] - now
    beyond = short - len(ends)
    last = (ends[-1] - now) if ends else 0.0
    return last + math.ceil(beyond / max(1, limit)) * window_s


def queued_notice(minutes: int, position: int, limit: int = 100) -> str:
    """What a user sees when their command waits for the budget (the issue's wording)."""
    return (
        f"Queued — Lexer allows {limit} requests every 5 minutes and they're in use. "
        f"Your answer will arrive here in about {max(1, minutes)} min (#{position} in line)."
    )


def still_queuing_notice(queued: bool) -> str:
    """The ack when answering it took longer than Slack's few seconds (a slow database). Only a command already
    in the queue is promised its answer: one not yet written may never be (the database may not take it)."""
    if queued:
        return "Got it — it's taking a moment. Your answer will arrive here."
    return "Got it — it's taking a moment to get this in line. If nothing arrives here within a minute, try again."


def try_later_notice(minutes: int) -> str:
    """When the answer could not come within ~25 minutes: say when to try."""
    return (
        "Lexer is fully booked for the next 25 minutes (it allows 100 requests every 5 minutes, shared by "
        f"everyone's commands and the scheduled digests). Try again in about {max(1, minutes)} min."
    )


def fair_position(queued_per_user: dict[str, int], user_id: str) -> int:
    """The place a new command of `user_id` takes in a round-robin queue (1 = next)."""
    mine = queued_per_user.get(user_id, 0)
    ahead = sum(min(n, mine + 1) for other, n in queued_per_user.items() if other != user_id)
    return ahead + mine + 1
