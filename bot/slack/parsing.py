"""`/lexer` text -> Command (pure): the SPEC §4 grammar, with errors that say what to type.

Only CommandError (or BadRangeError) ever leaves parse_command: the listener shows
its message and hint to the user as they are, so every text here is short,
friendly and names the word that was wrong.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

from bot.errors import BadRangeError, CommandError
from bot.timeframe import RANGE_HELP, RANGE_WORDS, is_range_text

__all__ = [
    "ADMIN_COMMANDS",
    "ALERTS_ADMIN_ACTIONS",
    "COMMANDS",
    "Command",
    "FILTER_COMMANDS",
    "HELP_ORDER",
    "REPORT_COMMANDS",
    "USAGE",
    "is_admin_command",
    "parse_command",
    "suggest",
]


@dataclass(frozen=True)
class Command:
    """One parsed `/lexer` command; fields a command does not take stay None/False."""

    name: str
    range_text: str | None = None
    group: str | None = None
    agent: str | None = None
    form: str | None = None
    category: str | None = None
    public: bool = False
    topic: str | None = None
    export_kind: str | None = None
    digest_kind: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    cadence: str | None = None
    weekday: int | None = None
    at_time: str | None = None
    tz_name: str | None = None
    subscription_id: int | None = None
    alerts_action: str | None = None
    window_minutes: int | None = None
    min_count: int | None = None
    sensitivity: str | None = None
    snooze_text: str | None = None


# --- vocabulary -------------------------------------------------------------------------------

HELP_ORDER: list[str] = [
    "summary",
    "team",
    "workload",
    "states",
    "classifications",
    "response-time",
    "cases",
    "case-classifications",
    "nps",
    "users",
    "groups",
    "forms",
    "export",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "alerts",
    "help",
]
COMMANDS = frozenset(HELP_ORDER)
REPORT_COMMANDS = frozenset(
    {
        "summary",
        "team",
        "workload",
        "states",
        "classifications",
        "response-time",
        "cases",
        "case-classifications",
        "nps",
    }
)
#: commands that take group:/agent: (the reports and the exports of them)
FILTER_COMMANDS = REPORT_COMMANDS | {"export"}
#: names with an admin form; `alerts` only for ALERTS_ADMIN_ACTIONS — ask is_admin_command
ADMIN_COMMANDS = frozenset({"export", "subscribe", "unsubscribe", "alerts"})
ALERTS_ADMIN_ACTIONS = frozenset({"on", "off", "snooze"})

_COMMAND_ALIASES = {"sla": "summary", "?": "help", "response-times": "response-time"}
EXPORT_KINDS = ("cases", "responses", "nps")
_EXPORT_ALIASES = {"case": "cases", "response": "responses", "sla": "responses", "submissions": "nps"}
DIGEST_KINDS = ("sla", "nps")
_DIGEST_ALIASES = {"summary": "sla"}
NPS_CATEGORIES = ("promoters", "passives", "detractors")
_CATEGORY_ALIASES = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}
CADENCES = ("daily", "weekdays", "weekly")
_CADENCE_ALIASES = {"weekday": "weekdays"}
ALERTS_ACTIONS = ("on", "off", "snooze", "status")
_ALERTS_ALIASES = {"enable": "on", "disable": "off"}
SENSITIVITIES = ("low", "normal", "high")
_SENSITIVITY_ALIASES = {"medium": "normal"}
_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday", "mondays"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday", "tuesdays"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday", "wednesdays"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday", "thursdays"), 3),
    **dict.fromkeys(("fri", "friday", "fridays"), 4),
    **dict.fromkeys(("sat", "saturday", "saturdays"), 5),
    **dict.fromkeys(("sun", "sunday", "sundays"), 6),
}
_FILTER_KEYS = ("group", "agent", "form")
_OPTION_KEYS = ("window", "min", "sensitivity", "tz")
_KEY_ALIASES = {"minimum": "min", "survey": "form", "timezone": "tz"}
# keys people reach for that mean one of ours
_KEY_MISTAKES = {"user": "agent", "email": "agent", "team": "group"}
WINDOW_MINUTES = (5, 24 * 60)
MIN_COUNT = (1, 10_000)
SNOOZE_MAX_MINUTES = 7 * 24 * 60

RANGE_USAGE = "RANGE: " + RANGE_HELP + " (default yesterday; nps: last-7d)"
_FILTERS = "[group:NAME] [agent:EMAIL] [public]"
USAGE: dict[str, str] = {
    "summary": f"summary [RANGE] {_FILTERS}  (alias `sla`) — e.g. `/lexer summary last-week`",
    "team": f"team [RANGE] {_FILTERS}  — e.g. `/lexer team last-week`",
    "workload": f'workload [RANGE] {_FILTERS}  — e.g. `/lexer workload today group:"Email Support"`',
    "states": f"states [RANGE] {_FILTERS}  — e.g. `/lexer states this-week`",
    "classifications": f"classifications [RANGE] {_FILTERS}  — e.g. `/lexer classifications last-month`",
    "response-time": f"response-time [RANGE] {_FILTERS}  — e.g. `/lexer response-time last-7d`",
    "cases": f"cases [RANGE] {_FILTERS}  — e.g. `/lexer cases yesterday agent:jane@example.com`",
    "case-classifications": f"case-classifications [RANGE] {_FILTERS}  — e.g. `/lexer case-classifications 2026-11-02..2026-11-08`",
    "nps": f'nps [FORM] [RANGE] [promoters|passives|detractors] {_FILTERS}  — e.g. `/lexer nps "Customer NPS" last-30d detractors`',
    "users": "users [public]  — e.g. `/lexer users`",
    "groups": "groups [public]  — e.g. `/lexer groups`",
    "forms": "forms [public]  — e.g. `/lexer forms`",
    "export": (
        "export cases|responses [RANGE] [group:NAME] [agent:EMAIL]  — e.g. `/lexer export cases last-week`\n"
        "export nps [FORM] [RANGE] [promoters|passives|detractors]  — e.g. `/lexer export nps 123 last-month`\n"
        "(the CSV comes to you by direct message)"
    ),
    "subscribe": (
        "subscribe sla|nps [FORM] [#channel] [daily|weekdays|weekly DAY] [at HH:MM] [tz AREA/CITY]"
        "  — e.g. `/lexer subscribe sla #support weekdays at 09:00 tz Australia/Sydney`"
    ),
    "unsubscribe": "unsubscribe ID  — e.g. `/lexer unsubscribe 12` (`/lexer subscriptions` shows the numbers)",
    "subscriptions": "subscriptions  — e.g. `/lexer subscriptions`",
    "alerts": (
        "alerts [status]  — e.g. `/lexer alerts`\n"
        "alerts on [#channel] [window 2h|90m] [min N] [low|normal|high]  — e.g. `/lexer alerts on #support window 2h min 5`\n"
        "alerts off  — e.g. `/lexer alerts off`\n"
        "alerts snooze 2h|30m|1d|until HH:MM|off  — e.g. `/lexer alerts snooze until 17:30`"
    ),
    "help": "help [COMMAND]  — e.g. `/lexer help team`",
}

# --- wording ------------------------------------------------------------------------------------

MSG_UNKNOWN_COMMAND = "`{word}` is not a command — did you mean `{suggestion}`?"
MSG_UNKNOWN_COMMAND_PLAIN = "`{word}` is not a command."
HINT_COMMANDS = "Try `summary`, `team`, `cases`, `nps`, `export` or `subscribe`; `/lexer help` lists everything."
MSG_NEEDS_COMMAND = "Start with a command, then `{word}` — e.g. `/lexer summary {word}`."
MSG_UNKNOWN_WORD = "I don't understand `{word}` after `{command}`."
MSG_UNKNOWN_WORD_SUGGEST = "I don't understand `{word}` after `{command}` — did you mean `{suggestion}`?"
MSG_UNKNOWN_TOPIC = "There is no command `{word}` to explain — did you mean `{suggestion}`?"
MSG_UNKNOWN_TOPIC_PLAIN = "There is no command `{word}` to explain."
MSG_UNCLOSED_QUOTE = "A double quote isn't closed."
HINT_QUOTES = 'Put names with spaces in double quotes, e.g. group:"Email Support".'
MSG_TWO = "Give one {what}, not two (`{first}` and `{second}`)."
MSG_BAD_RANGE = "`{word}` is not a range I know."
MSG_BAD_RANGE_SUGGEST = "`{word}` is not a range I know — did you mean `{suggestion}`?"
MSG_BAD_DATE = "`{word}` is not a real date."
HINT_DATES = "Dates are written YYYY-MM-DD, e.g. 2026-11-02, or 2026-11-02..2026-11-08 for several days."
MSG_NO_RANGE = "`{command}` doesn't take a range (`{word}`)."
MSG_NO_RANGE_DIGEST = "Digests always cover the latest full day, so `subscribe` takes no range (`{word}`)."
MSG_NO_FILTERS = "`{command}` doesn't take filters like `{word}`."
MSG_FORM_NOT_HERE = "`form:` only goes with `nps`, e.g. `/lexer nps form:123`."
MSG_EMPTY_KEY = "`{key}:` needs a value, e.g. `{example}`."
MSG_KEY_MISTAKE = "`{key}:` is not a filter — did you mean `{suggestion}:`?"
MSG_AGENT_MENTION = "`agent:` needs the agent's Lexer email or id, not a Slack mention."
HINT_AGENT = "e.g. agent:jane@example.com"
MSG_MENTION = "`{command}` doesn't take a mention (`{word}`); for one agent use `agent:EMAIL`."
MSG_CATEGORY_NOT_HERE = "`{word}` only goes with `nps`, e.g. `/lexer nps last-week {word}`."
MSG_CHANNEL_NOT_HERE = "`{command}` doesn't take a channel (`{word}`); add `public` to post the answer in this channel."
MSG_TWO_FORMS = "Name one form; put a name with spaces in double quotes."
HINT_FORM = 'e.g. `/lexer nps "Customer NPS" last-7d`; `/lexer forms` lists the forms.'
MSG_EXPORT_KIND_MISSING = "Say what to export: cases, responses or nps."
MSG_EXPORT_KIND_UNKNOWN = "`{word}` is not something I can export — did you mean `{suggestion}`?"
MSG_EXPORT_KIND_UNKNOWN_PLAIN = "`{word}` is not something I can export: try cases, responses or nps."
MSG_DIGEST_KIND_MISSING = "Say which digest: sla or nps, e.g. `/lexer subscribe sla #support`."
MSG_DIGEST_KIND_UNKNOWN = "`{word}` is not a digest — did you mean `{suggestion}`? Digests are sla and nps."
MSG_WEEKLY_NO_DAY = "`weekly` needs a day, e.g. `weekly monday`."
MSG_DAY_WITH_CADENCE = "`{day}` doesn't go with `{cadence}`; for one day a week say `weekly {day}`."
MSG_AT_NO_TIME = "`at` needs a time, e.g. `at 09:00` or `at 9am`."
MSG_BAD_TIME = "`{word}` is not a time I understand; use 24-hour HH:MM like 09:00, or 9am / 5:30pm."
MSG_TZ_MISSING = "`tz` needs a time zone, e.g. `tz Australia/Sydney`."
MSG_TZ_UNKNOWN = "`{word}` is not a time zone I know — did you mean `{suggestion}`?"
MSG_TZ_UNKNOWN_PLAIN = "`{word}` is not a time zone I know."
HINT_TZ = "Use an IANA name like Australia/Sydney, America/New_York or UTC."
MSG_UNSUB_MISSING = "Which subscription? Give its number, e.g. `/lexer unsubscribe 12`."
HINT_UNSUB = "`/lexer subscriptions` lists them with their numbers."
MSG_UNSUB_BAD = "`{word}` is not a subscription number; give one like `12`."
MSG_ALERTS_UNKNOWN = "`{word}` is not an alerts action — did you mean `{suggestion}`?"
MSG_ALERTS_UNKNOWN_PLAIN = "`{word}` is not an alerts action: use on, off, snooze or status."
MSG_VALUE_MISSING = "`{key}` needs a value, e.g. `{example}`."
MSG_WINDOW_BAD = "`{word}` is not a window I can use: give 5m to 24h, e.g. `window 30m`."
MSG_MIN_BAD = "`{word}` is not a breach count: give a whole number from 1, e.g. `min 5`."
MSG_SENSITIVITY_BAD = "`{word}` is not a sensitivity: use low, normal or high."
MSG_SNOOZE_MISSING = "For how long? e.g. `alerts snooze 2h`, `alerts snooze until 17:30` or `alerts snooze off`."
MSG_SNOOZE_BAD = "`{word}` is not a snooze I understand; try `2h`, `30m`, `1d` or `until 17:30`."
MSG_SNOOZE_TOO_LONG = "Alerts snooze for at most 7 days (`{word}`); use `/lexer alerts off` to stop them."

_EXAMPLES = {
    "group": 'group:"Email Support"',
    "agent": "agent:jane@example.com",
    "form": "form:123",
    "window": "window 30m",
    "min": "min 5",
    "sensitivity": "sensitivity high",
    "tz": "tz Australia/Sydney",
}

# tokens someone might paste by mistake; never echoed back
_SECRET_RE = re.compile(r"xox[a-z]-|xapp-|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", re.IGNORECASE)
_KEY_RE = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_RANGE_LIKE_RE = re.compile(r"^(last|this|past|next)[-_]|^\d{4}-\d|\.\.", re.ASCII)
_DATE_PIECE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m\.|p\.m\.)?$", re.ASCII)
_TIME_LIKE_RE = re.compile(r"^\d{1,2}[:.]\d{2}([ap]\.?m\.?)?$|^\d{1,2}[ap]\.?m\.?$", re.ASCII)
_HHMM_RE = re.compile(r"^(\d{2})(\d{2})$", re.ASCII)
_UNSUB_RE = re.compile(r"^#?(\d{1,9})$", re.ASCII)
_INT_RE = re.compile(r"^\d{1,9}$", re.ASCII)
_DURATION_RE = re.compile(r"^(?:\d{1,5}[a-z]+)+$", re.ASCII)
_DURATION_PART_RE = re.compile(r"(\d{1,5})([a-z]+)", re.ASCII)
_DURATION_UNITS = {
    **dict.fromkeys(("d", "day", "days"), 1440),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
}
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "＂": '"'})


def suggest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to `word` (difflib), or None when nothing is close."""
    w = (word or "").strip().lower()
    if not w or len(w) > 40:  # long junk: nothing is close, and difflib is quadratic
        return None
    found = difflib.get_close_matches(w, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def is_admin_command(cmd: Command) -> bool:
    """True for exports, subscriptions and changing alerts (LEXERBOT_ADMINS only)."""
    if cmd.name == "alerts":
        return cmd.alerts_action in ALERTS_ADMIN_ACTIONS
    return cmd.name in ADMIN_COMMANDS


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One word of the text: kind word|text|channel|channel_name|mention|kv."""

    kind: str
    text: str  # word/text: as typed (quotes off, Slack links unwrapped); channel: id; kv: the value
    raw: str  # as typed, for messages
    key: str = ""

    @property
    def word(self) -> str | None:
        """The lower-cased keyword, only for plain unquoted words."""
        return self.text.lower() if self.kind == "word" else None


def _show(raw: str) -> str:
    """A word safe to quote back inside backticks: short, no backticks, never a token."""
    s = " ".join(_unescape(raw).replace("`", "'").split())
    if _SECRET_RE.search(s):
        return "…"
    return s if len(s) <= 40 else s[:39] + "…"


def _unescape(s: str) -> str:
    # Slack escapes only these three; &amp; last so "&amp;lt;" stays "&lt;"
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _split(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Text -> [(raw, [(segment kind plain|quoted|angle, segment text)])], quotes and <...> kept whole."""
    text = text.translate(_SMART_QUOTES)
    tokens: list[tuple[str, list[tuple[str, str]]]] = []
    segs: list[tuple[str, str]] = []
    buf: list[str] = []
    start = 0
    last_gt = text.rfind(">")
    i, n = 0, len(text)

    def flush_buf() -> None:
        if buf:
            segs.append(("plain", "".join(buf)))
            buf.clear()

    while i < n:
        c = text[i]
        if c.isspace():
            flush_buf()
            if segs:
                tokens.append((text[start:i], segs))
                segs = []
            i += 1
            start = i
            continue
        if not segs and not buf:
            start = i
        if c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                raise CommandError(MSG_UNCLOSED_QUOTE, hint=HINT_QUOTES)
            flush_buf()
            segs.append(("quoted", text[i + 1 : j]))
            i = j + 1
        elif c == "<" and i < last_gt:
            j = text.find(">", i + 1)
            flush_buf()
            segs.append(("angle", text[i + 1 : j]))
            i = j + 1
        else:
            buf.append(c)
            i += 1
    flush_buf()
    if segs:
        tokens.append((text[start:], segs))
    return tokens


def _angle_value(inner: str) -> str:
    """<mailto:a@b|a@b> -> a@b, <http://x.io|x.io> -> x.io; mentions stay as typed."""
    if inner.startswith(("#", "@", "!")):
        return f"<{inner}>"
    target, _, label = inner.partition("|")
    if target.lower().startswith("mailto:"):
        return _unescape(target[len("mailto:") :])
    return _unescape(label or target)


def _seg_value(seg: tuple[str, str]) -> str:
    kind, s = seg
    if kind == "angle":
        return _angle_value(s)
    return _unescape(s)


def _items(text: str) -> list[_Item]:
    """Text -> items; `key: value` with a space becomes one key:value item."""
    out: list[_Item] = []
    for raw, segs in _split(text):
        if len(segs) == 1 and segs[0][0] == "angle":
            inner = segs[0][1]
            # messages name these as Slack shows them (#general, @jane), not as escaped
            target, _, label = inner.partition("|")
            if inner.startswith("#") and target[1:].strip():
                out.append(_Item("channel", target[1:].strip(), "#" + (label or target[1:])))
                continue
            if inner.startswith(("#", "@", "!")):
                out.append(_Item("mention", inner, (label and "@" + label.lstrip("@")) or target))
                continue
        kind0, first = segs[0]
        m = _KEY_RE.match(first) if kind0 == "plain" else None
        if m and _known_key(m.group(1).lower()):
            value = _unescape(m.group(2)) + "".join(_seg_value(s) for s in segs[1:])
            out.append(_Item("kv", " ".join(value.split()), raw, key=m.group(1).lower()))
            continue
        value = "".join(_seg_value(s) for s in segs)
        if any(k != "plain" for k, _ in segs):
            # quoted or a Slack link: a name, never a keyword; `""` is nothing
            value = " ".join(value.split())
            if value:
                out.append(_Item("text", value, raw))
        elif value.startswith("#") and len(value) > 1:
            out.append(_Item("channel_name", value[1:].lower(), raw))
        else:
            out.append(_Item("word", value, raw))
    merged: list[_Item] = []
    for it in out:
        prev = merged[-1] if merged else None
        if prev and prev.kind == "kv" and not prev.text and _can_be_value(it):
            merged[-1] = _Item("kv", it.text.strip(), f"{prev.raw} {it.raw}", key=prev.key)
        else:
            merged.append(it)
    return merged


def _can_be_value(it: _Item) -> bool:
    """Whether `it` may be the value of a `key:` typed with a space before it."""
    if it.kind == "text":
        return True
    return it.kind == "word" and not is_range_text(it.text) and it.text.lower() != "public"


def _known_key(key: str) -> bool:
    if key in _FILTER_KEYS or key in _OPTION_KEYS or key in _KEY_ALIASES or key in _KEY_MISTAKES:
        return True
    found = difflib.get_close_matches(key, _FILTER_KEYS, n=1, cutoff=0.75) if len(key) <= 20 else []
    return bool(found)


# --- small value parsers -----------------------------------------------------------------------


def _canonical(word: str | None, names: Iterable[str], aliases: dict[str, str]) -> str | None:
    if word is None:
        return None
    w = word.replace("_", "-")
    if w in aliases:
        return aliases[w]
    return w if w in names else None


def _parse_time(s: str, *, after_at: bool) -> str | None:
    """'17:30', '9am', '5:30pm' (and after `at`: '9', '0900') -> 'HH:MM'; None if not a time."""
    s = s.lower()
    if s in ("noon", "midday"):
        return "12:00"
    if s == "midnight":
        return "00:00"
    if after_at and (m4 := _HHMM_RE.match(s)):
        hh, mm = int(m4.group(1)), int(m4.group(2))
        return f"{hh:02d}:{mm:02d}" if hh <= 23 and mm <= 59 else None
    m = _TIME_RE.match(s)
    if not m:
        return None
    hh, mm, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ampm:
        if not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if ampm.startswith("p") else 0)
    elif m.group(2) is None and not after_at:
        return None
    if hh > 23 or mm > 59:
        return None
    return f"{hh:02d}:{mm:02d}"


def _parse_duration(s: str) -> int | None:
    """'2h', '30m', '1d', '1h30m', '2 hours' -> minutes; None if not a duration."""
    s = "".join(s.lower().split())
    if not _DURATION_RE.match(s):
        return None
    total, seen = 0, set()
    for number, unit in _DURATION_PART_RE.findall(s):
        size = _DURATION_UNITS.get(unit)
        if size is None or size in seen:
            return None
        seen.add(size)
        total += int(number) * size
    return total


def _duration_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


@lru_cache(maxsize=1)
def _zones() -> tuple[dict[str, str], dict[str, str]]:
    """({lower key: key}, {lower city: key} for cities that name one zone)."""
    names = available_timezones() | {"UTC"}
    by_key = {z.lower(): z for z in names}
    cities: dict[str, str | None] = {}
    for z in sorted(names):
        if "/" in z and not z.lower().startswith(("etc/", "posix", "right")):
            city = z.rsplit("/", 1)[1].lower()
            cities[city] = None if city in cities else z
    return by_key, {c: z for c, z in cities.items() if z}


def _parse_tz(item: _Item) -> str:
    by_key, by_city = _zones()
    w = item.text.strip().lower().replace(" ", "_")
    if w in by_key:
        return by_key[w]
    if w in by_city:
        return by_city[w]
    s = suggest(w, by_key) or suggest(w, by_city)
    s = by_key.get(s or "", None) or by_city.get(s or "", None)
    if s:
        raise CommandError(MSG_TZ_UNKNOWN.format(word=_show(item.raw), suggestion=s), hint=HINT_TZ)
    raise CommandError(MSG_TZ_UNKNOWN_PLAIN.format(word=_show(item.raw)), hint=HINT_TZ)


def _range_error(item: _Item) -> BadRangeError:
    w = (item.word or item.text).lower()
    if _DATE_PIECE_RE.search(w) or re.match(r"^\d{4}-", w, re.ASCII):
        return BadRangeError(MSG_BAD_RANGE.format(word=_show(item.raw)), hint=HINT_DATES)
    s = suggest(w.replace("_", "-"), RANGE_WORDS)
    if s:
        return BadRangeError(
            MSG_BAD_RANGE_SUGGEST.format(word=_show(item.raw), suggestion=s), hint=f"Ranges: {RANGE_HELP}."
        )
    return BadRangeError(MSG_BAD_RANGE.format(word=_show(item.raw)), hint=f"Ranges: {RANGE_HELP}.")


def _checked_range(item: _Item) -> str:
    """A RANGE word, lower-cased; its dates must be real (future/12 months are parse_range's job)."""
    w = item.text.lower()
    for piece in _DATE_PIECE_RE.findall(w):
        try:
            date.fromisoformat(piece)
        except ValueError:
            raise BadRangeError(MSG_BAD_DATE.format(word=_show(piece)), hint=HINT_DATES) from None
    return w


def _is_range(item: _Item) -> bool:
    return item.kind == "word" and is_range_text(item.text)


def _looks_like_range(item: _Item) -> bool:
    return item.kind == "word" and bool(_RANGE_LIKE_RE.search(item.text.lower()))


# --- the parser --------------------------------------------------------------------------------


class _Fields(dict):
    """Command fields being collected; remembers what was typed, to name both words of a clash."""

    def __init__(self, command: str):
        super().__init__()
        self.command = command
        self.raws: dict[str, str] = {}

    def set_once(self, field: str, value: object, item: _Item, what: str) -> None:
        if self.get(field) is not None:
            raise CommandError(
                MSG_TWO.format(what=what, first=_show(self.raws[field]), second=_show(item.raw)),
                hint=_usage_hint(self.command),
            )
        self[field] = value
        self.raws[field] = item.raw


def _usage_hint(name: str) -> str:
    return "Usage: " + USAGE[name]


def _unknown(command: str, item: _Item, vocabulary: Iterable[str] = ()) -> CommandError:
    """The error for a word `command` has no place for, with the closest word it does take."""
    if item.kind == "mention":
        return CommandError(MSG_MENTION.format(command=command, word=_show(item.raw)), hint=HINT_AGENT)
    if item.kind in ("channel", "channel_name"):
        return CommandError(
            MSG_CHANNEL_NOT_HERE.format(command=command, word=_show(item.raw)), hint=_usage_hint(command)
        )
    if _is_range(item):
        return BadRangeError(MSG_NO_RANGE.format(command=command, word=_show(item.raw)), hint=_usage_hint(command))
    if item.kind == "kv" and item.key in _FILTER_KEYS and command not in FILTER_COMMANDS:
        return CommandError(MSG_NO_FILTERS.format(command=command, word=_show(item.raw)), hint=_usage_hint(command))
    word = item.word
    if word in _CATEGORY_WORDS and command != "nps":
        return CommandError(MSG_CATEGORY_NOT_HERE.format(word=_CATEGORY_WORDS[word]), hint=USAGE["nps"])
    if word is not None and _looks_like_range(item):
        return _range_error(item)
    s = suggest(word, vocabulary) if word else None
    if s:
        return CommandError(
            MSG_UNKNOWN_WORD_SUGGEST.format(word=_show(item.raw), command=command, suggestion=s),
            hint=_usage_hint(command),
        )
    return CommandError(MSG_UNKNOWN_WORD.format(word=_show(item.raw), command=command), hint=_usage_hint(command))


_CATEGORY_WORDS = {**{c: c for c in NPS_CATEGORIES}, **_CATEGORY_ALIASES}
_REPORT_VOCAB = (*RANGE_WORDS, "public")


def _filter(f: _Fields, item: _Item, *, allow_form: bool) -> None:
    """Apply one key:value item that is a filter (group:/agent:/form:)."""
    key = _KEY_ALIASES.get(item.key, item.key)
    if key in _KEY_MISTAKES or key not in _FILTER_KEYS + _OPTION_KEYS:
        s = _KEY_MISTAKES.get(key) or suggest(key, _FILTER_KEYS)
        raise CommandError(
            MSG_KEY_MISTAKE.format(key=_show(item.key), suggestion=s or "group"), hint=_usage_hint(f.command)
        )
    if key not in _FILTER_KEYS:
        raise _unknown(f.command, item, _REPORT_VOCAB)
    if key == "form" and not allow_form:
        raise CommandError(MSG_FORM_NOT_HERE, hint=USAGE["nps"])
    if key != "form" and f.command not in FILTER_COMMANDS:
        raise CommandError(MSG_NO_FILTERS.format(command=f.command, word=_show(item.raw)), hint=_usage_hint(f.command))
    value = item.text.strip()
    if not value:
        raise CommandError(MSG_EMPTY_KEY.format(key=key, example=_EXAMPLES[key]), hint=_usage_hint(f.command))
    if key == "agent" and value.startswith("<"):
        raise CommandError(MSG_AGENT_MENTION, hint=HINT_AGENT)
    f.set_once(key, value, item, {"group": "group", "agent": "agent", "form": "form"}[key])


def _form_words(f: _Fields, items: list[_Item]) -> None:
    """The words left over in nps: one form id or name."""
    if not items:
        return
    # with the form already given (an id, a quoted name or form:), a word close to a range or
    # category is a typo of one ("nps 55 lastweek"), not more of the form's name
    for i in range(len(items)):
        spaced = _spaced_range(items, i)
        if spaced:  # "nps 55 last 30 days": a range in words, not more of the form's name
            raise BadRangeError(
                MSG_UNKNOWN_WORD_SUGGEST.format(word=_show(spaced[0]), command=f.command, suggestion=spaced[1]),
                hint=f"A range is one word. Ranges: {RANGE_HELP}.",
            )
    vocab = _REPORT_VOCAB + NPS_CATEGORIES
    anchors = [it for it in items if it.kind == "text" or (it.kind == "word" and it.text.isdigit())]
    if f.get("form") is not None or (len(items) > 1 and len(anchors) == 1):
        for it in items:
            if it not in anchors and it.word and suggest(it.word, vocab):
                raise _unknown(f.command, it, vocab)
    if len(items) > 1 and any(it.kind == "text" for it in items):
        raise CommandError(MSG_TWO_FORMS, hint=HINT_FORM)
    for it in items:
        if _looks_like_range(it):
            raise _range_error(it)
    joined = _Item("text", " ".join(it.text for it in items), " ".join(it.raw for it in items))
    f.set_once("form", joined.text, joined, "form")


_SINGLE_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_N_UNIT_RE = re.compile(r"^(\d{1,4})(d|h)$", re.ASCII)


def _spaced_range(items: list[_Item], i: int) -> tuple[str, str] | None:
    """`7d` or `last 7 days` / `last 12 hours` at items[i]: (what was typed, the RANGE meant)."""
    words = [it.word or "" for it in items[i : i + 3]]
    if m := _N_UNIT_RE.match(words[0]):
        return items[i].raw, f"last-{m.group(1)}{m.group(2)}"
    if len(words) >= 2 and words[0] in ("last", "past") and words[1].isascii() and words[1].isdigit():
        n, unit = int(words[1]), (words[2] if len(words) > 2 else "")
        if unit.startswith(("day", "hour", "hr", "week", "wk")):
            typed = " ".join(it.raw for it in items[i : i + 3])
            return typed, (f"last-{n}h" if unit[:1] == "h" else f"last-{n * 7 if unit[:1] == 'w' else n}d")
        if unit.isalpha():  # months, years…: no one-word range says that
            return None
        return " ".join(it.raw for it in items[i : i + 2]), f"last-{n}d"
    return None


def _report(f: _Fields, items: list[_Item], *, allow_form: bool, allow_category: bool) -> None:
    """RANGE, filters and (nps) category and FORM words."""
    leftovers: list[_Item] = []
    prev: _Item | None = None
    for i, it in enumerate(items):
        if it.kind == "kv":
            _filter(f, it, allow_form=allow_form)
        elif _is_range(it):
            first = f.get("range_text")
            if first and _SINGLE_DATE_RE.match(first) and _SINGLE_DATE_RE.match(it.text):
                # two dates typed apart: they meant a span
                raise BadRangeError(
                    MSG_TWO.format(what="range", first=_show(f.raws["range_text"]), second=_show(it.raw)),
                    hint=f"For several days write one range: `{first}..{it.text.lower()}`.",
                )
            f.set_once("range_text", _checked_range(it), it, "range")
        elif allow_category and it.word in _CATEGORY_WORDS:
            f.set_once("category", _CATEGORY_WORDS[it.word], it, "category")  # type: ignore[index]
        elif allow_form and it.kind in ("word", "text"):
            leftovers.append(it)
        else:
            spaced = _spaced_range(items, i)
            if spaced:
                raise BadRangeError(
                    MSG_UNKNOWN_WORD_SUGGEST.format(word=_show(spaced[0]), command=f.command, suggestion=spaced[1]),
                    hint=f"A range is one word. Ranges: {RANGE_HELP}.",
                )
            err = _unknown(f.command, it, _REPORT_VOCAB + (NPS_CATEGORIES if allow_category else ()))
            plain = MSG_UNKNOWN_WORD.format(word=_show(it.raw), command=f.command)
            if err.message == plain and prev is not None and prev.kind == "kv" and prev.key in ("group", "agent"):
                # `agent:Jane Remington`: likely the rest of an unquoted name; say how to quote it
                err = CommandError(
                    plain,
                    hint=f"Put a name with spaces in double quotes, e.g. "
                    f'{prev.key}:"{_show(prev.text)} {_show(it.raw)}".',
                )
            raise err
        prev = it
    _form_words(f, leftovers)


def _plain(f: _Fields, items: list[_Item]) -> None:
    """users, groups, forms, subscriptions: nothing but `public`."""
    for it in items:
        raise _unknown(f.command, it, ("public",))


def _help(f: _Fields, items: list[_Item]) -> None:
    if not items:
        return
    first = items[0]
    topic = _canonical(first.word, COMMANDS, _COMMAND_ALIASES)
    if topic is None:
        s = suggest(first.word or first.text, COMMANDS)
        msg = (
            MSG_UNKNOWN_TOPIC.format(word=_show(first.raw), suggestion=s)
            if s
            else MSG_UNKNOWN_TOPIC_PLAIN.format(word=_show(first.raw))
        )
        raise CommandError(msg, hint=HINT_COMMANDS)
    f["topic"] = topic
    for it in items[1:]:
        raise _unknown("help", it)


def _pick_kind(
    f: _Fields, items: list[_Item], names: tuple[str, ...], aliases: dict[str, str], field: str, what: str
) -> list[_Item]:
    """Find the export/digest kind word anywhere; return the other items."""
    rest = []
    for it in items:
        kind = _canonical(it.word, names, aliases)
        if kind is not None:
            f.set_once(field, kind, it, what)
        else:
            rest.append(it)
    return rest


def _export(f: _Fields, items: list[_Item]) -> None:
    rest = _pick_kind(f, items, EXPORT_KINDS, _EXPORT_ALIASES, "export_kind", "kind")
    kind = f.get("export_kind")
    if kind is None:
        first = next((it for it in items if it.word and not _is_range(it)), None)
        s = suggest(first.word, EXPORT_KINDS) if first and first.word else None
        if first is None:
            raise CommandError(MSG_EXPORT_KIND_MISSING, hint=_usage_hint("export"))
        if s:
            raise CommandError(
                MSG_EXPORT_KIND_UNKNOWN.format(word=_show(first.raw), suggestion=s), hint=_usage_hint("export")
            )
        raise CommandError(MSG_EXPORT_KIND_UNKNOWN_PLAIN.format(word=_show(first.raw)), hint=_usage_hint("export"))
    _report(f, rest, allow_form=kind == "nps", allow_category=kind == "nps")


def _take_time(f: _Fields, items: list[_Item], i: int) -> int:
    """`at TIME` starting at items[i] (the `at`); returns the next index."""
    if i + 1 >= len(items) or items[i + 1].kind not in ("word", "text"):
        raise CommandError(MSG_AT_NO_TIME, hint=_usage_hint(f.command))
    nxt, used = items[i + 1], 2
    text = nxt.text
    if i + 2 < len(items) and items[i + 2].word in ("am", "pm", "a.m.", "p.m."):
        text, used = text + items[i + 2].word, 3  # type: ignore[operator]
    value = _parse_time(text, after_at=True)
    if value is None:
        raise CommandError(MSG_BAD_TIME.format(word=_show(text)), hint=_usage_hint(f.command))
    f.set_once("at_time", value, nxt, "time")
    return i + used


def _take_value(f: _Fields, items: list[_Item], i: int, key: str) -> tuple[_Item, int]:
    """The item after a `window`/`min`/`tz`… keyword, or the value of a key:value item."""
    it = items[i]
    if it.kind == "kv":
        if not it.text:
            raise CommandError(MSG_VALUE_MISSING.format(key=key, example=_EXAMPLES[key]), hint=_usage_hint(f.command))
        return _Item("word", it.text, it.raw), i + 1
    if i + 1 >= len(items) or items[i + 1].kind not in ("word", "text"):
        raise CommandError(MSG_VALUE_MISSING.format(key=key, example=_EXAMPLES[key]), hint=_usage_hint(f.command))
    return items[i + 1], i + 2


def _channel(f: _Fields, it: _Item) -> None:
    field = "channel_id" if it.kind == "channel" else "channel_name"
    if f.get("channel_id") is not None or f.get("channel_name") is not None:
        prev = f.raws.get("channel_id") or f.raws.get("channel_name") or ""
        raise CommandError(
            MSG_TWO.format(what="channel", first=_show(prev), second=_show(it.raw)), hint=_usage_hint(f.command)
        )
    f.set_once(field, it.text, it, "channel")


def _is_channel(it: _Item) -> bool:
    return it.kind in ("channel", "channel_name")


_SUBSCRIBE_VOCAB = (
    *CADENCES,
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "at",
    "tz",
    "public",
)


def _subscribe(f: _Fields, items: list[_Item]) -> None:
    items = _pick_kind(f, items, DIGEST_KINDS, _DIGEST_ALIASES, "digest_kind", "digest")
    if f.get("digest_kind") is None:
        first = next((it for it in items if it.word), None)
        s = suggest(first.word, DIGEST_KINDS) if first and first.word else None
        if s and first:
            raise CommandError(
                MSG_DIGEST_KIND_UNKNOWN.format(word=_show(first.raw), suggestion=s), hint=_usage_hint("subscribe")
            )
        raise CommandError(MSG_DIGEST_KIND_MISSING, hint=_usage_hint("subscribe"))
    is_nps = f["digest_kind"] == "nps"
    leftovers: list[_Item] = []
    i = 0
    while i < len(items):
        it, w = items[i], items[i].word
        nxt = items[i + 1] if i + 1 < len(items) else None
        if _is_channel(it):
            _channel(f, it)
        elif w in ("in", "to") and nxt is not None and _is_channel(nxt):
            pass  # "subscribe sla to #support"
        elif (
            w in ("on", "every") and nxt is not None and (nxt.word in _WEEKDAYS or nxt.word in ("weekday", "weekdays"))
        ):
            pass  # "weekly on monday", "every monday"
        elif (cadence := _canonical(w, CADENCES, _CADENCE_ALIASES)) is not None:
            f.set_once("cadence", cadence, it, "schedule")
        elif w in _WEEKDAYS:
            f.set_once("weekday", _WEEKDAYS[w], it, "day")
        elif w == "at":
            i = _take_time(f, items, i)
            continue
        elif w is not None and _TIME_LIKE_RE.match(w):
            value = _parse_time(w, after_at=False)
            if value is None:
                raise CommandError(MSG_BAD_TIME.format(word=_show(it.raw)), hint=_usage_hint("subscribe"))
            f.set_once("at_time", value, it, "time")
        elif w in ("tz", "timezone") or (it.kind == "kv" and _KEY_ALIASES.get(it.key, it.key) == "tz"):
            if it.kind != "kv" and (nxt is None or nxt.kind not in ("word", "text")):
                raise CommandError(MSG_TZ_MISSING, hint=HINT_TZ)
            value_item, i = _take_value(f, items, i, "tz")
            f.set_once("tz_name", _parse_tz(value_item), value_item, "time zone")
            continue
        elif w is not None and "/" in w and w.lower() in _zones()[0]:
            f.set_once("tz_name", _zones()[0][w.lower()], it, "time zone")
        elif it.kind == "kv" and _KEY_ALIASES.get(it.key, it.key) == "form":
            _filter(f, it, allow_form=is_nps)
        elif _is_range(it):
            raise BadRangeError(MSG_NO_RANGE_DIGEST.format(word=_show(it.raw)), hint=_usage_hint("subscribe"))
        elif is_nps and it.kind in ("word", "text"):
            leftovers.append(it)
        else:
            raise _unknown("subscribe", it, _SUBSCRIBE_VOCAB)
        i += 1
    _form_words(f, leftovers)
    cadence, weekday = f.get("cadence"), f.get("weekday")
    if weekday is not None and cadence is None:
        f["cadence"] = "weekly"  # "subscribe sla monday" means every Monday
    elif weekday is not None and cadence != "weekly":
        day = f.raws["weekday"]
        raise CommandError(MSG_DAY_WITH_CADENCE.format(day=_show(day), cadence=cadence), hint=_usage_hint("subscribe"))
    elif cadence == "weekly" and weekday is None:
        raise CommandError(MSG_WEEKLY_NO_DAY, hint=_usage_hint("subscribe"))


def _unsubscribe(f: _Fields, items: list[_Item]) -> None:
    if not items:
        raise CommandError(MSG_UNSUB_MISSING, hint=HINT_UNSUB)
    for it in items:
        m = _UNSUB_RE.match(it.text if it.kind == "channel_name" else it.word or "")
        if it.kind not in ("word", "channel_name") or not m or int(m.group(1)) == 0:
            if f.get("subscription_id") is not None:
                raise _unknown("unsubscribe", it)
            raise CommandError(MSG_UNSUB_BAD.format(word=_show(it.raw)), hint=HINT_UNSUB)
        f.set_once("subscription_id", int(m.group(1)), it, "subscription number")


_ALERTS_ON_VOCAB = ("window", "min", "sensitivity", *SENSITIVITIES, "public")


def _alerts(f: _Fields, items: list[_Item]) -> None:
    if not items:
        f["alerts_action"] = "status"
        return
    first, rest = items[0], items[1:]
    action = _canonical(first.word, ALERTS_ACTIONS, _ALERTS_ALIASES)
    if action is None:
        s = suggest(first.word or "", ALERTS_ACTIONS)
        msg = (
            MSG_ALERTS_UNKNOWN.format(word=_show(first.raw), suggestion=s)
            if s
            else MSG_ALERTS_UNKNOWN_PLAIN.format(word=_show(first.raw))
        )
        raise CommandError(msg, hint=_usage_hint("alerts"))
    f["alerts_action"] = action
    if action in ("status", "off"):
        for it in rest:
            raise _unknown("alerts", it)
    elif action == "on":
        _alerts_on(f, rest)
    else:
        _alerts_snooze(f, rest)


def _alerts_on(f: _Fields, items: list[_Item]) -> None:
    i = 0
    while i < len(items):
        it, w = items[i], items[i].word
        key = _KEY_ALIASES.get(it.key, it.key) if it.kind == "kv" else _KEY_ALIASES.get(w or "", w)
        nxt = items[i + 1] if i + 1 < len(items) else None
        if _is_channel(it):
            _channel(f, it)
        elif w in ("in", "to") and nxt is not None and _is_channel(nxt):
            pass
        elif key == "window":
            value, i = _take_value(f, items, i, "window")
            minutes = _parse_duration(value.text)
            if minutes is None or not WINDOW_MINUTES[0] <= minutes <= WINDOW_MINUTES[1]:
                raise CommandError(MSG_WINDOW_BAD.format(word=_show(value.raw)), hint=_usage_hint("alerts"))
            f.set_once("window_minutes", minutes, value, "window")
            continue
        elif key == "min":
            value, i = _take_value(f, items, i, "min")
            n = int(value.text) if _INT_RE.match(value.text) else 0
            if not MIN_COUNT[0] <= n <= MIN_COUNT[1]:
                raise CommandError(MSG_MIN_BAD.format(word=_show(value.raw)), hint=_usage_hint("alerts"))
            f.set_once("min_count", n, value, "minimum")
            continue
        elif key == "sensitivity":
            value, i = _take_value(f, items, i, "sensitivity")
            level = _canonical(value.text.lower(), SENSITIVITIES, _SENSITIVITY_ALIASES)
            if level is None:
                raise CommandError(MSG_SENSITIVITY_BAD.format(word=_show(value.raw)), hint=_usage_hint("alerts"))
            f.set_once("sensitivity", level, value, "sensitivity")
            continue
        elif (level := _canonical(w, SENSITIVITIES, _SENSITIVITY_ALIASES)) is not None:
            f.set_once("sensitivity", level, it, "sensitivity")
        else:
            raise _unknown("alerts", it, _ALERTS_ON_VOCAB)
        i += 1


def _alerts_snooze(f: _Fields, items: list[_Item]) -> None:
    if items and items[0].word == "for":
        items = items[1:]
    if not items:
        raise CommandError(MSG_SNOOZE_MISSING, hint=_usage_hint("alerts"))
    for it in items:
        if it.kind != "word":
            raise _unknown("alerts", it)
    first = items[0]
    if first.word == "off" and len(items) == 1:
        f["snooze_text"] = "off"
        return
    if first.word == "until":
        text = "".join(it.text for it in items[1:])
        value = _parse_time(text, after_at=True) if text else None
        if value is None:
            raise CommandError(MSG_BAD_TIME.format(word=_show(text or "until")), hint=_usage_hint("alerts"))
        f["snooze_text"] = f"until {value}"
        return
    text = " ".join(it.text for it in items)
    minutes = _parse_duration(text)
    if minutes is None or minutes < 1:
        raise CommandError(MSG_SNOOZE_BAD.format(word=_show(text)), hint=_usage_hint("alerts"))
    if minutes > SNOOZE_MAX_MINUTES:
        raise CommandError(MSG_SNOOZE_TOO_LONG.format(word=_show(text)), hint=_usage_hint("alerts"))
    f["snooze_text"] = _duration_text(minutes)


def _command_name(item: _Item) -> str:
    name = _canonical(item.word, COMMANDS, _COMMAND_ALIASES)
    if name is not None:
        return name
    if _is_range(item) or item.kind == "kv":
        raise CommandError(MSG_NEEDS_COMMAND.format(word=_show(item.raw)), hint=HINT_COMMANDS)
    s = suggest((item.word or "").replace("_", "-"), COMMANDS)
    msg = (
        MSG_UNKNOWN_COMMAND.format(word=_show(item.raw), suggestion=s)
        if s
        else MSG_UNKNOWN_COMMAND_PLAIN.format(word=_show(item.raw))
    )
    raise CommandError(msg, hint=HINT_COMMANDS)


def parse_command(text: str) -> Command:
    """`/lexer` text -> Command; CommandError (or BadRangeError) says what is wrong and how to write it."""
    items = _items(text or "")
    public = any(it.word == "public" for it in items)
    items = [it for it in items if it.word != "public"]
    if not items:
        return Command("help", public=public)
    name = _command_name(items[0])
    rest = items[1:]
    if name != "help" and any(it.word in ("help", "?", "--help") for it in rest):
        return Command("help", topic=name, public=public)
    f = _Fields(name)
    if name in REPORT_COMMANDS:
        _report(f, rest, allow_form=name == "nps", allow_category=name == "nps")
    elif name == "help":
        _help(f, rest)
    elif name == "export":
        _export(f, rest)
    elif name == "subscribe":
        _subscribe(f, rest)
    elif name == "unsubscribe":
        _unsubscribe(f, rest)
    elif name == "alerts":
        _alerts(f, rest)
    else:
        _plain(f, rest)
    return Command(name, public=public, **f)
