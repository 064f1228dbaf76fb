"""The schema: one list of migrations, applied in order, each once, on either backend (Database.migrate).

Each migration is written once, with the operations of bot.store.migrations.operations: sqlite-utils runs them
on SQLite, bot.store.migrations.postgresql writes them as PostgreSQL's DDL. A new migration is a function here,
added at the end of LATER. Names and order are fixed: existing databases record them (SQLite in
_sqlite_migrations, PostgreSQL in lexerbot_migrations, where the baseline m001-m014 is one, m014_schema).
tests/store/test_schema.py holds a fresh database of each backend, and one migrated from every earlier
level, equal to the schema the migrations built when first released.
"""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from bot.store.migrations.baseline import BASELINE
from bot.store.migrations.operations import Migration, SchemaDb


def m015_command_queue_turns(db: SchemaDb) -> None:
    # whose turn is next (bot.store.command_queue.claim_next) reads each waiting user's last turn
    db.table("command_queue").create_index(["user_id", "served_at"])


def m016_command_queue_attempts(db: SchemaDb) -> None:
    # `attempts` counted every claim, waits for Lexer's window included; it now counts answers tried, and three
    # end a command (bot.commands.dispatcher.MAX_ATTEMPTS): a command that only waited must not start out spent
    db.execute("update command_queue set attempts = 0 where state in ('queued', 'running')")


def m017_lexer_flights_token_key(db: SchemaDb) -> None:
    # whose flight it is (the token's key, as in lexer_cache): an uninstall removes the workspace's flights too
    db.table("lexer_flights").add_column("token_key", str)


# after the baseline: recorded by name on both backends
LATER: list[Migration] = [
    m015_command_queue_turns,
    m016_command_queue_attempts,
    m017_lexer_flights_token_key,
]

# SQLite's runner and record (sqlite-utils: each migration in a savepoint, recorded in _sqlite_migrations)
migrations = Migrations("lexerbot")
for migration in (*BASELINE, *LATER):
    migrations()(migration)
