"""The directory lists: `/lexer users`, `groups` and `forms` (pure)."""

from __future__ import annotations

from collections import defaultdict

from bot.lexer.models import Form, Group, User
from bot.slack import blocks as bk
from bot.slack.format import format_count
from bot.slack.messages.common import (
    MAX_LIST_ROWS,
    ReplyContext,
    empty_message,
    esc,
    form_name,
    list_blocks,
    plural,
    report_message,
)

USERS_TITLE = "Lexer users"
GROUPS_TITLE = "Lexer groups"
FORMS_TITLE = "Lexer forms"

USERS_TIP = "Filter a report by agent with `agent:EMAIL_OR_ID`."
GROUPS_TIP = "Filter a report by group with `group:NAME_OR_ID`."
FORMS_TIP = "Ask for a form's NPS with `/lexer nps FORM_ID_OR_NAME`."


def users_message(users: list[User], groups: list[Group], ctx: ReplyContext) -> dict:
    """GET /users: active users with id, email and groups."""
    active = sorted((u for u in users if not u.archived), key=lambda u: (u.name.casefold(), u.id))
    archived = len(users) - len(active)
    if not active:
        return empty_message(USERS_TITLE, None, ctx, "No active users in this Lexer account.", None)
    group_names = {g.id: g.name for g in groups}
    lines = []
    for u in active[:MAX_LIST_ROWS]:
        gs = ", ".join(esc(group_names[g]) for g in u.groups if g in group_names)
        email = f" · {esc(u.email)}" if u.email and u.email != u.name else ""
        lines.append(f"• *{esc(u.name)}* `{u.id}`{email}" + (f" — {gs}" if gs else ""))
    body = list_blocks(lines, "users", total=len(active))
    notes = [USERS_TIP] + ([f"{plural(archived, 'archived user')} not shown."] if archived else [])
    body.append(bk.context([" ".join(notes)]))
    return report_message(USERS_TITLE, None, ctx, body, plural(len(active), "active user"))


def groups_message(groups: list[Group], users: list[User], ctx: ReplyContext) -> dict:
    """GET /groups: each group with id, member count and comment."""
    if not groups:
        return empty_message(GROUPS_TITLE, None, ctx, "No groups in this Lexer account.", None)
    members: dict[int, int] = defaultdict(int)
    for u in users:
        if not u.archived:
            for group_id in set(u.groups):
                members[group_id] += 1
    lines = []
    for g in sorted(groups, key=lambda g: (g.name.casefold(), g.id))[:MAX_LIST_ROWS]:
        comment = f" · {esc(g.comment)}" if g.comment.strip() else ""
        lines.append(f"• *{esc(g.name) or '(unnamed)'}* `{g.id}` — {plural(members[g.id], 'member')}{comment}")
    body = list_blocks(lines, "groups", total=len(groups))
    body.append(bk.context([GROUPS_TIP]))
    return report_message(GROUPS_TITLE, None, ctx, body, plural(len(groups), "group"))


def forms_message(forms: list[Form], ctx: ReplyContext) -> dict:
    """GET /forms: active forms, NPS surveys first."""
    active = sorted((f for f in forms if not f.archived), key=lambda f: (not f.nps, f.name.casefold(), f.id))
    archived = len(forms) - len(active)
    if not active:
        return empty_message(FORMS_TITLE, None, ctx, "No active forms in this Lexer account.", None)
    lines = []
    for f in active[:MAX_LIST_ROWS]:
        kind = "NPS survey" if f.nps else "form"
        title = f" · {esc(f.title)}" if f.title and f.title != f.name else ""
        lines.append(f"• *{form_name(f)}* `{f.id}` — {kind}{title}")
    body = list_blocks(lines, "forms", total=len(active))
    notes = [FORMS_TIP] + ([f"{plural(archived, 'archived form')} not shown."] if archived else [])
    body.append(bk.context([" ".join(notes)]))
    nps = sum(1 for f in active if f.nps)
    return report_message(
        FORMS_TITLE, None, ctx, body, f"{plural(len(active), 'active form')}, {format_count(nps)} NPS"
    )
