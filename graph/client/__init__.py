"""The Graph API client: the one place where the portal speaks HTTP to Meta (or its sandbox).

It knows HTTP and Graph conventions, not our models (STYLE §7). Whatever must touch the
database (the call journal, usage figures, the connection's health) is passed in as hooks;
``shops.graph`` wires them to our models.

* Every call: API version in the path, ``appsecret_proof``, connect and read timeouts, no
  redirects, one pooled ``requests.Session`` per process.
* The token travels in the ``Authorization`` header, never in a URL, so it cannot leak through a
  logged URL or a ``requests`` exception message; every message we build is scrubbed of the
  token and the proof anyway.
* Parameters are encoded as Meta's SDKs do: query string for GET/DELETE, form fields for POST,
  nested values JSON-encoded; or, for a large write (``post(..., body="json")``: items_batch), one
  JSON body, which Graph reads the same way (see ``GraphClient.post``).
* Errors become the typed exceptions of ``graph.errors``. Reads, and writes that are idempotent
  (an ``idempotency_key`` parameter, or ``idempotent=True`` for upserts), are retried on
  transient and rate-limit errors with capped exponential backoff and jitter. Nothing else is
  retried: a plain write gets exactly one attempt, even when it timed out.

The package, one topic a module: ``core`` (the ``GraphClient``: configuration and verbs),
``retry`` (which calls are retried, backoff, the wait budget), ``transport`` (one HTTP exchange,
decoding, scrubbing, hooks), ``paging``, ``endpoints`` (typed convenience calls), ``results``
(the values hooks receive and typed calls return), ``encoding`` (parameters, masking, the
``appsecret_proof``) and ``session`` (the pooled session). Errors are ``graph.errors``, the usage
headers ``graph.usage``.
"""

from graph.client.core import GraphClient

__all__ = ["GraphClient"]
