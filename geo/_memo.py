"""A small thread-safe cache for values derived from one district."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

__all__ = ["Memo"]

_T = TypeVar("_T")
#: Entries kept per district (coverage per layer and rule, map pages, suggestions...).
DEFAULT_SIZE = 32


class Memo:
    """A small thread-safe LRU cache; each key is computed once even under concurrency."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """The value cached under ``key``, computing it with ``compute()`` on a miss.

        Concurrent callers of one missing key wait for a single computation; other keys
        are not blocked meanwhile. A computation that raises caches nothing.
        """
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(_T, self._values[key])
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return cast(_T, self._values[key])
            value = compute()
            with self._lock:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
            return value
