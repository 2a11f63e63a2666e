"""`python -m rag.eval ARGS` is `rag eval ARGS` (settings file: RAG_CONFIG)."""

import argparse
import logging
import sys

from rag.errors import RagError
from rag.eval.cli import run_eval_command


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = argparse.Namespace(config=None, eval_args=list(sys.argv[1:] if argv is None else argv))
    try:
        return run_eval_command(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
