"""Store-item encoding and e_tag rules shared by the SQLite and Redis storages (botbuilder semantics)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler


class StorageConflictError(KeyError):
    """A write carried a stale e_tag: someone else saved the item since it was read.

    A ``KeyError`` like botbuilder's ``MemoryStorage`` raises, so code written for it keeps working.
    """


class StorageUnavailableError(Exception):
    """The state store could not be reached in time."""


def item_etag(item: Any) -> str | None:
    """The e_tag a store item carries, for dicts and objects alike (``None`` when absent)."""
    if isinstance(item, dict):
        value = item.get("e_tag")
    else:
        value = getattr(item, "e_tag", None)
    return None if value is None else str(value)


def set_item_etag(item: Any, etag: str) -> None:
    """Hand the new e_tag back to the writer so a second save in the same turn is not 'stale'."""
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif item is not None and not isinstance(item, str | int | float | bool | list | tuple):
        try:
            item.e_tag = etag
        except AttributeError:  # slotted or frozen objects: nothing to hand back
            pass


def expected_etag(item: Any) -> str | None:
    """The e_tag a write must match, or ``None`` for an unconditional write.

    Same rules as MemoryStorage and CosmosDbPartitionedStorage: a missing e_tag or ``"*"``
    overwrites; an empty string is a programming error.
    """
    etag = item_etag(item)
    if etag == "":
        raise ValueError("storage.write(): etag missing")
    if etag is None or etag == "*":
        return None
    return etag


def new_etag() -> str:
    return uuid.uuid4().hex


def encode(item: Any) -> str:
    """JSON with jsonpickle type tags (the encoding CosmosDbPartitionedStorage uses), without the e_tag."""
    flat = Pickler().flatten(item)
    if isinstance(flat, dict):
        flat.pop("e_tag", None)
    return json.dumps(flat, separators=(",", ":"), ensure_ascii=False)


def decode(text: str, etag: str) -> Any:
    """Restore an item and stamp the stored e_tag on it, as the Cosmos storage does."""
    doc = json.loads(text)
    if isinstance(doc, dict):
        doc["e_tag"] = etag
    return Unpickler().restore(doc)
