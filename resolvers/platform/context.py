"""The per-request (or per-websocket-connection) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql.pyutils import Path
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info

from resolvers.platform.loaders import Loaders
from services.consent.ledger import Caller
from services.platform.viewer import Viewer
from services.users.auth import TokenFault
from settings import Settings


def _root_key(path: Path | None) -> str | int | None:
    """The response key of the root field a field sits under."""
    if path is None:
        return None
    while path.prev is not None:
        path = path.prev
    return path.key


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    viewer: Viewer | None
    client_address: str
    connection_params: dict[str, Any] | None = None
    # Why the bearer token that came with the request reaches nobody (INVALID_TOKEN or
    # TOKEN_EXPIRED); None when there was no token, or a valid one.
    token_fault: TokenFault | None = None
    # Replaced at the start of every operation (see FreshLoaders): a DataLoader cache must not
    # outlive one operation, which matters on a websocket where the context lives long.
    loaders: Loaders = field(default_factory=lambda: Loaders(None))
    # The viewer (and its loaders) of one root field's result, by response key: a login's payload
    # is read as the user who just logged in, the other fields of the request as the caller.
    result_viewers: dict[str | int, tuple[Viewer, Loaders]] = field(default_factory=dict)

    @property
    def caller(self) -> Caller:
        """Where this request came from, as the consent ledger records it."""
        return Caller(
            client_address=self.client_address,
            user_agent=self.request.headers.get("user-agent", ""),
        )

    def read_result_as(self, info: Info, viewer: Viewer) -> None:
        """Resolve everything under this root field (`info`) as `viewer`."""
        self.result_viewers[_root_key(info.path)] = (viewer, Loaders(viewer))

    def viewer_at(self, path: Path | None) -> Viewer | None:
        """Who the field at `path` is resolved for."""
        scoped = self.result_viewers.get(_root_key(path)) if self.result_viewers else None
        return scoped[0] if scoped else self.viewer

    def loaders_at(self, path: Path | None) -> Loaders:
        scoped = self.result_viewers.get(_root_key(path)) if self.result_viewers else None
        return scoped[1] if scoped else self.loaders


def loaders_of(info: Info) -> Loaders:
    """The DataLoaders, bound to the viewer, for the field `info` resolves."""
    return info.context.loaders_at(info.path)
