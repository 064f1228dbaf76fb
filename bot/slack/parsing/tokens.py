"""`/lexer` text -> items (pure): words, quoted names, key:value words, channels and mentions."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.errors import CommandError
from bot.timeframe import is_range_text

FILTER_KEYS = ("group", "agent", "form")
OPTION_KEYS = ("window", "min", "sensitivity", "tz")
KEY_ALIASES = {"minimum": "min", "survey": "form", "timezone": "tz"}
# keys people reach for that mean one of ours
KEY_MISTAKES = {"user": "agent", "email": "agent", "team": "group"}

MSG_UNCLOSED_QUOTE = "A double quote isn't closed."
HINT_QUOTES = 'Put names with spaces in double quotes, e.g. group:"Email Support".'

# tokens someone might paste by mistake; never echoed back, and a command holding one is never kept:
# Slack's (xoxb-, xoxp-, xapp-…), Lexer's (uuid-shaped, as in the API's examples), and any run of 32 or more
# base64 or hex characters with a digit in it (a key or token of another shape; no word or name is that long)
_SECRET_RE = re.compile(
    r"xox[a-z]-|xapp-|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"|(?<![A-Za-z0-9+/=_])(?=[A-Za-z0-9+/=_]*[0-9])[A-Za-z0-9+/=_]{32,}",
    re.IGNORECASE,
)
_KEY_RE = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "＂": '"'})


@dataclass(frozen=True)
class Item:
    """One word of the text: kind word|text|channel|channel_name|mention|kv."""

    kind: str
    text: str  # word/text: as typed (quotes off, Slack links unwrapped); channel: id; kv: the value
    raw: str  # as typed, for messages
    key: str = ""

    @property
    def word(self) -> str | None:
        """The lower-cased keyword, only for plain unquoted words."""
        return self.text.lower() if self.kind == "word" else None


def show(raw: str) -> str:
    """A word safe to quote back inside backticks: short, no backticks, never a token."""
    s = " ".join(_unescape(raw).replace("`", "'").split())
    if _SECRET_RE.search(s):
        return "…"
    return s if len(s) <= 40 else s[:39] + "…"


def looks_secret(text: str) -> bool:
    """Whether the text holds something shaped like a token or key."""
    return _SECRET_RE.search(_unescape(text)) is not None


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


def tokenize(text: str) -> list[Item]:
    """Text -> items; `key: value` with a space becomes one key:value item."""
    out: list[Item] = []
    for raw, segs in _split(text):
        if len(segs) == 1 and segs[0][0] == "angle":
            inner = segs[0][1]
            # messages name these as Slack shows them (#general, @jane), not as escaped
            target, _, label = inner.partition("|")
            if inner.startswith("#") and target[1:].strip():
                out.append(Item("channel", target[1:].strip(), "#" + (label or target[1:])))
                continue
            if inner.startswith(("#", "@", "!")):
                out.append(Item("mention", inner, (label and "@" + label.lstrip("@")) or target))
                continue
        kind0, first = segs[0]
        m = _KEY_RE.match(first) if kind0 == "plain" else None
        if m and _known_key(m.group(1).lower()):
            value = _unescape(m.group(2)) + "".join(_seg_value(s) for s in segs[1:])
            out.append(Item("kv", " ".join(value.split()), raw, key=m.group(1).lower()))
            continue
        value = "".join(_seg_value(s) for s in segs)
        if any(k != "plain" for k, _ in segs):
            # quoted or a Slack link: a name, never a keyword; `""` is nothing
            value = " ".join(value.split())
            if value:
                out.append(Item("text", value, raw))
        elif value.startswith("#") and len(value) > 1:
            out.append(Item("channel_name", value[1:].lower(), raw))
        else:
            out.append(Item("word", value, raw))
    merged: list[Item] = []
    for it in out:
        prev = merged[-1] if merged else None
        if prev and prev.kind == "kv" and not prev.text and _can_be_value(it):
            merged[-1] = Item("kv", it.text.strip(), f"{prev.raw} {it.raw}", key=prev.key)
        else:
            merged.append(it)
    return merged


def _can_be_value(it: Item) -> bool:
    """Whether `it` may be the value of a `key:` typed with a space before it."""
    if it.kind == "text":
        return True
    return it.kind == "word" and not is_range_text(it.text) and it.text.lower() != "public"


def _known_key(key: str) -> bool:
    if key in FILTER_KEYS or key in OPTION_KEYS or key in KEY_ALIASES or key in KEY_MISTAKES:
        return True
    found = difflib.get_close_matches(key, FILTER_KEYS, n=1, cutoff=0.75) if len(key) <= 20 else []
    return bool(found)
