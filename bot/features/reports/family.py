"""One report family's entry: what it fetches from Lexer, which builder words it, what its compared answer shows.

Each module beside this one holds a family's entries; bot.features.reports keeps the table from the
command's name to its entry, so adding a report is one entry there and one line in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from bot.commands.answer import Asker, timeframe_for
from bot.lexer.client import ActivityClient, Filters
from bot.lexer.models import Point
from bot.slack.messages.common import ReplyContext
from bot.slack.messages.compared import Rows
from bot.slack.messages.controls import Figure, compare_message
from bot.slack.messages.targets import TargetSet, applicable, targets_from_rows
from bot.slack.parsing import ReportCommand
from bot.timeframe import Timeframe, previous_period

if TYPE_CHECKING:
    from bot.deps import Deps

M = TypeVar("M")
C = TypeVar("C")


@dataclass(frozen=True)
class Question:
    """What every report is asked with: the command, who asked, and the filters resolved against Lexer."""

    cmd: ReportCommand
    asker: Asker
    deps: Deps
    filters: Filters
    ctx: ReplyContext


@dataclass(frozen=True)
class Answer:
    """The message, and what it shows (the range, and the NPS form when there is one)."""

    message: dict
    tf: Timeframe
    form_id: int | None = None


class ReportFamily(Protocol):
    def answer(self, q: Question) -> Answer: ...


@dataclass(frozen=True)
class Report(Generic[M, C]):
    """A report over RANGE: one fetch and one builder; compared, its figures now and one period earlier."""

    title: str
    fetch: Callable[[ActivityClient, Timeframe, Filters, datetime], M]
    build: Callable[[M, Timeframe, ReplyContext, TargetSet | None], dict]
    # what a compared answer is built from (cases shows no open-case trend there, so asks for its summary only)
    fetch_compared: Callable[[ActivityClient, Timeframe, Filters, datetime], C]
    compared: Callable[[C, C], tuple[list[Figure], Rows]]
    row_word: str = "rows"

    def answer(self, q: Question) -> Answer:
        now = q.deps.now()
        tf = timeframe_for(q.cmd, q.asker, now)
        if q.cmd.compare:
            before = previous_period(tf, now)
            model, earlier = (self.fetch_compared(q.deps.api, t, q.filters, now) for t in (tf, before))
            figures, rows = self.compared(model, earlier)
            return Answer(compare_message(self.title, figures, tf, before, q.ctx, rows, self.row_word), tf)
        built = self.build(self.fetch(q.deps.api, tf, q.filters, now), tf, q.ctx, sla_targets(q.deps, q.filters))
        return Answer(built, tf)


Fetch = Callable[[ActivityClient, Timeframe, Filters, datetime], M]
Build = Callable[[M, Timeframe, ReplyContext, TargetSet | None], dict]


def plain_report(
    title: str, fetch: Fetch[M], build: Build[M], compared: Callable[[M, M], tuple[list[Figure], Rows]], rows: str
) -> Report[M, M]:
    """A report whose compared answer is built from what its answer is."""
    return Report(title, fetch, build, fetch, compared, rows)


def from_api(call: Callable[[ActivityClient, Timeframe, Filters], M]) -> Fetch[M]:
    """A fetch that is one Activity API call over the range."""
    return lambda api, tf, filters, now: call(api, tf, filters)


def untargeted(build: Callable[[M, Timeframe, ReplyContext], dict]) -> Build[M]:
    """A builder that shows no SLA targets."""
    return lambda model, tf, ctx, targets: build(model, tf, ctx)


def no_rows(figures: Callable[[M, M], list[Figure]]) -> Callable[[M, M], tuple[list[Figure], Rows]]:
    """A compared answer of headline figures only."""
    return lambda now, before: (figures(now, before), [])


def sla_targets(deps: Deps, filters: Filters) -> TargetSet | None:
    """The SLA targets for this answer: none for one agent's numbers, a group's own over the workspace's."""
    if filters.users:
        return None
    chosen = applicable(targets_from_rows(deps.store.targets.all()), filters.groups[0] if filters.groups else None)
    return chosen or None


def drop_future(points: list[Point], tf: Timeframe, now: datetime) -> list[Point]:
    """Buckets that start after now (the rest of `today`, `this-week`) are not zeros to draw in a trend."""
    local_now = now.astimezone(tf.tz).replace(tzinfo=None)
    return [p for p in points if p.start <= local_now]
