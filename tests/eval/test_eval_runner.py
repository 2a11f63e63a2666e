import json
from types import SimpleNamespace

import pytest

from rag.errors import InputError
from rag.eval.dataset import load_dataset
from rag.eval.report import changes
from ui.cli import build_parser

A0, A4 = "000_31a72e92112284c7", "004_e36b65c31de3faa9"

QUESTIONS = [
    {"id": "t1", "question": "Où se trouve le cosmodrome de Vostotchny ?", "language": "fr", "answerable": True,
     "gold_sources": [A0], "reference_answer": "En Extrême-Orient.", "must_include": [["Vostotchny"]], "kind": "factoid"},
    {"id": "t2", "question": "Who will Putin receive in Sochi?", "language": "en", "answerable": True,
     "gold_sources": ["no_such_article"], "reference_answer": "Lukashenko.", "must_include": [["Loukachenko", "Lukashenko"]], "kind": "factoid"},
    {"id": "t3", "question": "Serait-ce sa première visite dans ce pays ?", "language": "fr", "answerable": True,
     "gold_sources": [A4], "reference_answer": "Non.", "must_include": [["2000"]], "kind": "followup",
     "history": [{"role": "user", "content": "Poutine a-t-il accepté de se rendre en Corée du Nord ?"}, {"role": "assistant", "content": "Oui."}]},
    {"id": "t4", "question": "Comment s'appelle le conducteur du train blindé ?", "language": "fr", "answerable": False,
     "gold_sources": [], "reference_answer": "", "must_include": [], "kind": "unanswerable"},
]


@pytest.fixture
def env(fake_env, tmp_path):
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return tmp_path, dataset


def rag_eval(*argv: str, config: str | None = None) -> int:
    """`rag [--config C] eval ARGV`, with library errors raised instead of printed."""
    args = build_parser().parse_args(["--config", config, "eval", *argv] if config else ["eval", *argv])
    return args.func(args)


def test_full_run_writes_a_well_formed_report(env):
    tmp, dataset = env
    out = tmp / "out"
    assert rag_eval("--dataset", str(dataset), "--preset", "hybrid", "--preset", "naive", "--out", str(out), "-q") == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {"created", "dataset", "corpus", "questions", "mode", "configs"} <= set(report)
    hybrid, naive = report["configs"]
    assert (hybrid["name"], naive["name"], naive["naive"]) == ("hybrid", "naive", True)
    assert "ui" not in hybrid["settings"] and "api_key" not in hybrid["settings"]["llm"]  # no secrets in reports
    for config in (hybrid, naive):
        assert config["summary"]["errors"] == 0 and config["summary"]["questions"] == 4
        assert {"hit@1", "hit@5", "mrr", "ndcg@5", "right_shown", "verified_precision", "cit_recall_lex", "total_p50", "tokens_per_s"} <= set(config["summary"])
        row = config["rows"][0]
        assert {"id", "kind", "answer", "abstained", "citations", "retrieved", "metrics", "timings"} <= set(row)
    assert hybrid["summary"]["hit@5"] == pytest.approx(2 / 3)  # t2's gold article is not in the corpus
    assert any("no_such_article" in n for n in hybrid["notes"])
    # the summary counts what the rows say; every abstention carries its reason as a code
    assert all(bool(r["abstain_code"]) == r["abstained"] for r in hybrid["rows"])
    answerable = [r for r in hybrid["rows"] if r["answerable"]]
    assert hybrid["summary"]["false_abstention"] == pytest.approx(sum(r["abstained"] for r in answerable) / len(answerable))
    assert hybrid["summary"]["abstain_recall"] == float(hybrid["rows"][3]["abstained"])
    assert hybrid["rows"][0]["citations"] and hybrid["summary"]["cit_recall_lex"] > 0.5
    assert naive["summary"]["abstain_precision"] is None and naive["summary"]["cit_recall_lex"] is None  # it cites nothing
    assert all(len(r["retrieved"]) == 2 for r in naive["rows"])  # llama-index's default top-k
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| config | hit@1 | hit@3 | hit@5 | MRR@5 | nDCG@5 |" in md and "| naive |" in md
    assert "## Failures: hybrid" in md and "**t2**" in md
    for png in ("metrics.png", "latency.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_retrieval_only_and_hit5_floor(env, capsys):
    tmp, dataset = env
    args = ("--dataset", str(dataset), "--preset", "dense", "--preset", "naive", "--retrieval-only", "-q")
    assert rag_eval(*args, "--out", str(tmp / "a"), "--min-hit5", "0.7") == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: hit@5 of dense is 0.667, below the floor 0.700"
    assert rag_eval(*args, "--out", str(tmp / "b"), "--min-hit5", "0.5") == 0
    report = json.loads((tmp / "b" / "report.json").read_text(encoding="utf-8"))
    assert report["mode"] == "retrieval-only"
    dense = report["configs"][0]
    assert dense["settings"]["retrieval"]["mode"] == "dense" and dense["settings"]["store"]["collection"] == "eval"
    assert "answer" not in dense["rows"][0] and "must_include" not in dense["summary"]
    assert "## Answers" not in (tmp / "b" / "report.md").read_text(encoding="utf-8")


def test_bad_dataset_line_is_one_clear_error(env):
    tmp, dataset = env
    bad = tmp / "bad.jsonl"
    bad.write_text(dataset.read_text(encoding="utf-8") + '{"id": "t9", "question": "?"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:5: 'language' must be one of"):
        rag_eval("--dataset", str(bad), "--retrieval-only")
    with pytest.raises(InputError, match="unknown preset 'bm42'"):
        rag_eval("--dataset", str(dataset), "--preset", "bm42", "--retrieval-only")


def test_generate_drafts_reviewable_questions(env, monkeypatch):
    tmp, _ = env
    monkeypatch.setenv("RAG_LLM__FAKE_SCRIPT", json.dumps(["Q: Où Kim a-t-il rencontré Poutine ?\nA: À Vostotchny.", "pas de question"]))
    out = tmp / "draft.jsonl"
    assert rag_eval("generate", "--n", "4", "--out", str(out), "-q") == 0
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# DRAFT") and "Review every line" in first
    items = load_dataset(out)
    assert len(items) == 2  # the script alternates a good reply and one that is skipped
    assert all(i.synthetic and i.answerable and len(i.gold_sources) == 1 for i in items)
    assert items[0].question == "Où Kim a-t-il rencontré Poutine ?" and items[0].reference_answer == "À Vostotchny."


def test_report_breaks_each_split_down_by_kind_and_language(env):
    tmp, dataset = env
    rows = [json.loads(line) for line in dataset.read_text(encoding="utf-8").splitlines()]
    rows[0]["split"], rows[1]["split"], rows[2]["split"], rows[3]["split"] = "test", "tune", "tune", "test"
    dataset.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp / "out"
    assert rag_eval("--dataset", str(dataset), "--preset", "hybrid", "--out", str(out), "-q") == 0
    groups = json.loads((out / "report.json").read_text(encoding="utf-8"))["configs"][0]["groups"]
    assert set(groups["kind (test)"]) == {"factoid", "unanswerable"} and set(groups["kind (tune)"]) == {"factoid", "followup"}
    assert groups["language (tune)"]["en"]["questions"] == 1 and groups["kind (test)"]["factoid"]["questions"] == 1
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| kind (test): unanswerable | 1 |" in md


def test_replay_rechecks_stored_answers_under_other_settings(env):
    tmp, dataset = env
    assert rag_eval("--dataset", str(dataset), "--preset", "hybrid", "--out", str(tmp / "full"), "-q") == 0
    report_path = tmp / "full" / "report.json"
    stored = json.loads(report_path.read_text(encoding="utf-8"))["configs"][0]["rows"]
    assert not stored[0]["abstained"]  # the scripted model quotes passage [1]: kept

    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--out", str(tmp / "same"), "-q") == 0
    same = json.loads((tmp / "same" / "report.json").read_text(encoding="utf-8"))["configs"][0]
    assert same["name"] == "hybrid (replayed)"
    assert [r["answer"] for r in same["rows"]] == [r["answer"] for r in stored]

    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--set", "answer.min_claim_coverage=1.01",
                    "--out", str(tmp / "strict"), "-q") == 0
    strict = json.loads((tmp / "strict" / "report.json").read_text(encoding="utf-8"))["configs"][0]
    assert not strict["rows"][0]["abstained"] and strict["rows"][0]["verdict"] == "unverified"  # shown, marked

    # a sweep's report lists the questions each value changes
    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--sweep", "answer.min_claim_coverage=0.6,1.01",
                    "--out", str(tmp / "sweep"), "-q") == 0
    md = (tmp / "sweep" / "report.md").read_text(encoding="utf-8")
    section = md.split("## Questions that change from hybrid (replayed) min_claim_coverage=0.6 to hybrid (replayed) "
                       "min_claim_coverage=1.01\n", 1)[1].split("\n## ", 1)[0]
    assert "- **t1** (factoid, fr) right (verified) → right (unverified): Où se trouve" in section
    first = json.loads((tmp / "sweep" / "report.json").read_text(encoding="utf-8"))["configs"][0]
    same_config = SimpleNamespace(name="x", rows=first["rows"])
    assert changes(same_config, same_config) == ["- none"]  # nothing listed when no outcome changes

    # the tokens' log-probabilities are stored and replayed: a hesitant model's answer is unverified
    report = json.loads(report_path.read_text(encoding="utf-8"))
    hesitant = report["configs"][0]["rows"][0]
    hesitant["tokens"] = [[f" {w}", -3.0] for w in hesitant["model_text"].split()]
    report_path.write_text(json.dumps(report), encoding="utf-8")
    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--out", str(tmp / "unsure"), "-q") == 0
    unsure = json.loads((tmp / "unsure" / "report.json").read_text(encoding="utf-8"))["configs"][0]["rows"]
    assert unsure[0]["verdict"] == "unverified" and unsure[0]["confidence"] == -3.0
    assert unsure[0]["tokens"] == hesitant["tokens"]

    # the cross-validated rule table runs on the stored answers
    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--rules", "--folds", "2", "--out",
                    str(tmp / "rules"), "-q") == 0
    table = (tmp / "rules" / "rules.md").read_text(encoding="utf-8")
    assert "| roles |" in table and "| off_question |" in table and "verdict_accuracy" in table

    # a stored first try (older reports) is what is checked again; a question the run's gate stopped stays stopped
    # although its rounded cosine is now at the threshold; an empty text is declining
    report = json.loads(report_path.read_text(encoding="utf-8"))
    report["configs"][0]["rows"][0]["first_try"] = "Je ne sais pas."
    gated, empty = report["configs"][0]["rows"][1], report["configs"][0]["rows"][2]
    gated.update(model_text="", abstained=True, abstain_code="off_topic", abstain_reason="no passage is close (best cosine 0.80)",
                 dense=[report["configs"][0]["settings"]["retrieval"]["min_dense_score"]] * len(gated["passages"]))
    empty.update(model_text="", first_try=None)
    report_path.write_text(json.dumps(report), encoding="utf-8")
    assert rag_eval("--dataset", str(dataset), "--replay", str(report_path), "--out", str(tmp / "first"), "-q") == 0
    first = json.loads((tmp / "first" / "report.json").read_text(encoding="utf-8"))["configs"][0]
    assert first["rows"][0]["abstained"] and first["rows"][0]["abstain_code"] == "declined"
    assert first["rows"][1]["abstained"] and first["rows"][1]["abstain_code"] == "off_topic"
    assert first["rows"][2]["abstained"] and first["rows"][2]["abstain_code"] == "declined"


def test_the_answer_metrics_count_right_answers_shown_lost_and_verified():
    from rag.eval.dataset import EvalItem
    from rag.eval.runner import Outcome, answer_metrics

    asked = EvalItem("c1", "Où se trouve le cosmodrome ?", "fr", True, [A0], "", [["Extrême-Orient"]], "factoid")
    unanswerable = EvalItem("c2", "Qui conduit le train ?", "fr", False, [], "", [], "unanswerable")

    def metrics(item, text, model_text, abstained=False, verdict="verified"):
        out = Outcome(ranking=[A0], chunk_ids=[f"{A0}:0"], timings={}, text=text, abstained=abstained, model_text=model_text,
                      verdict=verdict if abstained is not None else "")
        return answer_metrics(item, out, None)

    right = metrics(asked, "Dans l'Extrême-Orient russe [1].", "Dans l'Extrême-Orient russe [1].")
    assert (right["right_shown"], right["right_lost"], right["verified_precision"], right["right_verified"]) == (1.0, 0.0, 1.0, 1.0)
    lost = metrics(asked, "Les articles…", "Dans l'Extrême-Orient russe [1].", abstained=True, verdict="abstained")
    assert (lost["right_shown"], lost["right_lost"], lost["verified"]) == (0.0, 1.0, None)
    wrong = metrics(asked, "À Moscou [1].", "À Moscou [1].")
    assert (wrong["wrong_verified"], wrong["verified_precision"], wrong["right_lost"]) == (1.0, 0.0, None)
    marked = metrics(unanswerable, "Kim [1].", "Kim [1].", verdict="unverified")
    assert (marked["unanswerable_handled"], marked["wrong_verified"], marked["precision"]) == (1.0, 0.0, 0.0)
    naive = metrics(asked, "Dans l'Extrême-Orient.", "", abstained=None)
    assert naive["right_shown"] == 1.0 and naive["verified"] is None and naive["unanswerable_handled"] is None


def test_a_text_that_echoes_an_either_or_question_is_not_a_right_answer():
    """u018: the model wrote the question back with a marker; both options were in it, the must-include one too."""
    from rag.eval.dataset import EvalItem
    from rag.eval.runner import right_answer

    question = "La photo a-t-elle été fournie par le gouvernement nord-coréen ou par une agence russe ?"
    item = EvalItem("u018", question, "fr", True, [A0], "", [["gouvernement nord-coréen", "KCNA"]], "either_or")
    assert not right_answer(item, "La photo a-t-elle été fournie par le gouvernement nord-coréen ou par une agence russe ? [1]", False)
    assert not right_answer(item, "La photo a-t-elle ete fournie par le gouvernement nord-coreen, ou par une agence russe", False)
    assert right_answer(item, "Par le gouvernement nord-coréen [1].", False)
    assert right_answer(item, f"{question} Par le gouvernement nord-coréen (KCNA) [1].", False)
