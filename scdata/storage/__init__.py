"""Storage: where tokens, typed page copies and shared state live."""
