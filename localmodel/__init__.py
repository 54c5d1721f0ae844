"""The local LLM for offline use and tests: Qwen2.5-Coder-1.5B-Instruct (GGUF) on llama.cpp."""
