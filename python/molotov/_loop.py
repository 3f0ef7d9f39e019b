"""The asyncio event loop of a molotov process, driven by the Rust engine.

Scenario coroutines are stepped by the engine itself; this loop serves everything else asyncio
offers them: timers (``asyncio.sleep``), tasks (``create_task``, ``gather``, ``wait_for``),
callbacks from other threads (``to_thread``, ``run_in_executor``) and network I/O of other
libraries (``asyncio.open_connection``). It is a real ``SelectorEventLoop``; the engine never
lets it block: it runs one non-blocking iteration (``_molotov_run_once``) whenever the
selector's file descriptor is readable, a timer is due, or a callback was scheduled, and waits
for those in Rust otherwise.
"""

from __future__ import annotations

import asyncio
import heapq
import threading
from typing import Any, Callable, Optional


class Loop(asyncio.SelectorEventLoop):
    """A selector loop whose iterations the engine runs."""

    def __init__(self, wake: Callable[[], None]) -> None:
        super().__init__()
        # Tells the engine that callbacks or timers were added from this thread.
        self._molotov_wake = wake

    def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> asyncio.Handle:
        handle = super().call_soon(callback, *args, context=context)
        self._molotov_wake()
        return handle

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, context=context)
        self._molotov_wake()
        return handle

    def _molotov_start(self) -> None:
        """Makes this the running loop of the calling thread."""
        self._thread_id = threading.get_ident()
        asyncio.events._set_running_loop(self)

    def _molotov_stop(self) -> None:
        asyncio.events._set_running_loop(None)
        self._thread_id = None

    def _molotov_pause(self) -> bool:
        """Stops being the running loop if it is, and tells whether it was: a synchronous
        fixture that Molotov calls once its loop is over (``global_teardown``) may run a loop
        of its own (``asyncio.run``)."""
        if asyncio.events._get_running_loop() is not self:
            return False
        self._molotov_stop()
        return True

    def _molotov_run_once(self) -> Optional[float]:
        """Runs what is due now without waiting: ready I/O, due timers, ready callbacks.

        Returns how long the engine may wait before calling again (0 when more work is
        already there), or None when only I/O or a new callback can bring work.
        """
        events = self._selector.select(0)
        self._process_events(events)
        now = self.time() + self._clock_resolution
        scheduled = self._scheduled
        while scheduled and (scheduled[0]._cancelled or scheduled[0]._when <= now):
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            if handle._cancelled:
                self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
            else:
                self._ready.append(handle)
        ready = self._ready
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()
        if ready or events:
            return 0.0
        while scheduled and scheduled[0]._cancelled:
            heapq.heappop(scheduled)._scheduled = False
            self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
        if scheduled:
            return max(0.0, scheduled[0]._when - self.time())
        return None

    def _molotov_fd(self) -> int:
        """The selector's file descriptor: readable when some registered I/O is ready."""
        return self._selector.fileno()


def make(wake: Callable[[], None], uvloop: bool = False) -> Any:
    """The loop of a run: asyncio's selector loop, or uvloop's (``--uvloop``)."""
    if uvloop:
        return _uvloop_class()(wake)
    return Loop(wake)


def _uvloop_class() -> type:
    """A uvloop loop the engine drives like :class:`Loop` (uvloop is optional, so the class is
    made when asked for)."""
    import uvloop

    class UvLoop(uvloop.Loop):  # type: ignore[misc, name-defined]
        """uvloop's loop, run one non-blocking iteration at a time by the engine.

        libuv keeps its timers to itself, so the deadlines of timers scheduled through
        ``call_at``/``call_later`` are tracked here to know when to come back.
        """

        def __init__(self, wake: Callable[[], None]) -> None:
            super().__init__()
            self._molotov_wake = wake
            self._molotov_timers: list[float] = []

        def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            handle = super().call_soon(callback, *args, context=context)
            self._molotov_wake()
            return handle

        def call_later(self, delay: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            handle = super().call_later(delay, callback, *args, context=context)
            heapq.heappush(self._molotov_timers, self.time() + max(0.0, delay))
            self._molotov_wake()
            return handle

        def call_at(self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            handle = super().call_at(when, callback, *args, context=context)
            heapq.heappush(self._molotov_timers, when)
            self._molotov_wake()
            return handle

        def _molotov_start(self) -> None:
            asyncio.events._set_running_loop(self)

        def _molotov_stop(self) -> None:
            asyncio.events._set_running_loop(None)

        def _molotov_run_once(self) -> Optional[float]:
            # stop() then run_forever(): one iteration that polls I/O without waiting. A second
            # one runs what the first queued internally (an I/O callback scheduling the next
            # step through uvloop's own queue, which does not pass through call_soon above).
            asyncio.events._set_running_loop(None)
            try:
                for _ in range(2):
                    self.stop()
                    self.run_forever()
            finally:
                asyncio.events._set_running_loop(self)
            timers = self._molotov_timers
            now = self.time()
            while timers and timers[0] <= now:
                heapq.heappop(timers)
            return max(0.0, timers[0] - now) if timers else None

        def _molotov_fd(self) -> int:
            # libuv's backend descriptor: readable when some registered I/O is ready.
            return self._get_backend_id()

    return UvLoop


async def ready(value: Any = None) -> Any:
    """An awaitable of a value already known (``await resp.json()``).

    Awaiting a coroutine hands its result over without a ``StopIteration`` exception, which
    an iterator-based awaitable has to raise: the cheapest way to give a value to ``await``.
    """
    return value
