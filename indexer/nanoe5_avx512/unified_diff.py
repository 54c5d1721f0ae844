"""A unified diff applied to one file's text, every context and removed line checked.

The build applies its patch with this rather than with `patch(1)`, which a slim Debian
image lacks; the source is checked by hash first, so a hunk applies where its header says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchMismatch(ValueError):
    """The diff does not fit the text: a line it expects is not where it says."""


@dataclass
class _Hunk:
    old_start: int
    lines: list[str] = field(default_factory=list)


def _hunks(diff: str) -> list[_Hunk]:
    hunks: list[_Hunk] = []
    in_file = False
    for line in diff.splitlines():
        if line.startswith("--- "):
            in_file = True
            continue
        if not in_file or line.startswith("+++ "):
            continue
        header = _HUNK_HEADER.match(line)
        if header:
            hunks.append(_Hunk(old_start=int(header.group(1))))
        elif hunks and line[:1] in (" ", "-", "+"):
            hunks[-1].lines.append(line)
        elif hunks and line == "":
            hunks[-1].lines.append(" ")
        elif line.startswith("\\"):
            continue
    if not hunks:
        raise PatchMismatch("the diff has no hunks")
    return hunks


def apply_unified_diff(original: str, diff: str) -> str:
    """`original` with the diff's hunks applied, or PatchMismatch naming the first misfit."""
    source = original.splitlines()
    result: list[str] = []
    position = 0
    for hunk in _hunks(diff):
        start = max(hunk.old_start - 1, 0)
        if start < position:
            raise PatchMismatch(f"hunk at line {hunk.old_start} overlaps the one before it")
        result.extend(source[position:start])
        position = start
        for line in hunk.lines:
            tag, text = line[0], line[1:]
            if tag == "+":
                result.append(text)
                continue
            if position >= len(source) or source[position] != text:
                found = source[position] if position < len(source) else "end of file"
                raise PatchMismatch(
                    f"line {position + 1}: the diff expects {text!r}, the file has {found!r}"
                )
            if tag == " ":
                result.append(text)
            position += 1
    result.extend(source[position:])
    return "\n".join(result) + ("\n" if original.endswith("\n") else "")
