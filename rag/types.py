"""Domain types shared by every layer: articles, chunks, passages, citations, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """What the checks make of an answer as a whole."""

    VERIFIED = "verified"  # every sentence is stated by a passage
    UNVERIFIED = "unverified"  # at least one sentence is not found in the passages (shown, marked)
    ABSTAINED = "abstained"  # no answer: the question is off the articles' topic, or the model declined


class AbstainCode(StrEnum):
    """Why an answer abstained, as data (``Answer.abstain_code``)."""

    OFF_TOPIC = "off_topic"  # the gate: no passage is close to the question, the model is not asked
    DECLINED = "declined"  # the model said the passages do not answer
    UNVERIFIED = "unverified"  # answer.unverified = "abstain": an unverified answer is withdrawn


class Form(StrEnum):
    """The shape of a question, which decides how its answer is checked."""

    OPEN = "open"  # who, what, when...
    YES_NO = "yesno"
    CHOICE = "choice"  # a yes/no question offering alternatives: "en train ou en avion ?"

from rag.dates import day_range, parse_date
from rag.errors import InputError


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str = ""
    url: str = ""
    source_path: str = ""
    author: str = ""  # from the page's or document's metadata, when it names one
    site: str = ""  # a web page's site name
    pages: tuple[tuple[int, int], ...] = ()  # (offset in text, page number) where each page of a PDF starts


@dataclass(frozen=True)
class Chunk:
    id: str  # "<article_id>:<n>"
    article_id: str
    n: int
    text: str
    start: int  # character offsets into Article.text
    end: int
    title: str = ""
    date: str = ""
    url: str = ""
    article_hash: str = ""
    page: int | None = None  # the PDF page the chunk starts on

    def metadata(self) -> dict:
        start, end = day_range(self.date)
        page = {} if self.page is None else {"page": self.page}  # Chroma stores no None
        return page | {
            "article_id": self.article_id,
            "n": self.n,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "date": self.date,
            "date_start": start,  # the days the date covers, YYYYMMDD (0: no date): what date filters compare
            "date_end": end,
            "url": self.url,
            "article_hash": self.article_hash,
        }

    @classmethod
    def from_store(cls, chunk_id: str, text: str, meta: dict) -> "Chunk":
        return cls(
            id=chunk_id,
            article_id=str(meta.get("article_id", chunk_id.rsplit(":", 1)[0])),
            n=int(meta.get("n", 0)),
            text=text,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            title=str(meta.get("title", "")),
            date=str(meta.get("date", "")),
            url=str(meta.get("url", "")),
            article_hash=str(meta.get("article_hash", "")),
            page=int(meta["page"]) if meta.get("page") is not None else None,
        )


@dataclass(frozen=True)
class Filters:
    """What retrieval may return: passages of these articles only, of articles dated within [since, until].

    Dates are ISO days; a date filter leaves out undated articles (see ``rag.dates``). Build it from user text with
    :meth:`parse`, which refuses a bad value with one line.
    """

    articles: tuple[str, ...] = ()
    since: str = ""  # 'YYYY-MM-DD'
    until: str = ""

    @classmethod
    def parse(cls, articles=None, since: str | None = "", until: str | None = "") -> "Filters | None":
        """From CLI or API values ('2023-09' means from its first day / to its last); None when nothing is asked."""
        ids = tuple(dict.fromkeys(a.strip() for a in (articles or []) if a and a.strip()))
        low, high = _bound(since, "since", 0), _bound(until, "until", 1)
        if low and high and low > high:
            raise InputError(f"--since {since} is after --until {until}: give the earlier date as --since")
        return cls(ids, low, high) if ids or low or high else None

    def days(self) -> tuple[int, int]:
        low = int(self.since.replace("-", "")) if self.since else 0
        high = int(self.until.replace("-", "")) if self.until else 99991231
        return low, high

    def where(self) -> dict | None:
        """The same filter as a Chroma ``where`` clause."""
        clauses: list[dict] = []
        if self.articles:
            clauses.append({"article_id": {"$in": list(self.articles)}})
        if self.since or self.until:
            low, high = self.days()
            clauses += [{"date_end": {"$gte": max(low, 1)}}, {"date_start": {"$lte": high}}]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else None

    def to_dict(self) -> dict:
        return {"articles": list(self.articles), "since": self.since, "until": self.until}


def _bound(text: str | None, name: str, end: int) -> str:
    """An ISO day from user text: a month or a year stands for its first (since) or last (until) day."""
    text = (text or "").strip()
    if not text:
        return ""
    parsed = parse_date(text)
    if parsed is None:
        raise InputError(f"--{name} {text[:40]!r} is not a date: write YYYY-MM-DD (or YYYY-MM, YYYY)")
    day = day_range(parsed)[end]
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def join_chunks(chunks: list[Chunk]) -> str:
    """The article text rebuilt from its overlapping chunks (their offsets say where each starts)."""
    text, covered = "", 0
    for chunk in sorted(chunks, key=lambda c: c.n):
        if text and chunk.end <= covered:
            continue
        if text and chunk.start < covered:
            text += chunk.text[covered - chunk.start :]
        elif text:  # the gap is white space the chunker trimmed: a space or a paragraph break
            text += (" " if chunk.start - covered <= 1 else "\n\n") + chunk.text
        else:
            text = chunk.text
        covered = max(covered, chunk.end)
    return text


@dataclass
class Passage:
    """A retrieved chunk with its score and rank, as shown to the LLM and the user."""

    chunk: Chunk
    score: float
    rank: int = 0
    also_in: list[str] = field(default_factory=list)  # chunk ids of collapsed near-duplicates
    dense_score: float = 0.0  # cosine(question, passage): the abstention gate reads it

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "source": self.chunk.article_id,
            "title": self.chunk.title,
            "date": self.chunk.date,
            "text": self.chunk.text,
            "score": round(float(self.score), 4),
            "chunk_id": self.chunk.id,
            "also_in": list(self.also_in),
            "page": self.chunk.page,
        }


@dataclass(frozen=True)
class Span:
    """The passage sentence(s) that state a cited claim: character offsets into the chunk text."""

    start: int
    end: int
    text: str

    def to_dict(self, chunk: Chunk) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end,
                "article_start": chunk.start + self.start, "article_end": chunk.start + self.end}


@dataclass
class Citation:
    n: int  # the number the answer cites, i.e. the passage's position in the prompt
    passage: Passage
    sentences: list[str] = field(default_factory=list)  # answer sentences that cite it
    support: list[Span] = field(default_factory=list)  # where the passage states them

    def to_dict(self) -> dict:
        c = self.passage.chunk
        return {
            "n": self.n,
            "source": c.article_id,
            "title": c.title,
            "date": c.date,
            "text": c.text,
            "score": round(float(self.passage.score), 4),
            "chunk_id": c.id,
            "sentences": list(self.sentences),
            "support": [s.to_dict(c) for s in self.support],
            "page": c.page,
        }


@dataclass
class Claim:
    """One sentence of what the model wrote, and what the checks made of it."""

    text: str  # without its [n] markers
    cited: list[int]  # the passage numbers the model gave it
    passage: int | None = None  # the passage that states it (after re-attribution), if any
    span: Span | None = None
    kept: bool = True  # shown in the answer (every sentence the model wrote is)
    supported: bool = False  # a passage states it (``passage``, ``span``); else shown as not found in the passages
    note: str = ""  # why it is not supported, or what was fixed ("cited [4], stated in [1]")
    adds: int = 0  # content words it adds to the question (0: it only restates the question)
    quoted: bool = False  # a passage sentence the checks added (a yes/no's deciding sentence), not the model's words

    def to_dict(self) -> dict:
        return {"text": self.text, "cited": list(self.cited), "passage": self.passage, "kept": self.kept,
                "supported": self.supported, "note": self.note}


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]
    passages: list[Passage]
    abstained: bool
    language: str
    timings: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    retrieval_query: str = ""  # what was searched: the question, with the previous turn for a follow-up, then the corpus words added (rag.retrieve.expansion)
    follows: str = ""  # for a follow-up, the previous question (what its pronouns point to)
    abstain_reason: str = ""  # in plain words, for the user
    abstain_code: str = ""  # the same as data: off_topic, declined, unsupported, off_question, ...
    form: str = "answer"  # answer | yes_no | each_article | abstained
    verdict: Verdict = Verdict.UNVERIFIED
    claims: list[Claim] = field(default_factory=list)  # every sentence the model wrote, supported or not
    model_text: str = ""  # what the LLM wrote, before the checks (kept for inspection)
    parts: list[str] = field(default_factory=list)  # with answer.split_questions: the two questions the model was asked instead
    first_try: str = ""  # always empty since the second try was retired; kept in the JSON for old readers
    warnings: list[str] = field(default_factory=list)  # what was changed to answer at all (a cut question, left-out passages)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens: list[tuple[str, float]] = field(default_factory=list)  # what the LLM wrote, token by token, with each one's log-probability
    confidence: float | None = None  # how sure the LLM was of the words it added to the question (rag.checks.confidence)

    @property
    def not_found(self) -> list[Claim]:
        """The sentences of the answer that no passage states (shown, marked)."""
        return [c for c in self.claims if c.kept and not c.supported]

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "verdict": str(self.verdict),
            "language": self.language,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
            "model": dict(self.model),
            "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens},
            "retrieval_query": self.retrieval_query,
            "standalone_question": self.retrieval_query,  # deprecated alias of retrieval_query, kept for old readers
            "abstain_reason": self.abstain_reason,
            "abstain_code": self.abstain_code,
            "form": self.form,
            "claims": [c.to_dict() for c in self.claims],
            "model_text": self.model_text,
            "first_try": self.first_try,
            "question_parts": list(self.parts),
            "confidence": self.confidence,
            "warnings": list(self.warnings),
        }

