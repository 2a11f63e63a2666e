"""Checks: each sentence of an answer against the passages it was given, a verdict for every sentence and for
the whole answer (rag.checks.check). Checks annotate; they do not discard."""
