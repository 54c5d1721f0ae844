"""The corpus manifest and reading its documents into cleaned text."""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from indexer.cleaning import clean_markdown, clean_pdf_pages, clean_pdf_text
from indexer.documents import CleanedDocument

FORMATS = ("pdf-text", "markdown", "pdf", "text")
_SUFFIX_FORMATS = {".txt": "pdf-text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}
_REQUIRED = ("id", "title", "kind", "language", "file")
_OPTIONAL = ("date", "format")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class CorpusError(Exception):
    """A problem with the corpus, phrased as one line that names the file and the fix."""


@dataclass(frozen=True)
class DocumentEntry:
    id: str
    title: str
    kind: str
    language: str
    file: str
    format: str
    date: str | None = None
    # How questions refer to the document ("pressmeddelandet", "press release", "dialogen").
    names: tuple[str, ...] = ()

    def summary(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "language": self.language,
            "date": self.date,
            "file": self.file,
            "format": self.format,
            "names": list(self.names),
        }


def load_manifest(manifest_path: Path) -> list[DocumentEntry]:
    if not manifest_path.is_file():
        raise CorpusError(
            f"{manifest_path}: corpus manifest not found; create it (see corpus/manifest.toml "
            "in the repository) or set RAG_CORPUS_DIR"
        )
    try:
        data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{manifest_path}: not valid TOML ({exc}); fix the syntax") from exc
    unknown_top = set(data) - {"documents"}
    if unknown_top:
        raise CorpusError(
            f"{manifest_path}: unknown top-level key(s) {sorted(unknown_top)}; "
            "the manifest holds only [[documents]] entries"
        )
    raw_entries = data.get("documents")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise CorpusError(f"{manifest_path}: no [[documents]] entries; add at least one")
    entries: list[DocumentEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_entries, start=1):
        entry = _parse_entry(manifest_path, number, raw)
        if entry.id in seen:
            raise CorpusError(
                f"{manifest_path}: document #{number} repeats id '{entry.id}'; "
                "give each document a unique id"
            )
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _parse_entry(manifest_path: Path, number: int, raw: object) -> DocumentEntry:
    where = f"{manifest_path}: document #{number}"
    if not isinstance(raw, dict):
        raise CorpusError(f"{where} is not a table; write it as [[documents]] with key = value")
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL) - {"names"}
    if unknown:
        allowed = ", ".join((*_REQUIRED, *_OPTIONAL, "names"))
        raise CorpusError(f"{where}: unknown key(s) {sorted(unknown)}; allowed keys: {allowed}")
    for key in _REQUIRED:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{where}: '{key}' is missing or empty; give it a text value")
    for key in _OPTIONAL:
        if key in raw and not isinstance(raw[key], str):
            raise CorpusError(f"{where}: '{key}' must be a quoted string")
    names = raw.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise CorpusError(f"{where}: 'names' must be a list of words, e.g. [\"strategin\"]")
    if not _ID.match(raw["id"]):
        raise CorpusError(
            f"{where}: id '{raw['id']}' must be lower-case letters, digits, '-' or '_'"
        )
    date = raw.get("date")
    if date is not None and not _DATE.match(date):
        raise CorpusError(f"{where}: date '{date}' must look like YYYY, YYYY-MM or YYYY-MM-DD")
    file_name = raw["file"]
    fmt = raw.get("format") or _SUFFIX_FORMATS.get(Path(file_name).suffix.lower())
    if fmt not in FORMATS:
        raise CorpusError(
            f"{where}: cannot tell the format of '{file_name}'; use a .txt, .md or .pdf file "
            f"or set format to one of {', '.join(FORMATS)}"
        )
    return DocumentEntry(
        id=raw["id"],
        title=raw["title"].strip(),
        kind=raw["kind"].strip(),
        language=raw["language"].strip(),
        file=file_name,
        format=fmt,
        date=date,
        names=tuple(n.strip().lower() for n in names),
    )


def document_path(corpus_dir: Path, entry: DocumentEntry) -> Path:
    return corpus_dir / entry.file


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(corpus_dir: Path, entry: DocumentEntry) -> CleanedDocument:
    path = document_path(corpus_dir, entry)
    if not path.is_file():
        raise CorpusError(
            f"{path}: file of document '{entry.id}' not found; add it or fix 'file' in the manifest"
        )
    if entry.format == "pdf":
        document = _read_pdf(path, entry.id)
    else:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f'{path}: not UTF-8 text; convert it to UTF-8 or set format = "pdf" for a PDF'
            ) from exc
        if entry.format == "markdown":
            document = clean_markdown(entry.id, raw)
        elif entry.format == "pdf-text":
            document = clean_pdf_text(entry.id, raw)
        else:
            document = clean_markdown(entry.id, raw)
    if not any(block.kind != "heading" for block in document.blocks):
        raise CorpusError(f"{path}: document '{entry.id}' has no text; fill the file or remove it")
    return document


def _read_pdf(path: Path, doc_id: str) -> CleanedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs each damage it meets to stderr; a broken file is reported once, below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError) as exc:
        raise CorpusError(f"{path}: not a readable PDF ({exc}); re-export the PDF") from exc
    return clean_pdf_pages(doc_id, pages)
