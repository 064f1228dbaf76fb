"""SLA-spike alerts on the sandbox's 400 days: false alerts per week at each sensitivity, and detection delay.

The sandbox's own data (bot.sandbox.data, the numbers its `summary` answers) is cut
into the window every check would see, as Lexer would count it at the check (a breach
counts once its late reply has landed). The pure detector and episode machine run
on it exactly as the clock does, with the samples the checks would have stored as the
baseline. Spikes of 2x, 3x and 5x slower replies are injected on quiet days; an alert
counts as false when its window touches no spike, natural or injected.

Trade-offs for a run in minutes: checks every CHECK minutes (the clock: 5), and the
baseline recomputed once an hour from samples stored at each check.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.data.activity import ActivityData  # noqa: E402
from bot.sandbox.data.reports import summary_of  # noqa: E402
from bot.sandbox.data.world import HISTORY_DAYS, epoch  # noqa: E402
from digests.alerts.decide import SAMPLE_RETENTION  # noqa: E402
from digests.alerts.detect import (  # noqa: E402
    DEFAULT_WINDOW_MINUTES,
    SENSITIVITY_P,
    Observation,
    Sample,
    baseline_from_samples,
    detect,
    is_anomalous,
)
from digests.alerts.episode import Episode, step_episode  # noqa: E402

UTC = timezone.utc
TZ = ZoneInfo("Australia/Sydney")
CHECK = timedelta(minutes=15)
# The sandbox's team answers about 70 messages a day, and a breach only counts once its late reply has
# landed, so a 2-hour window rarely holds more than 2 at any check: the default `min 5` never fires on it.
# The bench uses the settings such a small team would choose.
WINDOW = 3 * DEFAULT_WINDOW_MINUTES // 2
MIN_COUNT = 3
WARM_UP_DAYS = 15  # the hour-of-week baseline needs two weeks of samples
FACTORS = (2.0, 3.0, 5.0)
PER_FACTOR = 8
SPIKE_HOURS = 3.0


def inject(data: ActivityData, first: date, last: date) -> list[tuple[float, datetime, datetime]]:
    """PER_FACTOR spikes of each factor at 11:00 Sydney on weekdays without a natural spike."""
    rng = random.Random(12)
    days = [
        first + timedelta(days=i)
        for i in range((last - first).days)
        if (first + timedelta(days=i)).weekday() < 5
        and not data.spikes_on(first + timedelta(days=i))
        and not data.spikes_on(first + timedelta(days=i - 1))
    ]
    chosen = sorted(rng.sample(days[::3], len(FACTORS) * PER_FACTOR))
    out = []
    for i, d in enumerate(chosen):
        factor = FACTORS[i % len(FACTORS)]
        start = datetime(d.year, d.month, d.day, 11, tzinfo=TZ).astimezone(UTC)
        data.inject_spike(start, hours=SPIKE_HOURS, factor=factor)
        out.append((factor, start, start + timedelta(hours=SPIKE_HOURS)))
    return out


def main() -> None:
    t0 = time.perf_counter()
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    data = ActivityData(7, anchor)
    first = data.history_start + timedelta(days=3)
    injected = inject(data, first + timedelta(days=WARM_UP_DAYS + 2), anchor.date() - timedelta(days=2))
    natural = [
        (datetime.fromtimestamp(s.start, UTC), datetime.fromtimestamp(s.end, UTC))
        for i in range(HISTORY_DAYS)
        for s in data.spikes_on(data.history_start + timedelta(days=i))
        if s.factor > 5.5  # the sandbox's own spikes (6x-11x); the injected ones are listed apart
    ]
    spikes = natural + [(s, e) for _, s, e in injected]
    samples: list[Sample] = []
    episodes: dict[str, Episode | None] = dict.fromkeys(SENSITIVITY_P)
    previous: dict[str, Episode | None] = dict.fromkeys(SENSITIVITY_P)
    alerts: dict[str, list[datetime]] = {s: [] for s in SENSITIVITY_P}
    now = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = anchor - timedelta(days=1)
    measured_from = now + timedelta(days=WARM_UP_DAYS)
    baseline, baseline_hour = None, None
    while now < end:
        msgs = data.messages_between(epoch(now - timedelta(minutes=WINDOW)), epoch(now) - 1, now.timestamp())
        s = summary_of(msgs, now.timestamp())
        obs = Observation(now, WINDOW, s["broke_sla"], s["total_responded_to"], s["total_volume"])
        hour = now.replace(minute=0)
        if hour != baseline_hour:
            samples = [x for x in samples if x.window_end >= now - SAMPLE_RETENTION]
            baseline, baseline_hour = baseline_from_samples(samples, now, TZ, WINDOW), hour
        samples.append(Sample(now, WINDOW, obs.broke_sla, obs.responded, obs.volume, is_anomalous(obs, baseline)))
        if now >= measured_from and baseline is not None:
            for sensitivity in SENSITIVITY_P:
                v = detect(obs, baseline, min_count=MIN_COUNT, sensitivity=sensitivity)
                step = step_episode(episodes[sensitivity], v, now, channel_id="C", previous=previous[sensitivity])
                ep = step.episode
                if "post_alert" in step.actions and ep is not None:
                    alerts[sensitivity].append(now)
                    ep = Episode(**{**ep.__dict__, "message_ts": "1.1", "last_update_at": now})
                if ep is not None and ep.state == "resolved":
                    previous[sensitivity], ep = ep, None
                episodes[sensitivity] = ep
        now += CHECK
    weeks = (end - measured_from) / timedelta(days=7)
    slack = timedelta(minutes=WINDOW)
    print(
        f"sandbox: {weeks:.0f} weeks measured after a {WARM_UP_DAYS}-day warm-up; checks every "
        f"{CHECK.seconds // 60} min, {WINDOW}-min window, min {MIN_COUNT}; "
        f"{len(natural)} natural spikes (6-11x), {len(injected)} injected"
    )
    print("\nsensitivity  alerts  on a spike  false  false/week")
    for sensitivity, times in alerts.items():
        false = [t for t in times if not any(s <= t <= e + slack for s, e in spikes)]
        print(
            f"{sensitivity:<11}  {len(times):>6}  {len(times) - len(false):>10}  {len(false):>5}  "
            f"{len(false) / weeks:>10.2f}"
        )
    print("\ninjected  sensitivity  detected  median delay  worst delay")
    for factor in FACTORS:
        for sensitivity, times in alerts.items():
            delays = []
            for f, s, e in injected:
                if f != factor:
                    continue
                hit = [t for t in times if s <= t <= e + slack]
                if hit:
                    delays.append((hit[0] - s) / timedelta(minutes=1))
            delays.sort()
            median = f"{delays[len(delays) // 2]:.0f} min" if delays else "-"
            worst = f"{delays[-1]:.0f} min" if delays else "-"
            print(
                f"{factor:.0f}x        {sensitivity:<11}  {len(delays):>3}/{PER_FACTOR:<4}  {median:>11}  {worst:>11}"
            )
    print(f"\n({time.perf_counter() - t0:.0f} s; the machine was shared)")


if __name__ == "__main__":
    main()
