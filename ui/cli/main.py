"""The `rag` command: a thin shell over the library. Errors become one line and an exit code.

The library is imported inside each command on purpose: it loads llama-index, torch and Chroma, and
`rag --version` or `rag --help` should answer at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rag.errors import InputError, RagError
from ui.cli.output import print_answer, print_json, print_passages


def _services(args):
    from rag import build_services, load_settings

    return build_services(load_settings(args.config))


def _remote(args):
    """The `rag serve` running on this data folder (it holds the store: the command goes through it), or None."""
    from rag import load_settings
    from ui.cli.remote import connect

    remote = connect(load_settings(args.config))
    if remote is not None and not getattr(args, "json", False):
        print(f"(through the running {remote.where})", file=sys.stderr)
    return remote


def read_questions(path: Path) -> list[tuple[str, list[dict]]]:
    """One question per line: plain text, or a JSON object {"question": ..., "history": [...]}."""
    from rag.ask.conversation import checked_history
    if not path.is_file():
        raise InputError(f"questions file not found: {path} (one question per line, or JSON lines with 'question' and 'history')")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        if not line.lstrip().startswith("{"):
            out.append((line.strip(), []))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg}); write the question as plain text or as a JSON object") from None
        question = record.get("question") if isinstance(record, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise InputError(f"{where}: a JSON line needs a non-empty string 'question'")
        out.append((question.strip(), checked_history(record.get("history"), where)))
    return out


def _questions(args) -> list[tuple[str, list[dict]]]:

    if args.questions_file:
        return read_questions(Path(args.questions_file))
    if not args.question:
        raise InputError("no question given: rag ask \"your question\" (or --questions-file FILE)")
    return [(args.question, [])]


def cmd_ingest(args) -> int:
    from rag import ingest

    if (remote := _remote(args)) is not None:
        done = remote.ingest(args.paths, args.rebuild)
        report, summary = done["report"], done["summary"]
    else:
        services = _services(args)
        if not args.rebuild:
            services.store.check_readable(services.settings.store.collection)
        done = ingest(services, args.paths, rebuild=args.rebuild, progress=not (args.quiet or args.json))
        report, summary = done.to_dict(), done.summary()
    if args.json:
        print_json(report)
    else:
        print(summary)
        for note in report["notes"]:
            print(f"  note {note['path']}: {note['note']}")
        for skipped in report["skipped"]:
            print(f"  skipped {skipped['path']}: {skipped['reason']}")
    return 2 if report["skipped"] else 0


def remove_article(services, article_id: str) -> dict:
    """`rag remove`, also behind the server's remove endpoint: {removed, chunks}, or InputError for an unknown id."""
    from rag import remove

    removed = remove(services, article_id)
    if not removed:
        raise InputError(f"no article {article_id!r} in the store (see: rag info --articles)")
    return {"removed": article_id, "chunks": removed}


def cmd_remove(args) -> int:
    remote = _remote(args)
    done = remote.remove(args.article_id) if remote is not None else remove_article(_services(args), args.article_id)
    if args.json:
        print_json(done)
    else:
        print(f"removed {done['removed']} ({done['chunks']} chunks)")
    return 0


def _filters(args):
    """The --article/--since/--until filter, checked (a bad value is refused before any model loads)."""
    from rag.types import Filters

    return Filters.parse(args.article, args.since, args.until)


def cmd_search(args) -> int:
    from rag import ensure_corpus, search

    filters = _filters(args)
    if (remote := _remote(args)) is not None:
        for question, history in _questions(args):
            print_passages(remote.search(question, args.k, history, filters), args.json)
        return 0
    services = _services(args)
    ensure_corpus(services, progress=not args.json)
    for question, history in _questions(args):
        passages = search(services, question, k=args.k, history=history, filters=filters)
        print_passages({"question": question, "passages": [p.to_dict() for p in passages]}, args.json)
    return 0


def cmd_ask(args) -> int:
    from rag import ensure_corpus, stream_answer

    filters = _filters(args)
    if (remote := _remote(args)) is not None:
        for question, history in _questions(args):
            if not args.json:
                print(f"\n{question}\n")
            answer = remote.ask(question, args.k, history, filters)
            if not args.json:  # the server sends the answer whole: print its text as the stream would have
                print(answer["model_text"], end="")
            print_answer(answer, args.json)
        return 0
    services = _services(args)
    ensure_corpus(services, progress=not args.json)
    for question, history in _questions(args):
        final = None
        if not args.json:
            print(f"\n{question}\n")
        for event in stream_answer(services, question, history=history, k=args.k, filters=filters):
            if event.kind == "token" and not args.json:
                print(event.token, end="", flush=True)
            elif event.kind == "answer":
                final = event.answer
        print_answer(final.to_dict(), args.json)
    return 0


def cmd_info(args) -> int:
    from rag.services import describe

    remote = _remote(args)
    info = remote.info(args.articles) if remote is not None else describe(_services(args), args.articles)
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            print(f"{key:>20}: {value}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    return serve(args.config, host=args.host, port=args.port)


def cmd_eval(args) -> int:
    from ui.cli.evaluation import run_eval, run_generate

    return run_generate(args) if args.eval_command == "generate" else run_eval(args)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rag-news")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _question_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="?", help="the question (in quotes); or use --questions-file")
    p.add_argument("--questions-file", metavar="FILE",
                   help="one question per line, or JSON lines {\"question\": ..., \"history\": [{\"role\", \"content\"}, ...]}; "
                   "models load once")
    p.add_argument("--json", action="store_true", help="print one JSON object per question (the contract in the README)")
    p.add_argument("-k", type=int, default=None, metavar="N", help="passages to retrieve (default: settings retrieval.k)")
    p.add_argument("--article", action="append", metavar="ID", help="search only this article (repeatable; ids: rag info --articles)")
    p.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE")


def build_parser() -> argparse.ArgumentParser:
    from ui.cli.evaluation import add_eval_arguments, add_generate_arguments

    parser = argparse.ArgumentParser(prog="rag", description="Cited answers over your news articles, offline.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--config", metavar="TOML", help="TOML settings file (also RAG_CONFIG); RAG_* env vars override it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add or update articles (.txt .md .html .jsonl .pdf .docx files, folders, or http(s) links)")
    p.add_argument("paths", nargs="+", help="files, folders (read recursively) or http(s):// links")
    p.add_argument("--rebuild", action="store_true", help="drop this embedder's collection first and rebuild it")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("remove", help="delete one article from the store")
    p.add_argument("article_id", help="the article id (see: rag info --articles)")
    p.add_argument("--json", action="store_true", help="print {removed, chunks} as JSON")
    p.set_defaults(func=cmd_remove)

    _question_arguments(p := sub.add_parser("search", help="show the passages retrieved for a question (no LLM)"))
    p.set_defaults(func=cmd_search)
    _question_arguments(p := sub.add_parser("ask", help="answer a question with citations"))
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("info", help="show the store, the models and the settings in use")
    p.add_argument("--articles", action="store_true", help="list the stored articles")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("serve", help="start the chat UI")
    p.add_argument("--host", default=None, help="interface (default 127.0.0.1; 0.0.0.0 exposes it)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="evaluate retrieval, answers, citations, abstention and speed")
    add_eval_arguments(p)
    generate = p.add_subparsers(dest="eval_command", metavar="generate").add_parser(
        "generate", help="draft questions from a corpus with the local LLM (review them!)")
    add_generate_arguments(generate)
    p.set_defaults(func=cmd_eval, eval_command=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    try:
        return args.func(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; the store is consistent: re-run the command to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
