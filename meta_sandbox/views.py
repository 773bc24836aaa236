"""The Graph endpoint: every `/graph-sandbox/[vNN.N/]<path>` call goes through `graph()`.

Order of work for one call: parse parameters -> injected fault (error, throttle, latency,
hang, drop) -> route and authenticate -> usage budgets (headers, throttling) -> parameters,
fields, idempotency -> handler in a transaction -> post-apply faults (after_apply,
malformed, truncated) -> journal row.
"""

from __future__ import annotations

import json
import logging
import re
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt

from . import faults, journal, usage
from .config import get_config
from .errors import GraphError, new_trace_id, unknown_path
from .params import read_params
from .router import Ctx, execute, prepare, resolve, version_tuple

logger = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^v\d+\.\d+$")
#: Oldest version served; older ones are upgraded to it, as Graph does for expired versions.
MIN_VERSION = "v21.0"
LATEST_VERSION = "v26.0"


def default_version() -> str:
    return settings.GRAPH_API_VERSION


def latest_version() -> str:
    return max(LATEST_VERSION, settings.GRAPH_API_VERSION, key=version_tuple)


class GraphCall:
    """One call to the emulated Graph API."""

    def __init__(self, request: HttpRequest, graph_path: str):
        self.request = request
        self.started = time.monotonic()
        self.trace_id = new_trace_id()
        segments = [s for s in graph_path.split("/") if s]
        self.called_version = segments.pop(0) if segments and VERSION_RE.match(segments[0]) else ""
        version = self.called_version or default_version()
        if version_tuple(version) < version_tuple(MIN_VERSION):
            version = MIN_VERSION
        self.version = version
        self.path = "/".join(segments)
        self.method = request.method.upper()
        self.raw: dict = {}
        self.fault = None
        self.ctx: Ctx | None = None
        self.error: GraphError | None = None
        prefix = request.path[: len(request.path) - len(graph_path)] if graph_path else request.path
        self.base = request.build_absolute_uri(prefix if prefix.endswith("/") else prefix + "/")

    # --- main flow ---
    def run(self) -> HttpResponse:
        try:
            self.raw = read_params(self.request)
        except GraphError as exc:
            return self.finish(self.error_response(exc))
        override = str(self.raw.get("method", "")).upper()
        if override in ("GET", "POST", "DELETE") and self.method in ("GET", "POST"):
            self.method = override
        self.ctx = Ctx(request=self.request, method=self.method, version=self.version, path=self.path, raw=self.raw,
                       config=get_config(), trace_id=self.trace_id, base=self.base)
        self.fault = faults.pick(self.method, self.path)
        kind = self.fault.kind if self.fault else None
        if kind == "latency":
            faults.sleep(self.fault.params.get("ms", 1000) / 1000)
        elif kind in ("error", "throttle"):
            return self.finish(self.error_response(faults.error_for(self.fault, self.path)))
        elif kind == "drop":
            self.record(None)
            return self.drop()
        elif kind == "hang":
            self.record(None)
            faults.sleep(float(self.fault.params.get("seconds", 30)))
            return self.drop()
        response = self.serve()
        if kind == "after_apply":
            self.record(None)
            if self.fault.params.get("then", "hang") == "hang":
                faults.sleep(float(self.fault.params.get("seconds", 30)))
            return self.drop()
        if kind == "malformed":
            response.content = faults.MALFORMED_BODY
        elif kind == "truncated":
            response.content = response.content[: max(1, len(response.content) // 2)]
        return self.finish(response)

    def serve(self) -> HttpResponse:
        ctx = self.ctx
        usage_headers: dict[str, str] = {}
        try:
            if version_tuple(self.version) > version_tuple(latest_version()):
                raise unknown_path(f"{self.called_version}/{self.path}")
            prepare(ctx, resolve(ctx))
            if ctx.token is not None or ctx.app:
                measured = usage.measure(ctx.config, business_id=ctx.business_id, buc_type=ctx.buc_type,
                                         token_kind=ctx.token_kind)
                usage_headers = usage.headers_for(measured)
                if measured.throttle is not None:
                    raise measured.throttle
            reply = execute(ctx)
            return self.json_response(reply.body, reply.status, {**usage_headers, **reply.headers})
        except GraphError as exc:
            exc.headers = {**usage_headers, **exc.headers}
            return self.error_response(exc)
        except Exception:  # a sandbox bug must still look like Meta's code 1 to the client
            logger.exception("graph sandbox handler failed: %s %s", self.method, self.path)
            return self.error_response(GraphError("An unknown error occurred", code=1, status=500, is_transient=True))

    # --- responses ---
    def json_response(self, body, status: int = 200, headers: dict | None = None) -> HttpResponse:
        if str(self.raw.get("suppress_http_code", "")).lower() in ("1", "true"):
            status = 200
        response = HttpResponse(json.dumps(body, separators=(",", ":")), status=status,
                                content_type="application/json; charset=UTF-8")
        response["x-fb-trace-id"] = self.trace_id
        response["facebook-api-version"] = self.version
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def error_response(self, exc: GraphError) -> HttpResponse:
        self.error = exc
        response = self.json_response(exc.envelope(self.trace_id), exc.status, exc.headers)
        # Graph errors are answers, not server failures: the journal has them, keep the log quiet.
        response._has_been_logged = True
        return response

    def drop(self) -> HttpResponse:
        closed = faults.close_connection(self.request)
        # With the socket closed, whatever the server tries to write goes nowhere; without one
        # (Django's test client), a bare 502 stands for the lost answer.
        response = HttpResponse(status=204 if closed else 502)
        response["X-Sandbox-Fault"] = "drop"
        response._has_been_logged = True
        return response

    # --- journal ---
    def finish(self, response: HttpResponse) -> HttpResponse:
        self.record(response.status_code)
        return response

    def record(self, status: int | None) -> None:
        ctx = self.ctx
        headers = {}
        if self.request.META.get("HTTP_AUTHORIZATION"):
            headers["Authorization"] = self.request.META["HTTP_AUTHORIZATION"]
        if self.request.META.get("CONTENT_TYPE"):
            headers["Content-Type"] = self.request.META["CONTENT_TYPE"]
        row = journal.record(
            method=self.method, path=self.path, version=self.version, params=self.raw, headers=headers,
            status=status, error=self.error, fault=self.fault, business_id=ctx.business_id if ctx else "",
            buc_type=ctx.buc_type if ctx else "", token_kind=ctx.token_kind if ctx else "",
            duration_ms=(time.monotonic() - self.started) * 1000, fbtrace_id=self.trace_id,
        )
        if row.pk % journal.PRUNE_EVERY == 0:
            window = int((ctx.config if ctx else get_config())["usage"]["window_seconds"])
            journal.prune(keep_seconds=max(window, journal.RETENTION_SECONDS))


@csrf_exempt
def graph(request: HttpRequest, graph_path: str = "") -> HttpResponse:
    if not graph_path and request.method == "GET":
        # A browser opening /graph-sandbox/ gets the staff console.
        return HttpResponseRedirect("console/")
    return GraphCall(request, graph_path).run()
