"""Threads for the batched engines: split a step's copies over numba threads, never much slower
than one thread.

A batched engine (the 2-D engine, the particle worlds) keeps two versions of its step kernels:
``*_serial`` loops over the copies with ``range``, ``*_parallel`` with numba's ``prange``. Their
results are identical, but which one is faster depends on the machine at that moment: on idle
cores the threads split the work, on an oversubscribed machine a threaded step can wait far longer
for its threads than the serial one takes. :class:`ThreadChoice` times both now and then and runs
the faster, re-trying the other once enough time has passed that the trial costs at most about 5%
of it (an engine asks :meth:`ThreadChoice.begin` which version to run and reports with
:meth:`ThreadChoice.end`).
"""

from __future__ import annotations

import time


def check_threads(num_threads: object, where: str) -> int:
    """``num_threads`` as an int, or ``ValueError`` naming ``where`` and the limit numba allows."""
    import numba

    try:
        threads = int(num_threads)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"{where}: num_threads must be an integer >= 1, got {num_threads!r}") from None
    if threads < 1:
        raise ValueError(f"{where}: num_threads must be >= 1, got {threads}")
    if threads > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"{where}: num_threads={threads} is more than the {numba.config.NUMBA_NUM_THREADS} "
                         "threads numba may use (set NUMBA_NUM_THREADS before starting Python)")
    return threads


class ThreadChoice:
    """Which version of a step to run: serial (False) or threaded (True), chosen by timing.

    With ``num_threads == 1`` it always answers serial and costs nothing. Otherwise each step is
    timed (``begin`` .. ``end``); the version in use keeps a smoothed best time, and the other is
    tried again after 20x the last trial's time (at least 50 ms). The first call of each version
    is not timed (it may include loading compiled code), and the version in use is only left once it
    has been timed too.
    """

    def __init__(self, num_threads: int, where: str = "engine") -> None:
        self.num_threads = check_threads(num_threads, where)
        self.threaded = self.num_threads > 1  # the version in use
        self._best = [float("inf"), float("inf")]
        self._calls = [0, 0]
        self._probe_at = 0.0
        self._start = 0.0
        self._trial = False
        self._using = False
        self._pinned = False

    def pin(self, threaded: bool | None) -> None:
        """Always run one version (True: threaded, False: serial), or choose by timing again
        (None). For benchmarks and tests that measure or check one version on its own."""
        if threaded and self.num_threads == 1:
            raise ValueError("pin(True) needs num_threads > 1")
        self._pinned = threaded is not None
        if threaded is not None:
            self.threaded = bool(threaded)
        self._probe_at = float("inf") if self._pinned else 0.0

    def begin(self) -> bool:
        """Start a step: whether it runs the threaded kernels (numba's thread count is set then)."""
        if self.num_threads == 1:
            return False
        if self._pinned:  # numba's thread count is set every step: another engine may have changed it
            return self.current()
        self._start = time.perf_counter()
        self._trial = self._start >= self._probe_at
        self._using = (not self.threaded) if self._trial else self.threaded
        if self._using:
            import numba

            numba.set_num_threads(self.num_threads)
        return self._using

    def end(self) -> None:
        """The step started by :meth:`begin` is done."""
        if self.num_threads == 1 or self._pinned:
            return
        took = time.perf_counter() - self._start
        c = int(self._using)
        self._calls[c] += 1
        if self._calls[c] == 1:  # may include compiling or loading the kernels: time the next one
            return
        # A trial's latest time, the version in use's best recent time (noise only slows).
        self._best[c] = took if self._trial else min(took, 0.5 * (self._best[c] + took))
        if self._trial:
            current = self._best[int(self.threaded)]
            if took < current and current != float("inf"):  # never switch away from an untimed version
                self.threaded = self._using
            self._probe_at = time.perf_counter() + max(20.0 * took, 0.05)

    def current(self) -> bool:
        """The version in use outside a timed step (observing after a reset): threaded or not,
        with numba's thread count set for it."""
        if self.threaded:
            import numba

            numba.set_num_threads(self.num_threads)
        return self.threaded
