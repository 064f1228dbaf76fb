"""One Jinja2 Environment for digests: filters, the override directory, DigestRenderer (pure).

Templates render a whole Slack message as JSON: data goes through `tojson`
(and `mrkdwn` for text a user or agent wrote), so a name can neither break the
JSON nor form a link or @-mention. A broken override falls back to the
built-in template with a note in the message: a deployment's typo must never
cost a team its morning digest.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jinja2

from bot.slack import format as fmt
from bot.slack.blocks import MAX_SECTION_TEXT, validate_message
from digests.compose import DigestContext

logger = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAMES = {"sla": "sla.json.j2", "nps": "nps.json.j2"}


def _metric(value: Any, kind: str) -> str:
    """A number as its kind shows it."""
    return {
        "count": fmt.format_count,
        "duration": fmt.format_duration,
        "percent": fmt.format_percent,
        "nps": fmt.format_nps,
    }[kind](value)


def _spark(days) -> str:
    return fmt.sparkline([getattr(d, "value", d) for d in days])


def _versus(now: Any, before: Any, kind: fmt.ChangeKind, words: str) -> str:
    """'▲ 12% vs day before', or '' when either number is missing (a bare dash says nothing)."""
    change = fmt.format_change(now, before, kind)
    return "" if change == fmt.MISSING else f"{change} {words}"


def _mrkdwn(text: Any) -> str:
    return fmt.mrkdwn_escape(fmt.one_line(str(text)))


def _clip(text: Any, limit: int = MAX_SECTION_TEXT) -> str:
    return fmt.truncate(str(text), int(limit))


FILTERS = {
    "mrkdwn": _mrkdwn,
    "clip": _clip,
    "count": fmt.format_count,
    "duration": fmt.format_duration,
    "percent": fmt.format_percent,
    "nps": fmt.format_nps,
    "metric": _metric,
    "change": lambda now, before, kind="count": fmt.format_change(now, before, kind),
    "spark": _spark,
    "versus": _versus,
}


class TemplateOverrideError(Exception):
    """An override template failed to load, render, parse as JSON or pass Slack's checks."""


def build_environment(templates_dir: str | Path | None = None) -> jinja2.Environment:
    """The digests' Environment: the override directory (if any) first, then the built-ins."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    return env


class DigestRenderer:
    """Render digests from one Environment; `templates_dir` overrides templates by name."""

    def __init__(self, templates_dir: str | Path | None = None):
        self.templates_dir = Path(templates_dir) if templates_dir else None
        self.env = build_environment(self.templates_dir)
        # the same Environment seeing only the built-ins, for the fallback
        self.builtin_env = self.env.overlay(loader=jinja2.FileSystemLoader(str(BUILTIN_DIR)))

    def is_overridden(self, name: str) -> bool:
        return self.templates_dir is not None and (self.templates_dir / name).is_file()

    def render(self, ctx: DigestContext) -> dict:
        """The Slack message for ctx; a broken override falls back to the built-in (never raises for it)."""
        name = TEMPLATE_NAMES[ctx.kind]
        if self.is_overridden(name):
            try:
                return _render(self.env, name, ctx)
            except TemplateOverrideError as exc:
                logger.warning("digest template override %s is broken, using the built-in: %s", name, exc)
                ctx.notes.append(
                    f"This digest uses the built-in layout: the custom template `{name}` "
                    f"could not be used ({_mrkdwn(exc)})."
                )
        return _render(self.builtin_env, name, ctx)


def _render(env: jinja2.Environment, name: str, ctx: DigestContext) -> dict:
    try:
        text = env.get_template(name).render(ctx=ctx)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateOverrideError(f"syntax error on line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateOverrideError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # a filter or attribute blew up inside the template
        raise TemplateOverrideError(f"{type(exc).__name__}: {exc}") from None
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise TemplateOverrideError(f"the output is not JSON ({exc})") from None
    try:
        validate_message(message)
    except ValueError as exc:
        raise TemplateOverrideError(f"Slack would refuse it: {exc}") from None
    return message
