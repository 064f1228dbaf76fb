"""The sandbox's CSV exports, streamed in ~64 KB chunks, optionally padded with synthetic rows to an exact size.

Synthetic rows come from a precomputed block of rows whose only varying part is
a fixed-width row number, so a chunk costs one bytes-%-format and the output
size is known in advance (hence an exact Content-Length).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from bot.sandbox.data.activity import ActivityData
from bot.sandbox.data.records import Case, Message, Query, Survey
from bot.sandbox.data.reports import nps_submissions
from bot.sandbox.data.world import CLASSIFICATIONS, FORMS, iso_z

CHUNK = 64 * 1024
_CLASS_NAMES = {c[0]: c[1] for c in CLASSIFICATIONS}
_FORM_NAMES = {f["id"]: f["name"] for f in FORMS}

COLUMNS = {
    "case_details": [
        "case_id",
        "created_at",
        "closed_at",
        "customer_handle",
        "channel",
        "group",
        "agent_id",
        "agent_name",
        "agent_email",
        "agents_involved",
        "agent_interactions",
        "messages",
        "first_reply_time_s",
        "resolution_time_s",
        "classifications",
        "state",
    ],
    "mention_sla_export": [
        "message_id",
        "case_id",
        "received_at",
        "assigned_at",
        "responded_at",
        "channel",
        "customer_handle",
        "agent_id",
        "agent_name",
        "state",
        "customer_wait_s",
        "agent_response_s",
        "broke_sla",
        "broke_action_sla",
        "private",
        "classifications",
        "notes",
    ],
    "nps_submissions": [
        "submission_id",
        "form_id",
        "form_name",
        "sent_at",
        "submitted_at",
        "score",
        "category",
        "comment",
        "agent_id",
        "agent_name",
        "customer_handle",
    ],
}


def _secs(v: float | None) -> str:
    return "" if v is None else f"{v:.3f}"


def _classes(ids) -> str:
    return ";".join(_CLASS_NAMES[c] for c in ids)


def _case_row(data: ActivityData, c: Case) -> list:
    lead = data.agents[c.messages[0].agent]
    return [
        c.id,
        iso_z(c.created),
        iso_z(c.closed_at),
        c.customer,
        c.channel,
        "Social Customer Care" if c.group == 123 else "Email Support",
        lead.id,
        lead.name,
        lead.email,
        len(c.replying_agents),
        c.interactions,
        len(c.messages),
        _secs(c.first_reply),
        _secs(c.resolution),
        _classes(c.classes),
        "closed",
    ]


def _message_row(data: ActivityData, m: Message, now: float) -> list:
    a = data.agents[m.agent]
    responded = m.responded_by(now)
    return [
        m.id,
        m.case_id,
        iso_z(m.ts),
        iso_z(m.pick_ts) if now >= m.pick_ts else "",
        iso_z(m.done_ts) if responded else "",
        m.channel,
        m.customer,
        a.id,
        a.name,
        m.state_at(now),
        _secs(m.wait) if responded else "",
        _secs(m.action) if responded else "",
        str(responded and m.broke).lower(),
        str(responded and m.broke_action).lower(),
        str(responded and m.private).lower(),
        _classes(m.classes),
        m.note,
    ]


def _survey_row(data: ActivityData, s: Survey) -> list:
    a = data.agents[s.agent]
    return [
        s.id,
        s.form,
        _FORM_NAMES.get(s.form, ""),
        iso_z(s.sent_ts),
        iso_z(s.submitted_ts or 0),
        s.score,
        s.category,
        s.comment,
        a.id,
        a.name,
        s.customer,
    ]


def real_rows(data: ActivityData, q: Query, now_dt: datetime) -> Iterator[list]:
    """The rows of the range, as the export's query selects them."""
    now = now_dt.timestamp()
    if q.type == "case_details":
        for c in data.cases_closed_between(q.t0, q.t1, now):
            if q.agents is None or c.agents & q.agents:
                yield _case_row(data, c)
    elif q.type == "mention_sla_export":
        for m in data.messages_between(q.t0, q.t1, now):
            if q.agents is None or m.agent in q.agents:
                yield _message_row(data, m, now)
    else:
        for s in nps_submissions(data, q, now):
            yield _survey_row(data, s)


def _encode(rows: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


# one synthetic row per kind; "{n}" is the varying 12-digit row number, NOTE the padding point
_SYNTHETIC = {
    "case_details": "9{n},2026-01-05T01:00:00Z,2026-01-06T09:30:00Z,@synthetic_{n},twitter,Social Customer Care,"
    "20481,Jane Remington,jane.remington@brightwave.example,1,2,2,612.500,3720.250,delivery,closed,NOTE",
    "mention_sla_export": "9{n},9{n},2026-01-05T01:00:00Z,2026-01-05T01:08:00Z,2026-01-05T01:10:12Z,twitter,"
    "@synthetic_{n},20481,Jane Remington,closed,612.500,132.250,false,false,false,delivery,NOTE",
    "nps_submissions": "9{n},55,NPS Survey,2026-01-05T01:00:00Z,2026-01-05T03:00:00Z,10,promoters,Great service,"
    "20481,Jane Remington,@synthetic_{n}NOTE",
}
_ROW_VARIANTS = ("", "x", "follow-up", "refund issued", "tracking sent", "escalated")


def _synthetic_template(kind: str) -> tuple[bytes, int, int, bytes, bytes]:
    """(chunk template, rows per chunk, chunk length, padded-row prefix, padded-row suffix)."""
    row = _SYNTHETIC[kind].replace("{n}", "%012d")
    rows = [row.replace("NOTE", v) + "\n" for v in _ROW_VARIANTS]
    per_chunk = max(1, CHUNK // len(rows[0]))
    tmpl = "".join(rows[i % len(rows)] for i in range(per_chunk))
    chunk_len = len(tmpl % tuple([0] * tmpl.count("%012d")))
    prefix, _, suffix = row.partition("NOTE")
    return tmpl.encode(), per_chunk, chunk_len, prefix.encode(), (suffix + "\n").encode()


def stream_csv(data: ActivityData, q: Query, now: datetime, size: int | None) -> tuple[Iterator[bytes], int | None]:
    """(chunks, exact length if known). size=None: the real rows; else exactly `size` bytes, real rows first."""
    header = _encode([COLUMNS[q.type]])
    if size is None:
        return _real_chunks(data, q, now, header), None
    tmpl, per_chunk, chunk_len, prefix, suffix = _synthetic_template(q.type)
    min_row = len(prefix % _zeros(prefix)) + len(suffix % _zeros(suffix))
    if size < len(header) + min_row:  # too small for even one row: just the header
        return iter([header]), len(header)
    return _sized_chunks(data, q, now, header, size, tmpl, per_chunk, chunk_len, prefix, suffix, min_row), size


def _zeros(fmt: bytes) -> tuple:
    return tuple([0] * fmt.count(b"%012d"))


def _real_chunks(
    data: ActivityData,
    q: Query,
    now: datetime,
    header: bytes,
    budget: int | None = None,
    min_tail: int = 0,
    used_out: list[int] | None = None,
) -> Iterator[bytes]:
    """Header then the real rows; with a budget, stop before a row would leave less than min_tail (but not 0)."""
    parts, pending, used = [header], len(header), len(header)
    rows = real_rows(data, q, now)
    stop = False
    while not stop:
        batch = list(islice(rows, 256))
        if not batch:
            break
        encoded = [_encode(batch)] if budget is None else [_encode([r]) for r in batch]
        for enc in encoded:
            if budget is not None:
                left = budget - used - len(enc)
                if left != 0 and left < min_tail:
                    stop = True
                    break
            parts.append(enc)
            used += len(enc)
            pending += len(enc)
        if pending >= CHUNK:
            yield b"".join(parts)
            parts, pending = [], 0
    if parts:
        yield b"".join(parts)
    if used_out is not None:
        used_out.append(used)


def _sized_chunks(data, q, now, header, size, tmpl, per_chunk, chunk_len, prefix, suffix, min_row) -> Iterator[bytes]:
    used: list[int] = []
    yield from _real_chunks(data, q, now, header, size, min_tail=min_row, used_out=used)
    remaining = size - used[0]  # 0, or at least one row's worth
    n = 0
    per_row = tmpl.count(b"%012d") // per_chunk
    while remaining >= chunk_len + 2 * CHUNK:
        yield tmpl % tuple(i for i in range(n, n + per_chunk) for _ in range(per_row))
        n += per_chunk
        remaining -= chunk_len
    k = prefix.count(b"%012d")
    pad_words = b"see ticket history " * 40
    while remaining > 0:  # ordinary-looking rows, the last one's note padded to land on the exact size
        ids = tuple([n] * per_row)
        pad = n % 40 if remaining >= 2 * min_row + 80 else remaining - min_row
        yield prefix % ids[:k] + (pad_words * (pad // len(pad_words) + 1))[:pad] + suffix % ids[k:]
        n += 1
        remaining -= min_row + pad
