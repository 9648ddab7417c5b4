"""A small Swagger 2.0 checker for Azure's specs (tests/specs/azure): which operation a request
is, whether the request carries only what the operation declares, and whether the answer's status
and body fit the spec. Strict where Swagger is: no ``null`` (the spec declares none nullable), no
field an object's schema does not list, enums, types, required fields.

``Recorder`` is an httpx2 event-hook pair: give its hooks to the client under test and every
exchange is checked when the test asks for ``violations()``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

SPECS = Path(__file__).resolve().parents[1] / "specs" / "azure"
INT32 = (-(2**31), 2**31 - 1)


class Spec:
    """One Swagger file: its operations by method and path template, relative to ``prefix``."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.doc = json.loads(path.read_text(encoding="utf-8"))
        self.prefix = prefix
        self.ops: list[tuple[str, re.Pattern[str], str, dict]] = []
        for template, item in self.doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, op in item.items():
                self.ops.append((method.upper(), pattern, template, op))

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            kind, name = schema["$ref"].split("/")[-2:]
            schema = self.doc[kind][name]
        return schema

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        """The operation for a request path (with the prefix), or None when the spec has none."""
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.prefix) :].rstrip("/") or "/"
        for m, pattern, template, op in self.ops:
            if m == method and pattern.match(rest):
                return template, op
        return None

    def params(self, op: dict) -> list[dict]:
        return [self.resolve(p) for p in op.get("parameters", [])]

    # -- values ----------------------------------------------------------------------------
    def check(self, schema: dict, value: Any, where: str) -> list[str]:
        schema = self.resolve(schema)
        if value is None:
            return [f"{where}: null (the spec's types have no null)"]
        out: list[str] = []
        kind = schema.get("type")
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "object" or "properties" in schema:
            if not isinstance(value, dict):
                return [*out, f"{where}: expected an object, got {type(value).__name__}"]
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key in schema.get("required", []):
                if key not in value:
                    out.append(f"{where}: required field {key!r} missing")
            for key, item in value.items():
                if key in props:
                    out += self.check(props[key], item, f"{where}.{key}")
                elif isinstance(extra, dict):
                    out += self.check(extra, item, f"{where}.{key}")
                elif props:
                    out.append(f"{where}: field {key!r} is not in the spec")
        elif kind == "array":
            if not isinstance(value, list):
                return [*out, f"{where}: expected an array, got {type(value).__name__}"]
            for i, item in enumerate(value):
                out += self.check(schema.get("items", {}), item, f"{where}[{i}]")
        elif kind == "string":
            if not isinstance(value, str):
                out.append(f"{where}: expected a string, got {type(value).__name__}")
            elif len(value) < schema.get("minLength", 0):
                out.append(f"{where}: shorter than {schema['minLength']}")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{where}: expected an integer, got {value!r}")
            elif schema.get("format") == "int32" and not INT32[0] <= value <= INT32[1]:
                out.append(f"{where}: {value} is out of int32")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                out.append(f"{where}: expected a number, got {value!r}")
        elif kind == "boolean" and not isinstance(value, bool):
            out.append(f"{where}: expected a boolean, got {value!r}")
        return out

    # -- requests and answers --------------------------------------------------------------
    def check_request(self, request: httpx2.Request) -> list[str]:
        what = f"{request.method} {request.url.path}"
        found = self.operation(request.method, request.url.path)
        if found is None:
            return [f"request {what}: no such operation in {self.doc['info']['version']}"]
        _, op = found
        params = self.params(op)
        query = {p["name"]: p for p in params if p["in"] == "query"}
        out = [
            f"request {what}: query parameter {k!r} is not in the spec" for k in request.url.params if k not in query
        ]
        out += [
            f"request {what}: required query parameter {k!r} missing"
            for k, p in query.items()
            if p.get("required") and k not in request.url.params
        ]
        for k, p in query.items():
            if (
                k in request.url.params
                and p.get("type") == "integer"
                and not request.url.params[k].lstrip("-").isdigit()
            ):
                out.append(f"request {what}: {k}={request.url.params[k]!r} is not an integer")
        body = request.content
        bodies = [p for p in params if p["in"] == "body"]
        forms = {p["name"] for p in params if p["in"] == "formData"}
        if bodies:
            try:
                sent = json.loads(body)
            except ValueError:
                return [*out, f"request {what}: the body is not JSON"]
            out += self.check(bodies[0]["schema"], sent, f"request {what} body")
        elif forms:
            names = set(re.findall(rb'form-data; name="([^"]+)"', body))
            out += [
                f"request {what}: form field {n.decode()!r} is not in the spec"
                for n in names
                if n.decode() not in forms
            ]
            out += [f"request {what}: form field {n!r} missing" for n in forms if n.encode() not in names]
        elif body:
            out.append(f"request {what}: a body, but the operation takes none")
        return out

    def check_response(self, request: httpx2.Request, status: int, body: bytes) -> list[str]:
        found = self.operation(request.method, request.url.path)
        what = f"{request.method} {request.url.path} -> {status}"
        if found is None:  # not an operation of the spec: Azure answers 404 with its error body
            if status != 404:
                return [f"answer {what}: the spec has no such operation, so it must be a 404"]
            return self._error_body(what, body)
        _, op = found
        responses = op["responses"]
        declared = responses.get(str(status))
        if declared is None:
            if status < 400 or "default" not in responses:
                return [f"answer {what}: status {status} is not in the spec ({sorted(responses)})"]
            declared = responses["default"]
        schema = declared.get("schema")
        if schema is None:
            return [f"answer {what}: a body where the spec has none"] if body else []
        if self.resolve(schema).get("type") == "file":
            return []
        try:
            value = json.loads(body)
        except ValueError:
            return [f"answer {what}: not JSON"]
        return self.check(schema, value, f"answer {what}")

    def _error_body(self, what: str, body: bytes) -> list[str]:
        try:
            value = json.loads(body)
        except ValueError:
            return [f"answer {what}: not JSON"]
        return self.check({"$ref": "#/definitions/ErrorResponse"}, value, f"answer {what}")


@dataclass
class Recorder:
    """Checks every exchange of a client against the spec whose prefix its path has."""

    specs: list[Spec]
    requests: bool = True  # check the requests too (off when a test sends wrong ones on purpose)
    seen: list[str] = field(default_factory=list)  # "METHOD /path -> status", in order
    problems: list[str] = field(default_factory=list)

    @classmethod
    def azure(cls, *, requests: bool = True) -> Recorder:
        """The data plane (``/openai``) and the control plane (``/management``, the sandbox's ARM)."""
        specs = [
            Spec(SPECS / "authoring-2024-10-21.json", "/openai"),
            Spec(SPECS / "deployments-2024-10-01.json", "/management"),
        ]
        return cls(specs, requests)

    def hooks(self) -> dict[str, list]:
        return {"request": [self._request], "response": [self._response]}

    def _spec(self, request: httpx2.Request) -> Spec | None:
        path = request.url.path
        if "/openai/deployments/" in path or "/openai/v1/" in path:
            return None  # inference and the OpenAI-shaped v1 surface: other specs
        return next((s for s in self.specs if path.startswith(s.prefix + "/")), None)

    async def _request(self, request: httpx2.Request) -> None:
        spec = self._spec(request)
        if spec is not None and self.requests:
            await request.aread()
            self.problems += spec.check_request(request)

    async def _response(self, response: httpx2.Response) -> None:
        spec = self._spec(response.request)
        if spec is None:
            return
        body = await response.aread()
        self.seen.append(f"{response.request.method} {response.request.url.path} -> {response.status_code}")
        self.problems += spec.check_response(response.request, response.status_code, body)

    def violations(self) -> list[str]:
        return list(self.problems)
