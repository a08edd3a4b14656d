"""Datasette plugin: the claims site is read-only, so only GET, HEAD and OPTIONS reach Datasette.

Datasette 0.65 answers a POST to a table page with an AssertionError ("You may only POST to a
canned query"), i.e. a 500 and a traceback in the log. The site has no writable canned queries
and no login, so every other method gets a plain 405 here.
"""
from __future__ import annotations

from datasette import hookimpl

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


async def _method_not_allowed(send) -> None:
    body = b"405 Method Not Allowed: the claims site is read-only (GET only)\n"
    await send({"type": "http.response.start", "status": 405,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD, OPTIONS"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in READ_METHODS:
                await _method_not_allowed(send)
                return
            await app(scope, receive, send)

        return read_only

    return wrap
