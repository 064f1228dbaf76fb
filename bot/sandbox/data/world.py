"""The sandbox's fixed world: the team, groups, forms, classifications, states, the shape of a day, and the words
its customers and agents use; epoch-second helpers."""

from __future__ import annotations

from datetime import date, datetime, timezone

UTC = timezone.utc
DAY_S = 86400
HISTORY_DAYS = 400

#: customer-wait SLA and agent-response (assign -> reply) SLA, seconds
SLA_S = 3600.0
ACTION_SLA_S = 900.0

GROUPS: list[dict] = [
    {"id": 123, "name": "Social Customer Care", "comment": "Social customer care team members"},
    {"id": 456, "name": "Email Support", "comment": "Email and web-form support team"},
]

# (id, first, last, timezone, groups, workload weight, sign-ins)
AGENTS = [
    (20481, "Jane", "Remington", "Australia/Sydney", (123,), 1.3, 412),
    (20482, "Barry", "Nguyen", "Australia/Sydney", (123,), 1.1, 298),
    (20485, "Priya", "Shah", "Australia/Melbourne", (123,), 1.0, 351),
    (20487, "Tom", "O'Brien", "Australia/Brisbane", (123,), 0.8, 187),
    (20490, "Mei", "Chen", "Australia/Sydney", (123,), 0.9, 240),
    (20493, "Lucas", "Martin", "America/New_York", (456,), 1.0, 203),
    (20494, "Aisha", "Okafor", "Pacific/Auckland", (456,), 0.9, 176),
    (20496, "Sam", "Taylor", "Australia/Sydney", (123, 456), 0.6, 530),
]
# left the team ARCHIVED_AGO_DAYS before the sandbox's start: history only before that
ARCHIVED_AGENT = (20470, "Chris", "Walker", "Australia/Sydney", (123,), 1.0, 95)
ARCHIVED_AGO_DAYS = 75
EMAIL_DOMAIN = "brightwave.example"

FORMS: list[dict] = [
    {
        "id": 55,
        "name": "NPS Survey",
        "title": "Brightwave NPS Survey",
        "archived": False,
        "created_at": "2018-05-26T21:54:19Z",
        "groups": [123, 456],
        "nps": True,
        "form_url": "https://forms.lexer-sandbox.example/55/1/form",
    },
    {
        "id": 61,
        "name": "Post-chat NPS",
        "title": "How did we do?",
        "archived": False,
        "created_at": "2021-02-11T03:12:44Z",
        "groups": [123],
        "nps": True,
        "form_url": "https://forms.lexer-sandbox.example/61/1/form",
    },
    {
        "id": 70,
        "name": "Contact details",
        "title": "Confirm your details",
        "archived": False,
        "created_at": "2019-09-03T23:40:05Z",
        "groups": [123, 456],
        "nps": False,
        "form_url": "https://forms.lexer-sandbox.example/70/1/form",
    },
]
# surveys sent per weekday per NPS form
FORM_DAILY_SENT = {55: 18, 61: 10}

CLASSIFICATIONS: list[tuple[int, str, float]] = [
    (466, "positive", 1.2),
    (526, "social nps", 0.5),
    (528, "feedback", 1.0),
    (1246, "amusing", 0.3),
    (1465, "image", 0.4),
    (1467, "loyalty", 0.6),
    (1472, "bot", 0.3),
    (1480, "complaint", 1.1),
    (1481, "delivery", 1.6),
    (1482, "refund", 0.9),
    (1490, "product question", 1.4),
]

STATES = (
    "new",
    "assigned",
    "in_progress",
    "responded",
    "awaiting_approval",
    "redirected",
    "irrelevant",
    "duplicate",
    "closed",
    "no_response_required",
)
CLOSED_STATES = frozenset({"redirected", "irrelevant", "duplicate", "closed", "no_response_required"})
NPS_CATEGORIES = ("all", "promoters", "passives", "detractors")

# customer messages by hour of the team's day (Sydney, UTC+10): quiet nights, busy days
LOCAL_HOUR_WEIGHT = [
    0.15,
    0.1,
    0.08,
    0.08,
    0.1,
    0.15,
    0.3,
    0.6,
    1.0,
    1.1,
    1.1,
    1.05,
    0.95,
    1.0,
    1.05,
    1.0,
    0.95,
    0.85,
    0.75,
    0.7,
    0.65,
    0.55,
    0.4,
    0.25,
]
UTC_HOUR_WEIGHT = [LOCAL_HOUR_WEIGHT[(h + 10) % 24] for h in range(24)]
DOW_FACTOR = [1.0, 1.05, 1.0, 0.97, 0.9, 0.55, 0.5]  # Mon..Sun
CHANNELS = {123: ("twitter", "facebook", "instagram", "facebook messenger"), 456: ("email", "web form")}
HANDLE_WORDS = (
    "sunny",
    "koala",
    "harbour",
    "maple",
    "river",
    "pixel",
    "coffee",
    "surf",
    "bluey",
    "wattle",
    "nova",
    "tiger",
    "lemon",
    "ocean",
    "bright",
    "jazz",
    "mango",
    "echo",
)
NOTES = (
    "",
    "",
    "",
    "customer followed up in DM",
    "escalated to billing",
    "refund issued",
    "tracking number sent",
    "known outage",
    "needs manager approval",
    "duplicate of earlier tweet",
)
COMMENTS = {
    "promoter": (
        "Super quick and friendly, thanks!",
        "Sorted in minutes",
        "Great service as always",
        "Jane was brilliant",
        "",
        "",
    ),
    "passive": ("Fine, took a while though", "Got there in the end", "OK", ""),
    "detractor": (
        "Waited two days for a reply",
        "Still no refund",
        "Had to repeat myself three times",
        "Nobody answered on the weekend",
        "",
    ),
}


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def day_start(d: date) -> int:
    return (d.toordinal() - 719163) * DAY_S  # 719163 = date(1970, 1, 1).toordinal()


def utc_date(ts: float) -> date:
    return date.fromordinal(int(ts // DAY_S) + 719163)


def iso_z(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
