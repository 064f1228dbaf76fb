"""The schema as versioned sqlite-utils migrations; applied in order, each once, by Store.migrate.

Names and order are fixed: existing databases record them in _sqlite_migrations.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("lexerbot")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    # Lexer rate-limit send log, shared by every process (keyed by a hash of the token, never the token)
    db["rate_log"].create({"id": int, "token_key": str, "sent_at": float, "done_at": float}, pk="id")
    db["rate_log"].create_index(["token_key", "sent_at"])
    db["audit_log"].create({"id": int, "at": str, "user_id": str, "action": str, "detail": str}, pk="id")


@migrations()
def m002_digests(db: sqlite_utils.Database) -> None:
    db["subscriptions"].create(
        {
            "id": int,
            "kind": str,
            "form_id": int,
            "channel_id": str,
            "cadence": str,
            "weekday": int,
            "at_time": str,
            "tz": str,
            "created_by": str,
            "created_at": str,
            "paused": int,
            "broken_reason": str,
        },
        pk="id",
        defaults={"paused": 0},
        not_null={"kind", "channel_id", "cadence", "at_time", "tz"},
    )
    db["digest_runs"].create(
        {
            "id": int,
            "subscription_id": int,
            "scheduled_for": str,
            "status": str,
            "claimed_by": str,
            "claimed_at": str,
            "posted_at": str,
            "channel_id": str,
            "message_ts": str,
            "error": str,
            "attempts": int,
        },
        pk="id",
        defaults={"attempts": 0},
        not_null={"subscription_id", "scheduled_for", "status"},
    )
    db["digest_runs"].create_index(["subscription_id", "scheduled_for"], unique=True)


@migrations()
def m003_exports(db: sqlite_utils.Database) -> None:
    db["export_jobs"].create(
        {
            "id": int,
            "user_id": str,
            "kind": str,
            "range_text": str,
            "tz": str,
            "date_from": str,
            "date_to": str,
            "form_id": int,
            "state": str,
            "report_token": str,
            "dm_channel": str,
            "message_ts": str,
            "created_at": str,
            "updated_at": str,
            "error": str,
            "file_name": str,
            "size_bytes": int,
            "rows": int,
            "worker": str,
        },
        pk="id",
        not_null={"user_id", "kind", "state"},
    )
    db["export_jobs"].create_index(["state"])


@migrations()
def m004_alerts(db: sqlite_utils.Database) -> None:
    db["alert_configs"].create(
        {
            "channel_id": str,
            "enabled": int,
            "window_minutes": int,
            "min_count": int,
            "sensitivity": str,
            "created_by": str,
            "snoozed_until": str,
            "updated_at": str,
        },
        pk="channel_id",
    )
    db["alert_episodes"].create(
        {
            "id": int,
            "channel_id": str,
            "state": str,
            "started_at": str,
            "resolved_at": str,
            "message_ts": str,
            "last_update_at": str,
            "last_count": int,
            "expected": float,
            "ok_streak": int,
            "detail": str,
        },
        pk="id",
    )
    db["alert_episodes"].create_index(["channel_id", "state"])
    # metric history the checks collect (UTC window ends)
    db["alert_samples"].create(
        {
            "id": int,
            "window_end": str,
            "window_minutes": int,
            "broke_sla": int,
            "responded": int,
            "volume": int,
        },
        pk="id",
    )
    db["alert_samples"].create_index(["window_end"])


@migrations()
def m005_export_resume(db: sqlite_utils.Database) -> None:
    # what a restarted worker needs to resume an export and word its messages without asking Lexer again
    table = db["export_jobs"]
    for name, kind in (
        ("form_name", str),
        ("category", str),
        ("filters", str),
        ("filters_text", str),
        ("range_desc", str),
        ("started_at", str),
        ("attempts", int),
        ("file_id", str),
        ("error_hint", str),
    ):
        table.add_column(name, kind)
    table.create_index(["worker", "updated_at"])


@migrations()
def m006_alert_checks(db: sqlite_utils.Database) -> None:
    # what each 5-minute check concluded, so `alerts status` and the baseline read the database only
    samples = db["alert_samples"]
    for column, kind in (
        ("status", str),
        ("checked_at", str),
        ("expected", float),
        ("expected_fraction", float),
        ("p_value", float),
        ("anomalous", int),
        ("baseline_source", str),
    ):
        samples.add_column(column, kind)
    # one check per (slot, window) across processes: the insert is the claim
    samples.create_index(["window_end", "window_minutes"], unique=True, index_name="alert_samples_slot")
    # the trailing-7-day summary, fetched once a day while sample history is short
    db["alert_baselines"].create(
        {
            "key": str,
            "date_from": str,
            "date_to": str,
            "hours": float,
            "broke_sla": int,
            "responded": int,
            "volume": int,
            "fetched_at": str,
        },
        pk="key",
    )


@migrations()
def m011_targets_agents(db: sqlite_utils.Database) -> None:
    # SLA targets: one per (workspace, group, metric); group_id 0 = the whole workspace
    db["sla_targets"].create(
        {
            "id": int,
            "workspace": str,
            "group_id": int,
            "group_name": str,
            "metric": str,
            "value": float,
            "set_by": str,
            "set_at": str,
        },
        pk="id",
        defaults={"workspace": "", "group_id": 0, "group_name": ""},
        not_null={"metric", "value"},
    )
    db["sla_targets"].create_index(["workspace", "group_id", "metric"], unique=True)
    # Monday DMs of each agent's week: switched on per workspace; agents who opted out; one run per agent and week
    db["agent_digest_config"].create(
        {"workspace": str, "enabled": int, "set_by": str, "set_at": str}, pk="workspace", defaults={"enabled": 0}
    )
    db["agent_digest_optouts"].create(
        {"workspace": str, "slack_user_id": str, "at": str}, pk=("workspace", "slack_user_id")
    )
    db["agent_digest_runs"].create(
        {
            "id": int,
            "workspace": str,
            "lexer_user_id": int,
            "week": str,
            "slack_user_id": str,
            "status": str,
            "claimed_by": str,
            "claimed_at": str,
            "message_ts": str,
            "error": str,
        },
        pk="id",
        defaults={"workspace": ""},
        not_null={"lexer_user_id", "week", "status"},
    )
    db["agent_digest_runs"].create_index(["workspace", "lexer_user_id", "week"], unique=True)
