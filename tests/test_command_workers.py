"""Round-robin order of the store's command queue, and the pool's workers."""

import pytest


@pytest.mark.both_databases
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


@pytest.mark.both_databases
def test_a_dead_workers_commands_go_back_in_line(fresh_store):
    queue = fresh_store.command_queue
    queue.enqueue({"user_id": "U1", "text": "summary"}, 1.0)
    job = queue.claim_next("host:123:dispatch", 2.0, 30.0)
    assert queue.claim_next("host:456:dispatch", 3.0, 30.0) is None  # held by the first worker
    assert queue.release_worker("host:123:") == 1
    again = queue.claim_next("host:456:dispatch", 4.0, 30.0)
    assert again["id"] == job["id"] and again["attempts"] == 2
    assert not queue.finish(job["id"], "host:123:dispatch")  # the dead worker's late answer is not recorded


@pytest.mark.both_databases
def test_the_line_reads_who_waits_and_for_what_at_once(fresh_store):
    queue = fresh_store.command_queue
    queue.enqueue({"user_id": "U1", "text": "team"}, 1.0)
    queue.enqueue({"user_id": "U1", "text": "team"}, 2.0)
    queue.enqueue({"user_id": "U1", "text": "sla"}, 3.0)
    queue.enqueue({"user_id": "U2", "text": "team"}, 4.0, workspace="T2")
    assert queue.claim_next("w1", 5.0, 30.0)["text"] == "team"  # U1's first: running
    before = fresh_store.queries()
    line = queue.line()
    assert fresh_store.queries() - before == 1
    assert (line.queued_per_user, line.texts, line.running) == ({"U1": 2, "U2": 1}, {"team", "sla"}, 1)
    only_t2 = queue.line("T2")
    assert (only_t2.queued_per_user, only_t2.texts, only_t2.running) == ({"U2": 1}, {"team"}, 0)
    assert queue.line("T9").texts == set()


@pytest.mark.both_databases
def test_an_ack_reads_the_store_twice_and_writes_once(fresh_store):
    """The ack's estimate (the line, Lexer's window and pause) and the queued command: three round trips; and
    within half a second of another ack, one: the write (the reads are shared)."""
    from types import SimpleNamespace

    from bot.commands.queue import CommandIntake
    from bot.lexer.rate_limit import StoreRateLimiter

    limiter = StoreRateLimiter(fresh_store, "xoxp-token", clock=lambda: 1000.0)
    deps = SimpleNamespace(
        store=fresh_store,
        tenancy=None,
        api=SimpleNamespace(limiter=limiter),
        now=lambda: __import__("datetime").datetime.now(),
    )
    intake = CommandIntake(deps, wake=lambda: None, clock=lambda: 50.0)
    fresh_store.command_queue.enqueue({"user_id": "U2", "text": "team"}, 1.0)
    before = fresh_store.queries()
    assert intake.take({"user_id": "U1", "text": "sla yesterday", "response_url": "https://x"}) is None
    assert fresh_store.queries() - before == 3
    assert fresh_store.command_queue.waiting() == 2
    before = fresh_store.queries()
    assert intake.take({"user_id": "U3", "text": "sla yesterday", "response_url": "https://x"}) is None
    assert fresh_store.queries() - before == 1
    assert fresh_store.command_queue.waiting() == 3


@pytest.mark.both_databases
def test_a_shared_line_read_counts_the_commands_queued_since(fresh_store):
    """Acks sharing one read of the line still see the commands this process queued after it: a user's
    third command in a row is third in line, and told so, not told it is next."""
    from types import SimpleNamespace

    from bot.commands.queue import CommandIntake

    clock = [50.0]
    deps = SimpleNamespace(store=fresh_store, tenancy=None, api=None, now=lambda: __import__("datetime").datetime.now())
    intake = CommandIntake(deps, wake=lambda: None, threads=2, clock=lambda: clock[0])
    assert intake.eta_s("U1") == (0.0, 1)
    assert intake.take({"user_id": "U1", "text": "team", "response_url": "https://x"}) is None
    assert intake.eta_s("U1") == (0.0, 2)  # the shared read, and the one queued since
    assert intake.take({"user_id": "U1", "text": "sla", "response_url": "https://x"}) is None
    third = intake.take({"user_id": "U1", "text": "cases", "response_url": "https://x"})
    assert third is not None and "3" in third  # third in line, beyond the two answered at once
    fresh_store.command_queue.enqueue({"user_id": "U9", "text": "team"}, 2.0)  # another replica's
    assert intake.eta_s("U9") == (0.0, 2)  # not seen for half a second
    clock[0] += 0.6
    assert intake.eta_s("U9") == (0.0, 4)  # then read again: its first, behind two of U1's three


@pytest.mark.both_databases
def test_a_lapsed_lease_puts_the_command_back_in_line(fresh_store):
    queue = fresh_store.command_queue
    queue.enqueue({"user_id": "U1", "text": "summary"}, 1.0)
    job = queue.claim_next("hostA:1:dispatch", 2.0, 30.0)
    assert queue.requeue_expired(31.0) == 0  # its dispatcher still refreshes it
    assert queue.claim_next("hostB:2:dispatch", 31.0, 30.0) is None
    assert queue.requeue_expired(33.0) == 1  # hostA went away: lapsed
    again = queue.claim_next("hostB:2:dispatch", 33.0, 30.0)
    assert again["id"] == job["id"] and again["attempts"] == 2


@pytest.mark.both_databases
def test_dispatchers_claiming_at_once_take_each_command_once(database):
    """Four processes' dispatchers claim together, each on its own connection: one statement, one taker."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store import open_store

    main = open_store(database)
    queue = main.command_queue
    for i in range(120):
        queue.enqueue({"user_id": f"U{i % 7}", "text": f"summary {i}"}, 1.0 + i)
    stores = [open_store(database) for _ in range(4)]

    def drain(n: int) -> list[int]:
        taken = []
        while (job := stores[n].command_queue.claim_next(f"host{n}:1:dispatch", 500.0, 30.0)) is not None:
            taken.append(job["id"])
        return taken

    try:
        with ThreadPoolExecutor(4) as pool:
            taken = [i for ids in pool.map(drain, range(4)) for i in ids]
    finally:
        for store in stores:
            store.close()
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 120
    assert queue.waiting() == 0 and queue.line().running == 120
    main.close()


def test_a_burst_of_acks_takes_turns_at_the_store(database):
    """Sixteen acks at once (Bolt's listener threads): at most INTAKE_AT_ONCE in the store together, every
    command queued. Without the turns, all sixteen wait in SQLite's busy handler on its one write lock."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from bot.commands.queue import INTAKE_AT_ONCE, CommandIntake
    from bot.store import open_store

    inside, most, lock = [0], [0], threading.Lock()
    real = open_store(database)  # a file (or a PostgreSQL database): each thread on its own connection
    queue = real.command_queue

    class CountedQueue:  # the store's own queue, counting who is inside it
        def __getattr__(self, name):
            return getattr(queue, name)

        def line(self, workspace=None):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            try:
                return queue.line(workspace)
            finally:
                with lock:
                    inside[0] -= 1

    store = SimpleNamespace(command_queue=CountedQueue())
    deps = SimpleNamespace(store=store, tenancy=None, api=None, now=lambda: __import__("datetime").datetime.now())
    intake = CommandIntake(deps, wake=lambda: None)
    with ThreadPoolExecutor(16) as pool:
        notices = list(pool.map(lambda n: intake.take({"user_id": f"U{n}", "text": "team"}), range(16)))
    try:
        assert most[0] == INTAKE_AT_ONCE
        assert queue.waiting() == 16 and len(notices) == 16
    finally:
        real.close()


def test_an_ack_does_not_wait_forever_behind_a_stuck_store(database):
    """Four acks hang in the store (a database that stopped answering): the fifth waits its turn only
    INTAKE_TURN_WAIT_S, then goes on by itself, so it can still be answered (or fall back) in time."""
    import threading
    from types import SimpleNamespace

    from bot.commands.queue import INTAKE_AT_ONCE, CommandIntake
    from bot.store import open_store

    real = open_store(database)
    queue, stuck, entered = real.command_queue, threading.Event(), threading.Semaphore(0)

    class StuckQueue:
        def __getattr__(self, name):
            return getattr(queue, name)

        def line(self, workspace=None):
            if threading.current_thread().name.startswith("stuck"):
                entered.release()
                stuck.wait(30)
            return queue.line(workspace)

    deps = SimpleNamespace(
        store=SimpleNamespace(command_queue=StuckQueue()),
        tenancy=None,
        api=None,
        now=lambda: __import__("datetime").datetime.now(),
    )
    intake = CommandIntake(deps, wake=lambda: None)
    hung = [
        threading.Thread(target=intake.take, args=({"user_id": f"U{n}", "text": "team"},), name=f"stuck-{n}")
        for n in range(INTAKE_AT_ONCE)
    ]
    try:
        for t in hung:
            t.start()
        for _ in hung:
            assert entered.acquire(timeout=10)
        assert intake.take({"user_id": "UNEXT", "text": "sla"}) is None  # queued while the four still hang
        assert not stuck.is_set() and queue.waiting() == 1
    finally:
        stuck.set()
        for t in hung:
            t.join(10)
    try:
        assert queue.waiting() == INTAKE_AT_ONCE + 1
    finally:
        real.close()


def test_database_hiccups_do_not_use_up_the_dispatchers_threads(database):
    """Three failed claims in a row (the database went away for a moment) on a dispatcher of two threads: it
    still answers the command once the database is back. Each failed step used to keep the thread it held."""
    import datetime
    import threading
    from types import SimpleNamespace

    from bot.commands.dispatcher import CommandDispatcher
    from bot.store import open_store

    real = open_store(database)
    queue, failures, answered = real.command_queue, [3], threading.Event()

    class FlakyQueue:
        def __getattr__(self, name):
            return getattr(queue, name)

        def claim_next(self, *args, **kwargs):
            if failures[0] > 0:
                failures[0] -= 1
                raise ConnectionError("server closed the connection unexpectedly")
            return queue.claim_next(*args, **kwargs)

    deps = SimpleNamespace(
        store=SimpleNamespace(command_queue=FlakyQueue()),
        tenancy=None,
        api=None,
        slack=None,
        worker_id="host:1",
        now=lambda: datetime.datetime.now(datetime.timezone.utc),
    )
    queue.enqueue({"user_id": "U1", "text": "summary"}, datetime.datetime.now(datetime.timezone.utc).timestamp())
    dispatcher = CommandDispatcher(deps, None, threads=2, answer=lambda *a, **k: answered.set()).start()
    try:
        assert answered.wait(15), "the dispatcher stopped claiming after the database came back"
        assert failures[0] == 0
    finally:
        dispatcher.stop()
        real.close()


def test_a_deferral_for_lexers_budget_is_not_an_attempt(fresh_store):
    """A command waiting out Lexer's window is taken again and again: none of those counts against the three
    attempts a command has (the cap is for commands whose answering fails, not for patient ones)."""
    queue = fresh_store.command_queue
    queue.enqueue({"user_id": "U1", "text": "summary"}, 1.0)
    for t in range(5):
        job = queue.claim_next("host:1:dispatch", 2.0 + t, 30.0)
        assert job["attempts"] == 1
        queue.defer(job["id"], "host:1:dispatch", 0.0)  # the window is closed: back in line
    queue.defer(queue.claim_next("host:1:dispatch", 9.0, 30.0)["id"], "host:1:dispatch", 0.0, attempted=True)
    assert queue.claim_next("host:1:dispatch", 10.0, 30.0)["attempts"] == 2  # a failed answer counts


def test_a_failed_command_is_named_by_its_command_word_alone():
    from bot.commands.dispatcher import shown_command

    assert shown_command("summary last-week group:Support") == "summary …"
    assert shown_command("users") == "users"
    assert shown_command("SLA") == "sla"
    assert shown_command("xoxp-1234-pasted-token") is None
    assert shown_command("") is None


def test_an_ack_is_told_its_command_is_queued_only_once_it_is_in_the_store(fresh_store):
    """The ack's late fallback promises the answer only for a command the store holds (bot.listeners.slash)."""
    from types import SimpleNamespace

    from bot.commands.queue import CommandIntake
    from bot.lexer.budget import still_queuing_notice

    deps = SimpleNamespace(store=fresh_store, tenancy=None, api=None, now=lambda: __import__("datetime").datetime.now())
    intake = CommandIntake(deps, wake=lambda: None)
    seen: list[int] = []
    intake.take({"user_id": "U1", "text": "team", "response_url": "https://x"}, lambda: seen.append(1))
    assert seen == [1] and fresh_store.command_queue.waiting() == 1
    assert "will arrive" in still_queuing_notice(True)
    assert "will arrive" not in still_queuing_notice(False) and "try again" in still_queuing_notice(False)


@pytest.mark.both_databases
def test_a_claim_leaves_the_commands_of_workspaces_at_their_bound_queued(database):
    """The dispatcher names the workspaces holding their share of its threads: the claim takes another's command,
    and nothing when only theirs wait."""
    from bot.store import open_store

    store = open_store(database)
    queue = store.command_queue
    try:
        for n in range(3):
            queue.enqueue({"user_id": "USLOW", "text": f"team {n}"}, 1.0 + n, workspace="TSLOW")
        queue.enqueue({"user_id": "UOTHER", "text": "team"}, 10.0, workspace="TOTHER")
        first = queue.claim_next("w1", 20.0, 30.0, skip_workspaces=["TSLOW"])
        assert first is not None and first["user_id"] == "UOTHER"
        assert queue.claim_next("w1", 21.0, 30.0, skip_workspaces=["TSLOW", "TOTHER"]) is None
        assert queue.claim_next("w1", 22.0, 30.0)["user_id"] == "USLOW"  # no bound named: taken as before
    finally:
        store.close()


@pytest.mark.both_databases
def test_a_dispatcher_back_from_an_outage_first_lets_the_others_renew_their_leases(fresh_store):
    """A database outage longer than a command's lease: no dispatcher could renew its leases meanwhile. The one
    that reaches the database first must not put the others' commands, being answered, back in line. Failed
    before: it did, took the command and answered it a second time."""
    import datetime
    import threading
    import time
    from types import SimpleNamespace

    import psycopg

    from bot.commands.dispatcher import LEASE_S, CommandDispatcher

    queue = fresh_store.command_queue
    offset = [0.0]

    def now():
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset[0])

    down = {"a": False, "b": False}

    class Queue:
        def __init__(self, name):
            self.name = name

        def __getattr__(self, attr):
            real = getattr(queue, attr)

            def call(*args, **kwargs):
                if down[self.name]:
                    raise psycopg.OperationalError("the database is down (test)")
                return real(*args, **kwargs)

            return call

    def deps(name):
        return SimpleNamespace(
            store=SimpleNamespace(command_queue=Queue(name)),
            tenancy=None,
            api=None,
            slack=None,
            worker_id=f"h{name}:1",
            now=now,
        )

    answers: list[str] = []
    started, release = threading.Event(), threading.Event()

    def answer_a(*args, **kwargs):
        answers.append("a")
        started.set()
        release.wait(10)

    queue.enqueue({"user_id": "U1", "text": "summary"}, now().timestamp())
    a = CommandDispatcher(deps("a"), None, threads=2, answer=answer_a).start()
    assert started.wait(10)
    b = CommandDispatcher(deps("b"), None, threads=2, answer=lambda *args, **kwargs: answers.append("b")).start()
    try:
        time.sleep(0.5)
        down.update(a=True, b=True)
        time.sleep(1.5)
        offset[0] = LEASE_S + 10  # the outage outlasts the lease of the command `a` is answering
        time.sleep(1.5)
        down["b"] = False  # `b` reaches the database first
        time.sleep(2.0)
        down["a"] = False
        time.sleep(1.5)
        release.set()
        time.sleep(1.0)
        assert answers == ["a"]
    finally:
        release.set()
        a.stop()
        b.stop()
