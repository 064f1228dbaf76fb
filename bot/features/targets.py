"""SLA targets, bot side: `/lexer targets` (show; admins set and clear), and the targets an answer is marked with."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands.answer import Asker, CommandHandler, Reply
from bot.lexer.directory import resolve_group
from bot.slack.messages.targets import (
    Target,
    target_cleared_message,
    target_set_message,
    targets_from_rows,
    targets_message,
)
from bot.slack.parsing import TargetsCommand

if TYPE_CHECKING:
    from bot.deps import Deps

logger = logging.getLogger(__name__)


def load_targets(store) -> list[Target]:
    """Every target in the store as the message builders take them."""
    return targets_from_rows(store.targets.all())


def targets_command(cmd: TargetsCommand, asker: Asker, deps: Deps) -> Reply:
    """`targets`: show them; with changes (admins only, checked by the runner), set or clear each."""
    store = deps.store
    if not cmd.changes:
        shown = load_targets(store)
        if cmd.group:
            group = resolve_group(deps.directory, cmd.group)
            shown = [t for t in shown if t.group_id in (0, group.id)]
        return Reply(targets_message(shown, is_admin=asker.is_admin), public=cmd.public)
    group_id, group_name = 0, ""
    if cmd.group:
        group = resolve_group(deps.directory, cmd.group)
        group_id, group_name = group.id, group.name
    now = deps.now()
    blocks: list[dict] = []
    texts: list[str] = []
    before = {(t.metric, t.group_id): t for t in load_targets(store)}
    for metric, value in cmd.changes:
        previous = before.get((metric, group_id))
        if value is None:
            existed = store.targets.clear(metric, group_id)
            message = target_cleared_message(metric, group_name or None, existed)
            if existed:
                store.audit_log.record(
                    asker.user_id, "targets.clear", {"metric": metric, "group_id": group_id}, now=now
                )
        else:
            store.targets.set(metric, value, asker.user_id, group_id=group_id, group_name=group_name, now=now)
            store.audit_log.record(
                asker.user_id,
                "targets.set",
                {
                    "metric": metric,
                    "value": value,
                    "group_id": group_id,
                    "previous": previous.value if previous else None,
                },
                now=now,
            )
            message = target_set_message(Target(metric, value, group_id, group_name), previous)
        blocks += message["blocks"]
        texts.append(message["text"])
    logger.info("targets changed by %s: %s", asker.user_id, [m for m, _ in cmd.changes])
    return Reply({"text": " ".join(texts)[:500], "blocks": blocks}, public=False)


# /lexer words this feature answers (bot/features/__init__.py lists every feature)
COMMANDS: dict[str, CommandHandler] = {"targets": targets_command}
