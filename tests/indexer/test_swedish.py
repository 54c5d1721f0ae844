from __future__ import annotations

from indexer.swedish import STOP_WORDS, Analyzer, CompoundSplitter, raw_tokens, stem

CORPUS_WORDS = [
    "Offentliga aktörer utsätts för cyberangrepp och angrepp mot telekom.",
    "EU:s ramverk för cybersäkerhetscertifiering och certifiering av produkter.",
    "Utbyggnaden av telekominfrastruktur och infrastruktur för cyber och säkerhet.",
]


def test_raw_tokens_lowercase_and_split_hyphenated_words() -> None:
    assert raw_tokens("FN-stadgan och EU:s Nato") == [
        "fnstadgan",
        "fn",
        "stadgan",
        "och",
        "eu",
        "s",
        "nato",
    ]


def test_stop_words_are_dropped_and_words_are_stemmed() -> None:
    terms = Analyzer().terms("Vad säger strategin om samarbetet med länderna?")
    assert "vad" not in terms and "om" not in terms
    assert stem("samarbetet") in terms and stem("länderna") in terms
    assert {"och", "att", "det"} <= STOP_WORDS


def test_compounds_split_into_known_words() -> None:
    splitter = CompoundSplitter.from_texts(CORPUS_WORDS)
    assert splitter.split("cyberangrepp") == ["cyber", "angrepp"]
    assert splitter.split("telekominfrastruktur") == ["telekom", "infrastruktur"]
    assert splitter.split("cybersäkerhetscertifiering") == ["cyber", "säkerhet", "certifiering"]


def test_short_or_unknown_words_are_not_split() -> None:
    splitter = CompoundSplitter.from_texts(CORPUS_WORDS)
    assert splitter.split("angrepp") == []
    assert splitter.split("regeringskansliet") == []


def test_question_part_matches_compound_in_text() -> None:
    analyzer = Analyzer(CompoundSplitter.from_texts(CORPUS_WORDS))
    text_terms = set(analyzer.terms("cybersäkerhetscertifiering och telekominfrastruktur"))
    for question_word in ("certifiering", "telekom", "angrepp"):
        question_terms = set(analyzer.terms(question_word))
        if question_word == "angrepp":
            text_terms |= set(analyzer.terms("cyberangrepp"))
        assert question_terms & text_terms, question_word


def test_without_splitter_compounds_do_not_match_their_parts() -> None:
    analyzer = Analyzer()
    assert not set(analyzer.terms("certifiering")) & set(
        analyzer.terms("cybersäkerhetscertifiering")
    )
