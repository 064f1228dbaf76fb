"""report_shares: the insert is the claim, so one private answer is shared once, across processes."""

from tests.conftest import utc

NOW = utc(2026, 12, 2, 0, 30)


def test_a_message_is_claimed_once_per_channel(fresh_store):
    shares = fresh_store.report_shares
    assert shares.claim("C1", "1700.0001", "U1", NOW) is True
    assert shares.claim("C1", "1700.0001", "U1", NOW) is False
    assert shares.claim("C1", "1700.0002", "U1", NOW) is True
    assert shares.claim("C2", "1700.0001", "U1", NOW) is True
    rows = list(fresh_store.db["report_shares"].rows)
    assert len(rows) == 3 and {r["workspace"] for r in rows} == {""}
