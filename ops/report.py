"""What a command returns, and the plain-text tables it is shown in."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """A command's result: ``data`` for ``--format json``, ``text`` for people.

    ``ok=False`` means a check or an operation failed; the CLI then exits 1 after printing
    the report, so a failed pre-market check still shows every row.
    """

    title: str
    data: Any
    text: str | None = None
    ok: bool = True
    audit: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    # A report whose data is itself a published document format (the plan) is printed as
    # is, without the command/ok envelope.
    bare: bool = False

    def document(self) -> Any:
        if self.bare:
            return self.data
        doc: dict[str, Any] = {"command": self.title, "ok": self.ok, "result": self.data}
        if self.audit is not None:
            doc["audit"] = self.audit
        if self.warnings:
            doc["warnings"] = self.warnings
        return doc


def printable(text: str, keep: str = "") -> str:
    """``text`` with control and format characters (escape sequences, bidi overrides)
    written as ``\\uXXXX``: values from AWS or Kubernetes, such as an operator's comment,
    must not be able to repaint or reorder the on-call engineer's terminal."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") and c not in keep else c
        for c in text
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A left-aligned text table; ``None`` cells print as ``-``."""
    cells = [[("-" if c is None else printable(str(c))) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)
