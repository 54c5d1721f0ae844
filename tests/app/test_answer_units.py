"""Answer units: sentences, whole lists, sentence pairs; headings and signatures as context."""

from __future__ import annotations

import numpy as np

from app.answer.units import CandidateSentence, build_units, evidence_blocks, refers_back
from indexer.documents import SentenceRole
from indexer.sentences import sentence_role

VECTOR = np.array([1.0, 0.0], dtype=np.float32)
HANDEL = "2. Handel › Fokusområden – handel, välstånd och konkurrenskraft"


def _c(
    ref: int,
    index: int,
    text: str,
    role: SentenceRole = "sentence",
    context: str = "Avsnitt",
    offset: int | None = None,
) -> CandidateSentence:
    return CandidateSentence(
        ref=ref,
        passage_rank=ref - 1,
        doc_order=0,
        offset=offset if offset is not None else ref * 1000 + index * 10,
        text=text,
        vector=VECTOR,
        context=context,
        role=role,
        doc_id="strategi",
        index=index,
    )


def test_every_statement_is_a_unit_and_a_continuation_makes_a_pair() -> None:
    units = build_units(
        [
            _c(1, 0, "EU började 2017 utveckla en diplomatisk verktygslåda mot cyberhot."),
            _c(1, 1, "Verktygslådan omfattar bland annat démarcher och sanktioner."),
            _c(1, 2, "Sverige stödjer arbetet aktivt inom unionen."),
        ]
    )
    kinds = sorted((u.kind, tuple(m.index for m in u.members)) for u in units)
    assert kinds == [("pair", (0, 1)), ("sentence", (0,)), ("sentence", (1,)), ("sentence", (2,))]
    pair = next(u for u in units if u.kind == "pair")
    assert pair.render() == (
        "EU började 2017 utveckla en diplomatisk verktygslåda mot cyberhot. [1] "
        "Verktygslådan omfattar bland annat démarcher och sanktioner. [1]"
    )


def test_refers_back_by_pronoun_or_by_the_definite_form_of_an_earlier_word() -> None:
    assert refers_back("EU utvecklar en verktygslåda.", "Verktygslådan omfattar démarcher.")
    assert refers_back("Sverige deltar i FN.", "Det är viktigt.")
    assert not refers_back("EU utvecklar en verktygslåda.", "Sverige deltar i Nato.")


def test_a_list_is_one_unit_with_its_heading_and_every_item_cited_even_across_passages() -> None:
    items = [
        _c(2, 0, "Främja fria dataflöden.", "item", HANDEL, offset=100),
        _c(2, 1, "Verka för WTO:s regler.", "item", HANDEL, offset=200),
        # The next passage repeats the last item (chunk overlap) and goes on.
        _c(3, 0, "Verka för WTO:s regler.", "item", HANDEL, offset=200),
        _c(3, 1, "Aktivt medverka inom ITU:s standardiseringssektor.", "item", HANDEL, offset=300),
    ]
    lists = [u for u in build_units(items) if u.kind == "list"]
    assert len(lists) == 1
    assert lists[0].render() == (
        "Fokusområden – handel, välstånd och konkurrenskraft:\n"
        "- Främja fria dataflöden. [2]\n"
        "- Verka för WTO:s regler. [2]\n"
        "- Aktivt medverka inom ITU:s standardiseringssektor. [3]"
    )


def test_a_lead_in_leads_its_list_and_is_never_a_unit_alone() -> None:
    units = build_units(
        [
            _c(1, 0, "Arbetet omfattar bland annat:", "lead_in"),
            _c(1, 1, "Motverka cyberhot.", "item"),
            _c(1, 2, "Stärka motståndskraften.", "item"),
        ]
    )
    assert not any(u.kind == "sentence" and u.members[0].role == "lead_in" for u in units)
    listing = next(u for u in units if u.kind == "list")
    assert listing.render().startswith(
        "Arbetet omfattar bland annat: [1]\n- Motverka cyberhot. [1]"
    )


def test_a_signature_is_context_for_the_sentence_it_signs_never_a_unit() -> None:
    units = build_units(
        [
            _c(1, 0, "Genom en samlad ansats står sig Sverige starkare."),
            _c(1, 1, "Maria Malmer Stenergard", "signature"),
            _c(1, 2, "Utrikesminister", "signature"),
        ]
    )
    assert [u.render() for u in units] == [
        "Genom en samlad ansats står sig Sverige starkare. – Maria Malmer Stenergard, "
        "Utrikesminister [1]"
    ]
    assert units[0].statements == [
        "Genom en samlad ansats står sig Sverige starkare. Maria Malmer Stenergard, Utrikesminister"
    ]


def test_roles_are_given_at_index_time() -> None:
    assert sentence_role("Främja fria dataflöden.", "bullet", True) == "item"
    assert sentence_role("Arbetet omfattar bland annat:", "paragraph", True) == "lead_in"
    assert sentence_role("Maria Malmer Stenergard", "paragraph", False) == "signature"
    assert sentence_role("Utrikesminister", "paragraph", True) == "signature"
    assert (
        sentence_role("Ytterst handlar det om att värna Sverige", "paragraph", True) == "sentence"
    )
    assert sentence_role("EU och Nato samverkar.", "paragraph", False) == "sentence"


def test_evidence_blocks_keep_to_the_budget_and_gather_lines_per_passage() -> None:
    by_text = {
        u.text[0]: u
        for u in build_units(
            [
                _c(1, 0, "A" * 300 + "."),
                _c(2, 0, "B" * 300 + "."),
                _c(1, 5, "C" * 300 + "."),
            ]
        )
    }
    units = [by_text["A"], by_text["B"], by_text["C"]]  # best first
    blocks = evidence_blocks(units, budget_chars=650)
    assert [b.ref for b in blocks] == [1, 2]
    assert sum(len(b.text) for b in blocks) <= 650 + 1
    assert blocks[0].text.startswith("A") and "C" not in blocks[0].text
    # The first line goes in whatever the budget.
    assert len(evidence_blocks(units, budget_chars=10)) == 1
