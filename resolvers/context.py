"""The per-request (or per-websocket-connection) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from resolvers.loaders import Loaders
from services.consent import Caller
from services.viewer import Viewer
from settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    viewer: Viewer | None
    client_address: str
    connection_params: dict[str, Any] | None = None
    # Replaced at the start of every operation (see FreshLoaders): a DataLoader cache must not
    # outlive one operation, which matters on a websocket where the context lives long.
    loaders: Loaders = field(default_factory=lambda: Loaders(None))

    @property
    def caller(self) -> Caller:
        """Where this request came from, as the consent ledger records it."""
        return Caller(
            client_address=self.client_address,
            user_agent=self.request.headers.get("user-agent", ""),
        )
