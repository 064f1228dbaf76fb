"""Every workspace a clock job runs for: this process's own Deps, then each connected workspace's.

The one tenant loop of the clock process: the alert checks, the digest recovery, the agent digests and
`lexer-bot alerts check` all go through it, so "which workspaces does a pass cover" has one answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

logger = logging.getLogger(__name__)


def connected_workspaces(deps) -> Iterator[Any]:
    """Every connected workspace's Deps (distribution mode), each leased while the loop on it runs; none in
    single-workspace mode. A workspace that cannot be read is logged and skipped, never stopping the others."""
    if deps.tenancy is not None:
        yield from deps.tenancy.connected_workspaces()


def every_workspace(deps) -> Iterator[Any]:
    """This process's own Deps, then each connected workspace's (see connected_workspaces)."""
    yield deps
    yield from connected_workspaces(deps)


def in_every_workspace(deps, job: Callable[[Any], object], failed: str, log: logging.Logger = logger) -> None:
    """Run a clock job on every workspace's Deps; one workspace's failure is logged (`failed`) and the rest run."""
    for here in every_workspace(deps):
        try:
            job(here)
        except Exception:
            log.exception(failed)
