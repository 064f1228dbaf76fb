"""/lexer states and response-time: series over the range, drawn up to now."""

from __future__ import annotations

from datetime import datetime

from bot.features.reports.family import Report, drop_future
from bot.lexer.client import ActivityClient, Filters
from bot.lexer.models import ResponseVolume, StatesVolume
from bot.slack.messages import reports
from bot.slack.messages.compared import response_time_figures, states_compared
from bot.timeframe import Timeframe


def fetch_states(api: ActivityClient, tf: Timeframe, filters: Filters, now: datetime) -> StatesVolume:
    sv = api.states_volume(tf, filters)
    return StatesVolume({state: drop_future(points, tf, now) for state, points in sv.series.items()})


def fetch_response_time(api: ActivityClient, tf: Timeframe, filters: Filters, now: datetime) -> ResponseVolume:
    return ResponseVolume(drop_future(api.response_volume(tf, filters).avg_response_time, tf, now))


STATES: Report[StatesVolume, StatesVolume] = Report(
    title=reports.STATES_TITLE,
    fetch=fetch_states,
    build=lambda sv, tf, ctx, targets: reports.states_message(sv, tf, ctx),
    fetch_compared=fetch_states,
    compared=states_compared,
    row_word="states",
)

RESPONSE_TIME: Report[ResponseVolume, ResponseVolume] = Report(
    title=reports.RESPONSE_TIME_TITLE,
    fetch=fetch_response_time,
    build=lambda rv, tf, ctx, targets: reports.response_time_message(rv, tf, ctx),
    fetch_compared=fetch_response_time,
    compared=lambda now, before: (response_time_figures(now, before), []),
)
