"""Request parameters the way Graph reads them.

Query string and body merge (body wins). A body may be form-encoded or multipart, where nested
values arrive as JSON strings (`requests='[...]'`), or a JSON object whose values are already
typed. Handlers declare their parameters with `P(...)`; anything else is refused, like a bad
enum value or a missing required parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest, QueryDict

from . import errors

#: Accepted on every call.
GLOBAL_PARAMS = frozenset({
    "access_token", "appsecret_proof", "appsecret_time", "fields", "pretty", "format", "suppress_http_code",
    "method", "locale", "debug", "date_format", "callback", "transport", "include_headers", "metadata", "_",
})
#: Accepted on paginated edges.
PAGING_PARAMS = frozenset({"limit", "after", "before", "summary", "offset"})


def read_params(request: HttpRequest) -> dict[str, Any]:
    """Merge query and body parameters. Raises GraphError on a body that cannot be parsed.

    The body is read from the stream rather than `request.body`, so that Meta's own limits
    (e.g. 28 MB for items_batch) apply instead of Django's DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    params: dict[str, Any] = {key: request.GET[key] for key in request.GET}
    if request.method == "GET":
        return params
    content_type = (request.content_type or "").lower()
    if content_type == "multipart/form-data":
        params.update({key: request.POST[key] for key in request.POST})
        params.update({key: request.FILES[key] for key in request.FILES})
        return params
    body = request.read()
    if not body.strip():
        return params
    if content_type == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            raise errors.invalid_param("Invalid JSON in the request body")
        if not isinstance(parsed, dict):
            raise errors.invalid_param("The request body must be a JSON object")
        params.update(parsed)
    else:
        # Form bodies (also on DELETE, which Django does not parse into request.POST).
        form = QueryDict(body, encoding=request.encoding or "utf-8")
        params.update({key: form[key] for key in form})
    return params


@dataclass(frozen=True)
class P:
    """A declared parameter.

    kind: "string", "int", "bool", "enum", "list" (list<string>: JSON array or comma list),
    "list<enum>", "map" (JSON object), "list<map>" (JSON array of objects), "json" (anything),
    "datetime" (unix seconds or ISO 8601; returned as an int timestamp).
    """

    name: str
    kind: str = "string"
    required: bool = False
    enum: tuple = ()
    default: Any = None

    def parse(self, value: Any) -> Any:
        kind = self.kind
        if kind == "string":
            if isinstance(value, (dict, list)):
                raise errors.bad_type(self.name, "a string")
            return str(value)
        if kind == "int":
            if isinstance(value, bool):
                raise errors.bad_type(self.name, "an integer")
            try:
                return int(str(value).strip())
            except ValueError:
                raise errors.bad_type(self.name, "an integer")
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1"):
                return True
            if text in ("false", "0"):
                return False
            raise errors.bad_type(self.name, "a boolean")
        if kind == "enum":
            if str(value) not in self.enum:
                raise errors.bad_enum(self.name, self.enum, value)
            return str(value)
        if kind in ("list", "list<enum>"):
            items = _as_list(self.name, value)
            if kind == "list<enum>":
                for item in items:
                    if item not in self.enum:
                        raise errors.bad_enum(self.name, self.enum, item)
            return items
        if kind in ("map", "list<map>", "json"):
            parsed = _as_json(self.name, value)
            if kind == "map" and not isinstance(parsed, dict):
                raise errors.bad_type(self.name, "a JSON object")
            if kind == "list<map>" and not (isinstance(parsed, list) and all(isinstance(i, dict) for i in parsed)):
                raise errors.bad_type(self.name, "a JSON array of objects")
            return parsed
        if kind == "datetime":
            return _as_timestamp(self.name, value)
        raise ValueError(f"unknown parameter kind {kind!r}")


def _as_json(name: str, value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        raise errors.bad_type(name, "valid JSON")


def _as_list(name: str, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        parsed = _as_json(name, text)
        if not isinstance(parsed, list):
            raise errors.bad_type(name, "a list")
        return [str(v) for v in parsed]
    return [part.strip() for part in text.split(",") if part.strip()]


def _as_timestamp(name: str, value: Any) -> int:
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise errors.bad_type(name, "a unix timestamp or an ISO 8601 date")


def parse_declared(raw: dict[str, Any], specs: tuple[P, ...], *, paging: bool, strict: bool = True) -> dict[str, Any]:
    """Validate `raw` against `specs`; refuse undeclared parameters when `strict`."""
    known = {spec.name for spec in specs}
    if strict:
        allowed = GLOBAL_PARAMS | known | (PAGING_PARAMS if paging else frozenset())
        for name in raw:
            if name not in allowed:
                raise errors.unknown_param(name)
    out: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if value is None or value == "":
            if spec.required:
                raise errors.required_param(spec.name)
            out[spec.name] = spec.default
            continue
        out[spec.name] = spec.parse(value)
    return out
