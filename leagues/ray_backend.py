"""A league on a Ray cluster: game workers and learners as Ray actors (``--backend ray``).

What runs where:

* the **coordinator** (``arena league run``, the Ray driver) keeps everything it keeps locally:
  the recipe, matchmaking, the SQLite store (it stays the single writer), ratings, snapshots,
  PBT decisions and the directory lock;
* **game workers** -- ``workers`` actors, each a :class:`leagues.executor._Worker` with its own
  LRU cache of learners loaded from checkpoints -- play :class:`MatchTask` lists; results come
  back in the order of the tasks, so what is stored equals the local backend's;
* **learners** -- one actor per league agent (created at its first learning step) holds the
  agent's learner in memory, runs its learning step and writes the checkpoint into the league
  directory. Agents learn concurrently; an agent whose planned opponents include the live
  version of an agent earlier in recipe order starts once that agent's step is committed, as it
  would locally.

Checkpoints travel through the league directory, so it must be on storage every node sees at
the same absolute path (NFS, a shared volume); the coordinator hands actors absolute paths.

Failures: an actor that dies (its process killed, its node lost) is restarted by Ray up to
:data:`RESTARTS` times and its unfinished calls are retried. Both kinds of call are idempotent:
a game task is a function of its seeds, and a learning step starts from the committed
checkpoint named in its job whenever the actor does not hold exactly that state (a restarted
actor holds nothing), and writes its checkpoint atomically. A killed coordinator takes its actors
with it (they are owned by the driver); ``--resume`` then continues from the store exactly as the
local backend does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import arena
from arena import distributed
from leagues.executor import GameResult, MatchTask, _Worker, set_process_threads, thread_environment
from leagues.player import LearnerCache, PlayerSpec, build_bot, load_learner, save_checkpoint
from leagues.runner import LeagueError, LearnJob

RESTARTS = 3  # restarts of a dead actor, and retries of each call it had not finished
IN_FLIGHT = 3  # game tasks queued per worker actor (the next ones ship while one plays)


def import_ray() -> Any:
    """The ``ray`` module, or a one-line :class:`LeagueError` naming the extra that installs it."""
    return distributed.import_ray(LeagueError)


def _absolute(spec: PlayerSpec) -> PlayerSpec:
    """Actors may run in another directory (or on another node): checkpoint paths go absolute."""
    return spec if spec.path is None else replace(spec, path=os.path.abspath(spec.path))


def _set_threads(threads: int) -> None:
    os.environ.update(thread_environment(threads))
    set_process_threads(threads)


class GameWorkerActor:
    """A game worker on Ray: environments by game and an LRU cache of learners."""

    def __init__(self, cache_size: int, threads: int) -> None:
        _set_threads(threads)
        self.worker = _Worker(cache_size)

    def run(self, task: MatchTask) -> list[GameResult]:
        return self.worker.run(task)

    def pid(self) -> int:
        return os.getpid()


class LearnerActor:
    """One league agent's learner on Ray; ``current`` is the checkpoint its memory equals."""

    def __init__(self, threads: int, cache_size: int) -> None:
        _set_threads(threads)
        self.learner: Any = None
        self.current: str | None = None
        self.cache = LearnerCache(cache_size)

    def _hold(self, path: str) -> Any:
        if self.learner is None or self.current != path:
            self.learner = load_learner(path)
            self.current = path
        return self.learner

    def learn(self, job: LearnJob, opponents: Sequence[PlayerSpec], game: str,
              game_kwargs: dict[str, Any]) -> dict[str, float]:
        """The learning step of ``job``; its checkpoint is written to ``job.out``."""
        learner = self._hold(job.checkpoint)

        def make_env() -> Any:
            return arena.make(game, **game_kwargs)

        env = make_env()
        bots = [build_bot(spec, env, self.cache, seed=job.seed + k) for k, spec in enumerate(opponents)]
        metrics = learner.learn(make_env, bots, job.steps)
        save_checkpoint(job.out, job.learner, job.config, learner)
        self.current = job.out
        return {k: float(v) for k, v in metrics.items()}

    def clone(self, state: str, out: str, learner_kind: str, config: dict[str, Any],
              hyperparameters: dict[str, float]) -> None:
        """Write a copy of this learner (as of checkpoint ``state``) with new hyperparameters to ``out``."""
        twin = self._hold(state).clone()
        twin.set_hyperparameters(hyperparameters)
        save_checkpoint(out, learner_kind, config, twin)

    def pid(self) -> int:
        return os.getpid()


class RayExecutor:
    """Plays match tasks on ``workers`` Ray actors; results come back in the order of the tasks.

    Same contract as :class:`leagues.executor.ProcessExecutor`: what the league stores does not
    depend on the number of workers or on which finished first. A worker that dies is restarted
    and its unfinished tasks retried (:data:`RESTARTS` times)."""

    def __init__(self, workers: int, cache_size: int = 8, threads: int = 1, cpus: float = 1.0,
                 ray_module: Any | None = None) -> None:
        if workers < 1:
            raise LeagueError(f"--backend ray plays games on worker actors: --workers must be >= 1, got {workers}")
        self.ray = ray_module or import_ray()
        actor = self.ray.remote(GameWorkerActor).options(
            num_cpus=cpus, max_restarts=RESTARTS, max_task_retries=RESTARTS,
            runtime_env={"env_vars": thread_environment(threads)})
        self.actors = [actor.remote(cache_size, threads) for _ in range(workers)]

    def run(self, tasks: Sequence[MatchTask]) -> Iterator[list[GameResult]]:
        tasks = [replace(t, players=(_absolute(t.players[0]), _absolute(t.players[1]))) for t in tasks]
        load = dict.fromkeys(range(len(self.actors)), 0)
        in_flight: dict[Any, tuple[int, int]] = {}  # object ref -> (task index, actor index)
        done: dict[int, list[GameResult]] = {}
        submitted = 0
        try:
            for wanted in range(len(tasks)):
                while wanted not in done:
                    while submitted < len(tasks) and min(load.values()) < IN_FLIGHT:
                        a = min(load, key=load.__getitem__)
                        in_flight[self.actors[a].run.remote(tasks[submitted])] = (submitted, a)
                        load[a] += 1
                        submitted += 1
                    ready, _ = self.ray.wait(list(in_flight), num_returns=1)
                    for ref in ready:
                        index, a = in_flight.pop(ref)
                        load[a] -= 1
                        done[index] = _get(self.ray, ref, "a game worker")
                yield done.pop(wanted)
        finally:
            for ref in in_flight:
                try:
                    self.ray.cancel(ref)
                except Exception:  # already finished or not cancellable: its result is dropped
                    pass

    def pids(self) -> list[int]:
        """The process id of every worker actor (tests kill one)."""
        return self.ray.get([a.pid.remote() for a in self.actors])

    def close(self, *, abort: bool = False) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors = []


def _get(ray: Any, ref: Any, what: str) -> Any:
    """``ray.get``: an error raised inside an actor is raised here as itself; an actor that died
    more often than it may be restarted is one line."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, Exception):
            raise cause from None
        raise
    except ray.exceptions.RayActorError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LeagueError(f"{what} died more than {RESTARTS} times ({first}); --resume continues "
                          "the league") from None


class RayBackend:
    """Games and learning steps of a league on a Ray cluster (see the module docstring).

    ``address``: ``None`` starts a private Ray instance on this machine for the run (``RAY_ADDRESS``,
    when set, is used instead); ``"auto"`` joins the cluster running on this machine; ``HOST:PORT``
    a cluster's head node. ``agents`` is the number of learning agents of the league.
    ``threads`` (``--threads``) is the thread budget of the actors, by default the cluster's CPUs;
    it is divided among the actors (game workers and learners), and by default so are the CPUs
    each actor reserves. ``learner_gpus`` reserves a fraction of a GPU per learner (the learner's
    own config chooses its device, e.g. ``device: cuda`` for AlphaZero). ``concurrent_learners``
    caps the learning steps in flight (benchmarks compare 1 with more).
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, workers: int = 2, agents: int = 1, threads: int | None = None,
                 worker_cpus: float | None = None, learner_cpus: float | None = None, learner_gpus: float = 0.0,
                 game: str = "", game_kwargs: dict[str, Any] | None = None, cache_size: int = 8,
                 concurrent_learners: int | None = None) -> None:
        for flag, value in (("--worker-cpus", worker_cpus), ("--learner-cpus", learner_cpus)):
            if value is not None and not value > 0:
                raise LeagueError(f"{flag} must be > 0, got {value}")
        if not learner_gpus >= 0:
            raise LeagueError(f"--learner-gpus must be >= 0, got {learner_gpus}")
        if threads is not None and threads < 1:
            raise LeagueError(f"--threads must be >= 1, got {threads}")
        if workers < 1:
            raise LeagueError(f"--backend ray plays games on worker actors: --workers must be >= 1, got {workers}")
        address = address or os.environ.get("RAY_ADDRESS") or None
        distributed.ray_token_auth_for(address)
        self.ray = import_ray()
        self.owns_ray = False
        self.game = game
        self.game_kwargs = dict(game_kwargs or {})
        self.cache_size = cache_size
        self.learners: dict[str, Any] = {}  # agent -> its learner actor
        self.state: dict[str, str] = {}  # agent -> the checkpoint its actor's memory equals
        self.executors: list[RayExecutor] = []
        self.concurrent = concurrent_learners  # None: every agent whose opponents are ready
        self._connect(address)
        try:
            total = float(self.ray.cluster_resources().get("CPU", 0.0))
            actors = workers + max(1, agents)
            share = _resource_share(total, actors)
            self.worker_cpus = share if worker_cpus is None else float(worker_cpus)
            self.learner_cpus = share if learner_cpus is None else float(learner_cpus)
            self.learner_gpus = float(learner_gpus)
            wanted = workers * self.worker_cpus + agents * self.learner_cpus
            if wanted > total + 1e-9:
                raise LeagueError(f"the Ray cluster has {total:g} CPUs, but {workers} game workers x "
                                  f"{self.worker_cpus:g} + {agents} learners x {self.learner_cpus:g} reserve "
                                  f"{wanted:g}: lower --workers, --worker-cpus or --learner-cpus, or add nodes")
            gpus = float(self.ray.cluster_resources().get("GPU", 0.0))
            if agents * self.learner_gpus > gpus + 1e-9:
                raise LeagueError(f"the Ray cluster has {gpus:g} GPUs, but {agents} learners x --learner-gpus "
                                  f"{learner_gpus:g} reserve {agents * self.learner_gpus:g}")
            budget = int(total) if threads is None else int(threads)
            self.threads = max(1, budget // actors)
        except BaseException:
            self.close()
            raise

    def _connect(self, address: str | None) -> None:
        self.owns_ray = distributed.ray_init(self.ray, address, LeagueError)

    # ------------------------------------------------------------------ games
    def executor(self, workers: int, cache_size: int = 8) -> RayExecutor:
        executor = RayExecutor(workers, cache_size, self.threads, self.worker_cpus, ray_module=self.ray)
        self.executors.append(executor)
        return executor

    # ------------------------------------------------------------------ learning
    def _actor(self, agent: str) -> Any:
        if agent not in self.learners:
            actor = self.ray.remote(LearnerActor).options(
                num_cpus=self.learner_cpus, num_gpus=self.learner_gpus, max_restarts=RESTARTS,
                max_task_retries=RESTARTS, runtime_env={"env_vars": thread_environment(self.threads)})
            self.learners[agent] = actor.remote(self.threads, self.cache_size)
        return self.learners[agent]

    def learn(self, jobs: Sequence[LearnJob],
              spec_of: Callable[[int], PlayerSpec]) -> Iterator[tuple[LearnJob, dict[str, float]]]:
        """Run the learning steps of ``jobs`` concurrently; yield them in job order.

        The caller commits each yielded job before asking for the next. A job that plays the live
        version of an agent earlier in the list is started only after that agent's job was
        committed (``spec_of`` then names its new checkpoint), as in the local backend."""
        position = {job.agent: k for k, job in enumerate(jobs)}
        agent_of = {job.live_player: job.agent for job in jobs}

        def waits_for(job: LearnJob) -> set[str]:
            return {agent_of[o] for o in job.opponents
                    if o in agent_of and position[agent_of[o]] < position[job.agent]}

        started: dict[str, Any] = {}
        committed: set[str] = set()
        for job in jobs:
            for other in jobs:
                if other.agent in started or not waits_for(other) <= committed:
                    continue
                full = self.concurrent is not None and len(started) - len(committed) >= self.concurrent
                if other is job or not full:  # the job awaited next always starts
                    started[other.agent] = self._start(other, spec_of)
            metrics = _get(self.ray, started[job.agent], f"the learner of {job.agent}")
            self.state[job.agent] = os.path.abspath(job.out)
            yield job, metrics
            committed.add(job.agent)

    def _start(self, job: LearnJob, spec_of: Callable[[int], PlayerSpec]) -> Any:
        opponents = [_absolute(spec_of(o)) for o in job.opponents]
        job = replace(job, checkpoint=os.path.abspath(job.checkpoint), out=os.path.abspath(job.out))
        return self._actor(job.agent).learn.remote(job, opponents, self.game, self.game_kwargs)

    def clone(self, agent: str, out: str, learner_kind: str, config: dict[str, Any],
              hyperparameters: dict[str, float], checkpoint: str | None = None) -> None:
        """Write ``agent``'s learner with new ``hyperparameters`` to ``out`` (PBT exploit).

        The copy is of the state the agent's actor holds: its last learning step in this run,
        else ``checkpoint``."""
        state = self.state.get(agent) or checkpoint
        if state is None:
            raise LeagueError(f"no learner state known for agent {agent}")
        ref = self._actor(agent).clone.remote(state, os.path.abspath(out), learner_kind, config, hyperparameters)
        _get(self.ray, ref, f"the learner of {agent}")

    def learner_pids(self) -> dict[str, int]:
        """The process id of every learner actor (tests kill one)."""
        return {name: self.ray.get(actor.pid.remote()) for name, actor in self.learners.items()}

    def close(self, *, abort: bool = False) -> None:
        for executor in self.executors:
            executor.close(abort=abort)
        self.executors = []
        for actor in self.learners.values():
            self.ray.kill(actor, no_restart=True)
        self.learners = {}
        if self.owns_ray and self.ray.is_initialized():
            self.ray.shutdown()
            self.owns_ray = False


def _resource_share(total: float, actors: int) -> float:
    """The CPUs each of ``actors`` actors reserves so that all fit in ``total``: whole CPUs when
    there are enough, else an equal fraction (Ray takes fractions below one)."""
    if total <= 0:
        raise LeagueError("the Ray cluster has no CPUs")
    share = total / max(1, actors)
    if share >= 1:
        return float(math.floor(share))
    return math.floor(share * 100) / 100
