"""Executors: where league games are played.

The league logic hands an executor a list of :class:`MatchTask` (who plays whom, how many games,
which seeds) and receives each task's :class:`GameResult` list in the order of the tasks. Two executors:

* :class:`SerialExecutor` -- in the calling process (tests, debugging, ``--workers 0``);
* :class:`ProcessExecutor` -- a pool of local worker processes, each with its own LRU cache of
  learners loaded from checkpoints.

A distributed backend (e.g. Ray actors) is another class with the same two methods; nothing in
the league logic changes.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import arena
from arena.bots import Bot
from arena.distributed import (  # noqa: F401 (thread_environment is re-exported for the league modules)
    exit_with_parent,
    quiet_children,
    set_process_threads,
    thread_environment,
)
from arena.play.parallel_loop import play_parallel_episode, seats_of, side_of  # noqa: F401 (re-exported)
from leagues.player import LearnerCache, PlayerSpec, build_bot


@dataclass(frozen=True)
class MatchTask:
    """``games`` games between two players, seats alternating; game ``g`` has key ``f"{key}/{g}"``."""

    key: str
    game: str
    game_kwargs: dict[str, Any]
    players: tuple[PlayerSpec, PlayerSpec]
    games: int
    seed: int
    iteration: int
    purpose: str = "eval"
    skip: frozenset[int] = field(default_factory=frozenset)  # game indices already stored (resume)


@dataclass(frozen=True)
class GameResult:
    """One finished game: ``seats`` are player ids, ``scores`` the final reward per seat."""

    key: str
    iteration: int
    purpose: str
    seats: tuple[int, int]
    scores: tuple[float, float]
    seed: int
    duration: float


def play_any_game(env: Any, bots: Sequence[Bot], *, seed: int | None = None) -> tuple[float, ...]:
    """Play one game of an AEC or Parallel PettingZoo env; returns the total reward of each seat.

    ``bots[s]`` plays seat ``s``: agent ``possible_agents[s]``, or in a team game (xTyP, fewer
    bots than agents) every agent of the ``s``-th side -- through ``bot.act_team`` when the bot
    has it (shared memory for the team), else one ``act`` per agent; a seat's score is the mean
    total reward of its agents. Parallel games give bots an all-ones action mask.
    """
    for bot in bots:
        bot.reset()
    agents = list(env.possible_agents)
    totals = dict.fromkeys(agents, 0.0)
    if hasattr(env, "agent_iter"):
        env.reset(seed=seed)
        seat = {a: i for i, a in enumerate(agents)}
        for agent in env.agent_iter():
            obs, reward, termination, truncation, _ = env.last()
            totals[agent] += float(reward)
            if termination or truncation:
                env.step(None)
                continue
            env.step(int(bots[seat[agent]].act(obs["observation"], obs["action_mask"])))
        return tuple(totals[a] for a in agents)
    # Simultaneous-move games: the shared Parallel loop (also used by arena match/watch/play).
    return play_parallel_episode(env, bots, seed=seed, reset_bots=False).scores


class _Worker:
    """Per-process state: environments by game, and the learner cache."""

    def __init__(self, cache_size: int) -> None:
        self.cache = LearnerCache(cache_size)
        self.envs: dict[str, Any] = {}

    def run(self, task: MatchTask) -> list[GameResult]:
        env_key = f"{task.game}{sorted(task.game_kwargs.items())}"
        if env_key not in self.envs:
            self.envs[env_key] = arena.make(task.game, **task.game_kwargs)
        env = self.envs[env_key]
        a, b = task.players
        bot_a = build_bot(a, env, self.cache, seed=task.seed)
        bot_b = build_bot(b, env, self.cache, seed=task.seed + 1)
        results = []
        for g in range(task.games):
            if g in task.skip:
                continue
            # Seats alternate so each player moves first in half of the games.
            order = ((a, bot_a), (b, bot_b)) if g % 2 == 0 else ((b, bot_b), (a, bot_a))
            seed = task.seed + g
            start = time.perf_counter()
            scores = play_any_game(env, [order[0][1], order[1][1]], seed=seed)
            results.append(GameResult(f"{task.key}/{g}", task.iteration, task.purpose,
                                      (order[0][0].id, order[1][0].id), (scores[0], scores[1]), seed,
                                      time.perf_counter() - start))
        return results


_process_worker: _Worker | None = None

# Thread-count variables of the numeric libraries; a worker process inherits them at spawn.
def _init_process(cache_size: int, threads: int = 1, parent: int | None = None) -> None:
    import signal

    global _process_worker
    # Ctrl-C goes to the whole process group: the coordinator handles it and stops the workers,
    # which must not print KeyboardInterrupt tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        exit_with_parent(parent)
    os.environ.update(thread_environment(threads))
    set_process_threads(threads)
    _process_worker = _Worker(cache_size)


def _run_in_process(task: MatchTask) -> list[GameResult]:
    assert _process_worker is not None, "worker process was not initialised"
    return _process_worker.run(task)


class Executor(Protocol):
    """Plays match tasks; results come back task by task, in the order of the tasks given."""

    def run(self, tasks: Sequence[MatchTask]) -> Iterator[list[GameResult]]: ...

    def close(self, *, abort: bool = False) -> None: ...


class SerialExecutor:
    """Plays every task in the calling process."""

    def __init__(self, cache_size: int = 8) -> None:
        self.worker = _Worker(cache_size)

    def run(self, tasks: Sequence[MatchTask]) -> Iterator[list[GameResult]]:
        for task in tasks:
            yield self.worker.run(task)

    def close(self, *, abort: bool = False) -> None:
        self.worker.envs.clear()


class ProcessExecutor:
    """Plays tasks in ``workers`` local processes (started once, reused across iterations), each
    with ``threads`` threads; a worker ignores Ctrl-C and exits when the coordinator dies.

    Results come back in the order of the tasks (not of finishing), so what the league stores --
    games, their order, and the online Elo computed from that order -- does not depend on the
    number of workers or on which finished first."""

    def __init__(self, workers: int, cache_size: int = 8, threads: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        # spawn: a clean interpreter per worker (fork after torch/numba threads start can deadlock).
        context = multiprocessing.get_context("spawn")
        self.threads = max(1, int(threads))
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_process,
                                        initargs=(cache_size, self.threads, os.getpid()))

    def run(self, tasks: Sequence[MatchTask]) -> Iterator[list[GameResult]]:
        # Workers start at a submit and read their thread variables at start-up. They also start
        # with Ctrl-C ignored (an ignored signal stays ignored across exec), so a Ctrl-C while one
        # is still importing cannot print its traceback; the coordinator handles Ctrl-C.
        with quiet_children(self.threads):
            futures: list[Future] = [self.pool.submit(_run_in_process, t) for t in tasks]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self, *, abort: bool = False) -> None:
        """Stop the workers: after their current task, or at once with ``abort`` (Ctrl-C)."""
        if abort:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                if process.is_alive():
                    process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


def make_executor(workers: int, cache_size: int = 8, threads: int = 1) -> SerialExecutor | ProcessExecutor:
    """``workers == 0``: serial in this process; otherwise a pool of processes with ``threads`` threads each."""
    return SerialExecutor(cache_size) if workers == 0 else ProcessExecutor(workers, cache_size, threads)
