"""Meta's error envelope and the errors the sandbox answers with.

Envelope (META_API §1.3): {"error": {message, type, code, error_subcode?, is_transient,
error_user_title?, error_user_msg?, error_data?, fbtrace_id}}. Like Meta, optional keys are
left out when they have no value; `is_transient` is always present.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

DOCS = "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"


def new_trace_id() -> str:
    """An opaque id like Meta's fbtrace_id (11 URL-safe characters)."""
    return secrets.token_urlsafe(8)


class GraphError(Exception):
    """An error answered in Meta's envelope. Raise it anywhere in a handler."""

    def __init__(self, message: str, *, code: int = 100, subcode: int | None = None, type: str = "OAuthException",
                 status: int = 400, is_transient: bool = False, user_title: str | None = None,
                 user_msg: str | None = None, error_data: Any = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.error_data = error_data
        self.headers = headers or {}

    def envelope(self, fbtrace_id: str) -> dict:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        if self.error_data is not None:
            # Meta sends error_data as a JSON string.
            error["error_data"] = self.error_data if isinstance(self.error_data, str) else json.dumps(self.error_data)
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


# --- parameters ------------------------------------------------------------------------------

def invalid_param(message: str = "Invalid parameter", **kwargs) -> GraphError:
    return GraphError(f"(#100) {message}", code=100, **kwargs)


def required_param(name: str) -> GraphError:
    return invalid_param(f"The parameter {name} is required", error_data={"blame_field_specs": [[name]]})


def unknown_param(name: str) -> GraphError:
    return invalid_param(f"Param {name} is not a valid parameter for this request",
                         error_data={"blame_field_specs": [[name]]})


def bad_enum(name: str, allowed, got) -> GraphError:
    values = ", ".join(str(v) for v in allowed)
    return invalid_param(f'Param {name} must be one of {{{values}}} - got "{got}"',
                         error_data={"blame_field_specs": [[name]]})


def bad_type(name: str, expected: str) -> GraphError:
    return invalid_param(f"Param {name} must be {expected}", error_data={"blame_field_specs": [[name]]})


def syntax_error(message: str) -> GraphError:
    return GraphError(f"Syntax error {message}", code=2500)


# --- objects and paths -----------------------------------------------------------------------

def unsupported(method: str, object_id: str | None = None) -> GraphError:
    """100/33: the object does not exist, is not visible to this token, or has no such operation."""
    verb = method.lower()
    if object_id is None:
        return GraphError(f"Unsupported {verb} request. {DOCS}", code=100, subcode=33, type="GraphMethodException")
    return GraphError(
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        f"missing permissions, or does not support this operation. {DOCS}",
        code=100, subcode=33, type="GraphMethodException",
    )


def unknown_alias(alias: str) -> GraphError:
    return GraphError(f"(#803) Some of the aliases you requested do not exist: {alias}", code=803)


def nonexisting_field(name: str, node_label: str) -> GraphError:
    return invalid_param(f"Tried accessing nonexisting field ({name}) on node type ({node_label})")


def unknown_path(path: str) -> GraphError:
    return GraphError(f"Unknown path components: /{path}", code=2500)


def deprecated(path: str, version: str) -> GraphError:
    return GraphError(f"(#12) {path} is deprecated for versions {version} and higher", code=12)


# --- auth ------------------------------------------------------------------------------------

def missing_token() -> GraphError:
    return GraphError("An access token is required to request this resource.", code=104)


def _token_error(message: str, subcode: int | None) -> GraphError:
    headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}
    return GraphError(message, code=190, subcode=subcode, headers=headers)


def invalid_token() -> GraphError:
    return _token_error("Error validating access token: The access token is invalid.", 467)


def malformed_app_token() -> GraphError:
    return _token_error("Invalid OAuth access token signature.", None)


def expired_token(expired_at: str, now: str) -> GraphError:
    return _token_error(f"Error validating access token: Session has expired on {expired_at}. "
                        f"The current time is {now}.", 463)


def revoked_token(subcode: int, app_id: str) -> GraphError:
    if subcode == 458:
        return _token_error(f"Error validating access token: The user has not authorized application {app_id}.", 458)
    return _token_error("Error validating access token: The session has been invalidated because the user changed "
                        "their password or Facebook has changed the session for security reasons.", 460)


def proof_missing() -> GraphError:
    return GraphError("API calls from the server require an appsecret_proof argument", code=100,
                      type="GraphMethodException")


def proof_invalid() -> GraphError:
    return GraphError("Invalid appsecret_proof provided in the API argument", code=100, type="GraphMethodException")


def permission(*perms: str) -> GraphError:
    needed = " or ".join(perms)
    return GraphError(f"(#200) Requires {needed} permission to manage the object", code=200)


# --- throttling ------------------------------------------------------------------------------

THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80009: "(#80009) There have been too many calls to this Catalog account. Wait a bit and try again.",
    80014: "(#80014) There have been too many calls for the batch uploads to this catalog account. "
           "Wait a bit and try again.",
}


def throttled(code: int, headers: dict | None = None) -> GraphError:
    message = THROTTLE_MESSAGES.get(code, f"(#{code}) There have been too many calls from this business account. "
                                          "Wait a bit and try again.")
    return GraphError(message, code=code, is_transient=True, headers=headers,
                      user_title="Too many calls", user_msg="Wait a bit and try again.")


#: Default messages for injected error faults, by code.
FAULT_MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    10: "(#10) Application does not have permission for this action",
    100: "(#100) Invalid parameter",
    102: "Session key invalid or no longer valid",
    190: "Error validating access token: The access token is invalid.",
    200: "(#200) Permissions error",
    341: "(#341) Application limit reached",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    **THROTTLE_MESSAGES,
}
