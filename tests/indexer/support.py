"""Plain helpers for the indexer tests: tiny corpora, a hand-written PDF, running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"

TINY_STRATEGY = """\
# Strategi i korthet

Sverige ska verka för en global, öppen, fri och säker cyberrymd. Rättsstatens principer är grunden.

## Samarbetet inom Nato

Natomedlemskapet stärker Sveriges cyberförsvar. Sverige vill ge ett tydligt mervärde till alliansen.

## Handel och teknik

Fria dataflöden är centrala för konkurrenskraften. Standarder ska vara öppna och neutrala.
"""

TINY_PRESS = """\
# Dialog med USA

Sverige och USA fördjupar samarbetet mot ransomware\\-angrepp och cyberbrottslighet.

## Telekom

Den digitala infrastrukturen, inte minst 5G, har stor betydelse för säkerheten.
"""

TINY_THIRD = """\
# Jämställdhet

Kvinnor och flickor ska ha samma tillgång till internet som män och pojkar.
"""


def manifest_entry(doc_id: str, file: str, title: str | None = None, **extra: str) -> str:
    lines = [
        "[[documents]]",
        f'id = "{doc_id}"',
        f'title = "{title or doc_id.capitalize()}"',
        'kind = "test"',
        'language = "sv"',
        f'file = "{file}"',
    ]
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    return "\n".join(lines) + "\n\n"


def write_tiny_corpus(folder: Path) -> Path:
    """Two short Markdown documents and their manifest; builds in about a second."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "strategi.md").write_text(TINY_STRATEGY, encoding="utf-8")
    (folder / "press.md").write_text(TINY_PRESS, encoding="utf-8")
    (folder / "manifest.toml").write_text(
        manifest_entry("strategi", "strategi.md", "Strategin i korthet")
        + manifest_entry("press", "press.md", "Dialog med USA"),
        encoding="utf-8",
    )
    return folder


def minimal_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF, one line of standard Helvetica (WinAnsi) text per item on each page."""
    count = len(pages)
    font_id = 3 + 2 * count
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def cli_env(corpus_dir: Path, store_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any RAG_* setting, plus the given ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAG_")}
    env.update(
        RAG_CORPUS_DIR=str(corpus_dir),
        RAG_STORE_DIR=str(store_dir),
        HF_HUB_OFFLINE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def run_cli(
    args: list[str], corpus_dir: Path, store_dir: Path, timeout: float = 120, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        cwd=REPO,
        env=cli_env(corpus_dir, store_dir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def store_siblings(store_dir: Path, tag: str) -> list[Path]:
    """Staging (`tmp`) or backup (`old`) directories a build leaves beside the store."""
    return sorted(store_dir.parent.glob(f".{store_dir.name}.{tag}-*"))
