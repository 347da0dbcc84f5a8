"""An early wake-up for the webhook sender running in this process (a hint, like the email one:
the sender still polls every second, and other processes are not told)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref

_events: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


def webhook_wakeup_event() -> asyncio.Event:
    loop = asyncio.get_running_loop()
    event = _events.get(loop)
    if event is None:
        event = _events[loop] = asyncio.Event()
    return event


def wake_webhook_sender() -> None:
    with contextlib.suppress(RuntimeError):  # no running event loop: nobody to wake
        webhook_wakeup_event().set()
