"""What every route group shares: the context it serves over, OpenAI's error body, and the
checks on what a request sends (a wrong type is a 400 naming the field, never a 500)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from ftui.data.catalog import Catalog
from ftui.sandbox.chat_engine import ChatEngine
from ftui.sandbox.store import Store

DROP = web.RequestKey("ftui_drop", bool)  # set when the fault injector drops this response
DEPLOYED_MODEL = web.RequestKey("ftui_deployed_model", str)  # an Azure deployment's model (ftui.sandbox.azure)


@dataclass
class Context:
    """What the route groups of one server share: its rows, its model catalogue, its speed, and
    the engine that answers chat requests."""

    store: Store
    catalog: Catalog
    speed: float
    chat: ChatEngine

    def clock(self) -> float:
        """The server's clock (the store's: tests may give it a fake one)."""
        return self.store.clock()


class ApiError(Exception):
    """Raised by handlers; becomes OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code


def error_response(
    status: int, message: str, type_: str, param: str | None, code: str | None, **headers: str
) -> web.Response:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers or None)


def kind_of(value: Any) -> str:
    """How the API names a JSON value's type in its error sentences."""
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def expect(value: Any, types: type | tuple[type, ...], param: str, what: str) -> Any:
    """``value`` if it has one of ``types`` (booleans are never numbers), else a 400 naming ``param``."""
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        raise ApiError(400, f"Invalid type for '{param}': expected {what}, but got {kind_of(value)}.", param=param)
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def opt(body: dict[str, Any], key: str, types: type | tuple[type, ...], what: str, param: str | None = None) -> Any:
    """``body[key]`` checked by ``expect``, or None when absent (or null)."""
    value = body.get(key)
    return None if value is None else expect(value, types, param or key, what)


def required_str(body: dict[str, Any], key: str, param: str | None = None) -> str:
    """``body[key]``, a non-empty string, or a 400."""
    value = body.get(key)
    if value is None or value == "":
        raise ApiError(
            400, f"Missing required parameter: '{param or key}'.", param=param or key, code="missing_required_parameter"
        )
    return cast(str, expect(value, str, param or key, "a string"))


def opt_number(body: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    """An optional finite number from ``lo`` to ``hi``."""
    value = opt(body, key, (int, float), "a number")
    if value is not None and not (math.isfinite(value) and lo <= value <= hi):
        raise ApiError(400, f"'{key}' must be a number from {lo:g} to {hi:g}.", param=key)
    return cast(float | None, value)


def opt_count(body: dict[str, Any], key: str) -> int | None:
    """An optional integer of at least 1."""
    value = opt(body, key, int, "an integer")
    if value is not None and value < 1:
        raise ApiError(400, f"'{key}' must be at least 1.", param=key)
    return cast(int | None, value)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a 400."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "We could not parse the JSON body of your request.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def query_limit(request: web.Request, default: int) -> int:
    """The ``limit`` query parameter, 1 to 10000 (``default`` when absent), or a 400."""
    raw = request.query.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError as exc:
        raise ApiError(400, "limit must be an integer.", param="limit") from exc
    if not 1 <= limit <= 10_000:
        raise ApiError(400, "limit must be between 1 and 10000.", param="limit")
    return limit


def page(items: list[dict[str, Any]], request: web.Request, default_limit: int) -> dict[str, Any]:
    """One page of ``items`` (by the ``after`` and ``limit`` query parameters), as a list body."""
    after = request.query.get("after")
    limit = query_limit(request, default_limit)
    if after:
        ids = [i["id"] for i in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit}
