"""Use cases: the only code that touches storage; each owns its transaction."""
