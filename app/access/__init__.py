"""Who is calling: API keys for machine clients, a trusted proxy's user header for staff."""
