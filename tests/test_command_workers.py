"""Round-robin order of the store's command queue, and the pool's on-the-spot fallback."""

from bot.command_workers import CommandWorkerPool
from bot.config import Settings


def test_a_command_answered_on_the_spot_while_the_pool_stops_is_still_answered():
    pool = CommandWorkerPool(Settings(), 0, target=lambda *args: None)
    pool.stop()
    answered: list[str] = []
    pool.answer_here(answered.append, "summary")  # the stopping pool answers it here, not drops it
    assert answered == ["summary"]


def test_the_queue_serves_users_round_robin(fresh_store):
    queue = fresh_store.command_queue
    for n in range(5):
        queue.enqueue({"user_id": "UHEAVY", "text": f"summary {n}"}, 100.0 + n)
    queue.enqueue({"user_id": "ULIGHT1", "text": "team"}, 110.0)
    queue.enqueue({"user_id": "ULIGHT2", "text": "cases"}, 111.0)
    served = []
    for t in range(7):
        job = queue.claim_next("w1", 200.0 + t, 30.0)
        served.append(job["user_id"])
        queue.finish(job["id"], "w1")
    assert served[:3] == ["UHEAVY", "ULIGHT1", "ULIGHT2"]
    assert served[3:] == ["UHEAVY"] * 4
    assert queue.claim_next("w1", 300.0, 30.0) is None


def test_a_dead_workers_commands_go_back_in_line(fresh_store):
    queue = fresh_store.command_queue
    queue.enqueue({"user_id": "U1", "text": "summary"}, 1.0)
    job = queue.claim_next("host:123:dispatch", 2.0, 30.0)
    assert queue.claim_next("host:456:dispatch", 3.0, 30.0) is None  # held by the first worker
    assert queue.release_worker("host:123:") == 1
    again = queue.claim_next("host:456:dispatch", 4.0, 30.0)
    assert again["id"] == job["id"] and again["attempts"] == 2
    assert not queue.finish(job["id"], "host:123:dispatch")  # the dead worker's late answer is not recorded
