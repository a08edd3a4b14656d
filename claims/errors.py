"""Typed errors. Every user-facing failure is a subclass of ClaimsError whose str() is one line
that names the file (and line) and says what to do. The CLI turns them into click exceptions."""
from __future__ import annotations


class ClaimsError(Exception):
    """Base class for every error `claims` reports to a user."""


class RuleError(ClaimsError):
    """The rule files under rules/ are broken. Collects every problem before raising."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in rules: " if len(self.problems) > 1 else "rules: "
        super().__init__(head + "; ".join(self.problems))


class InputError(ClaimsError):
    """An input file cannot be read at all (missing, unreadable, wrong type, ...)."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class StrictError(ClaimsError):
    """Recoverable input problems were found and --strict turns them into a failure."""


class DatabaseError(ClaimsError):
    """The DuckDB or SQLite file is missing or not a claims database."""


class BusyError(ClaimsError):
    """Another `claims build` holds the database's lock."""


# what to do about a filesystem error, by errno name (the path comes from the error itself)
_ADVICE = {
    "ENOSPC": "the disk is full; free space there or write elsewhere (--db / --out)",
    "EDQUOT": "the disk quota is exhausted; free space there or write elsewhere (--db / --out)",
    "EROFS": "the filesystem is read-only; write to a writable folder (--db / --out)",
    "EACCES": "permission denied; make the folder writable or write elsewhere (--db / --out)",
    "EPERM": "operation not permitted; make the folder writable or write elsewhere (--db / --out)",
    "EISDIR": "is a directory; give a file name (e.g. db/claims.duckdb)",
    "ENOTDIR": "a part of the path is not a directory; check the path",
    "ENOENT": "no such file or directory; check the path",
    "EMFILE": "too many open files; raise `ulimit -n`",
}


def filesystem_message(exc: OSError, path=None) -> str:
    """One line for an OSError: the path, what happened, what to do."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    where = path or exc.filename or "?"
    advice = _ADVICE.get(name, "check the path and the disk")
    what = exc.strerror or type(exc).__name__
    return f"{where}: {what} ({name or 'error'}); {advice}; the previous database is unchanged"


def duckdb_filesystem_errno(message: str) -> str | None:
    """The errno name a DuckDB IO error message stands for (DuckDB reports them as text)."""
    for text, name in (("No space left on device", "ENOSPC"), ("Disk quota exceeded", "EDQUOT"),
                       ("Read-only file system", "EROFS"), ("Permission denied", "EACCES"),
                       ("Is a directory", "EISDIR")):
        if text in message:
            return name
    return None
