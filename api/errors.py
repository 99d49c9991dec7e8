"""Errors of the service and the one table that maps every error to an HTTP answer.

Every failure answers with the same body::

    {"error": {"code": "unknown_layer", "message": "...", "detail": {...} | null}}

Routes carry no try/except: domain errors (``geo.errors``) and the service's own errors
(below) propagate to the handlers installed by :func:`add_exception_handlers`, which look
the error's class up in :data:`ERROR_TABLE`. Messages never carry a stack trace or a
server-side file path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    AnalysisError,
    ConflictingEditError,
    CoordinateSystemError,
    GeoError,
    LayerReadError,
    LayerValidationError,
    NetworkError,
    OutsideAreaError,
    ScenarioError,
    UnknownFacilityError,
    UnknownLayerError,
)

__all__ = [
    "ERROR_TABLE",
    "ApiError",
    "AuthenticationError",
    "InvalidParameterError",
    "OutsideAreaError",
    "PayloadTooLargeError",
    "StaleVersionError",
    "StoreError",
    "StoreLockedError",
    "UnknownFacilityError",
    "UnknownLayerError",
    "add_exception_handlers",
    "error_body",
    "error_response",
]

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Base class of the errors the service raises itself.

    Parameters
    ----------
    message
        What was wrong, the value received and the fix.
    detail
        JSON-serialisable detail for the client (e.g. the list of known names).
    """

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


class AuthenticationError(ApiError, PermissionError):
    """An edit came without the bearer token, or with a wrong one."""


class InvalidParameterError(ApiError, ValueError):
    """Request parameters that pass one by one but not together."""


class StoreError(ApiError, OSError):
    """The scenario store could not be written; the previous data is unchanged."""


class StoreLockedError(ApiError, RuntimeError):
    """Another process already serves (and writes) the scenario store."""


class StaleVersionError(ApiError, ValueError):
    """An edit was made on a version of the scenario that is no longer the current one."""


class PayloadTooLargeError(StarletteHTTPException):
    """A request body is larger than ``Settings.max_upload_bytes``.

    It is an HTTP exception so that the framework's body parsing passes it on
    unchanged; the handler gives it the common error shape.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=(
                f"request body is larger than the limit of {limit:,} bytes; send a smaller "
                "file or raise CIRCLES_MAX_UPLOAD_BYTES"
            ),
        )
        self.limit = limit


#: error class -> (HTTP status, error code). Looked up along the class's MRO, so a
#: subclass listed here wins over its base.
ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    UnknownLayerError: (404, "unknown_layer"),
    UnknownFacilityError: (404, "unknown_facility"),
    AuthenticationError: (401, "unauthorized"),
    InvalidParameterError: (422, "invalid_request"),
    OutsideAreaError: (422, "outside_area"),
    StoreError: (500, "store_write_failed"),
    StaleVersionError: (409, "stale_version"),
    ApiError: (400, "bad_request"),
    LayerValidationError: (422, "invalid_layer"),
    LayerReadError: (422, "unreadable_layer"),
    CoordinateSystemError: (400, "bad_coordinate_system"),
    AnalysisError: (422, "analysis_rejected"),
    ScenarioError: (404, "not_found"),
    ConflictingEditError: (409, "conflict"),
    NetworkError: (503, "network_unavailable"),
    GeoError: (400, "bad_request"),
}

#: codes of plain HTTP errors raised by the framework (unknown address, wrong method...).
_HTTP_CODES: dict[int, str] = {
    404: "not_found",
    405: "method_not_allowed",
    413: "content_too_large",
    415: "unsupported_media_type",
}

# An absolute path (POSIX or Windows) of at least two parts: only its last part is kept.
_PATH_PATTERN = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^\s'\"/\\,;:()]+)+[/\\]([^\s'\"/\\,;:()]+)")

#: The service's own addresses, which messages may point to; they are not file paths.
_SERVICE_ADDRESS = "/api/"


def _scrub(text: str, keep: Collection[str] = ()) -> str:
    """Replace absolute file paths in ``text`` by their file name, except paths that are
    part of the request itself (``keep``: the user's own input, quoted unchanged)."""

    def replace(match: re.Match[str]) -> str:
        path = match.group(0)
        if path.startswith(_SERVICE_ADDRESS) or any(path in kept for kept in keep):
            return path
        return match.group(1)

    return _PATH_PATTERN.sub(replace, text)


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def error_body(
    code: str, message: str, detail: Any = None, *, keep: Collection[str] = ()
) -> dict[str, Any]:
    """Return the common error body.

    Parameters
    ----------
    code
        Short machine-readable code, e.g. "unknown_layer".
    message
        Human-readable message; absolute paths are reduced to file names.
    detail
        JSON-serialisable detail, or None.
    keep
        Text from the request (a name, a cell, the address asked for) that the message
        may quote: paths inside it are left as they are.

    Returns
    -------
    dict
        ``{"error": {"code": ..., "message": ..., "detail": ...}}``.
    """
    return {"error": {"code": code, "message": _scrub(message, keep), "detail": detail}}


def error_response(
    status_code: int,
    code: str,
    message: str,
    detail: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    keep: Collection[str] = (),
) -> JSONResponse:
    """Return a JSON response with the common error body (see :func:`error_body`)."""
    return JSONResponse(
        error_body(code, message, detail, keep=keep), status_code=status_code, headers=headers
    )


def _lookup(error: Exception, table: Mapping[type[Exception], tuple[int, str]]) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return 500, "internal_error"


def _report_detail(report: object) -> tuple[Any, list[str]]:
    """Serialise a validation report for the client, and the file's own values it quotes
    (kept unchanged when paths are scrubbed)."""
    for attribute in ("to_dict", "as_dict"):
        method = getattr(report, attribute, None)
        if callable(method):
            document = method()
            values = [
                str(problem.get("value"))
                for problem in document.get("problems", [])
                if problem.get("value") is not None
            ]
            return _scrub_tree(document, values), values
    return _scrub(str(report)), []


def _scrub_tree(value: Any, keep: Collection[str]) -> Any:
    if isinstance(value, str):
        return _scrub(value, keep)
    if isinstance(value, Mapping):
        return {key: _scrub_tree(item, keep) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_tree(item, keep) for item in value]
    return value


def _domain_error_handler(
    table: Mapping[type[Exception], tuple[int, str]],
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        status_code, code = _lookup(error, table)
        keep: list[str] = []
        if isinstance(error, LayerValidationError):
            detail, keep = _report_detail(error.report)
        elif isinstance(error, ApiError | GeoError):
            keep = _strings(error.detail)  # the request's own values
            detail = _scrub_tree(error.detail, keep)
        else:
            detail = None
        if status_code >= 500:
            logger.error("%s %s failed: %s", request.method, request.url.path, error)
        headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
        return error_response(status_code, code, str(error), detail, headers=headers, keep=keep)

    return handle


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    error = cast(StarletteHTTPException, exc)  # registered for this class only
    try:
        phrase = HTTPStatus(error.status_code).phrase
    except ValueError:
        phrase = "Error"
    code = _HTTP_CODES.get(error.status_code) or phrase.lower().replace(" ", "_").replace("-", "_")
    message = error.detail if isinstance(error.detail, str) else phrase
    if error.status_code == 404 and message == "Not Found":
        message = f"no such address: {request.url.path}; see /docs for the API"
    return error_response(
        error.status_code,
        code,
        message,
        None,
        headers=getattr(error, "headers", None),
        keep=[request.url.path],
    )


async def _validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    error = cast(RequestValidationError, exc)  # registered for this class only
    problems = [
        {
            "loc": [str(part) for part in problem.get("loc", ())],
            "msg": str(problem.get("msg", "")),
            "type": str(problem.get("type", "")),
        }
        for problem in error.errors()
    ]
    summary = "; ".join(
        f"{'.'.join(item['loc'][1:] or item['loc'])}: {item['msg']}" for item in problems[:5]
    )
    inputs = [
        str(problem["input"]) for problem in error.errors() if isinstance(problem.get("input"), str)
    ]
    return error_response(
        422, "invalid_request", f"the request is not valid: {summary}", problems, keep=inputs
    )


async def _unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path, exc_info=error)
    return error_response(
        500, "internal_error", "internal error; the server log has the details", None
    )


def add_exception_handlers(
    app: FastAPI, table: Mapping[type[Exception], tuple[int, str]] | None = None
) -> None:
    """Install the error handlers on ``app``.

    Parameters
    ----------
    app
        The application.
    table
        Error class -> (status, code); None uses :data:`ERROR_TABLE`.
    """
    resolved = ERROR_TABLE if table is None else table
    handler = _domain_error_handler(resolved)
    for cls in resolved:
        app.add_exception_handler(cls, handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(Exception, _unexpected_error_handler)
