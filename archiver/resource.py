"""One shape for every resource that must always be closed: `with X(...) as x:` calls `x.close()`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Closing(ABC):
    """Mixin: a context manager whose exit calls `close()`, so resources are always closed."""

    @abstractmethod
    def close(self) -> None:
        """Release the resource; safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
