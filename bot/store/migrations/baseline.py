"""m001-m014 (there is no m008): the schema as it stood when PostgreSQL support came (bot.store.migrations).

Frozen, names and order included: SQLite files record each by name (_sqlite_migrations), PostgreSQL databases
record the thirteen as one, m014_schema. A change to the schema is a new migration in migrations/__init__.py.
"""

from __future__ import annotations

from bot.store.migrations.operations import Migration, SchemaDb


def m001_core(db: SchemaDb) -> None:
    # Lexer rate-limit send log, shared by every process (keyed by a hash of the token, never the token)
    db.table("rate_log").create({"id": int, "token_key": str, "sent_at": float, "done_at": float}, pk="id")
    db.table("rate_log").create_index(["token_key", "sent_at"])
    db.table("audit_log").create({"id": int, "at": str, "user_id": str, "action": str, "detail": str}, pk="id")


def m002_digests(db: SchemaDb) -> None:
    db.table("subscriptions").create(
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
    db.table("digest_runs").create(
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
    db.table("digest_runs").create_index(["subscription_id", "scheduled_for"], unique=True)


def m003_exports(db: SchemaDb) -> None:
    db.table("export_jobs").create(
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
    db.table("export_jobs").create_index(["state"])


def m004_alerts(db: SchemaDb) -> None:
    db.table("alert_configs").create(
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
    db.table("alert_episodes").create(
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
    db.table("alert_episodes").create_index(["channel_id", "state"])
    # metric history the checks collect (UTC window ends)
    db.table("alert_samples").create(
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
    db.table("alert_samples").create_index(["window_end"])


def m005_export_resume(db: SchemaDb) -> None:
    # what a restarted worker needs to resume an export and word its messages without asking Lexer again
    table = db.table("export_jobs")
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


def m006_alert_checks(db: SchemaDb) -> None:
    # what each 5-minute check concluded, so `alerts status` and the baseline read the database only
    samples = db.table("alert_samples")
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
    db.table("alert_baselines").create(
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


def m007_budget(db: SchemaDb) -> None:
    # which class of work spent each send (digest, alert, export, command), for budgets by class and `status`
    db.table("rate_log").add_column("budget_class", str)
    # a 429 closes the window for every process on the database until `until` (epoch seconds)
    db.table("lexer_pauses").create({"token_key": str, "until": float, "reason": str}, pk="token_key")
    # the Activity API answers every process shares (keyed by token hash + canonical query), and the one flight
    # in progress per query across processes; a failed leader's answer stays for its followers a few seconds
    db.table("lexer_cache").create(
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
    db.table("lexer_cache").create_index(["expires"])
    db.table("lexer_flights").create(
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
    db.table("command_queue").create(
        {
            "id": int,
            "workspace": str,
            "user_id": str,
            "channel_id": str,
            "text": str,
            "response_url": str,
            "extra": str,  # JSON: the request's other fields its answer needs (bot.store.command_queue.EXTRA_FIELDS)
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
    db.table("command_queue").create_index(["state", "user_id"])


def m009_export_claims(db: SchemaDb) -> None:
    # fencing: every claim bumps claim_gen and every write carries it, so a worker that lost its claim writes nothing;
    # heartbeat_at is the holder's liveness (a claim is free once it is three beats old)
    table = db.table("export_jobs")
    table.add_column("claim_gen", int, not_null_default=0)
    table.add_column("heartbeat_at", str)
    table.create_index(["state", "worker"], index_name="export_jobs_claims")


def m010_alert_episode_cas(db: SchemaDb) -> None:
    # episodes are saved with compare-and-set on `version`, so `alerts off` or a second clock's pass wins over a
    # stale in-memory copy; `posting_at` marks the claim of the first post (message_ts 'posting')
    episodes = db.table("alert_episodes")
    episodes.add_column("version", int, not_null_default=0)
    episodes.add_column("posting_at", str)
    # one firing episode per channel: two passes that both see none cannot both open one (newest kept)
    db.execute(
        "update alert_episodes set state = 'closed' where state = 'firing' and id not in "
        "(select max(id) from alert_episodes where state = 'firing' group by channel_id)"
    )
    db.execute(
        "create unique index if not exists alert_episodes_one_firing on alert_episodes(channel_id) "
        "where state = 'firing'"
    )


def m011_targets_agents(db: SchemaDb) -> None:
    # SLA targets: one per (workspace, group, metric); group_id 0 = the whole workspace
    db.table("sla_targets").create(
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
    db.table("sla_targets").create_index(["workspace", "group_id", "metric"], unique=True)
    # Monday DMs of each agent's week: switched on per workspace; agents who opted out; one run per agent and week
    db.table("agent_digest_config").create(
        {"workspace": str, "enabled": int, "set_by": str, "set_at": str}, pk="workspace", defaults={"enabled": 0}
    )
    db.table("agent_digest_optouts").create(
        {"workspace": str, "slack_user_id": str, "at": str}, pk=("workspace", "slack_user_id")
    )
    db.table("agent_digest_runs").create(
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
    db.table("agent_digest_runs").create_index(["workspace", "lexer_user_id", "week"], unique=True)


def m012_workspaces(db: SchemaDb) -> None:
    # distribution mode: one row per installed workspace (key: the enterprise id of an org-wide install,
    # else the team id); every token column holds Fernet ciphertext, never the token
    db.table("installations").create(
        {
            "workspace": str,
            "enterprise_id": str,
            "team_id": str,
            "is_enterprise_install": int,
            "installer_user_id": str,
            "bot_user_id": str,
            "bot_id": str,
            "installed_at": str,
            "fields": str,  # the rest of slack_sdk's Installation (names, scopes, urls), JSON, no secrets
            "bot_token_enc": str,
            "bot_refresh_token_enc": str,
            "user_token_enc": str,
            "user_refresh_token_enc": str,
        },
        pk="workspace",
    )
    db.table("oauth_states").create({"state": str, "expires_at": float}, pk="state")
    db.table("lexer_connections").create(
        {
            "workspace": str,
            "token_enc": str,
            "token_last4": str,
            "connected_by": str,
            "connected_at": str,
            "agents": int,
            "groups": int,
        },
        pk="workspace",
    )
    db.table("workspace_admins").create(
        {"workspace": str, "user_id": str, "added_by": str, "added_at": str}, pk=("workspace", "user_id")
    )
    # every table holding one workspace's data carries its key; '' is the single-workspace mode
    for table in ("subscriptions", "digest_runs", "export_jobs", "alert_configs", "alert_episodes", "audit_log"):
        db.table(table).add_column("workspace", str, not_null_default="")
    # alert checks run per workspace: one check per (workspace, slot, window)
    db.table("alert_samples").add_column("workspace", str, not_null_default="")
    db.execute("drop index if exists alert_samples_slot")
    db.table("alert_samples").create_index(
        ["workspace", "window_end", "window_minutes"], unique=True, index_name="alert_samples_slot"
    )
    db.table("subscriptions").create_index(["workspace"])
    db.table("export_jobs").create_index(["workspace", "state"])
    # m010's one-firing-episode-per-channel rule holds per workspace: two workspaces may share a channel id
    db.execute("drop index if exists alert_episodes_one_firing")
    db.execute(
        "create unique index alert_episodes_one_firing on alert_episodes(workspace, channel_id) where state = 'firing'"
    )


def m013_report_shares(db: SchemaDb) -> None:
    # one row per private answer shared to its channel: the insert is the claim, so a double click posts once
    db.table("report_shares").create(
        {"workspace": str, "channel_id": str, "message_ts": str, "user_id": str, "shared_at": str},
        pk=("workspace", "channel_id", "message_ts"),
        defaults={"workspace": ""},
    )


def m014_alert_configs_per_workspace(db: SchemaDb) -> None:
    # a channel shared between workspaces (Slack Connect) has one id in both: each workspace keeps its own config
    db.table("alert_configs").transform(pk=("workspace", "channel_id"))


BASELINE: list[Migration] = [
    m001_core,
    m002_digests,
    m003_exports,
    m004_alerts,
    m005_export_resume,
    m006_alert_checks,
    m007_budget,
    m009_export_claims,
    m010_alert_episode_cas,
    m011_targets_agents,
    m012_workspaces,
    m013_report_shares,
    m014_alert_configs_per_workspace,
]
