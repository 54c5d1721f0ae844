"""Reader feedback on answers: validation, durable SQLite storage and export."""
