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
def m007_budget(db: sqlite_utils.Database) -> None:
    # which class of work spent each send (digest, alert, export, command), for budgets by class and `status`
    db["rate_log"].add_column("budget_class", str)
    # a 429 closes the window for every process on the database until `until` (epoch seconds)
    db["lexer_pauses"].create({"token_key": str, "until": float, "reason": str}, pk="token_key")
    # the Activity API answers every process shares (keyed by token hash + canonical query), and the one flight
    # in progress per query across processes; a failed leader's answer stays for its followers a few seconds
    db["lexer_cache"].create(
        {
            "key": str,
            "token_key": str,
            "status": int,
            "headers": str,
            "content": bytes,
            "fetched_at": float,
            "expires": float,
        },
        pk="key",
    )
    db["lexer_cache"].create_index(["expires"])
    db["lexer_flights"].create(
        {
            "key": str,
            "leader": str,
            "started_at": float,
            "state": str,
            "status": int,
            "headers": str,
            "content": bytes,
            "done_at": float,
        },
        pk="key",
    )
    # /lexer commands waiting for Lexer's budget or a worker; a restart or a dead worker loses none of them
    db["command_queue"].create(
        {
            "id": int,
            "workspace": str,
            "user_id": str,
            "channel_id": str,
            "text": str,
            "response_url": str,
            "state": str,  # queued -> running -> answered (or refused)
            "enqueued_at": float,
            "not_before": float,
            "claimed_by": str,
            "lease_until": float,
            "served_at": float,
            "notice_shown": int,
            "attempts": int,
        },
        pk="id",
        defaults={"workspace": "", "state": "queued", "notice_shown": 0, "attempts": 0, "not_before": 0.0},
    )
    db["command_queue"].create_index(["state", "user_id"])
