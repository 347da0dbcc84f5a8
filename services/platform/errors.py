"""Expected failures of domain operations, reported to callers as typed errors."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    INVALID_CREDENTIALS = "invalid_credentials"
    RATE_LIMITED = "rate_limited"
    INVALID_TOKEN = "invalid_token"
    # The thing acted on passed its deadline or end date (even if no job has processed it yet).
    EXPIRED = "expired"
    # Refused because other records still depend on the thing (e.g. scheduled messages on a group).
    IN_USE = "in_use"
    # A message whose audience holds no eligible user: sending it would reach nobody.
    NO_RECIPIENTS = "no_recipients"


class ServiceError(Exception):
    """An expected failure: a code for machines, a message for people, the input field if any."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationFailed(ServiceError):
    """One or more input fields are invalid. Nothing was written."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        first_field, first_message = problems[0]
        super().__init__(ErrorCode.INVALID, first_message, first_field)
        self.problems = problems


def not_found(kind: str, field: str = "id") -> ServiceError:
    # The same answer whether the object is missing or belongs to someone else: no existence leak.
    return ServiceError(ErrorCode.NOT_FOUND, f"{kind} not found.", field)


def with_field_prefix(error: ServiceError, prefix: str) -> ServiceError:
    """The same error about a nested input, e.g. `email` of `firstAdmin` -> `firstAdmin.email`."""
    if isinstance(error, ValidationFailed):
        return ValidationFailed(
            [(f"{prefix}.{field}", message) for field, message in error.problems]
        )
    field = f"{prefix}.{error.field}" if error.field else prefix
    return ServiceError(error.code, error.message, field)


def forbidden(message: str = "You are not allowed to do this.") -> ServiceError:
    return ServiceError(ErrorCode.FORBIDDEN, message)
