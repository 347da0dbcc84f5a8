"""The settings the deal-registration change listeners work with, and why they always run.

The listeners (services/deals/registration_notify.py: emails in the change's transaction;
services/deals/registration_live.py: live pushes after the commit) register themselves with
`on_registration_change` when their modules are imported, and the package services/deals imports
them (services/deals/__init__.py). A registration changes only through this package, so every
process that can change one (the web app, the worker, a CLI command) has imported the package and
runs them: no start-up step can be forgotten.

What they need from the process is its settings (PORTAL_URL for links, MAIL_FROM, BROADCAST_URL for
a worker without its own pub/sub connection). The web app and the worker, which may be given
settings that are not the environment's (tests, embedding), hand theirs over at start-up with
`use_settings`; without that (a CLI command) the environment's settings are used.
"""

from __future__ import annotations

from settings import Settings, get_settings

_process_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """The settings this process started with (called by the web app and the worker)."""
    global _process_settings
    _process_settings = settings


def process_settings() -> Settings:
    return _process_settings if _process_settings is not None else get_settings()
