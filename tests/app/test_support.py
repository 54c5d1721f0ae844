"""Sentence support on hand-made term sets and unit vectors: no model needed."""

from __future__ import annotations

import numpy as np

from app.answer.support import (
    PassageEvidence,
    SupportedAnswer,
    SupportThresholds,
    strip_markers,
    supporting_refs,
    verify_support,
)

THRESHOLDS = SupportThresholds(min_term_share=0.6, min_similarity=0.88)
E1, E2, E3, E4 = np.eye(4, dtype=np.float32)
EVIDENCE = {
    1: PassageEvidence(frozenset({"sverig", "eu", "samarbet"}), np.stack([E1])),
    2: PassageEvidence(frozenset({"nato", "medlem", "försvar"}), np.stack([E2])),
    3: PassageEvidence(
        frozenset({"usa", "dialog", "cyber"}), np.stack([E3, (E1 + E2) / np.sqrt(2)])
    ),
}


def _verify(*sentences: tuple[str, set[str], np.ndarray]) -> SupportedAnswer:
    return verify_support(
        [text for text, _, _ in sentences],
        [terms for _, terms, _ in sentences],
        np.stack([vector for _, _, vector in sentences]),
        EVIDENCE,
        THRESHOLDS,
    )


def test_sentence_citing_the_right_passage_keeps_its_marker() -> None:
    result = _verify(("Sverige samarbetar i EU [1].", {"sverig", "eu", "samarbet"}, E4))
    assert result == SupportedAnswer("Sverige samarbetar i EU [1].", (1,), (), 0)


def test_missing_marker_is_added_before_final_punctuation() -> None:
    result = _verify(("Sverige är medlem i Nato.", {"nato", "medlem"}, E4))
    assert result.text == "Sverige är medlem i Nato [2]."
    assert result.attributed == 1
    assert result.cited_refs == (2,)


def test_missing_marker_without_punctuation_goes_at_the_end() -> None:
    result = _verify(("- medlem i Nato", {"nato", "medlem"}, E4))
    assert result.text == "- medlem i Nato [2]"


def test_wrong_marker_moves_to_the_supporting_passage() -> None:
    result = _verify(("Dialogen med USA gäller cyber [1].", {"usa", "dialog", "cyber"}, E4))
    assert result.text == "Dialogen med USA gäller cyber [3]."
    assert result.attributed == 1
    assert result.unsupported_sentences == ()


def test_unsupported_sentence_is_listed_and_loses_its_marker() -> None:
    result = _verify(
        ("Sverige skickar en sond till Mars [2].", {"sond", "mars", "sverig"}, E4),
        ("Nato har en rymdstyrka.", {"nato", "rymdstyrk", "rymd"}, E4),
    )
    assert result.unsupported_sentences == (
        "Sverige skickar en sond till Mars.",
        "Nato har en rymdstyrka.",
    )
    assert result.text == "Sverige skickar en sond till Mars. Nato har en rymdstyrka."
    assert result.cited_refs == ()
    assert result.attributed == 0


def test_dense_similarity_supports_a_translation() -> None:
    close = np.array([0.0, 0.0, 0.95, np.sqrt(1 - 0.95**2)], dtype=np.float32)
    english = "The dialogue with the United States covers cyber."
    result = _verify((english, {"unit", "stat", "cover"}, close))
    assert result.text == "The dialogue with the United States covers cyber [3]."
    assert result.unsupported_sentences == ()
    assert result.attributed == 1


def test_dense_similarity_below_threshold_does_not_support() -> None:
    far = np.array([0.8, 0.0, 0.0, 0.6], dtype=np.float32)
    result = _verify(("Sweden talks with partners.", {"talk", "partn"}, far))
    assert result.unsupported_sentences == ("Sweden talks with partners.",)


def test_dense_support_keeps_a_cited_passage_it_matches() -> None:
    result = _verify(("The United States and Sweden hold talks [3].", {"unit", "talk"}, E3))
    assert result.text == "The United States and Sweden hold talks [3]."
    assert result.attributed == 0


def test_supporting_markers_are_kept_and_a_wrong_one_dropped() -> None:
    terms = {"sverig", "eu", "samarbet", "nato", "medlem", "försvar", "usa", "dialog"}
    evidence = {
        1: PassageEvidence(frozenset(terms - {"dialog"}), np.stack([E1])),
        2: PassageEvidence(frozenset(terms - {"usa"}), np.stack([E2])),
        3: EVIDENCE[3],  # shares 2 of 8 terms
    }
    result = verify_support(
        ["Sverige samarbetar om försvar [3][2][1]."], [terms], np.stack([E4]), evidence, THRESHOLDS
    )
    assert result.text == "Sverige samarbetar om försvar [2][1]."
    assert result.cited_refs == (2, 1)
    assert result.attributed == 0


def test_lead_in_ending_with_colon_is_left_alone() -> None:
    result = _verify(
        ("Strategin nämner samarbete i EU:", {"sverig", "eu", "samarbet"}, E1),
        ("- medlem i Nato", {"nato", "medlem"}, E4),
    )
    assert result.text == "Strategin nämner samarbete i EU: - medlem i Nato [2]"
    assert result.unsupported_sentences == ()
    assert result.attributed == 1


def test_sentence_without_terms_is_left_alone() -> None:
    result = _verify(("Ja.", set(), E4))
    assert result == SupportedAnswer("Ja.", (), (), 0)


def test_cited_refs_follow_the_text() -> None:
    result = _verify(
        ("Dialogen med USA gäller cyber [3].", {"usa", "dialog", "cyber"}, E4),
        ("Sverige samarbetar i EU.", {"sverig", "eu", "samarbet"}, E4),
        ("Dialogen fortsätter [3].", {"dialog", "cyber"}, E4),
        ("Sverige är medlem i Nato.", {"nato", "medlem"}, E4),
    )
    assert result.cited_refs == (3, 1, 2)
    assert result.attributed == 2


def test_supporting_refs_are_best_first() -> None:
    evidence = {
        1: PassageEvidence(frozenset({"a", "b", "c"}), np.zeros((0, 4), dtype=np.float32)),
        2: PassageEvidence(frozenset({"a", "b", "c", "d"}), np.stack([E2])),
        3: PassageEvidence(frozenset({"x"}), np.stack([E3])),
    }
    assert supporting_refs({"a", "b", "c", "d"}, E4, evidence, THRESHOLDS) == [2, 1]
    assert supporting_refs({"a", "b", "x", "y", "z"}, E4, evidence, THRESHOLDS) == []


def test_term_share_at_the_threshold_supports() -> None:
    evidence = {1: PassageEvidence(frozenset({"a", "b", "c"}), np.stack([E1]))}
    assert supporting_refs({"a", "b", "c", "d", "e"}, E4, evidence, THRESHOLDS) == [1]
    assert supporting_refs({"a", "b", "d", "e", "f"}, E4, evidence, THRESHOLDS) == []


def test_strip_markers() -> None:
    assert strip_markers("EU nämns [1][2] . Också [3]") == "EU nämns. Också"
