"""CSV exports delivered as Slack files: `/lexer export …` queues a job row, a worker thread delivers it.

command.py answers the slash command; queue.py holds the line and the worker
threads; delivery.py runs one job (Lexer -> temporary file -> Slack's upload URL,
streamed, so memory stays flat whatever the file's size, SPEC §5); files.py is
the temporary CSV on disk.
"""

from bot.features.exports.command import COMMANDS, export_command, export_worker
from bot.features.exports.files import RowCounter
from bot.features.exports.queue import DEFAULT_OPTIONS, ExportQueue, QueueOptions

__all__ = [
    "COMMANDS",
    "DEFAULT_OPTIONS",
    "ExportQueue",
    "QueueOptions",
    "RowCounter",
    "export_command",
    "export_worker",
]
