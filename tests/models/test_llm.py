"""The llama.cpp backend passes the settings' engine options to llama_cpp.Llama (a stand-in module: no model)."""

import sys
import types

import pytest

from rag.models.llm import LlamaCppLLM
from rag.settings import LLMSettings


@pytest.fixture
def fake_llama_cpp(tmp_path, monkeypatch):
    made: list[dict] = []

    class Llama:
        def __init__(self, model_path, **kwargs):
            made.append({"model_path": model_path, **kwargs})

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr("rag.models.files.resolve_gguf", lambda name, models_dir: model)
    return made


@pytest.mark.parametrize("flash", [False, True])
def test_flash_attention_setting_reaches_llama_cpp(fake_llama_cpp, tmp_path, flash):
    LlamaCppLLM(LLMSettings(flash_attn=flash, n_threads=3), tmp_path)
    (kwargs,) = fake_llama_cpp
    assert kwargs["flash_attn"] is flash
    assert kwargs["n_threads"] == kwargs["n_threads_batch"] == 3


def test_flash_attention_is_off_by_default():
    assert LLMSettings().flash_attn is False
