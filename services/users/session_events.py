"""Ended login sessions, announced to every web process so that live websockets close at once.

Logging out and deactivating a user revoke sessions in the database (the truth, which every
request checks) and then publish the ended session ids on SESSIONS_ENDED_CHANNEL; each web process
closes the websockets of those sessions. A websocket also closes itself when its session expires
and re-checks the database every SESSION_RECHECK_SECONDS and after a pub/sub reconnect, so that an
announcement lost with Redis is only late, never missed.
"""

from __future__ import annotations

from enum import StrEnum

from services.platform.pubsub import current_pubsub

SESSIONS_ENDED_CHANNEL = "auth.sessions_ended"
SESSION_RECHECK_SECONDS = 30.0


class SessionEnd(StrEnum):
    LOGGED_OUT = "logged_out"
    EXPIRED = "expired"
    DEACTIVATED = "deactivated"


# The websocket close code and reason for each way a session ends (graphql-transport-ws uses
# 4401 for "unauthorized" and 4403 for "forbidden").
CLOSE_FOR_END: dict[SessionEnd, tuple[int, str]] = {
    SessionEnd.LOGGED_OUT: (4401, "Session ended: logged out."),
    SessionEnd.EXPIRED: (4401, "Session expired."),
    SessionEnd.DEACTIVATED: (4403, "Account deactivated."),
}


async def announce_sessions_ended(session_ids: list[str], reason: SessionEnd) -> None:
    """Tell every web process that these sessions ended (no-op outside the web app)."""
    pubsub = current_pubsub()
    if pubsub is not None and session_ids:
        await pubsub.publish(SESSIONS_ENDED_CHANNEL, {"sessions": session_ids, "reason": reason})
