"""One shape for every resource that must always be closed: `with X(...) as x:` calls `x.close()`,
`async with X(...) as x:` awaits `x.aclose()`."""

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


class AsyncClosing(ABC):
    """Mixin: an async context manager whose exit awaits `aclose()` (the async renderers)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the resource; safe to call twice."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
