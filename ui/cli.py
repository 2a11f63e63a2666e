"""The `rag` command: a thin shell over the library. Errors become one line and an exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def _questions(args) -> list[str]:
    if args.questions_file:
        path = Path(args.questions_file)
        if not path.is_file():
            from rag.errors import InputError

            raise InputError(f"questions file not found: {path} (one question per line)")
        return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not args.question:
        from rag.errors import InputError

        raise InputError("no question given: rag ask \"your question\" (or --questions-file FILE)")
    return [args.question]


def _services(args):
    from rag import build_services, load_settings

    return build_services(load_settings(args.config))


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def cmd_ingest(args) -> int:
    from rag import ingest

    services = _services(args)
    if not args.rebuild:
        services.store.check_readable(services.settings.store.collection)
    report = ingest(services, args.paths, rebuild=args.rebuild, progress=not args.quiet)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
        for where, reason in report.skipped:
            print(f"  skipped {where}: {reason}")
    return 2 if report.skipped else 0


def cmd_remove(args) -> int:
    from rag import remove
    from rag.errors import InputError

    services = _services(args)
    removed = remove(services, args.article_id)
    if not removed:
        raise InputError(f"no article {args.article_id!r} in the store (see: rag info --articles)")
    print(f"removed {args.article_id} ({removed} chunks)")
    return 0


def cmd_search(args) -> int:
    from rag import ensure_corpus, search

    services = _services(args)
    ensure_corpus(services, progress=not args.json)
    for question in _questions(args):
        passages = search(services, question, k=args.k)
        if args.json:
            _print_json({"question": question, "passages": [p.to_dict() for p in passages]})
        else:
            print(f"\n{question}")
            for p in passages:
                print(f"  {p.rank}. [{p.chunk.article_id}] {p.score:.4f}  {' '.join(p.chunk.text.split())[:160]}")
    return 0


def _print_sources(answer) -> None:
    if answer.abstained:
        print(f"\n(abstained: {answer.abstain_reason})")
    for c in answer.citations:
        print(f"  [{c.n}] {c.passage.chunk.article_id} — {c.passage.chunk.title[:80]} ({c.passage.chunk.date or 'no date'})")
    t = answer.timings
    print(f"  first token {t.get('first_token_s')}s, total {t.get('total_s')}s")


def cmd_ask(args) -> int:
    from rag import ensure_corpus, stream_answer

    services = _services(args)
    ensure_corpus(services, progress=not args.json)
    for question in _questions(args):
        final = None
        if not args.json:
            print(f"\n{question}\n")
        for event in stream_answer(services, question, k=args.k):
            if event.kind == "token" and not args.json:
                print(event.token, end="", flush=True)
            elif event.kind == "answer":
                final = event.answer
        if args.json:
            _print_json(final.to_dict())
        else:
            if final.abstained:
                print(f"\n{final.text}")
            print()
            _print_sources(final)
    return 0


def cmd_info(args) -> int:
    services = _services(args)
    s = services.settings
    store = services.store
    info = {
        "data_dir": str(s.data_dir),
        "store": s.store.url or str(s.store_path),
        "collection": store.name,
        "articles": len(store.articles()),
        "chunks": store.count(),
        "embedder": services.embedder.name,
        "embedder_signature": services.embedder.signature,
        "chunking": store.chunk_signature,
        "llm": f"{s.llm.backend}: {s.llm.model if s.llm.backend == 'llama-cpp' else s.llm.base_url if s.llm.backend == 'openai-like' else 'scripted'}",
        "retrieval": s.retrieval.model_dump(),
    }
    if args.articles:
        info["article_list"] = store.articles()
    if args.json:
        _print_json(info)
    else:
        for key, value in info.items():
            print(f"{key:>20}: {value}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    return serve(args.config, host=args.host, port=args.port)


def cmd_eval(args) -> int:
    from rag.eval.cli import run_eval_command

    return run_eval_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers over your news articles, offline.")
    parser.add_argument("--config", help="TOML settings file (also RAG_CONFIG); RAG_* env vars override it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add or update articles (.txt .md .html .jsonl files or folders)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--rebuild", action="store_true", help="drop this embedder's collection first and rebuild it")
    p.add_argument("--json", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("remove", help="delete one article (by id = file stem) from the store")
    p.add_argument("article_id")
    p.set_defaults(func=cmd_remove)

    for name, func, helptext in (("search", cmd_search, "show the passages retrieved for a question"),
                                 ("ask", cmd_ask, "answer a question with citations")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("question", nargs="?")
        p.add_argument("--questions-file", help="one question per line; prints one JSON object per line")
        p.add_argument("--json", action="store_true")
        p.add_argument("-k", type=int, default=None, help="number of passages")
        p.set_defaults(func=func)

    p = sub.add_parser("info", help="show the store and the models in use")
    p.add_argument("--articles", action="store_true", help="list the stored articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("serve", help="start the chat UI")
    p.add_argument("--host", default=None, help="interface (default 127.0.0.1; 0.0.0.0 exposes it)")
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="evaluate retrieval, answers, citations, abstention and speed")
    p.add_argument("eval_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_eval)
    return parser


def _protect_eval_args(argv: list[str]) -> list[str]:
    """`rag eval --retrieval-only ...`: argparse's REMAINDER would drop leading options, so fence them."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--config" else 1
    if argv[i : i + 1] == ["eval"] and argv[i + 1 : i + 2] != ["--"]:
        return argv[: i + 1] + ["--"] + argv[i + 1 :]
    return argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_protect_eval_args(argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from rag.errors import RagError

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
