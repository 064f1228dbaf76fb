"""/lexer nps: one survey form's score, its groups and its daily trend (the form is found by name or id)."""

from __future__ import annotations

from bot.commands.answer import timeframe_for
from bot.features.reports.family import Answer, Question
from bot.lexer.directory import resolve_nps_form
from bot.slack.messages.compared import nps_figures
from bot.slack.messages.controls import compare_message
from bot.slack.messages.nps import NPS_TITLE, nps_message
from bot.timeframe import previous_period

DEFAULT_NPS_RANGE = "last-7d"


class NpsReport:
    """Not a plain Report: it asks for a form and a category, and has a range of its own by default."""

    def answer(self, q: Question) -> Answer:
        deps, cmd, filters = q.deps, q.cmd, q.filters
        api, now = deps.api, deps.now()
        form = resolve_nps_form(deps.directory, cmd.form)
        tf = timeframe_for(cmd, q.asker, now, DEFAULT_NPS_RANGE)
        category = cmd.category or "all"
        s = api.nps_summary(tf, form.id, category, filters)
        if cmd.compare:
            before = previous_period(tf, now)
            earlier = api.nps_summary(before, form.id, category, filters)
            title = f"{NPS_TITLE} · {form.name or form.id}"
            message = compare_message(title, nps_figures(s, earlier), tf, before, q.ctx, [], "rows")
        else:
            days = api.nps_volume(tf, form.id, category, filters)
            message = nps_message(form, s, days, tf, q.ctx, cmd.category)
        return Answer(message, tf, form.id)


NPS = NpsReport()
