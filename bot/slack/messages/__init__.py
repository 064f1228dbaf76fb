"""Slack message builders, one module per family (pure); callers import the family module itself.

common (framing, tables, limits), reports, directory, help (help, errors, notices),
subscriptions, exports, alerts, home.
"""
