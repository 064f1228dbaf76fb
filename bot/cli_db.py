"""`lexer-bot migrate` and `lexer-bot db copy`: the database's own sub-commands (the work lives in bot.store)."""

from __future__ import annotations

from bot.config import Settings


def register(sub, secrets) -> None:
    """Add `migrate` and `db copy`; `secrets(settings)` is bot/compose.py's secret_box."""
    s = sub.add_parser("migrate", help="apply the database migrations and exit (a release step)")
    s.set_defaults(func=lambda args, settings: cmd_migrate(args, settings, secrets))
    s = sub.add_parser("db", help="database tools")
    db_sub = s.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    db_sub.required = True
    c = db_sub.add_parser("copy", help="copy an install's data from its SQLite file to PostgreSQL, verified")
    c.add_argument("sqlite_path", metavar="SQLITE_PATH")
    c.add_argument("postgres_url", metavar="POSTGRES_URL")
    c.set_defaults(func=cmd_db)


def cmd_migrate(args, settings: Settings, secrets) -> int:
    from bot.store import Store

    store = Store(settings.db_path, secrets(settings))
    try:
        before = store.migrations_applied()
        store.migrate()
        after = store.migrations_applied()
    finally:
        store.close()
    print(f"{store.name} ({store.dialect}): {after - before} migration(s) applied, {after} in all; up to date.")
    return 0


def cmd_db(args, settings: Settings) -> int:
    from pathlib import Path

    from bot.store import open_store
    from bot.store.backend import is_postgres_url, redact_url
    from bot.store.copy import CopyError, copy_database

    if not Path(args.sqlite_path).is_file() or is_postgres_url(args.sqlite_path):
        print(f"lexer-bot db copy: {args.sqlite_path} is not a SQLite file: give the install's LEXERBOT_DB path")
        return 2
    if not is_postgres_url(args.postgres_url):
        print(f"lexer-bot db copy: {redact_url(args.postgres_url)} is not a postgresql:// URL")
        return 2
    source = open_store(args.sqlite_path)
    try:
        target = open_store(args.postgres_url)
    except ConnectionError as exc:
        print(f"lexer-bot db copy: {exc}")
        return 1
    try:
        results = copy_database(source, target)
    except CopyError as exc:
        print(f"lexer-bot db copy: {exc}")
        return 1
    finally:
        source.close()
        target.close()
    for r in results:
        print(f"  {r.table:<22} {r.source_rows:>8} -> {r.copied_rows:>8}")
    total = sum(r.copied_rows for r in results)
    print(f"Copied {total} rows in {len(results)} tables to {target.name}; every count matches.")
    print("Set LEXERBOT_DB to the PostgreSQL URL on every process, then start them.")
    return 0
