import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from digests.jobs import recover_stale_runs, send_digest, slot_key
from tests.conftest import ADMIN, CHANNEL

# Lexer behind a compressing proxy: every answer here arrives gzip-encoded
pytestmark = pytest.mark.gzip


def due_before(now: datetime, minutes: int = 1) -> datetime:
    return (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def digests_in(slack, channel=CHANNEL):
    return [m for m in slack.app.messages(channel) if "digest" in (m.get("text") or "")]


@pytest.mark.both_databases
def test_send_digest_posts_and_records_the_ts(world, slack):
    sub = world.subscribe("sla")
    due = due_before(world.clock())
    outcome = send_digest(world.deps(), sub, due)
    assert outcome.status == "posted"
    posted = digests_in(slack)
    assert len(posted) == 1 and posted[0]["ts"] == outcome.message_ts
    assert posted[0]["text"].startswith("SLA digest for ")
    assert posted[0]["metadata"]["event_payload"] == {"subscription_id": sub.id, "scheduled_for": slot_key(due)}
    [run] = world.store.digest_runs.runs_for(sub.id)
    assert run["status"] == "posted" and run["message_ts"] == outcome.message_ts and run["channel_id"] == CHANNEL
    # the same slot again, from the same or another process: never a second post
    assert send_digest(world.deps(), sub, due).status == "duplicate"
    assert send_digest(world.deps("proc-b"), sub, due).status == "duplicate"
    assert len(digests_in(slack)) == 1


def test_nps_digest_names_the_form(world, slack):
    sub = world.subscribe("nps", form_id=55)
    assert send_digest(world.deps(), sub, due_before(world.clock())).status == "posted"
    [msg] = digests_in(slack)
    assert msg["text"].startswith("NPS digest · NPS Survey for ")


@pytest.mark.both_databases
def test_two_schedulers_on_one_database_post_each_digest_once(world, slack):
    subs = [
        world.subscribe("sla"),
        world.subscribe("nps", form_id=55),
        world.subscribe("nps", form_id=61),
        world.subscribe("sla", tz="America/New_York"),
    ]
    due = due_before(world.clock())
    procs = [world.deps("proc-a"), world.deps("proc-b")]
    outcomes: list = []
    barrier = threading.Barrier(len(procs) * len(subs))

    def fire(deps, sub):
        barrier.wait()
        outcomes.append((sub.id, send_digest(deps, sub, due).status))

    threads = [threading.Thread(target=fire, args=(d, s)) for d in procs for s in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for sub in subs:
        statuses = sorted(status for sid, status in outcomes if sid == sub.id)
        assert statuses == ["duplicate", "posted"], (sub, statuses)
    assert len(digests_in(slack)) == len(subs)


CLAIM_THEN_HANG = """
import sys, time
from datetime import datetime
from bot.store import open_store
store = open_store(sys.argv[1])
run = store.digest_runs.claim(int(sys.argv[2]), sys.argv[3], "doomed-process", datetime.fromisoformat(sys.argv[4]))
print("claimed", run, flush=True)
time.sleep(60)
"""


@pytest.mark.both_databases
def test_a_process_killed_between_claim_and_post_is_posted_once_after_restart(world, slack):
    sub = world.subscribe("sla")
    due = due_before(world.clock(), minutes=3)
    claimed_at = world.clock() - timedelta(minutes=2)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLAIM_THEN_HANG,
            world.settings.db_path,
            str(sub.id),
            slot_key(due),
            claimed_at.isoformat(),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert proc.stdout.readline().startswith("claimed")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # while the lease runs, the scheduler that fires on time must not post it (the claim is taken)
    assert send_digest(world.deps(lease_s=300), sub, due).status == "duplicate"
    assert digests_in(slack) == []
    # the next start: the claim is older than the lease; two processes race to recover it, one posts
    results = []
    procs = [world.deps("restart-a", lease_s=60), world.deps("restart-b", lease_s=60)]
    threads = [threading.Thread(target=lambda d=d: results.extend(recover_stale_runs(d))) for d in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o.status for o in results if o.status != "duplicate") == ["posted"]
    assert len(digests_in(slack)) == 1
    [run] = world.store.digest_runs.runs_for(sub.id)
    assert run["status"] == "posted" and run["attempts"] == 2
    assert "Posted late" in digests_in(slack)[0]["blocks"][1]["elements"][0]["text"]
    # and never again
    assert recover_stale_runs(world.deps("later", lease_s=0)) == []
    assert send_digest(world.deps(), sub, due).status == "duplicate"
    assert len(digests_in(slack)) == 1


POST_THEN_HANG = """
import sys, time
from datetime import datetime
from slack_sdk import WebClient
from bot.store import open_store
db, sub_id, slot, at, api_url, channel, post = sys.argv[1:8]
store = open_store(db)
run = store.digest_runs.claim(int(sub_id), slot, "doomed-process", datetime.fromisoformat(at))
store.digest_runs.begin_post(run, "doomed-process", channel, datetime.fromisoformat(at))
if post == "yes":  # Slack takes the post; the process dies before it reads the answer's ts into the store
    WebClient(token="xoxb-test-token", base_url=api_url).chat_postMessage(
        channel=channel, text="SLA digest for (the dead process's copy)",
        metadata={"event_type": "lexer_digest",
                  "event_payload": {"subscription_id": int(sub_id), "scheduled_for": slot}})
print("posting", run, flush=True)
time.sleep(60)
"""


def _kill_mid_post(world, sub, due, *, reached_slack: bool):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            POST_THEN_HANG,
            world.settings.db_path,
            str(sub.id),
            slot_key(due),
            (world.clock() - timedelta(minutes=9)).isoformat(),
            world.settings.slack_api_url,
            sub.channel_id,
            "yes" if reached_slack else "no",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert proc.stdout.readline().startswith("posting")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.mark.parametrize("reached_slack", [True, False])
def test_a_process_killed_in_chat_post_message_is_resolved_by_reading_the_channel(world, slack, reached_slack):
    """Failed before: the run became `uncertain` and was never posted (lost when the post had not reached Slack)."""
    sub = world.subscribe("sla")
    due = due_before(world.clock(), minutes=10)
    _kill_mid_post(world, sub, due, reached_slack=reached_slack)
    assert send_digest(world.deps(), sub, due).status == "duplicate"  # the lease still runs: nobody may post
    # two processes restart at once and race to resolve it
    results = []
    procs = [world.deps("restart-a", lease_s=60), world.deps("restart-b", lease_s=60)]
    threads = [threading.Thread(target=lambda d=d: results.extend(recover_stale_runs(d))) for d in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o.status for o in results if o.status != "duplicate") == ["posted"]
    [posted] = digests_in(slack)
    assert ("dead process's copy" in posted["text"]) is reached_slack
    [run] = world.store.digest_runs.runs_for(sub.id)
    assert run["status"] == "posted" and run["message_ts"] == posted["ts"]
    history = slack.app.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] in ("1", True, "true")
    # and never again
    assert recover_stale_runs(world.deps("later", lease_s=0)) == []
    assert send_digest(world.deps(), sub, due).status == "duplicate"
    assert len(digests_in(slack)) == 1


@pytest.mark.parametrize(
    "code", ["internal_error", "ratelimited", "fatal_error", "service_unavailable", "request_timeout"]
)
def test_a_transient_slack_error_is_retried_within_the_grace_and_posted_once(world, slack, code):
    """Failed before: one such answer ended the run `failed` and the day's digest was lost."""
    sub = world.subscribe("sla")
    slack.app.fail_next("chat.postMessage", error=code, status=200, times=4)  # more than slack_sdk's own retries
    outcome = send_digest(world.deps(), sub, due_before(world.clock()))
    assert outcome.status == "posted"
    assert len(digests_in(slack)) == 1
    [run] = world.store.digest_runs.runs_for(sub.id)
    assert run["status"] == "posted" and run["attempts"] > 1


def test_a_500_that_did_post_is_found_in_the_channel_not_posted_twice(world, slack):
    """A post Slack took but answered badly (here: the digest is already there) is recorded, not repeated."""
    sub = world.subscribe("sla")
    due = due_before(world.clock())
    deps = world.deps()
    # what a 500-after-posting leaves: the post in the channel, the run sent back to claimed by the claimer
    run_id = world.store.digest_runs.claim(sub.id, slot_key(due), deps.worker_id, world.clock())
    world.store.digest_runs.begin_post(run_id, deps.worker_id, CHANNEL, world.clock())
    ts = deps.slack.chat_postMessage(
        channel=CHANNEL,
        text="SLA digest for (Slack took it)",
        metadata={
            "event_type": "lexer_digest",
            "event_payload": {"subscription_id": sub.id, "scheduled_for": slot_key(due)},
        },
    )["ts"]
    world.store.digest_runs.back_to_claimed(run_id, deps.worker_id, world.clock(), "internal_error")
    from digests.delivery import post_run

    outcome = post_run(
        deps, world.store.subscriptions.get(sub.id), run_id, slot_key(due), {"text": "x"}, due + timedelta(hours=1)
    )
    assert outcome.status == "posted" and outcome.message_ts == ts
    assert len(digests_in(slack)) == 1


def test_slack_down_for_the_whole_grace_fails_the_run_and_tells_its_creator(sandbox, slack, tmp_path):
    """Failed before: the run ended `failed` on the first error and nobody was told."""
    from tests.digests.conftest import DigestWorld

    world = DigestWorld(sandbox, slack, tmp_path, digest_grace_s=100.0)
    sub = world.subscribe("sla")
    due = world.clock().replace(microsecond=0)
    # posts at +0, +5, +20, +50 and +100 s (the backoff, cut at the grace) all fail; Slack is back for the DM
    slack.app.fail_next("chat.postMessage", error="service_unavailable", status=200, times=5)
    deps = world.deps()
    outcome = send_digest(deps, sub, due)
    assert outcome.status == "failed" and outcome.error == "service_unavailable"
    assert world.clock() >= due + timedelta(seconds=world.settings.digest_grace_s)
    [run] = world.store.digest_runs.runs_for(sub.id)
    assert run["status"] == "failed"
    assert len([c for c in slack.app.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]) == 5
    [dm] = slack.app.messages(ADMIN)
    assert f"subscription `{sub.id}`" in dm["text"] and f"<#{CHANNEL}>" in dm["text"]
    assert "service_unavailable" in dm["text"] and "/lexer sla" in dm["text"]
    # a later recovery pass does not post it or tell anyone again
    assert recover_stale_runs(world.deps("later", lease_s=0)) == []
    assert len(slack.app.messages(ADMIN)) == 1 and digests_in(slack) == []
    world.close()


@pytest.mark.parametrize(
    "late_min, status, note",
    [
        (0, "posted", False),
        (20, "posted", True),
        (59, "posted", True),
        (61, "missed", None),
    ],
)
def test_misfire_grace(world, slack, late_min, status, note):
    sub = world.subscribe("sla")
    due = due_before(world.clock(), minutes=late_min + 1)
    world.clock.value = due + timedelta(minutes=late_min, seconds=5)
    assert send_digest(world.deps(), sub, due).status == status
    if status == "missed":
        assert digests_in(slack) == []
        assert world.store.digest_runs.runs_for(sub.id)[0]["status"] == "missed"
        return
    [msg] = digests_in(slack)
    assert ("Posted late" in str(msg["blocks"])) is note


@pytest.mark.parametrize("code", ["not_in_channel", "is_archived", "channel_not_found"])
def test_a_channel_the_bot_cannot_post_in_breaks_only_that_subscription(world, slack, code):
    channel = {"not_in_channel": "C0NOTIN", "is_archived": "C0ARCHIV", "channel_not_found": "C0GONE"}[code]
    bad = world.subscribe("sla", channel)
    good = world.subscribe("sla")
    deps = world.deps()
    due = due_before(world.clock())
    assert send_digest(deps, bad, due).error == code
    assert send_digest(deps, good, due).status == "posted"
    assert world.store.subscriptions.get(bad.id).broken_reason == code
    assert world.store.subscriptions.get(good.id).broken_reason is None
    dms = slack.app.messages("D" + ADMIN[1:])
    assert len(dms) == 1 and f"subscription `{bad.id}`" in dms[0]["text"] and code in dms[0]["text"]
    # a broken subscription is skipped from then on, and its creator is not told again
    assert send_digest(deps, bad, due + timedelta(days=1)).status == "skipped"
    assert len(slack.app.messages("D" + ADMIN[1:])) == 1


def test_slack_rate_limit_is_retried_after_retry_after(world, slack):
    sub = world.subscribe("sla")
    slack.app.fail_next("chat.postMessage", error="ratelimited", retry_after=1)
    assert send_digest(world.deps(), sub, due_before(world.clock())).status == "posted"
    assert len(slack.app.calls_to("chat.postMessage")) == 2
    assert len(digests_in(slack)) == 1


def test_lexer_errors_are_retried_within_the_grace_then_posted_with_what_is_missing(world, slack, sandbox):
    sub = world.subscribe("sla")
    due = due_before(world.clock())
    # Lexer is down for long enough that every retry within the grace fails for the summaries
    sandbox.app.fail_next(503, times=1000)
    deps = world.deps()
    start = world.clock()
    outcome = send_digest(deps, sub, due)
    assert outcome.status == "posted"
    assert world.clock() >= due + timedelta(seconds=world.settings.digest_grace_s)  # retried until the grace ran out
    assert world.clock() - start <= timedelta(seconds=world.settings.digest_grace_s)
    [msg] = digests_in(slack)
    text = str(msg["blocks"])
    assert "did not answer in time" in text and "yesterday's SLA numbers" in text


def test_a_lexer_hiccup_is_retried_and_the_digest_is_whole(world, slack, sandbox):
    sub = world.subscribe("sla")
    sandbox.app.fail_next(503, times=2)
    outcome = send_digest(world.deps(), sub, due_before(world.clock()))
    assert outcome.status == "posted"
    [msg] = digests_in(slack)
    assert "did not answer" not in str(msg["blocks"])


def test_unsubscribed_before_it_fires_is_skipped(world, slack):
    sub = world.subscribe("sla")
    world.store.subscriptions.delete(sub.id)
    assert send_digest(world.deps(), sub, due_before(world.clock())).status == "skipped"
    assert digests_in(slack) == []


class SlowFirstReport:
    """The sandbox behind a proxy that holds the first report request for `hold_s` (a slow Lexer answer)."""

    def __init__(self, app, hold_s: float):
        self.app, self.hold_s = app, hold_s
        self.held = threading.Event()

    def __call__(self, environ, start_response):
        if "reports" in environ.get("PATH_INFO", "") and not self.held.is_set():
            self.held.set()
            time.sleep(self.hold_s)
        return self.app(environ, start_response)


class RealClock:
    def __call__(self):
        return datetime.now(timezone.utc)

    def advance(self, seconds):
        time.sleep(seconds)


def test_a_slow_fetch_keeps_its_lease_so_recovery_never_builds_the_digest_in_parallel(sandbox, slack, tmp_path):
    """Failed before: the lease was refreshed only between retry rounds, so recovery took the claim over mid-fetch."""
    from bot.sandbox.server import serve_in_thread
    from tests.conftest import Served
    from tests.digests.conftest import DigestWorld

    slow = SlowFirstReport(sandbox.app, hold_s=2.5)
    handle = serve_in_thread(slow)
    world = DigestWorld(Served(slow, handle.url), slack, tmp_path)
    try:
        sub = world.subscribe("sla")
        clock = RealClock()
        due = due_before(clock())
        results = {}
        first = threading.Thread(
            target=lambda: results.update(a=send_digest(world.deps("proc-a", clock=clock, lease_s=0.6), sub, due))
        )
        first.start()
        assert slow.held.wait(10)
        time.sleep(1.5)  # well past the lease, the fetch still held
        recovered = recover_stale_runs(world.deps("recovery", clock=clock, lease_s=0.6))
        first.join(30)
        assert recovered == []
        assert results["a"].status == "posted"
        assert len(digests_in(slack)) == 1
        [run] = world.store.digest_runs.runs_for(sub.id)
        assert run["attempts"] == 1 and run["claimed_by"] == "proc-a"
    finally:
        world.close()
        handle.stop()


def test_without_the_history_scope_an_uncertain_post_is_not_repeated_and_its_creator_is_told(world, slack):
    """An app not yet reinstalled with channels:history cannot look: never twice wins, and a person checks."""
    sub = world.subscribe("sla")
    due = due_before(world.clock(), minutes=10)
    _kill_mid_post(world, sub, due, reached_slack=False)
    slack.app.fail_next("conversations.history", error="missing_scope")
    [outcome] = recover_stale_runs(world.deps("restart", lease_s=60))
    assert outcome.status == "failed" and "missing_scope" in outcome.error
    assert digests_in(slack) == []
    [dm] = slack.app.messages(ADMIN)
    assert "may not have been posted" in dm["text"] and "channels:history" in dm["text"]
    assert recover_stale_runs(world.deps("later", lease_s=0)) == []
