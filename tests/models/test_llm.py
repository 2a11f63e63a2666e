"""The llama.cpp backend's options for llama_cpp.Llama come from the settings."""

import pytest

from rag.models.llm import engine_options
from rag.settings import LLMSettings


@pytest.mark.parametrize("flash", [False, True])
def test_flash_attention_setting_reaches_llama_cpp(flash):
    kwargs = engine_options(LLMSettings(flash_attn=flash, n_threads=3))
    assert kwargs["flash_attn"] is flash
    assert kwargs["n_threads"] == kwargs["n_threads_batch"] == 3


def test_flash_attention_is_off_by_default():
    assert LLMSettings().flash_attn is False
