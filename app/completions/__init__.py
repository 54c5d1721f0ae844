"""The OpenAI-compatible Chat Completions protocol: its schemas and the pure steps between it
and an answer (model names, the conversation, citations as text, links and annotations)."""
