"""Tests for the evaluation question set and its checker."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.question_set import (
    MIN_ITEMS,
    QUESTION_TYPES,
    UNANSWERABLE_ANSWER,
    Evidence,
    QuestionItem,
    Turn,
    check_questions,
    load_documents,
    load_questions,
    normalize_for_match,
)

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "eval" / "questions.jsonl"
CORPUS = REPO / "corpus"

# Every chapter and section of the strategy, and the press release, must be covered by at
# least one item whose `section` label contains the keyword.
SECTION_KEYWORDS = [
    "Förord",
    "En digital värld",
    "1. Säkerhetspolitik",
    "Strategiska digitala tekniker",
    "hantering av antagonistiska cyberhot",
    "i) Motverka cyberhot",
    "ii) Stärka motståndskraften",
    "iii) Stärka tillämpningen av folkrätten",
    "iv) Verka för normer",
    "v) Stärka förtroendeskapande åtgärder",
    "vi) Värna det digitala informationsflödet",
    "vii) Främja internationellt samarbete",
    "Fokusområden – säkerhetspolitik",
    "2. Handel",
    "Handel och säkerhet som integrerade delar",
    "Privat och offentlig samverkan",
    "EU:s utveckling och den digitala inre marknaden",
    "Leverantörssäkerhet",
    "Infrastruktur",
    "Dataflöden",
    "Standarder",
    "Cybersäkerhetscertifiering",
    "Fokusområden – handel, välstånd och konkurrenskraft",
    "3. Utveckling och demokrati",
    "Digitalisering och demokrati",
    "Digitalisering och utveckling",
    "Kapacitetsuppbyggnad",
    "Sveriges utvecklingssamarbete",
    "Multilaterala samarbeten",
    "Digitalisering och jämställdhet",
    "Fokusområden – utveckling och demokrati",
    "4. Internationella samarbeten",
    "EU:s cyberdiplomati",
    "Samarbetet inom Nato",
    "Nordiskt och nordiskt-baltiskt samarbete",
    "Samarbete med USA",
    "Strategiska partners",
    "FN och multilaterala organisationer",
    "OSSE",
    "Världsbanken",
    "Fokusområden – internationella samarbeten",
    "Pressmeddelande",
]

# Partners named in chapter 4 (and the press release) that some evidence quote must cite.
PARTNER_TERMS = [
    "Nato",
    "NB8",
    "USA",
    "indo-pacifiska",
    "Freedom Online Coalition",
    "Indien",
    "EU-LAC",
    "IDEA",
    "European Endowment for Democracy",
    "Pragcentret",
    "OSSE",
    "Världsbanksgruppen",
    "ITU:s råd",
    "USAID",
]

MINIMUM_PER_TYPE = {
    "factoid": 25,
    "list": 8,
    "paraphrase": 8,
    "multi_doc": 5,
    "unanswerable": 12,
    "english": 6,
    "numeric": 6,
    "follow_up": 5,
}


# --------------------------------------------------------------------------- the real set


@pytest.fixture(scope="module")
def items() -> list[QuestionItem]:
    return load_questions(QUESTIONS)


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return load_documents(CORPUS)


def test_real_question_file_loads(items: list[QuestionItem]) -> None:
    assert len(items) >= MIN_ITEMS
    assert len(items) >= 90


def test_ids_are_sequential(items: list[QuestionItem]) -> None:
    assert [item.id for item in items] == [f"q{i:03d}" for i in range(1, len(items) + 1)]


def test_real_question_file_has_no_problems(
    items: list[QuestionItem], documents: dict[str, str]
) -> None:
    assert check_questions(items, documents) == []


def test_every_type_is_present_in_reasonable_numbers(items: list[QuestionItem]) -> None:
    counts: Counter[str] = Counter(item.type for item in items)
    assert set(counts) == QUESTION_TYPES
    for qtype, minimum in MINIMUM_PER_TYPE.items():
        assert counts[qtype] >= minimum, f"{qtype}: {counts[qtype]} < {minimum}"


@pytest.mark.parametrize("keyword", SECTION_KEYWORDS)
def test_every_section_is_covered(items: list[QuestionItem], keyword: str) -> None:
    assert any(keyword in item.section for item in items), keyword


@pytest.mark.parametrize("term", PARTNER_TERMS)
def test_every_partner_is_cited(items: list[QuestionItem], term: str) -> None:
    assert any(term in ev.quote for item in items for ev in item.evidence), term


def test_both_documents_are_cited(items: list[QuestionItem]) -> None:
    cited = {ev.doc_id for item in items for ev in item.evidence}
    assert cited == {"strategi", "pressmeddelande"}


def test_unanswerable_items_use_the_fixed_answer(items: list[QuestionItem]) -> None:
    for item in items:
        if item.type == "unanswerable":
            assert item.reference_answer == UNANSWERABLE_ANSWER
            assert item.evidence == () and item.key_terms == ()


def test_follow_up_histories_are_one_user_assistant_exchange(items: list[QuestionItem]) -> None:
    for item in items:
        if item.type == "follow_up":
            assert [turn.role for turn in item.history] == ["user", "assistant"], item.id


def test_questions_are_not_duplicated(items: list[QuestionItem]) -> None:
    questions = [item.question.casefold() for item in items]
    assert len(set(questions)) == len(questions)


# --------------------------------------------------------------------------- normalisation


def test_normalize_joins_hyphen_wrapped_words() -> None:
    assert normalize_for_match("En slags AI-\n\nkapplöpning har") == "En slags AI-kapplöpning har"
    assert normalize_for_match("inklusive FN-\n\n stadgan") == "inklusive FN-stadgan"


def test_normalize_keeps_hyphen_with_trailing_space() -> None:
    text = "med säkerhets- \n\noch försvarspolitisk tillämpning"
    assert normalize_for_match(text) == "med säkerhets- och försvarspolitisk tillämpning"


def test_normalize_drops_page_number_lines() -> None:
    text = "(EU-LAC Digital Alliance).  \n\n \n\n20 \n\n \n\nEU har också"
    assert normalize_for_match(text) == "(EU-LAC Digital Alliance). EU har också"


def test_normalize_keeps_numbers_inside_lines() -> None:
    assert normalize_for_match("inrättades\n\n2024.\n") == "inrättades 2024."
    assert normalize_for_match("de 57 deltagande\nstaterna") == "de 57 deltagande staterna"


def test_normalize_removes_markdown_escapes() -> None:
    text = "inklusive ransomware\\-angrepp och EU\\- och Natomedlemskap\\."
    assert normalize_for_match(text) == "inklusive ransomware-angrepp och EU- och Natomedlemskap."


def test_normalize_collapses_whitespace_and_strips() -> None:
    assert normalize_for_match("  a \t b\r\n\r\n  c  ") == "a b c"


def test_normalize_is_idempotent(documents: dict[str, str]) -> None:
    for text in documents.values():
        once = normalize_for_match(text)
        assert normalize_for_match(once) == once


def test_normalized_corpus_has_expected_joins(documents: dict[str, str]) -> None:
    strategy = normalize_for_match(documents["strategi"])
    assert "AI-kapplöpning" in strategy
    assert "säkerhets- och försvarspolitisk" in strategy
    assert "Team Europe-ansatsen" in strategy
    assert "Alliance). EU har också" in strategy
    press = normalize_for_match(documents["pressmeddelande"])
    assert "ransomware-angrepp" in press and "\\" not in press


# --------------------------------------------------------------------------- load_questions


def _raw_item(**overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "q001",
        "type": "factoid",
        "question": "Vad har inletts?",
        "reference_answer": "En slags AI-kapplöpning.",
        "key_terms": ["kapplöpning"],
        "evidence": [{"doc_id": "strategi", "quote": "En slags AI-kapplöpning har inletts"}],
        "history": [],
        "section": "Strategiska digitala tekniker",
    }
    item.update(overrides)
    return item


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**overrides: Any) -> str:
    return json.dumps(_raw_item(**overrides), ensure_ascii=False)


def test_load_valid_file(tmp_path: Path) -> None:
    follow_up = _line(
        id="q002",
        type="follow_up",
        history=[
            {"role": "user", "content": "Vad säger strategin om AI?"},
            {"role": "assistant", "content": "Den ska förstås geopolitiskt."},
        ],
    )
    loaded = load_questions(_write(tmp_path, _line(), "", follow_up))
    assert [item.id for item in loaded] == ["q001", "q002"]
    assert loaded[0].evidence == (Evidence("strategi", "En slags AI-kapplöpning har inletts"),)
    assert loaded[0].key_terms == ("kapplöpning",)
    assert loaded[1].history[0] == Turn("user", "Vad säger strategin om AI?")


def test_load_rejects_bad_json(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), '{"id": "q002", "type": ')
    with pytest.raises(ValueError, match=r":2: invalid JSON"):
        load_questions(path)


def test_load_rejects_unknown_type(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), _line(id="q002", type="trivia"))
    with pytest.raises(ValueError, match=r":2: field 'type': unknown type 'trivia'"):
        load_questions(path)


def test_load_rejects_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), _line(question="En annan fråga?"))
    with pytest.raises(ValueError, match=r":2: field 'id': duplicate id 'q001'"):
        load_questions(path)


def test_load_rejects_missing_field(tmp_path: Path) -> None:
    raw = _raw_item()
    del raw["section"]
    path = _write(tmp_path, json.dumps(raw))
    with pytest.raises(ValueError, match=r":1: field 'section': missing"):
        load_questions(path)


def test_load_rejects_unknown_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(difficulty="hard"))
    with pytest.raises(ValueError, match=r":1: field 'difficulty': unknown field"):
        load_questions(path)


def test_load_rejects_empty_question(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(question="   "))
    with pytest.raises(ValueError, match=r":1: field 'question': must not be empty"):
        load_questions(path)


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        ("strategi", "evidence"),
        (["strategi"], "evidence[0]"),
        ([{"doc_id": "strategi"}], "evidence[0]"),
        ([{"doc_id": "strategi", "quote": 3}], "evidence[0].quote"),
    ],
)
def test_load_rejects_wrong_evidence_shape(tmp_path: Path, evidence: Any, field: str) -> None:
    path = _write(tmp_path, _line(evidence=evidence))
    with pytest.raises(ValueError, match=":1: field " + re.escape(repr(field))):
        load_questions(path)


def test_load_rejects_bad_history(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(history=[{"role": "system", "content": "x"}]))
    with pytest.raises(ValueError, match=r"field 'history\[0\].role': unknown role"):
        load_questions(path)


def test_load_rejects_non_string_key_terms(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(key_terms=["ok", 5]))
    with pytest.raises(ValueError, match=r"field 'key_terms\[1\]'"):
        load_questions(path)


# --------------------------------------------------------------------------- check_questions

SMALL_DOCUMENTS = {
    "strategi": "En slags AI-\n\nkapplöpning har inletts, inte olik den \n\nsom skett tidigare.\n",
    "pressmeddelande": "Frågan om civilt cyberstöd till Ukraina diskuterades\\. Sida och USAID.\n",
}


def _item(**overrides: Any) -> QuestionItem:
    fields: dict[str, Any] = {
        "id": "q001",
        "type": "factoid",
        "question": "Vad har inletts?",
        "reference_answer": "En slags AI-kapplöpning.",
        "key_terms": ("kapplöpning",),
        "evidence": (Evidence("strategi", "En slags AI-kapplöpning har inletts, inte olik"),),
        "history": (),
        "section": "Strategiska digitala tekniker",
    }
    fields.update(overrides)
    return QuestionItem(**fields)


def _problems(*items: QuestionItem) -> list[str]:
    """Problems of the given items, ignoring the minimum-size rule."""
    return [p for p in check_questions(items, SMALL_DOCUMENTS) if not p.startswith("only ")]


def test_check_accepts_a_valid_item() -> None:
    assert _problems(_item()) == []


def test_check_accepts_quote_across_line_wrap_with_different_case_key_term() -> None:
    item = _item(
        reference_answer="En slags AI-kapplöpning, inte olik tidigare.",
        key_terms=("AI-KAPPLÖPNING", "tidigare"),
        evidence=(
            Evidence("strategi", "inte olik den som skett tidigare."),
            Evidence("strategi", "En slags AI-kapplöpning har inletts,"),
        ),
    )
    assert _problems(item) == []


def test_check_reports_missing_quote() -> None:
    item = _item(evidence=(Evidence("strategi", "En slags AI-tävling har inletts"),))
    problems = _problems(item)
    assert len(problems) == 2  # the quote, and the key term it no longer supports
    assert "quote not found in 'strategi'" in problems[0]


def test_check_reports_quote_in_wrong_document() -> None:
    item = _item(evidence=(Evidence("pressmeddelande", "En slags AI-kapplöpning har inletts"),))
    assert any("quote not found in 'pressmeddelande'" in p for p in _problems(item))


def test_check_reports_unsupported_key_term() -> None:
    item = _item(
        reference_answer="En slags AI-kapplöpning inom kvantteknik.",
        key_terms=("kapplöpning", "kvantteknik"),
    )
    assert _problems(item) == [
        "q001 (factoid): key term 'kvantteknik' not found in any evidence quote"
    ]


def test_check_reports_key_term_missing_from_reference_answer() -> None:
    item = _item(reference_answer="En slags tävling om artificiell intelligens.")
    assert _problems(item) == [
        "q001 (factoid): key term 'kapplöpning' not found in the reference answer"
    ]


def test_check_reports_unknown_doc_id() -> None:
    item = _item(evidence=(Evidence("okänt", "En slags AI-kapplöpning har inletts"),))
    assert any("unknown doc_id 'okänt'" in p for p in _problems(item))


def test_check_reports_quote_length() -> None:
    item = _item(key_terms=("slags",), evidence=(Evidence("strategi", "En slags"),))
    assert any("quote has 2 words" in p for p in _problems(item))


def test_check_reports_answerable_without_evidence() -> None:
    item = _item(key_terms=(), evidence=())
    problems = _problems(item)
    assert any("answerable item has no evidence" in p for p in problems)
    assert any("needs 1-4 key terms" in p for p in problems)


def test_check_reports_unanswerable_with_evidence() -> None:
    item = _item(type="unanswerable", reference_answer=UNANSWERABLE_ANSWER)
    problems = _problems(item)
    assert any("unanswerable item has evidence" in p for p in problems)
    assert any("unanswerable item has key terms" in p for p in problems)


def test_check_accepts_unanswerable_item() -> None:
    item = _item(
        type="unanswerable", reference_answer=UNANSWERABLE_ANSWER, key_terms=(), evidence=()
    )
    assert _problems(item) == []


def test_check_reports_multi_doc_with_one_document() -> None:
    item = _item(type="multi_doc")
    assert any("must cite at least two documents" in p for p in _problems(item))


def test_check_accepts_multi_doc_with_both_documents() -> None:
    item = _item(
        type="multi_doc",
        reference_answer="En AI-kapplöpning; civilt cyberstöd till Ukraina.",
        key_terms=("kapplöpning", "Ukraina"),
        evidence=(
            Evidence("strategi", "En slags AI-kapplöpning har inletts"),
            Evidence("pressmeddelande", "Frågan om civilt cyberstöd till Ukraina diskuterades."),
        ),
    )
    assert _problems(item) == []


def test_check_reports_follow_up_without_history() -> None:
    item = _item(type="follow_up")
    assert any("follow_up item has no history" in p for p in _problems(item))


def test_check_reports_history_on_other_types() -> None:
    item = _item(history=(Turn("user", "Fråga?"), Turn("assistant", "Svar.")))
    assert any("only follow_up items may have a history" in p for p in _problems(item))


def test_check_reports_too_few_items() -> None:
    problems = check_questions([_item()], SMALL_DOCUMENTS)
    assert problems == [f"only 1 items, expected at least {MIN_ITEMS}"]


def test_check_accepts_enough_items() -> None:
    items = [_item(id=f"q{i:03d}") for i in range(1, MIN_ITEMS + 1)]
    assert check_questions(items, SMALL_DOCUMENTS) == []


def test_check_reports_duplicate_ids() -> None:
    assert any("duplicate id" in p for p in _problems(_item(), _item()))
