"""What the sandbox's world is made of: messages, cases, surveys, agents, a report query, a spike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.sandbox.data.world import EMAIL_DOMAIN, epoch


@dataclass(slots=True)
class Message:
    id: int
    case_id: int
    ts: int  # received, epoch seconds
    agent: int  # user id of the agent it is assigned to
    channel: str
    customer: str
    classes: tuple[int, ...]
    final: str  # the state it ends in
    done_ts: float  # when it reaches `final` (replied, or otherwise handled)
    pick_ts: float  # when the agent opened it (assigned -> in_progress)
    wait: float | None  # customer wait, s (None: never replied to)
    action: float | None  # agent response (assign -> reply), s
    private: bool
    broke: bool
    broke_action: bool
    note: str

    def state_at(self, now: float) -> str:
        if now >= self.done_ts:
            return self.final
        return "in_progress" if now >= self.pick_ts else "assigned"

    def responded_by(self, now: float) -> bool:
        return self.wait is not None and now >= self.done_ts


@dataclass(slots=True)
class Case:
    id: int
    created: int
    customer: str
    channel: str
    group: int
    messages: list[Message]
    agents: frozenset[int]  # every agent with a message in the case
    replying_agents: frozenset[int]
    first_reply: float | None  # s from created
    resolution: float | None  # s from created to the last reply
    interactions: int  # agent replies
    closed_at: float  # 24 h after the last activity
    classes: tuple[int, ...]

    @property
    def is_case(self) -> bool:
        """Lexer only opens a case when an agent replies."""
        return self.first_reply is not None


@dataclass(slots=True)
class Survey:
    id: int
    form: int
    agent: int
    sent_ts: int
    submitted_ts: int | None
    score: int | None
    comment: str
    customer: str

    @property
    def category(self) -> str:
        if self.score is None:
            return ""
        return "promoters" if self.score >= 9 else "passives" if self.score >= 7 else "detractors"


@dataclass(frozen=True)
class Agent:
    id: int
    first_name: str
    last_name: str
    timezone: str
    groups: tuple[int, ...]
    weight: float
    sign_in_count: int
    archived_on: date | None = None

    @property
    def email(self) -> str:
        return f"{self.first_name.lower()}.{self.last_name.lower().replace(chr(39), '')}@{EMAIL_DOMAIN}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def active_on(self, d: date) -> bool:
        return self.archived_on is None or d < self.archived_on


@dataclass(frozen=True)
class Query:
    """A validated report body."""

    type: str
    start: datetime
    end: datetime
    form: int | None = None
    nps_category: str = "all"
    agents: frozenset[int] | None = None  # None: everyone

    @property
    def t0(self) -> int:
        return epoch(self.start)

    @property
    def t1(self) -> int:
        return epoch(self.end)


@dataclass(frozen=True)
class Spike:
    start: int
    end: int
    factor: float
