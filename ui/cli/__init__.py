"""The `rag` command: `main` parses and dispatches (ui/cli/main.py); `rag eval` lives in ui/cli/evaluation.py."""

from ui.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
