"""What the command line keeps, and for how long: a done command's text goes with its row."""


def _done(store, state: str, at: float) -> int:
    q = store.command_queue
    job_id = q.enqueue({"user_id": "U1", "channel_id": "C1", "text": f"summary {state}", "response_url": ""}, at)
    job = q.claim_next("w1", at, 60)
    assert job is not None and job["id"] == job_id
    assert q.finish(job_id, "w1", state)
    return job_id


def test_prune_deletes_answered_and_failed_commands_past_their_hour_and_keeps_the_rest(fresh_store):
    # failed before: a command that failed three times kept its text for good (prune took answered and refused)
    _done(fresh_store, "answered", 1000.0)
    _done(fresh_store, "failed", 1000.0)
    fresh_store.command_queue.enqueue({"user_id": "U2", "channel_id": "C1", "text": "team", "response_url": ""}, 1000.0)
    fresh_store.command_queue.prune(before=2000.0)
    rows = fresh_store.db.execute("select state, text from command_queue").fetchall()
    assert [tuple(r) for r in rows] == [("queued", "team")]
