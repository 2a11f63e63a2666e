import hashlib

import pytest

from rag.errors import ModelError
from rag.models import files as model_files
from rag.models.files import GGUFPreset, check_gguf, ensure_preset, is_verified, resolve_gguf


def fake_preset(tmp_path, monkeypatch, content=b"GGUF" + b"x" * 100, sha=None):
    parts = [tmp_path / "p1.bin", tmp_path / "p2.bin"]
    parts[0].write_bytes(content[:50])
    parts[1].write_bytes(content[50:])
    preset = GGUFPreset("tiny", "tiny test model", "tiny_part", "0", 2, len(content), sha or hashlib.sha256(content).hexdigest())
    monkeypatch.setattr(model_files, "part_paths", lambda p: parts)
    return preset


def test_parts_are_joined_verified_and_marked(tmp_path, monkeypatch):
    preset = fake_preset(tmp_path, monkeypatch)
    path = ensure_preset(preset, tmp_path / "models")
    assert path.read_bytes().startswith(b"GGUF") and is_verified(path, preset.sha256)
    # a second call trusts the marker and does not re-read the parts
    monkeypatch.setattr(model_files, "part_paths", lambda p: pytest.fail("re-assembled"))
    assert ensure_preset(preset, tmp_path / "models") == path


def test_hash_mismatch_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    preset = fake_preset(tmp_path, monkeypatch, sha="0" * 64)
    with pytest.raises(ModelError, match="corrupt"):
        ensure_preset(preset, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_tampered_model_is_detected_and_reassembled(tmp_path, monkeypatch):
    preset = fake_preset(tmp_path, monkeypatch)
    path = ensure_preset(preset, tmp_path / "models")
    path.write_bytes(b"GGUF corrupted")
    assert not is_verified(path, preset.sha256)
    assert ensure_preset(preset, tmp_path / "models").read_bytes() == (tmp_path / "p1.bin").read_bytes() + (tmp_path / "p2.bin").read_bytes()


def test_missing_part_package_names_the_install_command():
    preset = GGUFPreset("x", "x", "no_such_package_part", "1.0", 2, 0, "0" * 64)
    with pytest.raises(ModelError, match="pip install no-such-package-part1==1.0"):
        model_files.part_paths(preset)


def test_local_path_must_be_a_gguf(tmp_path):
    bad = tmp_path / "m.gguf"
    bad.write_bytes(b"nope")
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(bad)
    with pytest.raises(ModelError, match="not found"):
        resolve_gguf(str(tmp_path / "missing.gguf"), tmp_path)
    assert resolve_gguf("hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/q4.gguf", tmp_path) == ("Qwen/Qwen2.5-1.5B-Instruct-GGUF", "q4.gguf")
