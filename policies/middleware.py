"""Each realm's client policies are loaded at most once per request."""

from __future__ import annotations

from policies.engine import policies_request_scope


class PolicyScopeMiddleware:
    """Opens ``policies.engine.policies_request_scope()`` around every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with policies_request_scope():
            return self.get_response(request)
