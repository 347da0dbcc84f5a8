"""The HTTP side of /graphql: strict request bodies and GraphQL-shaped answers to what fails early.

A request body must be UTF-8 JSON (RFC 8259): an object (or a list, which the view refuses as a
batch) whose strings are Unicode text: no lone surrogates, which no database or email can hold,
nested at most MAX_JSON_DEPTH deep and without numbers longer than MAX_NUMBER_DIGITS. Anything else
is a 400 with a GraphQL error body, never an exception deeper in. A request that fails before
execution (a malformed body, the database gone while authenticating) is answered in the shape of
a GraphQL response too, with a code in `extensions`.
"""

from __future__ import annotations

import json
import logging

from cross_web import HTTPException
from starlette.responses import JSONResponse

from services.platform.database import is_database_unavailable

log = logging.getLogger("channelport")

MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 100
SERVICE_UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Please try again."

_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class MalformedBodyError(ValueError):
    pass


def _number(text: str) -> int | float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise MalformedBodyError(f"A number has more than {MAX_NUMBER_DIGITS} digits.")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _check_strings_and_depth(value: object) -> None:
    """Refuse lone surrogates in any string (keys too) and nesting deeper than MAX_JSON_DEPTH."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not _is_unicode_text(item):
                raise MalformedBodyError("A string contains a lone surrogate (not Unicode text).")
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise MalformedBodyError(f"The JSON is nested more than {MAX_JSON_DEPTH} deep.")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _is_unicode_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_request_json(data: str | bytes) -> object:
    """The JSON value of a request body or parameter, or HTTPException(400) saying what is wrong."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_int=_number, parse_float=_number)
        _check_strings_and_depth(value)
    except UnicodeDecodeError:
        raise HTTPException(400, "The request body is not valid UTF-8.") from None
    except MalformedBodyError as error:
        raise HTTPException(400, f"Unable to use the request JSON: {error}") from None
    except RecursionError:
        raise HTTPException(400, f"The JSON is nested more than {MAX_JSON_DEPTH} deep.") from None
    except ValueError:
        raise HTTPException(400, "Unable to parse request body as JSON.") from None
    if not isinstance(value, dict | list):
        raise HTTPException(400, "The request JSON must be an object.")
    return value


def graphql_error_response(status_code: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status_code,
    )


def http_error_response(error: HTTPException) -> JSONResponse:
    """A refused request (bad body, method, content type) as a GraphQL-shaped error."""
    code = getattr(error, "code", None) or _HTTP_CODES.get(error.status_code, "BAD_REQUEST")
    return graphql_error_response(error.status_code, error.reason, code)


def unexpected_error_response(error: Exception) -> JSONResponse:
    """An error outside GraphQL execution: 503 while the database is away, else a masked 500."""
    if is_database_unavailable(error):
        log.warning("The database is unavailable: %s", type(error).__name__)
        return graphql_error_response(503, SERVICE_UNAVAILABLE_MESSAGE, "SERVICE_UNAVAILABLE")
    log.error("Unexpected error outside GraphQL execution", exc_info=error)
    return graphql_error_response(500, "Unexpected error.", "INTERNAL_SERVER_ERROR")
