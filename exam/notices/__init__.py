"""E-mail notices to candidates, written to an outbox in the same transaction as the decision
they announce, and delivered later by ``flask notices send``."""
