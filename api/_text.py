"""Text fields of requests: refused when they hold control characters.

A GeoPackage (SQLite) cuts text at NUL on the way back, and other control characters
(U+0001-U+001F, U+007F-U+009F) are invisible in maps and spreadsheets, so an edit with
them would be acknowledged and then stored as something else. They are refused with
422 instead; every other character, line and paragraph separators (U+2028, U+2029)
included, is stored and returned as it was sent.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["Text", "check_text"]


def check_text(value: str) -> str:
    """Return ``value`` unless it holds a control character (then ValueError)."""
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc":
            msg = (
                f"the text holds the control character U+{ord(char):04X} at position "
                f"{position + 1}; remove it (control characters cannot be stored faithfully)"
            )
            raise ValueError(msg)
    return value


#: A request string without control characters.
Text = Annotated[str, AfterValidator(check_text)]
