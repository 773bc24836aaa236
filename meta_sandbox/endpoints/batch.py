"""Graph batch requests: `POST /` (optionally versioned) with `batch=[{"method", "relative_url",
"body"?}, ...]` (META_API §1.5).

Each operation runs through the same router as a call of its own (token, proof, permissions,
usage, parameters, fields) and is journaled and counted on its own. The answer is a JSON
array aligned with the operations: `{"code", "headers": [{"name", "value"}], "body": "<JSON
string>"}`. At most 50 operations. Not emulated: JSONPath dependencies between operations
(`{result=name:$.data.*.id}`), `depends_on`, `omit_response_on_success`; `name` is accepted.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from django.http import QueryDict

from .. import errors, journal, usage
from ..errors import GraphError
from ..params import P
from ..router import Ctx, Reply, execute, prepare, resolve, route

MAX_OPERATIONS = 50
OPERATION_KEYS = {"method", "relative_url", "body", "name", "headers", "omit_response_on_success", "depends_on",
                  "attached_files"}
CONTENT_TYPE = {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}


def _split(relative_url: str, default_version: str) -> tuple[str, str, dict]:
    parts = urlsplit(relative_url.strip())
    segments = [s for s in parts.path.split("/") if s]
    version = default_version
    if segments and segments[0].startswith("v") and segments[0][1:].replace(".", "").isdigit():
        version = segments.pop(0)
    query = QueryDict(parts.query)
    return version, "/".join(segments), {k: query[k] for k in query}


def _run(ctx: Ctx, op: dict, index: int) -> dict:
    if not isinstance(op, dict) or not op.get("relative_url"):
        raise errors.invalid_param(f"batch[{index}] needs a relative_url")
    unknown = set(op) - OPERATION_KEYS
    if unknown:
        raise errors.invalid_param(f"batch[{index}] has unknown keys: {', '.join(sorted(unknown))}")
    method = str(op.get("method") or "GET").upper()
    version, path, raw = _split(str(op["relative_url"]), ctx.version)
    body = op.get("body")
    if body:
        form = QueryDict(body) if isinstance(body, str) else None
        raw.update({k: form[k] for k in form} if form is not None else dict(body))
    if "access_token" not in raw and ctx.token_raw:
        raw["access_token"] = ctx.token_raw
        if "appsecret_proof" in ctx.raw:
            raw["appsecret_proof"] = ctx.raw["appsecret_proof"]
    started = time.monotonic()
    sub = Ctx(request=ctx.request, method=method, version=version, path=path, raw=raw, config=ctx.config,
              trace_id=errors.new_trace_id(), base=ctx.base)
    headers: dict[str, str] = {}
    error: GraphError | None = None
    try:
        prepare(sub, resolve(sub))
        if sub.token is not None or sub.app:
            measured = usage.measure(sub.config, business_id=sub.business_id, buc_type=sub.buc_type,
                                     token_kind=sub.token_kind)
            headers = usage.headers_for(measured)
            if measured.throttle is not None:
                raise measured.throttle
        reply = execute(sub)
        status, payload = reply.status, reply.body
    except GraphError as exc:
        error = exc
        status, payload = exc.status, exc.envelope(sub.trace_id)
        headers.update(exc.headers)
    journal.record(method=method, path=path, version=version, params=raw, headers={}, status=status, error=error,
                   business_id=sub.business_id, buc_type=sub.buc_type, token_kind=sub.token_kind,
                   duration_ms=(time.monotonic() - started) * 1000, fbtrace_id=sub.trace_id)
    return {"code": status, "headers": [CONTENT_TYPE, *({"name": k, "value": v} for k, v in headers.items())],
            "body": json.dumps(payload, separators=(",", ":"))}


@route("POST", "", auth="optional", params=(P("batch", "list<map>", required=True), P("include_headers", "bool")))
def graph_batch(ctx: Ctx):
    operations = ctx.args["batch"]
    if len(operations) > MAX_OPERATIONS:
        raise errors.invalid_param(f"Too many requests in batch message. Maximum batch size is {MAX_OPERATIONS}")
    answers = [_run(ctx, op, i) for i, op in enumerate(operations)]
    if ctx.args["include_headers"] is False:
        for answer in answers:
            answer.pop("headers")
    return Reply(answers)
