"""What the assistant says, in the question's language, when the documents do not answer."""

from __future__ import annotations

from indexer.language import Language

REFUSALS: dict[Language, str] = {
    "sv": "Det framgår inte av dokumenten.",
    "en": "The documents do not say.",
}
