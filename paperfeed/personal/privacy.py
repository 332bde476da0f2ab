"""What a reader can take with them: "download my data" (erasing is
``PersonalStore.forget_personal_data``).

The download is every row the store holds about the person (``personal_rows``), with
times in ISO 8601 UTC whatever the engine, plus their model as the JSON it is kept as.
Secrets are never in it: neither session nor token digests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from paperfeed.store.dialect import moment
from paperfeed.store.personal import PersonalStore

EXPORT_FORMAT = 1
_FLAGS = {"trending_only", "send_empty"}


def personal_export(store: PersonalStore, account_id: int) -> dict[str, Any]:
    """Everything about the reader, as JSON-ready data."""
    tables = store.personal_rows(account_id)
    export: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(datetime.now(UTC)),
    }
    for name, rows in tables.items():
        export[name] = [{key: _plain(key, value) for key, value in row.items()} for row in rows]
    kept = store.reader_model(account_id)
    model = export.pop("model")
    export["model"] = (
        {**model[0], "state": orjson.loads(kept.state)} if kept is not None and model else None
    )
    account = export.pop("account")
    export["account"] = account[0] if account else None
    subscription = export.pop("subscription")
    export["subscription"] = subscription[0] if subscription else None
    return export


def _plain(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _FLAGS:
        return bool(value)
    if key.endswith("_at") or key == "at":
        if isinstance(value, int | float):
            return _iso(datetime.fromtimestamp(float(value), UTC))
        return _iso(moment(value))
    return value


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
