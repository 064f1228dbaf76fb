"""Deterministic, plausible Activity data for the sandbox, and the reports computed from it (pure).

`world` is the fixed cast (team, groups, forms, classifications, states, the
shape of a day); `records` what the world is made of; `cases` and `surveys`
generate a UTC day of messages and NPS answers from (seed, day); `activity`
(ActivityData) caches the days and cuts any window; `reports` computes each
Activity API report from it.
"""
