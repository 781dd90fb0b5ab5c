"""The JSON face of both HTTP servers (central/ and the kiosk's log API, kiosk/logapi/).

One error shape (`{"error": code, "message": text}`), and no routing redirects: a path that would
redirect (`//tickets`, `..%2F`) is not an API path, so it gets a JSON 404, never an HTML 308.
"""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class JsonApi(Flask):
    """A Flask app whose errors are JSON; `spec` names the OpenAPI document a 404 points to."""

    body_gate = None  # set by the app's factory; the server asks it before reading any request body

    def __init__(self, name: str, spec: str):
        super().__init__(name)
        self.spec = spec
        self.json.sort_keys = False
        self.register_error_handler(ApiError, _api_error)
        self.register_error_handler(HTTPException, _http_error)

    def raise_routing_exception(self, request):
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound(f"no such endpoint (see {self.spec})")
        super().raise_routing_exception(request)


def _api_error(err: ApiError):
    response = jsonify(error=err.code, message=err.message)
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def _http_error(err: HTTPException):
    response = jsonify(error=(err.name or "error").lower().replace(" ", "_"), message=err.description)
    response.status_code = err.code or 500
    if getattr(err, "valid_methods", None):
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response
