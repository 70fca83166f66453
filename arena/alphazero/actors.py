"""AlphaZero self-play actors: ``arena train alphazero ... --actors N [--backend local|ray]``.

The actor-learner pattern (AlphaZero, GA3C): the trainer process is the one **learner** -- replay
buffer, optimiser, evaluation, checkpoints -- and ``N`` **actors** play the self-play games. At the
start of each iteration the learner broadcasts the player network's weights to every actor; actor
``i`` plays its share of the iteration's games (:func:`game_shares`) with a batched MCTS
(:func:`arena.alphazero.selfplay.self_play`) on the CPU with one thread; the learner merges the
positions in actor order (:func:`merge`), adds them to its replay buffer and trains.

Determinism: actor ``i``'s games of iteration ``t`` are seeded from ``(seed, t, i)`` alone and the
results are merged in actor order, so an iteration's data depends neither on the backend nor on
which actor finished first, and a run killed at any moment then resumed (``--resume`` continues
from the last finished iteration, replaying the unfinished one with the same seeds) ends with
exactly the weights, replay buffer and game count of an uninterrupted run. The data differ from
the single-process path (``--actors 1``), which draws its games from the trainer's own generator.

Backends:

* ``local``: one ``multiprocessing`` process per actor (spawn context), each with torch, numba
  and BLAS at one thread, ignoring Ctrl-C (the trainer handles it and stops them) and exiting when
  the trainer dies; an actor that dies is one error line naming it, never a hang;
* ``ray``: one Ray actor per actor, on a private Ray instance, the cluster on this machine
  (``--address auto``) or a head node (``--address HOST:PORT``); an actor that dies is restarted
  by Ray and its iteration's share replayed (same seeds, same games) up to :data:`RESTARTS` times.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from arena import distributed
from arena.alphazero.config import AlphaZeroConfig
from arena.alphazero.selfplay import SelfPlayData
from arena.distributed import exit_with_parent, quiet_children, set_process_threads, thread_environment

RESTARTS = 3  # restarts of a dead Ray actor (its share of the iteration is replayed)
ProgressFn = Callable[[int, int], None]  # (positions so far, games finished so far) of the iteration


class ActorError(ValueError):
    """An actor failed or died, or a bad actor option; the message is one line (``arena`` prints it
    as ``arena: error: ...``)."""


# ---------------------------------------------------------------------------------------- pieces
def game_shares(games: int, actors: int) -> list[int]:
    """The games each of ``actors`` actors plays of an iteration's ``games``: equal shares, the
    first ``games % actors`` actors one more (an actor may get none when games < actors)."""
    return [games // actors + (1 if i < games % actors else 0) for i in range(actors)]


def actor_seed(seed: int, iteration: int, actor: int) -> np.random.SeedSequence:
    """The seed of actor ``actor``'s games in (0-based) iteration ``iteration`` of a run seeded ``seed``."""
    return np.random.SeedSequence([int(seed), int(iteration), int(actor)])


def merge(parts: Sequence[SelfPlayData], seconds: float) -> SelfPlayData:
    """The actors' data as one phase's: positions concatenated in the order given, counters summed;
    ``seconds`` is the phase's wall time."""
    if not parts:
        raise ValueError("merge needs the data of at least one actor")
    games = sum(p.games for p in parts)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    return SelfPlayData(
        planes=cat("planes"), pi=cat("pi"), z=cat("z"), games=games,
        first_player_wins=sum(p.first_player_wins for p in parts),
        second_player_wins=sum(p.second_player_wins for p in parts), draws=sum(p.draws for p in parts),
        mean_length=sum(p.mean_length * p.games for p in parts) / max(1, games), seconds=seconds,
        pi_next=cat("pi_next"), has_next=cat("has_next"), searches=sum(p.searches for p in parts),
        full_searches=sum(p.full_searches for p in parts), simulations=sum(p.simulations for p in parts),
        forks=sum(p.forks for p in parts))


def set_threads(threads: int = 1) -> None:
    """torch and numba at ``threads`` threads in this process, and the variables its children read."""
    os.environ.update(thread_environment(threads))
    set_process_threads(threads)


class SelfPlayActor:
    """One actor: the game and a CPU copy of the network; :meth:`play` loads the broadcast
    weights and plays a share of an iteration's games."""

    def __init__(self, config: dict[str, Any], index: int, threads: int = 1) -> None:
        set_threads(threads)
        from arena.alphazero.trainer import AlphaZeroTrainer

        self.index = index
        values = {**config, "device": "cpu", "threads": threads, "init_from": "", "tensorboard": False,
                  "actors": 1, "backend": "local", "replay_capacity": config["batch_size"]}  # no replay here
        self.trainer = AlphaZeroTrainer(AlphaZeroConfig.from_dict(values))  # game, network, search params
        self.progress = (0, 0)

    def play(self, weights: dict[str, Any], iteration: int, games: int,
             on_move: ProgressFn | None = None) -> SelfPlayData:
        from arena.alphazero.selfplay import self_play

        t = self.trainer
        c = t.config
        t.model.load_state_dict(weights)
        t.model.eval()
        self.progress = (0, 0)

        def moved(positions: int, finished: int) -> None:
            self.progress = (positions, finished)
            if on_move is not None:
                on_move(positions, finished)

        rng = np.random.default_rng(actor_seed(c.seed, iteration, self.index))
        return self_play(t.game, t.evaluator(t.model), t.search_params(), games, batch_size=c.selfplay_batch,
                         temperature_moves=c.temperature_moves, rng=rng, reuse_tree=c.reuse_tree, on_move=moved,
                         full_search_fraction=c.full_search_fraction if c.playout_cap_randomisation else 1.0,
                         fast_simulations=c.fast_playouts, prune_policy=c.policy_target_pruning,
                         fork_rate=c.fork_rate)

    def get_progress(self) -> tuple[int, int]:
        return self.progress

    def pid(self) -> int:
        return os.getpid()


def _cpu_weights(weights: dict[str, Any]) -> dict[str, Any]:
    return {k: v.detach().cpu().clone() for k, v in weights.items()}


# ---------------------------------------------------------------------------------------- local
def _local_actor_main(conn: Connection, config: dict[str, Any], index: int, parent: int, progress: Any) -> None:
    """The loop of a local actor process: ("play", weights, iteration, games) -> ("ok", data)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle
    exit_with_parent(parent)
    try:
        actor = SelfPlayActor(config, index)
        conn.send(("ready", os.getpid()))
    except Exception as exc:  # noqa: BLE001 (sent back as one line)
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return

    def report(positions: int, finished: int) -> None:
        progress[2 * index], progress[2 * index + 1] = positions, finished

    while True:
        try:
            message = conn.recv()
        except EOFError:  # the trainer closed the pipe
            return
        if message[0] == "stop":
            return
        _, weights, iteration, games = message
        try:
            conn.send(("ok", actor.play(weights, iteration, games, report)))
        except Exception as exc:  # noqa: BLE001 (sent back as one line)
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class LocalActors:
    """``actors`` self-play actors in local processes (spawn), started once for the run."""

    backend = "local"

    def __init__(self, config: AlphaZeroConfig, actors: int) -> None:
        if actors < 1:
            raise ActorError(f"--actors must be >= 1, got {actors}")
        context = multiprocessing.get_context("spawn")
        self.config = config
        self.progress = context.Array("q", 2 * actors, lock=False)
        self.processes: list[Any] = []
        self.conns: list[Connection] = []
        try:
            with quiet_children(1):  # threads and Ctrl-C of the children from their first instruction
                for index in range(actors):
                    mine, theirs = context.Pipe()
                    process = context.Process(target=_local_actor_main, name=f"arena-az-actor-{index}", daemon=True,
                                              args=(theirs, config.to_dict(), index, os.getpid(), self.progress))
                    try:
                        process.start()
                    finally:
                        theirs.close()
                    self.processes.append(process)
                    self.conns.append(mine)
            for index in range(actors):
                self._receive(index)  # ("ready", pid)
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return len(self.processes)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def _receive(self, index: int) -> Any:
        conn, process = self.conns[index], self.processes[index]
        while True:
            ready = wait([conn, process.sentinel], timeout=1.0)
            if conn in ready:
                try:
                    status, value = conn.recv()
                except (EOFError, OSError):
                    status, value = "died", None
            elif process.sentinel in ready:
                status, value = "died", None
            else:
                continue
            if status == "died":
                raise ActorError(f"self-play actor {index} (pid {process.pid}) died with exit code "
                                 f"{process.exitcode}; --resume continues from the last finished iteration")
            if status == "error":
                raise ActorError(f"self-play actor {index} failed: {value}")
            return value

    def play(self, weights: dict[str, Any], iteration: int, shares: Sequence[int],
             on_move: ProgressFn | None = None) -> list[SelfPlayData]:
        """Each actor plays its share of iteration ``iteration``; the data come back in actor order."""
        weights = _cpu_weights(weights)
        busy = [i for i, n in enumerate(shares) if n > 0]
        for i in range(len(self.progress)):
            self.progress[i] = 0
        for i in busy:
            try:
                self.conns[i].send(("play", weights, iteration, shares[i]))
            except OSError:  # a dead actor's pipe: _receive names it
                self._receive(i)
        results: dict[int, SelfPlayData] = {}
        pending = set(busy)
        while pending:
            ready = wait([self.conns[i] for i in pending] + [self.processes[i].sentinel for i in pending],
                         timeout=0.5)
            for i in sorted(pending):
                if self.conns[i] in ready or self.processes[i].sentinel in ready:
                    results[i] = self._receive(i)
                    pending.discard(i)
            if on_move is not None:
                on_move(sum(self.progress[0::2]), sum(self.progress[1::2]))
        return [results[i] for i in busy]

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2.0
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # busy playing (e.g. after Ctrl-C): stop it now
                process.kill()
                process.join(timeout=5)
        for conn in self.conns:
            conn.close()
        self.processes, self.conns = [], []


# ---------------------------------------------------------------------------------------- Ray
def import_ray() -> Any:
    """The ``ray`` module, or a one-line :class:`ActorError` naming the extra that installs it."""
    return distributed.import_ray(ActorError)


class RayActors:
    """``actors`` self-play actors as Ray actors (see the module docstring).

    ``address``: ``None`` starts a private Ray instance on this machine (``RAY_ADDRESS``, when set,
    is used instead), ``"auto"`` joins the cluster running on this machine, ``HOST:PORT`` a head
    node. Each actor reserves an equal share of the cluster's CPUs (at most one)."""

    backend = "ray"

    def __init__(self, config: AlphaZeroConfig, actors: int, address: str | None = None) -> None:
        if actors < 1:
            raise ActorError(f"--actors must be >= 1, got {actors}")
        address = address or os.environ.get("RAY_ADDRESS") or None
        distributed.ray_token_auth_for(address)
        self.ray = import_ray()
        self.owns_ray = False
        self.actors: list[Any] = []
        self._connect(address)
        try:
            total = float(self.ray.cluster_resources().get("CPU", 0.0))
            if total <= 0:
                raise ActorError("the Ray cluster has no CPUs")
            share = min(1.0, math.floor(total / actors * 100) / 100)
            remote = self.ray.remote(SelfPlayActor).options(
                num_cpus=share, max_concurrency=2, max_restarts=RESTARTS, max_task_retries=RESTARTS,
                runtime_env={"env_vars": thread_environment(1)})
            self.actors = [remote.remote(config.to_dict(), index) for index in range(actors)]
            self._pids = self._get([a.pid.remote() for a in self.actors], "a self-play actor")
        except BaseException:
            self.close()
            raise

    def _connect(self, address: str | None) -> None:
        """A private Ray instance or the cluster at ``address`` (probed first: a silent head
        fails in seconds)."""
        self.owns_ray = distributed.ray_init(self.ray, address, ActorError)

    def __len__(self) -> int:
        return len(self.actors)

    def pids(self) -> list[int]:
        return self._get([a.pid.remote() for a in self.actors], "a self-play actor")

    def _get(self, refs: Any, what: str) -> Any:
        ray = self.ray
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            text = f"{type(cause).__name__}: {cause}" if isinstance(cause, Exception) else str(exc).splitlines()[0]
            raise ActorError(f"{what} failed: {text}") from None
        except ray.exceptions.RayActorError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ActorError(f"{what} died more than {RESTARTS} times ({first}); --resume continues from the "
                             "last finished iteration") from None

    def play(self, weights: dict[str, Any], iteration: int, shares: Sequence[int],
             on_move: ProgressFn | None = None) -> list[SelfPlayData]:
        """Each actor plays its share of iteration ``iteration``; the data come back in actor order."""
        ray = self.ray
        shared = ray.put(_cpu_weights(weights))  # one copy in the object store for every actor
        busy = [i for i, n in enumerate(shares) if n > 0]
        refs = [self.actors[i].play.remote(shared, iteration, shares[i]) for i in busy]
        try:
            while True:
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=1.0)
                if len(ready) == len(refs):
                    break
                if on_move is not None:
                    finished = set(ready)
                    playing = [i for i, ref in zip(busy, refs, strict=True) if ref not in finished]
                    try:  # the actors answer between two moves (max_concurrency=2)
                        counts = ray.get([self.actors[i].get_progress.remote() for i in playing], timeout=5.0)
                    except Exception:  # noqa: BLE001 (progress is best effort; play's result is not)
                        continue
                    done = [self._get(ref, "a self-play actor") for ref in ready]
                    on_move(sum(c[0] for c in counts) + sum(d.positions for d in done),
                            sum(c[1] for c in counts) + sum(d.games for d in done))
            return self._get(refs, "a self-play actor")
        except BaseException:
            for ref in refs:
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 (already finished or not cancellable)
                    pass
            raise

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 (already gone)
                pass
        self.actors = []
        if self.owns_ray and self.ray.is_initialized():
            self.ray.shutdown()
            self.owns_ray = False


def start_actors(config: AlphaZeroConfig, address: str | None = None) -> LocalActors | RayActors:
    """The actors of ``config`` (``actors``, ``backend``); ``address`` applies to Ray only."""
    if config.backend == "ray":
        return RayActors(config, config.actors, address)
    if address is not None:
        raise ActorError("--address applies to --backend ray only")
    return LocalActors(config, config.actors)


def uses_actors(config: AlphaZeroConfig) -> bool:
    """Whether self-play runs on actors: more than one, or any on Ray (``--actors 1`` on the local
    backend is the single-process path)."""
    return config.actors > 1 or config.backend == "ray"
