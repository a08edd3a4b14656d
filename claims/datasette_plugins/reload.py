"""Datasette plugin: serve a re-published snapshot without a restart.

`claims publish` writes a new file and renames it over the old one. Datasette opens an immutable
(`-i`) database once per thread and keeps it open, so it went on serving the old, deleted file
(`claims.db (deleted)` in /proc/PID/fd) and holding its disk space.

Here each file database served immutable is a `ReloadingDatabase`: before every HTTP request
the plugin compares the file's identity (device, inode, size, mtime) with the one being served;
when it changed, a fresh `ReloadingDatabase` for the path takes the old one's place (so the
cached table counts and size are the new file's). Each SQL thread keeps its connection tagged
with the identity it opened; a thread whose connection is of an older file closes it and opens
the path again before its next query. A request already running finishes on the old file,
which stays readable while open: no request fails during a republish.
"""
from __future__ import annotations

import asyncio
import os
import threading

from datasette import hookimpl
from datasette.database import Database

_local = threading.local()   # per SQL thread: {database name: (identity, connection)}


def file_identity(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class ReloadingDatabase(Database):
    """An immutable file database that follows its path to a replaced file."""

    def __init__(self, ds, path):
        super().__init__(ds, path=path, is_mutable=False)
        self.identity = file_identity(path)

    async def execute_fn(self, fn):
        if self.ds.executor is None:     # non-threaded mode: one connection
            return await super().execute_fn(fn)
        identity = self.identity

        def in_thread():
            conns = getattr(_local, "conns", None)
            if conns is None:
                conns = _local.conns = {}
            held = conns.get(self.name)
            if held is None or held[0] != identity:
                if held is not None:
                    held[1].close()      # this thread's connection to the replaced file
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                held = conns[self.name] = (identity, conn)
            return fn(held[1])

        return await asyncio.get_event_loop().run_in_executor(self.ds.executor, in_thread)

    def connect(self, write=False):
        conn = super().connect(write)
        self._all_file_connections.remove(conn)   # closed by its thread (above), not by close()
        return conn


def _follow(datasette) -> None:
    """Swap in a fresh database object for every served file that was replaced."""
    for name, db in list(datasette.databases.items()):
        if not isinstance(db, ReloadingDatabase):
            continue
        identity = file_identity(db.path)
        if identity is None or identity == db.identity:
            continue      # unchanged (or being replaced right now: keep serving the old one)
        fresh = ReloadingDatabase(datasette, db.path)
        fresh.name, fresh.route = name, db.route
        databases = dict(datasette.databases)
        databases[name] = fresh      # one assignment: requests see the old or the new database
        datasette.databases = databases


@hookimpl
def startup(datasette):
    databases = dict(datasette.databases)
    for name, db in databases.items():
        if db.path and not db.is_mutable and not db.is_memory and not isinstance(db, ReloadingDatabase):
            fresh = ReloadingDatabase(datasette, db.path)
            fresh.name, fresh.route = name, db.route
            fresh.cached_hash = db.cached_hash
            databases[name] = fresh
    datasette.databases = databases


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def follow_then_serve(scope, receive, send):
            if scope.get("type") == "http":
                _follow(datasette)
            await app(scope, receive, send)

        return follow_then_serve

    return wrap
