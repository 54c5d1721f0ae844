"""The question-answering service."""
