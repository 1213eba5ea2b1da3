"""Structured validation errors: every problem of a document, each one a person can act on."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ValidationIssue:
    code: str               # machine-readable: unknown_node_type, cycle, invalid_param...
    message: str            # a sentence saying what is wrong and what to do
    node: str | None = None  # the node id concerned, when there is one
    field: str | None = None  # the port or param concerned (dotted for nested params)

    def to_json(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = ".".join(part for part in (self.node, self.field) if part)
        return f"{where or 'document'}: {self.message} [{self.code}]"


class GraphInvalid(Exception):
    """Raised with every issue found, never just the first."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues
