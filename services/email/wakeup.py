"""An early wake-up for the outbox sender running in this process.

`queue_email` calls `wake_sender()`: the embedded worker (and a worker process for its own
emails) then looks at the outbox at once instead of at its next poll. It is only a hint: the
email's transaction may not have committed yet, and other processes are not told, so the sender
still polls the outbox every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

_events: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


def sender_wakeup_event() -> asyncio.Event:
    """The wake-up event of the running event loop's sender."""
    loop = asyncio.get_running_loop()
    event = _events.get(loop)
    if event is None:
        event = _events[loop] = asyncio.Event()
    return event


def wake_sender() -> None:
    with contextlib.suppress(RuntimeError):  # no running event loop: nobody to wake
        sender_wakeup_event().set()
