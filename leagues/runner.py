"""The league runner: iterations of matchmaking, learning, games, snapshots and PBT.

One iteration, for every agent in recipe order:

1. **plan** -- draw opponents from the agent's role distribution (stored before anything runs,
   so a resumed iteration replays the same plan);
2. **learn** -- ``learner.learn(make_env, opponent_bots, steps)``, then an atomic checkpoint and,
   in one transaction, the agent's new checkpoint and step count;
3. **games** -- the agent's live version plays each planned opponent (and, every
   ``evaluation.every`` iterations, the held-out players) in worker processes; each game and its
   online Elo update are stored in one transaction, and games already stored are skipped;
4. **finalize** -- snapshots (deep copies on disk), exploiter resets, PBT exploit/explore and the
   iteration counter, all in one transaction.

Killing the process at any point and running again with ``--resume`` continues from the last
committed step: no game is lost or counted twice and the stored ratings equal a replay of the
stored games.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import arena
from arena.distributed import available_cores
from arena.learner import Learner
from leagues.alphastar import (
    LeagueView,
    opponent_distribution,
    ready_to_snapshot,
    reset_probability,
    snapshot_targets,
)
from leagues.executor import GameResult, MatchTask, make_executor, set_process_threads
from leagues.learners import league_config, make_learner
from leagues.matchmaking import sample
from leagues.pbt import Member, exploit_and_explore
from leagues.player import LearnerCache, PlayerSpec, build_bot, load_learner, save_checkpoint
from leagues.ratings import PayoffMatrix, elo_update
from leagues.recipe import Recipe
from leagues.store import PayoffStore, PlayerRow, check_store_file, outcome_of

DB_NAME = "league.db"
LOCK_NAME = "league.lock"


class LeagueError(ValueError):
    """A league directory that cannot be created or resumed as asked."""


@dataclass
class Timings:
    """Seconds spent per activity (``overhead`` = matchmaking + store + ratings)."""

    learn: float = 0.0
    games: float = 0.0
    matchmaking: float = 0.0
    store: float = 0.0
    ratings: float = 0.0
    checkpoints: float = 0.0
    display: float = 0.0
    wall: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def overhead(self) -> float:
        return self.matchmaking + self.store + self.ratings

    def as_dict(self) -> dict[str, float]:
        return {"learn": self.learn, "games": self.games, "matchmaking": self.matchmaking, "store": self.store,
                "ratings": self.ratings, "checkpoints": self.checkpoints, "display": self.display,
                "wall": self.wall, "overhead": self.overhead}


@dataclass(frozen=True)
class LearnJob:
    """One agent's learning step of one iteration, as a backend runs it.

    The learner starts from ``checkpoint`` (the agent's committed state), plays ``opponents``
    (player ids; opponent ``k`` is built with seed ``seed + k``) for ``steps`` steps, and is
    saved to ``out``. ``live_player`` is the agent's own live player id."""

    agent: str
    learner: str
    config: dict[str, Any]
    checkpoint: str
    live_player: int
    opponents: tuple[int, ...]
    seed: int
    steps: int
    out: str


class _Clock:
    """``with clock("store"): ...`` adds the elapsed time to ``timings.store``."""

    def __init__(self, timings: Timings) -> None:
        self.timings = timings

    def __call__(self, name: str) -> _Clock:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: Any) -> None:
        setattr(self.timings, self.name, getattr(self.timings, self.name) + time.perf_counter() - self.start)


def _copy_atomic(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` so that ``target`` is either absent or complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def threads_per_process(budget: int | None, workers: int) -> int:
    """The league's thread budget divided among the processes that run at once.

    ``budget`` is ``--threads`` (default: the cores this process may use). The coordinator (which
    runs the learning steps) and the ``workers`` game processes all exist at once, so each gets
    ``budget // (1 + workers)`` threads, at least one, for torch, numba and BLAS/OpenMP."""
    total = available_cores() if budget is None else int(budget)
    return max(1, total // (1 + max(0, workers)))


class DirectoryLock:
    """One writer per league directory: an exclusive ``flock`` on ``DIR/league.lock`` holding the pid.

    The operating system releases the lock when its process ends, however it ends (kill -9
    included), so a stale lock file never blocks a later run; only a live holder does.
    """

    def __init__(self, directory: Path) -> None:
        import fcntl

        self.path = directory / LOCK_NAME
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(self.fd)
            self.fd = -1
            raise LeagueError(f"{directory} is in use by another `arena league run` (pid {holder}); wait for it "
                              "to finish or stop it, then --resume") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = -1


def _recipe_identity(recipe: Recipe) -> dict[str, Any]:
    """The recipe fields a resumed league must keep (iterations, workers and display may change)."""
    data = recipe.model_dump(mode="json")
    for key in ("iterations", "workers", "tensorboard", "cache_size"):
        data.pop(key, None)
    return data


class League:
    """A league on disk: ``out/league.db`` plus checkpoints, snapshots and TensorBoard logs."""

    def __init__(self, recipe: Recipe, out: str | Path, *, resume: bool = False, workers: int | None = None,
                 threads: int | None = None, live_display: bool = True,
                 on_progress: Callable[[str], None] | None = None, backend: Any | None = None) -> None:
        self.recipe = recipe
        # None: games in local processes, learning steps here one agent after another. Otherwise an
        # object with executor(workers, cache_size), learn(jobs, spec_of), clone(...) and close()
        # (leagues.ray_backend.RayBackend): games and learning steps run elsewhere, this process
        # stays the single writer of the store.
        self.backend = backend
        self.out = Path(out)
        self.workers = recipe.workers if workers is None else int(workers)
        if self.workers < 0:
            raise LeagueError(f"--workers must be >= 0, got {self.workers}")
        if threads is not None and threads < 1:
            raise LeagueError(f"--threads must be >= 1, got {threads}")
        self.threads = threads_per_process(threads, self.workers)
        self.live_display = live_display
        self.on_progress = on_progress
        self.timings = Timings()
        self.clock = _Clock(self.timings)
        self.cache = LearnerCache(recipe.cache_size)
        db_path = self.out / DB_NAME
        if db_path.exists() and not resume:
            raise LeagueError(f"{self.out} already holds a league: pass --resume to continue it, or choose "
                              "another --out directory")
        if resume and not db_path.exists():
            raise LeagueError(f"nothing to resume: {db_path} does not exist (drop --resume to start a new league)")
        if resume:
            check_store_file(db_path)  # an empty or damaged store is refused before anything is written
        self.out.mkdir(parents=True, exist_ok=True)
        self.lock = DirectoryLock(self.out)
        try:
            if db_path.exists() and not resume:  # another run created it while we were starting
                raise LeagueError(f"{self.out} already holds a league: pass --resume to continue it, or choose "
                                  "another --out directory")
            self.store = PayoffStore(db_path)
        except BaseException:
            self.lock.release()
            raise
        try:
            if self.store.get_meta("created") is None:
                self._create()
            else:
                stored = self.store.get_meta("recipe")
                if stored != _recipe_identity(recipe):
                    diff = sorted(k for k in set(stored) | set(_recipe_identity(recipe))
                                  if stored.get(k) != _recipe_identity(recipe).get(k))
                    raise LeagueError(f"{self.out} was created from a different recipe (field '{diff[0]}' "
                                      "differs); only iterations, workers, cache_size and tensorboard may change "
                                      "on --resume")
            self._load_state()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ creation and loading
    def _create(self) -> None:
        """Write initial checkpoints, then register every player and agent in one transaction."""
        recipe = self.recipe
        staged: list[tuple[str, Any, dict[str, Any], Learner, Path]] = []
        for position, (name, agent) in enumerate(recipe.agent_names()):
            config = league_config(agent.learner, agent.config, recipe.game, recipe.game_kwargs)
            # Distinct but reproducible seeds for population copies.
            config.setdefault("seed", recipe.seed * 1000 + position)
            learner = make_learner(agent.learner, config)
            if agent.hyperparameters:
                learner.set_hyperparameters(dict(agent.hyperparameters))
            path = self.out / "agents" / name / "initial.pt"
            with self.clock("checkpoints"):
                save_checkpoint(path, agent.learner, config, learner)
            staged.append((name, agent, config, learner, path))
        with self.store.transaction():
            for member in recipe.members:
                self.store.add_player(member.name, "fixed", spec=member.bot)
            for member in recipe.evaluation.heldout:
                self.store.add_player(member.name, "heldout", spec=member.bot)
            for position, (name, agent, config, learner, path) in enumerate(staged):
                live = self.store.add_player(name, "live", path=str(path), agent=name, role=agent.role,
                                             hyperparameters=learner.hyperparameters)
                self.store.add_agent(name, position=position, role=agent.role, learner=agent.learner, config=config,
                                     hyperparameters=learner.hyperparameters, checkpoint=str(path), live_player=live)
                self.store.add_event(0, "join", name, {"role": agent.role, "learner": agent.learner,
                                                       "hyperparameters": learner.hyperparameters})
            self.store.set_meta("recipe", _recipe_identity(recipe))
            self.store.set_meta("iteration", 0)
            self.store.set_meta("created", time.time())

    def _load_state(self) -> None:
        """Rebuild the in-memory league (learners, payoff, Elo) from the store and checkpoints."""
        self.iteration = int(self.store.get_meta("iteration", 0))
        self.agent_recipes = dict(self.recipe.agent_names())
        self.learners: dict[str, Learner] = {a.name: load_learner(a.checkpoint) for a in self.store.agents()}
        m = self.recipe.matches
        self.payoff = PayoffMatrix(m.payoff_decay, m.min_games)
        self.elo: dict[int, float] = {}
        for p in self.store.players():
            self.payoff.add_player(p.id)
            self.elo[p.id] = p.elo
        for g in self.store.games():
            self.payoff.update(g.seats[0], g.seats[1], g.outcome)
        self.games_done = self.store.count_games()

    # ------------------------------------------------------------------ helpers
    def _spec(self, player: PlayerRow) -> PlayerSpec:
        if player.kind in ("fixed", "heldout"):
            return PlayerSpec(player.id, player.name, spec=player.spec)
        return PlayerSpec(player.id, player.name, path=player.path)

    def _make_env(self) -> Any:
        return arena.make(self.recipe.game, **self.recipe.game_kwargs)

    def _rng(self, *keys: int) -> np.random.Generator:
        return np.random.default_rng([self.recipe.seed, *keys])

    def _view(self) -> LeagueView:
        players = [p for p in self.store.players() if p.kind not in ("heldout", "human")]
        return LeagueView(players, self.payoff, {a.name: a.role for a in self.store.agents()})

    def _progress(self, message: str) -> None:
        if self.on_progress is not None:
            self.on_progress(message)

    # ------------------------------------------------------------------ one iteration
    def _plan(self, it: int) -> dict[str, dict[str, Any]]:
        plans: dict[str, dict[str, Any]] = {}
        with self.clock("matchmaking"):
            view = self._view()
            by_id = {p.id: p for p in view.players}
            for agent in self.store.agents():
                plan = self.store.plan(it, agent.name)
                if plan is None:
                    me = by_id[agent.live_player]
                    settings = self.agent_recipes[agent.name].opponents.settings()
                    candidates, probs = opponent_distribution(me, agent.role, view, settings)
                    rng = self._rng(it, agent.position)
                    opponents = sample(rng, candidates, probs, self.recipe.matches.opponents_per_iteration)
                    plan = {"opponents": [int(o) for o in opponents], "seed": int(rng.integers(2**30)),
                            "candidates": [int(c) for c in candidates], "probabilities": [float(p) for p in probs]}
                    self.store.save_plan(it, agent.name, plan)
                plans[agent.name] = plan
        return plans

    def _learn(self, it: int, plans: dict[str, dict[str, Any]], writer: Any) -> None:
        agents = {a.name: a for a in self.store.agents()}
        jobs = [LearnJob(a.name, a.learner, a.config, a.checkpoint, a.live_player,
                         tuple(int(o) for o in plans[a.name]["opponents"]), int(plans[a.name]["seed"]),
                         self.agent_recipes[a.name].steps_per_iteration,
                         str(self.out / "agents" / a.name / f"live-{it:05d}.pt"))
                for a in agents.values() if a.checkpoint_iteration < it]  # others committed before an interruption
        if self.backend is None:
            steps_done = self._learn_here(it, jobs)
        else:
            self._progress(f"iteration {it}: {', '.join(j.agent for j in jobs)} learn ({self.backend.name})")
            steps_done = self._timed(self.backend.learn(jobs, lambda o: self._spec(self.store.player(o))), "learn")
        # Committed in job order: a backend yields each job once the earlier ones are done.
        for job, metrics in steps_done:
            agent = agents[job.agent]
            path = Path(job.out)
            steps = agent.steps + job.steps
            with self.clock("store"), self.store.transaction():
                self.store.update_agent(agent.name, checkpoint=str(path), checkpoint_iteration=it, steps=steps)
                self.store.update_player(agent.live_player, path=str(path), step=steps, iteration=it)
            self._retire(agent.checkpoint, str(path))
            if writer is not None:
                for key, value in metrics.items():
                    writer.add_scalar(f"learn/{agent.name}/{key}", float(value), it)

    def _learn_here(self, it: int, jobs: list[LearnJob]) -> Iterator[tuple[LearnJob, dict[str, float]]]:
        """The learning steps in this process, one agent after another; the caller commits each
        before the next starts, so a later agent plays an earlier one's new checkpoint."""
        for job in jobs:
            learner = self.learners[job.agent]
            env = self._make_env()
            opponents = [build_bot(self._spec(self.store.player(o)), env, self.cache, seed=job.seed + k)
                         for k, o in enumerate(job.opponents)]
            self._progress(f"iteration {it}: {job.agent} learns ({job.steps} steps)")
            with self.clock("learn"):
                metrics = learner.learn(self._make_env, opponents, job.steps)
            with self.clock("checkpoints"):
                save_checkpoint(job.out, job.learner, job.config, learner)
            yield job, metrics

    def _timed(self, items: Iterator[Any], name: str) -> Iterator[Any]:
        """``items``, with the time spent waiting for each added to ``timings.<name>``."""
        while True:
            with self.clock(name):
                item = next(items, None)
            if item is None:
                return
            yield item

    def _retire(self, old: str, new: str) -> None:
        """Delete an agent's previous checkpoint once nothing refers to it (initial ones stay)."""
        if old != new and not old.endswith("initial.pt") and os.path.exists(old):
            os.unlink(old)

    def _tasks(self, it: int, plans: dict[str, dict[str, Any]]) -> list[MatchTask]:
        stored = self.store.game_keys(it)
        tasks: list[MatchTask] = []
        m, ev = self.recipe.matches, self.recipe.evaluation
        heldout = self.store.players(["heldout"])
        for agent in self.store.agents():
            me = self._spec(self.store.player(agent.live_player))
            plan = plans[agent.name]
            pairs = [(f"{it}/{agent.name}/{k}", o, m.games_per_opponent, plan["seed"] + 1000 * k, "train")
                     for k, o in enumerate(plan["opponents"])]
            if it % ev.every == 0:
                pairs += [(f"{it}/{agent.name}/heldout/{h.name}", h.id, ev.games, plan["seed"] + 7919 * (h.id + 1),
                           "eval") for h in heldout]
            for key, opponent, games, seed, purpose in pairs:
                skip = frozenset(g for g in range(games) if f"{key}/{g}" in stored)
                if len(skip) == games:
                    continue
                tasks.append(MatchTask(key, self.recipe.game, dict(self.recipe.game_kwargs),
                                       (me, self._spec(self.store.player(opponent))), games, seed, it, purpose, skip))
        return tasks

    def _record(self, result: GameResult) -> bool:
        """Store one game with its Elo update (joins the caller's transaction) and update the
        in-memory Elo; returns False for a game already stored (nothing changes then)."""
        a, b = result.seats
        outcome = outcome_of(result.scores)
        updates = {}
        if a != b:
            updates[a], updates[b] = elo_update(self.elo[a], self.elo[b], outcome, self.recipe.matches.elo_k)
        stored = self.store.record_game(result.key, iteration=result.iteration, purpose=result.purpose,
                                        seats=result.seats, scores=result.scores, seed=result.seed,
                                        duration=result.duration, elo_updates=updates)
        if stored is None:
            return False
        self.elo.update(updates)
        self.games_done += 1
        return True

    def _finalize(self, it: int) -> list[tuple[str, str]]:
        """Snapshots, resets and PBT for iteration ``it``, committed with the iteration counter.

        Returns ``(agent, new checkpoint, old checkpoint)`` for each learner that must be reloaded.
        """
        self._pending_ids: list[tuple[int, float]] = []  # (snapshot id, Elo) to add once committed
        reload: list[tuple[str, str, str]] = []
        view = self._view()
        by_id = {p.id: p for p in view.players}
        agents = self.store.agents()
        with self.store.transaction():
            for agent in agents:
                recipe = self.agent_recipes[agent.name]
                rule = recipe.snapshot.rule()
                me = by_id[agent.live_player]
                targets = snapshot_targets(me, agent.role, view)
                win_rate = float(np.mean(self.payoff.win_rates(me.id, targets))) if targets else 0.5
                if not ready_to_snapshot(agent.steps - agent.steps_at_snapshot, win_rate, rule):
                    continue
                snapshot_path = self.out / "snapshots" / f"{agent.name}@{it:05d}.pt"
                with self.clock("checkpoints"):
                    _copy_atomic(Path(agent.checkpoint), snapshot_path)  # a deep copy, frozen on disk
                previous = [p for p in view.snapshots_of([agent.name])]
                parent = previous[-1].id if previous else agent.live_player
                snapshot_id = self.store.add_player(
                    f"{agent.name}@{it}", "snapshot", path=str(snapshot_path), agent=agent.name, role=agent.role,
                    parent=parent, step=agent.steps, iteration=it, hyperparameters=agent.hyperparameters,
                    elo=self.elo[agent.live_player])
                self.store.update_agent(agent.name, steps_at_snapshot=agent.steps)
                details: dict[str, Any] = {"player": f"{agent.name}@{it}", "win_rate": win_rate, "step": agent.steps}
                if self._rng(it, agent.position, 1).random() < reset_probability(agent.role, rule):
                    initial = str(self.out / "agents" / agent.name / "initial.pt")
                    self.store.update_agent(agent.name, checkpoint=initial)
                    self.store.update_player(agent.live_player, path=initial)
                    reload.append((agent.name, initial, agent.checkpoint))
                    details["reset"] = True
                self.store.add_event(it, "snapshot", agent.name, details)
                self._pending_ids.append((snapshot_id, self.elo[agent.live_player]))
            if self.recipe.pbt.enabled:
                reload += self._pbt(it)
            self.store.set_meta("iteration", it)
        return reload

    def _pbt(self, it: int) -> list[tuple[str, str, str]]:
        """Exploit/explore within each population (the ``copies`` of one recipe agent)."""
        settings = self.recipe.pbt.settings()
        agents = {a.name: a for a in self.store.agents()}
        populations: dict[str, list[Member]] = {}
        for a in agents.values():
            member = Member(a.name, self.elo[a.live_player], a.hyperparameters,
                            a.steps - a.steps_at_ready >= settings.ready_steps)
            populations.setdefault(self.agent_recipes[a.name].name, []).append(member)
        population = [m for group in populations.values() for m in group]
        decisions = [d for k, group in enumerate(populations.values())
                     for d in exploit_and_explore(group, settings, self._rng(it, 2, k))]
        reload = []
        for decision in decisions:
            loser, winner = agents[decision.loser], agents[decision.winner]
            path = self.out / "agents" / loser.name / f"pbt-{it:05d}.pt"
            with self.clock("checkpoints"):
                if self.backend is not None:  # the winner's learner lives with the backend
                    self.backend.clone(winner.name, str(path), loser.learner, loser.config, decision.hyperparameters,
                                       checkpoint=winner.checkpoint)
                else:
                    learner = self.learners[winner.name].clone()
                    learner.set_hyperparameters(decision.hyperparameters)
                    save_checkpoint(path, loser.learner, loser.config, learner)
            self.store.update_agent(loser.name, checkpoint=str(path), hyperparameters=decision.hyperparameters,
                                    generation=loser.generation + 1, parent=winner.name, steps_at_ready=loser.steps)
            self.store.update_player(loser.live_player, path=str(path), hyperparameters=decision.hyperparameters)
            self.store.add_event(it, "exploit", loser.name, {
                "winner": winner.name, "old_hyperparameters": loser.hyperparameters,
                "new_hyperparameters": decision.hyperparameters, "generation": loser.generation + 1})
            reload.append((loser.name, str(path), loser.checkpoint))
        exploited = {d.loser for d in decisions}
        for member in population:
            if member.ready and member.name not in exploited:
                self.store.update_agent(member.name, steps_at_ready=agents[member.name].steps)
        return reload

    # ------------------------------------------------------------------ the loop
    def run(self, *, max_iterations: int | None = None) -> Timings:
        """Run the remaining iterations; returns where the time went."""
        import torch

        from leagues.report import LiveDisplay

        start = time.perf_counter()
        writer = self._tensorboard()
        torch_threads = torch.get_num_threads()
        set_process_threads(self.threads)  # the learning steps run here, in the coordinator
        if self.backend is not None:
            executor = self.backend.executor(self.workers, self.recipe.cache_size)
        else:
            executor = make_executor(self.workers, self.recipe.cache_size, self.threads)
        display = LiveDisplay(self, enabled=self.live_display)
        target = self.recipe.iterations if max_iterations is None else min(self.recipe.iterations, max_iterations)
        interrupted = False
        try:
            with display:
                while self.iteration < target:
                    it = self.iteration + 1
                    plans = self._plan(it)
                    self._learn(it, plans, writer)
                    tasks = self._tasks(it, plans)
                    display.update(f"iteration {it}/{target}: {sum(t.games - len(t.skip) for t in tasks)} games")
                    self._play(executor, tasks, display)
                    with self.clock("store"):
                        reload = self._finalize(it)
                    for snapshot_id, elo in self._pending_ids:
                        self.elo[snapshot_id] = elo
                        self.payoff.add_player(snapshot_id)
                    for name, path, old_path in reload:
                        with self.clock("checkpoints"):
                            if self.backend is None:  # a backend's learner reloads at its next job
                                self.learners[name] = load_learner(path)
                        self._retire(old_path, path)
                    self.iteration = it
                    if writer is not None:
                        self._write_scalars(writer, it, start)
                    display.update()
                if self.recipe.evaluation.round_robin and self.iteration == self.recipe.iterations:
                    self._round_robin(executor, display)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            executor.close(abort=interrupted)
            if self.backend is not None:
                self.backend.close(abort=interrupted)
            set_process_threads(torch_threads)
            if writer is not None:
                writer.close()
            self.timings.wall += time.perf_counter() - start
            self.store.set_meta("timings", _add_timings(self.store.get_meta("timings"), self.timings.as_dict()))
        return self.timings

    def _round_robin(self, executor: Any, display: Any) -> None:
        """Every pair of players plays ``evaluation.round_robin`` games: a complete payoff matrix.

        Keys carry the iteration, so a league resumed with more iterations plays a fresh one.
        """
        it = self.iteration
        games = self.recipe.evaluation.round_robin
        stored = self.store.game_keys(it)
        players = [p for p in self.store.players() if p.kind != "human"]  # people are not on call
        tasks = []
        for i, a in enumerate(players):
            for b in players[i + 1:]:
                key = f"{it}/round-robin/{a.name}/{b.name}"
                skip = frozenset(g for g in range(games) if f"{key}/{g}" in stored)
                if len(skip) < games:
                    seed = int(self._rng(it, a.id, b.id).integers(2**30))
                    tasks.append(MatchTask(key, self.recipe.game, dict(self.recipe.game_kwargs),
                                           (self._spec(a), self._spec(b)), games, seed, it, "eval", skip))
        display.update(f"round robin: {len(tasks)} pairs x {games} games")
        self._play(executor, tasks, display)

    def _play(self, executor: Any, tasks: list[MatchTask], display: Any) -> None:
        """Run ``tasks`` and record every game; time spent waiting for games counts as ``games``."""
        start = time.perf_counter()
        booked = self.timings.store + self.timings.ratings + self.timings.display
        for results in executor.run(tasks):
            # One transaction per finished task: its games and their Elo updates commit together
            # (a killed run replays the whole task), and fast games do not pay one commit each.
            # The online Elo arithmetic inside is negligible, so the whole block counts as store time.
            with self.clock("store"), self.store.transaction():
                recorded = [r for r in results if self._record(r)]
            with self.clock("ratings"):
                for r in recorded:
                    self.payoff.update(r.seats[0], r.seats[1], outcome_of(r.scores))
            with self.clock("display"):
                display.update()
        booked = self.timings.store + self.timings.ratings + self.timings.display - booked
        self.timings.games += time.perf_counter() - start - booked

    def _tensorboard(self) -> Any:
        if not self.recipe.tensorboard:
            return None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self._progress("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
            return None
        return SummaryWriter(str(self.out / "tb"))

    def _write_scalars(self, writer: Any, it: int, start: float) -> None:
        for p in self.store.players(["live"]):
            writer.add_scalar(f"elo/{p.name}", self.elo[p.id], it)
        writer.add_scalar("league/games", self.games_done, it)
        writer.add_scalar("league/players", len(self.elo), it)
        writer.add_scalar("league/games_per_second", self.games_done / max(time.perf_counter() - start, 1e-9), it)

    def close(self) -> None:
        self.store.close()
        self.lock.release()


def _add_timings(old: dict[str, float] | None, new: dict[str, float]) -> dict[str, float]:
    """Accumulate timings over resumed runs."""
    out = dict(old or {})
    for key, value in new.items():
        out[key] = out.get(key, 0.0) + value
    return out


def league_summary_json(store: PayoffStore) -> str:
    """A compact JSON summary (used by ``arena league status --json``)."""
    from leagues.report import compute_ratings

    rows = compute_ratings(store)
    return json.dumps({"iteration": store.get_meta("iteration", 0), "games": store.count_games(),
                       "players": [r.as_dict() for r in rows]})
