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
