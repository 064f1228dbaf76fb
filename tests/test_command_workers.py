"""The command worker pool's fallback: commands no worker can take are answered in this process."""

from bot.command_workers import CommandWorkerPool
from bot.config import Settings


def test_a_command_arriving_while_the_pool_stops_is_still_answered():
    pool = CommandWorkerPool(Settings(), 0, target=lambda *args: None)
    pool.stop()
    answered: list[str] = []
    assert not pool.submit({"text": "summary"})  # no worker takes it…
    pool.answer_here(answered.append, "summary")  # …and the stopping pool answers it here, not drops it
    assert answered == ["summary"]
