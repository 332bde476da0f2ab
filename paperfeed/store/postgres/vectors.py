"""Vectors between the store interface (float32 little-endian bytes) and pgvector.

pgvector's binary format is a 2-byte dimension count, 2 unused bytes, then big-endian
float32 values. Sending that format (with the type left for the server to infer from
the column or an explicit ``::vector``) skips printing and parsing 384 decimals per
vector; reading uses ``vector_send(...)``, the type's own binary output, as ``bytea``.
"""

from __future__ import annotations

import struct
import sys
from array import array

from psycopg.adapt import Dumper
from psycopg.pq import Format

_HEADER = struct.Struct(">HH")


class PgVector(bytes):
    """Float32 little-endian bytes to be sent as a pgvector ``vector``."""


def _byteswapped(raw: bytes) -> bytes:
    """Float32 values in the other byte order (pgvector sends and receives big-endian)."""
    values = array("f")
    values.frombytes(raw)
    if sys.byteorder == "little":
        values.byteswap()
    return values.tobytes()


def to_pgvector_binary(raw: bytes) -> bytes:
    """Float32 little-endian bytes in pgvector's binary input format."""
    if len(raw) % 4:
        raise ValueError(f"a float32 vector has a multiple of 4 bytes, not {len(raw)}")
    return _HEADER.pack(len(raw) // 4, 0) + _byteswapped(raw)


def from_vector_send(data: bytes) -> bytes:
    """``vector_send(...)`` output to float32 little-endian bytes."""
    dim, _ = _HEADER.unpack_from(data)
    return _byteswapped(bytes(data[_HEADER.size : _HEADER.size + 4 * dim]))


class PgVectorDumper(Dumper):
    """Sends ``PgVector`` in pgvector's binary format; oid 0 lets the server infer it."""

    format = Format.BINARY
    oid = 0

    def dump(self, obj: PgVector) -> bytes:
        return to_pgvector_binary(bytes(obj))
