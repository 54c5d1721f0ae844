"""Answer composition: language, evidence strength, sentence selection, citations."""
