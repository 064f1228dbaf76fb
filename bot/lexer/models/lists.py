"""Users, groups and forms: the lists the Activity API serves (GET /users, /groups, /forms) (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.lexer.models.figures import dicts, parse_id, read_text


@dataclass(frozen=True)
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    timezone: str = ""
    archived: bool = False
    groups: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"user {self.id}"


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    comment: str = ""


@dataclass(frozen=True)
class Form:
    id: int
    name: str
    title: str = ""
    archived: bool = False
    nps: bool = False
    groups: tuple[int, ...] = ()


def _ids(v: Any) -> tuple[int, ...]:
    if not isinstance(v, list):
        return ()
    return tuple(i for i in (parse_id(x) for x in v) if i is not None)


def parse_users(payload: Any) -> list[User]:
    out = []
    for d in dicts(payload, "users"):
        uid = parse_id(d.get("id"))
        if uid is None:
            continue
        out.append(
            User(
                uid,
                read_text(d, "email"),
                read_text(d, "first_name"),
                read_text(d, "last_name"),
                read_text(d, "timezone"),
                bool(d.get("archived")),
                _ids(d.get("groups")),
            )
        )
    return out


def parse_groups(payload: Any) -> list[Group]:
    out = []
    for d in dicts(payload, "groups"):
        gid = parse_id(d.get("id"))
        if gid is not None:
            out.append(Group(gid, read_text(d, "name"), read_text(d, "comment")))
    return out


def parse_forms(payload: Any) -> list[Form]:
    out = []
    for d in dicts(payload, "forms"):
        fid = parse_id(d.get("id"))
        if fid is not None:
            out.append(
                Form(
                    fid,
                    read_text(d, "name"),
                    read_text(d, "title"),
                    bool(d.get("archived")),
                    bool(d.get("nps")),
                    _ids(d.get("groups")),
                )
            )
    return out
