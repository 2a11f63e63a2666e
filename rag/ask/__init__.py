"""Asking: the prompt, the conversation, the shape of a question."""
