"""The sender's two hot statements, in plain SQL: claiming a batch and marking emails `sent`.

The worker runs them for every batch and for (nearly) every email, so they are written once
here instead of being built by the ORM each time:

- `claim_due_emails`: one `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING *`. On
  PostgreSQL the subquery locks its rows `FOR UPDATE SKIP LOCKED`, so concurrent senders never
  claim the same row; SQLite runs one writer at a time.
- `mark_sent`: one `UPDATE ... RETURNING id` for the emails of one claim the server accepted,
  conditional on the claim token and the `sending` state, so that a sender whose lease was taken
  over changes nothing; it returns the ids it marked.

Both are single autocommitted statements: committed when they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from tortoise import connections

from models.outbox import OutboxEmail, OutboxState
from settings import Settings

_TABLE = OutboxEmail._meta.db_table
_QUEUED, _SENDING, _SENT = (
    OutboxState.QUEUED.value,
    OutboxState.SENDING.value,
    OutboxState.SENT.value,
)

# Parameters: claim token, lease end, now, batch size.
_CLAIM = {
    "postgres": f"""
        UPDATE "{_TABLE}" SET "state" = '{_SENDING}', "locked_by" = $1, "locked_until" = $2
        WHERE "id" IN (
            SELECT "id" FROM "{_TABLE}"
            WHERE ("state" = '{_QUEUED}' AND "next_attempt_at" <= $3)
               OR ("state" = '{_SENDING}' AND "locked_until" < $3)
            ORDER BY "next_attempt_at", "id" LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        RETURNING *""",
    "sqlite": f"""
        UPDATE "{_TABLE}" SET "state" = '{_SENDING}', "locked_by" = ?1, "locked_until" = ?2
        WHERE "id" IN (
            SELECT "id" FROM "{_TABLE}"
            WHERE ("state" = '{_QUEUED}' AND "next_attempt_at" <= ?3)
               OR ("state" = '{_SENDING}' AND "locked_until" < ?3)
            ORDER BY "next_attempt_at", "id" LIMIT ?4
        )
        RETURNING *""",
}

# Parameters: sent time, claim token, then the ids (an array on PostgreSQL).
_MARK_SENT = f"""
    UPDATE "{_TABLE}" SET "state" = '{_SENT}', "sent_at" = {{0}}, "attempts" = "attempts" + 1,
        "locked_until" = NULL, "last_error" = ''
    WHERE "locked_by" = {{1}} AND "state" = '{_SENDING}' AND "id" {{2}}
    RETURNING "id\""""


def _dialect() -> str:
    return "postgres" if connections.get("default").capabilities.dialect == "postgres" else "sqlite"


async def claim_due_emails(settings: Settings, claim: str) -> list[OutboxEmail]:
    """Claim up to EMAIL_BATCH_SIZE due rows for `claim` (a unique token) and return them.

    Due: `queued` rows whose `next_attempt_at` has come, and `sending` rows whose lease ran out
    (their sender died). Claimed rows are `sending`, locked by `claim` for EMAIL_LEASE_SECONDS.
    """
    now = datetime.now(UTC)
    lease_end = now + timedelta(seconds=settings.email_lease_seconds)
    client = connections.get("default")
    rows = await client.execute_query_dict(
        _CLAIM[_dialect()], [claim, lease_end, now, settings.email_batch_size]
    )
    emails = [OutboxEmail._init_from_db(**row) for row in rows]
    emails.sort(key=lambda email: email.id)
    return emails


async def mark_sent(claim: str, ids: Sequence[int]) -> set[int]:
    """Mark the emails `ids` of `claim` sent, in one committed statement; the ids it marked."""
    client = connections.get("default")
    if _dialect() == "postgres":
        query = _MARK_SENT.format("$1", "$2", "= ANY($3::int[])")
        values: list[object] = [datetime.now(UTC), claim, list(ids)]
    else:
        query = _MARK_SENT.format("?", "?", f"IN ({', '.join('?' * len(ids))})")
        values = [datetime.now(UTC), claim, *ids]
    # (execute_query would drop the RETURNING rows of an UPDATE on PostgreSQL.)
    return {row["id"] for row in await client.execute_query_dict(query, values)}
