"""Which failed Slack calls certainly did not post, so an alert post may be tried again without a second copy."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

# Slack answered, and said it did not act: safe to send again. A timeout or a dropped connection is not in here:
# the post may have gone out.
NOT_POSTED_ERRORS = frozenset(
    {"internal_error", "ratelimited", "rate_limited", "fatal_error", "service_unavailable", "request_timeout"}
)


def certainly_not_posted(error: BaseException) -> bool:
    """True for a Slack answer that says the call was not carried out (a transient error code, 429 or a 5xx)."""
    if not isinstance(error, SlackApiError):
        return False
    response = error.response
    status = getattr(response, "status_code", 200)
    try:
        code = str(response.get("error") or "")
    except Exception:  # a 5xx with no JSON body
        code = ""
    return code in NOT_POSTED_ERRORS or status == 429 or 500 <= status < 600
