"""Output writers for decoded records: readable lines and JSONL."""
