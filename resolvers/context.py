"""The per-request (or per-websocket-connection) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from resolvers.loaders import Loaders
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
