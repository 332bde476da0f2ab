"""Arrays inside JSON: little-endian float32 bytes, base64-encoded, with their shape."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import numpy.typing as npt


def pack_array(array: npt.NDArray[np.floating[Any]], dtype: str = "<f4") -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype=dtype)
    return {
        "dtype": dtype,
        "shape": list(data.shape),
        "data": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def unpack_array(packed: dict[str, Any], shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """The array as float32; raises ValueError unless it has ``shape`` and finite values."""
    dtype = str(packed["dtype"])
    if dtype not in ("<f4", "<f2"):
        raise ValueError(f"unsupported array type {dtype!r}")
    if tuple(packed["shape"]) != shape:
        raise ValueError(f"array of shape {tuple(packed['shape'])}, expected {shape}")
    raw = base64.b64decode(packed["data"], validate=True)
    array = np.frombuffer(raw, dtype=dtype).astype(np.float32)
    if array.size != int(np.prod(shape)) or not np.isfinite(array).all():
        raise ValueError("array data is truncated or not finite")
    return array.reshape(shape)
