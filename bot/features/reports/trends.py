"""/lexer states and response-time: series over the range, drawn up to now."""

from __future__ import annotations

from datetime import datetime

from bot.features.reports.family import Report, drop_future, no_rows, plain_report, untargeted
from bot.lexer.client import ActivityClient, Filters
from bot.lexer.models import ResponseVolume, StatesVolume
from bot.slack.messages.compared import response_time_figures, states_compared
from bot.slack.messages.reports import RESPONSE_TIME_TITLE, STATES_TITLE, response_time_message, states_message
from bot.timeframe import Timeframe


def fetch_states(api: ActivityClient, tf: Timeframe, filters: Filters, now: datetime) -> StatesVolume:
    sv = api.states_volume(tf, filters)
    return StatesVolume({state: drop_future(points, tf, now) for state, points in sv.series.items()})


def fetch_response_time(api: ActivityClient, tf: Timeframe, filters: Filters, now: datetime) -> ResponseVolume:
    return ResponseVolume(drop_future(api.response_volume(tf, filters).avg_response_time, tf, now))


STATES: Report[StatesVolume, StatesVolume] = plain_report(
    STATES_TITLE, fetch_states, untargeted(states_message), states_compared, "states"
)
RESPONSE_TIME: Report[ResponseVolume, ResponseVolume] = plain_report(
    RESPONSE_TIME_TITLE, fetch_response_time, untargeted(response_time_message), no_rows(response_time_figures), "rows"
)
