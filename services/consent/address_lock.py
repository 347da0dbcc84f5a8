"""One decision at a time about who holds a customer address (the protection window, SPEC §2).

Whether a partner may be linked to an address depends on the other leads of that address: the
check ("does another partner hold it?") and the write that acts on it (register, or open a
conflict) must not interleave with the same check for another lead of the address, or two
simultaneous approvals (two consent-page POSTs, possibly on two web processes) both see "nobody"
and both link. Every path that decides who holds an address (the customer's answer, starting a
registration, a resend, conflict resolution) calls `lock_customer_address` inside its transaction
before it reads the other leads, and before it locks or writes lead rows, so that the locks are
always taken in the same order.

- PostgreSQL: a transaction-scoped advisory lock keyed on the normalised address; it is held until
  the transaction commits or rolls back, across every web process and worker.
- SQLite: one writer at a time. A statement that writes nothing still takes the database's write
  lock, so the rest of the transaction (its reads included) runs after any other writer has
  committed and before the next one starts. Call it first in the transaction where possible: in
  WAL mode a transaction that has already read gets "database is locked" instead of waiting when
  another process wrote in between (an error, never a wrong decision). Within one process the
  SQLite client runs one transaction at a time anyway.
"""

from __future__ import annotations

from tortoise.backends.base.client import TransactionalDBClient

from models.leads import Lead
from services.email.suppression import normalise_address

# First key of the two-key advisory lock: keeps these locks apart from any other advisory lock.
ADDRESS_LOCK_CLASS = 0x43_48_50_41  # "CHPA"


async def lock_customer_address(email: str) -> None:
    """Wait until no other transaction decides about `email`; hold that until this one ends."""
    connection = Lead._meta.db
    if not isinstance(connection, TransactionalDBClient):
        raise RuntimeError("lock_customer_address needs the caller's transaction")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [ADDRESS_LOCK_CLASS, normalise_address(email)],
        )
    else:
        table = Lead._meta.db_table
        await connection.execute_query(f'UPDATE "{table}" SET "id" = "id" WHERE 0')
