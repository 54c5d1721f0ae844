"""The corpus manifest and reading documents: every bad input is one CorpusError with a fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.corpus import CorpusError, DocumentEntry, load_manifest, read_document
from indexer.embedders import Embedder
from indexer.store import load_store
from tests.indexer.support import CORPUS, TINY_THIRD, manifest_entry, minimal_pdf

GOOD_ENTRY = manifest_entry("doc", "doc.md")


def write_manifest(folder: Path, text: str) -> Path:
    path = folder / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def entry(doc_id: str, file: str, fmt: str) -> DocumentEntry:
    return DocumentEntry(doc_id, "Titel", "test", "sv", file, fmt)


# The manifest


def test_the_real_manifest_loads() -> None:
    entries = load_manifest(CORPUS / "manifest.toml")
    assert [(e.id, e.format) for e in entries] == [
        ("strategi", "pdf-text"),
        ("pressmeddelande", "markdown"),
    ]
    assert entries[0].title.startswith("Strategi för Sveriges utrikes- och säkerhetspolitiska")


def test_formats_are_inferred_from_the_suffix_and_dates_kept(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path,
        manifest_entry("a", "a.txt", date="2025")
        + manifest_entry("b", "b.markdown", date="2024-06")
        + manifest_entry("c", "C.PDF", date="2024-06-30")
        + manifest_entry("d", "d.text", format="text"),
    )
    entries = load_manifest(path)
    assert [(e.format, e.date) for e in entries] == [
        ("pdf-text", "2025"),
        ("markdown", "2024-06"),
        ("pdf", "2024-06-30"),
        ("text", None),
    ]
    assert entries[0].summary()["file"] == "a.txt"


@pytest.mark.parametrize(
    ("manifest", "fix"),
    [
        ('[[documents]]\nid = "doc"\ntitle = "Utan slut\n', "fix the syntax"),
        ("[[documents]\n", "fix the syntax"),
        (GOOD_ENTRY.replace("title =", "titel ="), "allowed keys: id, title"),
        (GOOD_ENTRY.replace('kind = "test"\n', ""), "'kind' is missing or empty"),
        (GOOD_ENTRY.replace('title = "Doc"', 'title = "  "'), "'title' is missing or empty"),
        (GOOD_ENTRY.replace('title = "Doc"', "title = 3"), "give it a text value"),
        (GOOD_ENTRY + manifest_entry("doc", "other.md"), "repeats id 'doc'"),
        (GOOD_ENTRY.replace('id = "doc"', 'id = "Min Doc"'), "must be lower-case letters"),
        (GOOD_ENTRY.replace('id = "doc"', 'id = "-doc"'), "must be lower-case letters"),
        (manifest_entry("doc", "doc.md", date="24-05-01"), "YYYY, YYYY-MM or YYYY-MM-DD"),
        (GOOD_ENTRY + "date = 2024-05-01\n", "'date' must be a quoted string"),
        (manifest_entry("notes", "notes.docx"), "use a .txt, .md or .pdf file"),
        (manifest_entry("doc", "doc.md", format="docx"), "set format to one of"),
        ('title = "x"\n' + GOOD_ENTRY, "holds only [[documents]] entries"),
        ("# nothing yet\n", "add at least one"),
        ("[documents]\nid = 'doc'\n", "add at least one"),
        ("documents = [1]\n", "write it as [[documents]]"),
    ],
    ids=[
        "unterminated-string",
        "bad-table",
        "typo-titel",
        "missing-kind",
        "blank-title",
        "title-not-text",
        "duplicate-id",
        "id-with-space",
        "id-with-leading-dash",
        "bad-date",
        "unquoted-date",
        "unknown-format-docx",
        "explicit-unknown-format",
        "unknown-top-level-key",
        "no-documents",
        "documents-not-an-array",
        "entry-not-a-table",
    ],
)
def test_bad_manifests_raise_one_line_that_names_the_file_and_the_fix(
    tmp_path: Path, manifest: str, fix: str
) -> None:
    path = write_manifest(tmp_path, manifest)
    with pytest.raises(CorpusError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert fix in message
    assert "\n" not in message


def test_a_missing_manifest_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as caught:
        load_manifest(tmp_path / "manifest.toml")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'manifest.toml'}: corpus manifest not found")
    assert "RAG_CORPUS_DIR" in message


def test_a_manifest_that_is_not_utf8_is_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "manifest.toml"
    path.write_bytes(GOOD_ENTRY.replace("Doc", "Dokument för år 2024").encode("utf-16"))
    with pytest.raises(CorpusError, match="fix the syntax"):
        load_manifest(path)


def test_the_duplicate_id_message_says_how_to_fix_it(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, GOOD_ENTRY + manifest_entry("doc", "other.md"))
    with pytest.raises(CorpusError, match=r"document #2 repeats id 'doc'; .*unique"):
        load_manifest(path)


# Reading documents


def write_bytes(name: str, data: bytes) -> Callable[[Path], object]:
    return lambda folder: (folder / name).write_bytes(data)


@pytest.mark.parametrize(
    ("file", "fmt", "prepare", "fix"),
    [
        ("gone.md", "markdown", lambda folder: None, "add it or fix 'file' in the manifest"),
        ("blank.md", "markdown", write_bytes("blank.md", b"  \n\n\t\n"), "fill the file"),
        (
            "heads.md",
            "markdown",
            write_bytes("heads.md", b"# Bara\n\n## Rubriker\n"),
            "or remove it",
        ),
        ("blank.txt", "pdf-text", write_bytes("blank.txt", b" \n\n12\n\n"), "fill the file"),
        ("latin.txt", "pdf-text", write_bytes("latin.txt", "Säkerhet".encode("latin-1")), "UTF-8"),
        ("latin.md", "markdown", write_bytes("latin.md", "Åtgärd".encode("cp1252")), "UTF-8"),
        ("junk.pdf", "pdf", write_bytes("junk.pdf", b"this is not a pdf"), "re-export the PDF"),
        ("empty.pdf", "pdf", write_bytes("empty.pdf", b""), "re-export the PDF"),
        (
            "cut.pdf",
            "pdf",
            write_bytes("cut.pdf", minimal_pdf([["Rubrik", "Text."]])[:120]),
            "re-export the PDF",
        ),
        ("text.pdf", "pdf", write_bytes("text.pdf", b"%PDF-1.4\nnot really\n"), "re-export"),
        ("blank.pdf", "pdf", write_bytes("blank.pdf", minimal_pdf([[]])), "fill the file"),
    ],
    ids=[
        "missing-file",
        "whitespace-only",
        "headings-only",
        "page-number-only",
        "latin1-txt",
        "cp1252-md",
        "garbage-pdf",
        "empty-pdf",
        "truncated-pdf",
        "pdf-header-only",
        "pdf-without-text",
    ],
)
def test_bad_documents_raise_one_line_that_names_the_file_and_the_fix(
    tmp_path: Path, file: str, fmt: str, prepare: Callable[[Path], object], fix: str
) -> None:
    prepare(tmp_path)
    with pytest.raises(CorpusError) as caught:
        read_document(tmp_path, entry("doc", file, fmt))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / file}: ")
    assert fix in message
    assert "\n" not in message


def test_a_real_pdf_gives_blocks_with_pages(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(
        minimal_pdf(
            [
                ["Inledning", "Sverige ska verka för en öppen och säker cyberrymd.", "Slut."],
                ["Samarbete", "Sverige vill fördjupa samarbetet inom Nato och EU.", "2"],
            ]
        )
    )
    doc = read_document(tmp_path, entry("pdfdoc", "doc.pdf", "pdf"))
    assert [(b.kind, b.text, b.page) for b in doc.blocks] == [
        ("heading", "Inledning", 1),
        ("paragraph", "Sverige ska verka för en öppen och säker cyberrymd. Slut.", 1),
        ("heading", "Samarbete", 2),
        ("paragraph", "Sverige vill fördjupa samarbetet inom Nato och EU.", 2),
    ]
    assert doc.blocks[-1].heading_path == ("Samarbete",)
    assert doc.doc_id == "pdfdoc"


def test_plain_text_format_reads_like_markdown(tmp_path: Path) -> None:
    (tmp_path / "notes.text").write_text("# Anteckning\n\nEn rad.\nEn till.\n", encoding="utf-8")
    doc = read_document(tmp_path, entry("notes", "notes.text", "text"))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Anteckning"),
        ("paragraph", "En rad. En till."),
    ]


@pytest.mark.slow
def test_adding_a_document_is_a_file_and_a_manifest_entry(
    tiny_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store_dir = tmp_path / "store"
    chunker = ChunkerSettings()
    first = build_store(tiny_corpus, store_dir, embedder, chunker, hnsw_threshold=50_000)
    assert first.built and first.documents == 2
    (tiny_corpus / "jamstalldhet.md").write_text(TINY_THIRD, encoding="utf-8")
    with (tiny_corpus / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write(manifest_entry("jamstalldhet", "jamstalldhet.md", "Jämställdhet"))
    second = build_store(tiny_corpus, store_dir, embedder, chunker, hnsw_threshold=50_000)
    assert second.built and second.documents == 3
    assert second.chunks == first.chunks + 1
    store = load_store(store_dir)
    assert [d["id"] for d in store.manifest["documents"]] == ["strategi", "press", "jamstalldhet"]
    (added,) = [c for c in store.chunks if c.doc_id == "jamstalldhet"]
    assert added.chunk_id == "jamstalldhet:0000"
    assert added.title == "Jämställdhet"
    assert added.text.startswith("Kvinnor och flickor ska ha samma tillgång")
