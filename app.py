"""The ASGI application: Starlette serving the GraphQL API, health checks and the admin console.

`uvicorn app:app` serves it. Start-up connects the database and pub/sub and, with the embedded
default, runs the background worker in the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from console import console_page, static_directory
from resolvers.consent.pages import consent_routes
from resolvers.email.http import email_routes
from resolvers.platform.context import Context
from resolvers.platform.graphql_http import (
    decode_request_json,
    http_error_response,
    unexpected_error_response,
)
from resolvers.platform.live_sessions import SessionBoundTransportWSHandler
from resolvers.platform.trusted_documents import (
    TrustedDocumentError,
    TrustedDocuments,
    load_trusted_documents,
    resolve_document,
)
from resolvers.platform.web_middleware import (
    QuietClientDisconnectMiddleware,
    SecurityHeadersMiddleware,
)
from schema.schema import schema
from schema.webhooks.payloads import register_payload_renderer
from services.deals.registration_listeners import use_settings as use_registration_settings
from services.platform.database import close_database, database_is_reachable, open_database
from services.platform.pubsub import PubSub
from services.platform.worker import run_worker
from services.users.auth import TOKEN_FAULT_MESSAGES, authenticate, token_fault
from settings import ConfigError, Settings, get_settings

log = logging.getLogger("channelport")


def _client_address(connection: Request | WebSocket) -> str:
    return connection.client.host if connection.client else "unknown"


def _bearer_token(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    scheme, _, token = value.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


class ChannelportGraphQL(GraphQL):
    """Strawberry's ASGI view with our context, websocket authentication and admin console."""

    graphql_transport_ws_handler_class = SessionBoundTransportWSHandler

    def __init__(self, settings: Settings, trusted_documents: TrustedDocuments | None) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
        )
        self.settings = settings
        self.trusted_documents = trusted_documents

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        viewer = None
        fault = None
        if isinstance(request, Request):
            token = _bearer_token(request.headers.get("authorization"))
            viewer = await authenticate(self.settings, token)
            if viewer is None and token:
                fault = await token_fault(self.settings, token)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            viewer=viewer,
            client_address=_client_address(request),
            token_fault=fault,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:  # type: ignore[override]
        params = context.connection_params or {}
        token = params.get("token") if isinstance(params, dict) else None
        if not isinstance(token, str) and isinstance(params, dict):
            token = _bearer_token(params.get("Authorization") or params.get("authorization"))
        token = token if isinstance(token, str) else None
        viewer = await authenticate(self.settings, token)
        if viewer is None:
            # The close reason starts with the code: UNAUTHENTICATED (no token), INVALID_TOKEN or
            # TOKEN_EXPIRED (see SessionBoundTransportWSHandler).
            if token:
                fault = await token_fault(self.settings, token)
                reason = f"{fault.value}: {TOKEN_FAULT_MESSAGES[fault]}"
            else:
                reason = "UNAUTHENTICATED: A valid token is required."
            raise ConnectionRejectionError({"reason": reason})
        context.viewer = viewer
        return None

    def should_render_graphql_ide(self, request: AsyncHTTPRequestAdapter) -> bool:
        """The console for a browser's GET /graphql, not for a GET that names a document."""
        names_document = any(
            request.query_params.get(name) is not None for name in ("documentId", "extensions")
        )
        return not names_document and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        return console_page()

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request, with the document a hash names (the trusted-documents rules)."""
        request_data = await super().parse_http_body(request)
        if isinstance(request_data, list):
            return request_data  # a batch: the view refuses it
        try:
            request_data.query = resolve_document(  # type: ignore[assignment]
                self.trusted_documents,
                request_data.query,
                request_data.extensions,
                await self._document_id(request),
            )
        except TrustedDocumentError as error:
            raise error.as_http_exception() from None
        return request_data

    async def _document_id(self, request: AsyncHTTPRequestAdapter) -> object:
        """`documentId` of the request (query parameter or body member), which Strawberry drops."""
        if request.method == "GET":
            return request.query_params.get("documentId")
        body = await request.get_body()
        if b"documentId" not in (body if isinstance(body, bytes) else body.encode()):
            return None
        data = self.parse_json(body)
        return data.get("documentId") if isinstance(data, dict) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every HTTP answer is GraphQL-shaped, also for a request that fails before execution."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = http_error_response(error)
        except ClientDisconnect:
            raise  # nobody to answer: QuietClientDisconnectMiddleware notes it
        except Exception as error:
            response = unexpected_error_response(error)
        await response(scope, receive, send)


class RequestLimitMiddleware:
    """Refuse request bodies larger than MAX_REQUEST_BYTES with 413, before parsing them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLargeError(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLargeError:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {
                "errors": [
                    {
                        "message": f"The request is larger than {self.max_bytes} bytes.",
                        "extensions": {"code": "REQUEST_TOO_LARGE"},
                    }
                ]
            },
            status_code=413,
        )
        await response(scope, receive, send)


class _BodyTooLargeError(HTTPException):
    """Raised from `receive` past the limit; /graphql answers it like its other refusals."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request is larger than {max_bytes} bytes.")


class RequestLogMiddleware:
    """One structured (JSON) log line per HTTP request and per websocket connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "websocket.close" and status is None:
                status = message.get("code", 1000)
            elif message["type"] == "websocket.accept":
                status = 101
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            client = scope.get("client")
            log.info(
                json.dumps(
                    {
                        "event": "request" if scope["type"] == "http" else "websocket",
                        "method": scope.get("method", "WS"),
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": client[0] if client else None,
                    },
                    separators=(",", ":"),
                )
            )


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    logging.getLogger("channelport").setLevel(level)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the application. Without `settings`, read them from the environment."""
    try:
        settings = settings or get_settings()
    except ConfigError as error:
        sys.exit(f"Channelport cannot start: {error}")
    configure_logging(settings.log_level)
    try:
        trusted_documents = load_trusted_documents(settings.trusted_documents)
    except ConfigError as error:
        sys.exit(f"Channelport cannot start: {error}")
    pubsub = PubSub(settings.broadcast_url)
    graphql_app = ChannelportGraphQL(settings, trusted_documents)
    register_payload_renderer(schema._schema, settings)
    # Registration emails and live pushes use this app's settings (PORTAL_URL, MAIL_FROM, ...).
    use_registration_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await open_database(settings.database_url)
        await pubsub.connect()
        stop_worker = asyncio.Event()
        worker_task = (
            asyncio.create_task(run_worker(settings, stop_worker))
            if settings.embedded_worker
            else None
        )
        # Everything start-up built (the schema, models, caches) stays for the process's life:
        # out of the garbage collector's generations, collections during requests only walk
        # what requests allocate (a full collection over the schema took milliseconds).
        gc.collect()
        gc.freeze()
        try:
            yield {"settings": settings, "pubsub": pubsub}
        finally:
            gc.unfreeze()
            stop_worker.set()
            if worker_task is not None:
                await worker_task
            await pubsub.disconnect()
            await close_database()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = {
            "database": await database_is_reachable(),
            "pubsub": await pubsub.is_reachable(),
        }
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(QuietClientDisconnectMiddleware),
        Middleware(SecurityHeadersMiddleware),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type"],
                max_age=600,
            )
        )
    middleware.append(Middleware(RequestLimitMiddleware, max_bytes=settings.max_request_bytes))

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *consent_routes,
            Mount("/static", StaticFiles(directory=static_directory()), name="static"),
            *email_routes(),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pubsub = pubsub
    return app


def __getattr__(name: str) -> Starlette:
    # `uvicorn app:app` builds the application on first access, so that importing this module
    # (tests, tools) does not read the environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
