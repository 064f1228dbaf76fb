"""The users, groups and forms lists."""

import pytest

from bot.lexer.models import (
    Form,
    Group,
    User,
    parse_forms,
    parse_groups,
    parse_users,
)
from bot.slack import blocks as bk
from bot.slack.messages import directory
from tests.slack.messages.samples import (
    EVIL,
    LIVE,
    SANDBOX,
    SEED_FORMS,
    SEED_GROUPS,
    SEED_USERS,
    all_text,
    footer,
    texts,
)

# ---------------------------------------------------------------- lists


def test_users_groups_forms_on_seed():
    users, groups, forms = parse_users(SEED_USERS), parse_groups(SEED_GROUPS), parse_forms(SEED_FORMS)
    msg = directory.users_message(users, groups, SANDBOX)
    bk.validate_message(msg)
    assert "• *Jane Remington* `12345` · jane@business.io — Social Customer Care" in all_text(msg)
    assert footer(msg) == "sandbox data"
    msg = directory.groups_message(groups, users, LIVE)
    bk.validate_message(msg)
    assert "• *Social Customer Care* `123` — 1 member · Social customer care team members" in all_text(msg)
    assert msg["blocks"][-1]["type"] == "context"  # the tip; no empty footer in live mode
    msg = directory.forms_message(forms, LIVE)
    bk.validate_message(msg)
    assert "• *NPS Survey* `55` — NPS survey · Lexer NPS Survey" in all_text(msg)


def test_lists_hostile_many_and_archived():
    users = [User(i, f"u{i}@x.io", EVIL, str(i), archived=i % 10 == 0, groups=(1,)) for i in range(500)]
    groups = [Group(1, EVIL, EVIL)] + [Group(i, f"g{i}") for i in range(2, 300)]
    forms = [Form(i, EVIL + str(i), nps=i % 2 == 0, archived=i == 3) for i in range(300)]
    for msg in (
        directory.users_message(users, groups, SANDBOX),
        directory.groups_message(groups, users, SANDBOX),
        directory.forms_message(forms, SANDBOX),
    ):
        bk.validate_message(msg)
        for t in texts(msg):
            assert "<" not in t and ">" not in t
    assert "50 archived users not shown" in all_text(directory.users_message(users, groups, SANDBOX))
    assert "…and 250 more users" in all_text(directory.users_message(users, groups, SANDBOX))
    assert "450 members" in all_text(directory.groups_message(groups, users, SANDBOX))


@pytest.mark.parametrize(
    "msg",
    [
        directory.users_message([], [], SANDBOX),
        directory.groups_message([], [], SANDBOX),
        directory.forms_message([], LIVE),
    ],
)
def test_empty_lists(msg):
    bk.validate_message(msg)
    assert "No " in all_text(msg)
