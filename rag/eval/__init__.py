"""Evaluation (`rag eval`): retrieval, answer, citation, abstention, language and speed metrics.

Modules: ``dataset`` (load and validate the JSONL set), ``metrics`` (pure metric functions),
``support`` (does a cited passage back a sentence), ``presets`` (configurations to compare),
``baseline`` (the naive llama-index baseline), ``runner`` (one row per question),
``summary``, ``report`` and ``plots`` (report.json, report.md, PNG charts), ``generate``
(draft questions with the local LLM) and ``cli`` (argument parsing).
"""
