"""Self-play: B games advance in lockstep; every simulation evaluates all B leaves in one call.

Each move: search every unfinished game (root Dirichlet noise on), record (planes, pi, seat),
pick moves with tau = 1 for the first ``temperature_moves`` moves of a game and tau -> 0 after,
step all games at once, keep each chosen subtree. A finished game's slot starts a new game until
``num_games`` games have been started, so the batch stays full.

KataGo's sample-efficiency methods (each off unless asked for):

* **playout cap randomisation** (``full_search_fraction < 1``): each move is a *full* search
  (``params.num_simulations``, root noise, recorded as a training position) with probability
  ``full_search_fraction``, else a *fast* search of ``fast_simulations`` playouts without noise
  that only picks the move and is not recorded;
* **forced playouts and policy-target pruning** (``params.forced_playouts_k > 0``, full searches
  only): every visited root child gets at least ``sqrt(k P(c) sum N)`` playouts, and with
  ``prune_policy`` those forced playouts are taken back out of the recorded target
  (:func:`arena.mcts.batched.pruned_visits`);
* **the opponent's reply policy** as an auxiliary target: every recorded position also carries
  ``pi_next``, the search policy of the position after the move played (the opponent's reply),
  with ``has_next`` False at a game's last move.

**Forks** (``fork_rate > 0``, KataGo's side branches taken further): after a game's sampled
opening, each move spawns with probability ``fork_rate`` a copy of the game in which the side to
move plays a different move -- drawn from the search's visit shares with the chosen move left out
(uniformly among the other legal moves when the search visited no other) -- and the copy is
played out as a game of its own later in the phase, recorded from after that move on. The main
game goes on unchanged, so its value targets stay those of its own result; each fork's positions
carry the fork's result. Self-play otherwise plays every move after the opening at its best, so a
fork is how the network meets the positions that follow a mistake and learns to punish it. Forks
count towards ``num_games`` and take a finished game's slot before a fresh game does.

With ``params.solver`` the proofs of the search shape both the moves and the targets: a proven
win takes all of the target, a proven loss none (:meth:`arena.mcts.batched.BatchedMCTS.move_visits`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from arena.alphazero.network import encode_planes
from arena.mcts.batched import BatchedMCTS, Evaluator, SearchParams, sample_actions, visit_policy


@dataclass
class SelfPlayData:
    """Positions from finished games: ``planes[M, P, H, W]`` (uint8 for binary planes),
    ``pi[M, A]`` (target visit shares), ``z[M]`` (final score of the player to move),
    ``pi_next[M, A]`` (the opponent's reply policy; zeros where ``has_next[M]`` is False), and
    per-game statistics. ``searches``/``full_searches`` count the moves searched and those
    searched with the full budget (all of them without playout cap randomisation); ``forks`` counts
    the games that started from a fork (included in ``games``)."""

    planes: np.ndarray
    pi: np.ndarray
    z: np.ndarray
    games: int
    first_player_wins: int
    second_player_wins: int
    draws: int
    mean_length: float
    seconds: float
    pi_next: np.ndarray | None = None
    has_next: np.ndarray | None = None
    searches: int = 0
    full_searches: int = 0
    simulations: int = 0
    forks: int = 0

    @property
    def positions(self) -> int:
        return int(self.z.shape[0])


def _plane_layout(game: Any) -> tuple[tuple[int, ...], type]:
    sample = encode_planes(game, game.initial_state(1))
    obs = np.asarray(game.observation(game.initial_state(1), 0))
    return tuple(sample.shape[1:]), (np.uint8 if obs.dtype.kind in "biu" else np.float32)


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def self_play(game: Any, evaluate: Evaluator, params: SearchParams, num_games: int, *, batch_size: int,
              temperature_moves: int, rng: np.random.Generator, reuse_tree: bool = True,
              on_move: Callable[[int, int], None] | None = None, full_search_fraction: float = 1.0,
              fast_simulations: int = 0, prune_policy: bool = False, checkpoint_seconds: float = 0.0,
              on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
              resume: dict[str, Any] | None = None, fork_rate: float = 0.0) -> SelfPlayData:
    """Play ``num_games`` games of ``game`` against itself, ``batch_size`` at a time.

    ``full_search_fraction < 1`` turns on playout cap randomisation with ``fast_simulations``
    playouts for the fast searches; ``prune_policy`` prunes forced playouts from the targets
    (see the module docstring); ``fork_rate`` is the chance that a move after the opening forks
    the game (see the module docstring). ``on_move(positions_so_far, games_finished)`` is called after
    every lockstep move (progress).

    Checkpoints inside the phase: every ``checkpoint_seconds`` (and once when the last game ends)
    ``on_checkpoint(snapshot)`` receives the phase's progress -- the games in play, the positions
    recorded so far, the counters -- as tensors and plain values; ``resume=snapshot`` continues
    from it. The snapshot is taken between two moves and consumes no randomness, so taking one
    changes nothing; a resumed phase continues the same games with fresh search trees (the trees
    are not saved), so it is equal in distribution to an uninterrupted one, not bit for bit.
    States with object fields (the plain-AEC adapter) are not snapshotted.
    """
    if not 0.0 <= fork_rate < 1.0:
        raise ValueError(f"fork_rate must be in [0, 1), got {fork_rate}")
    if not 0.0 < full_search_fraction <= 1.0:
        raise ValueError(f"full_search_fraction must be in (0, 1], got {full_search_fraction}")
    capped = full_search_fraction < 1.0
    if capped and not 1 <= fast_simulations <= params.num_simulations:
        raise ValueError(f"fast_simulations must be in [1, num_simulations={params.num_simulations}] "
                         f"with playout cap randomisation, got {fast_simulations}")
    start = time.perf_counter()
    B = max(1, min(batch_size, num_games))
    states = game.initial_state(B)
    mcts = BatchedMCTS(game, evaluate, params, rng=rng, reuse_tree=reuse_tree)
    mcts.reset(states)
    plane_shape, plane_dtype = _plane_layout(game)
    A = game.num_actions
    # Per game: the recorded positions (planes, pi, seat) and each one's opponent-reply policy.
    history: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in range(B)]
    replies: list[list[np.ndarray | None]] = [[] for _ in range(B)]
    ply = np.zeros(B, dtype=np.int64)  # moves played in each slot's game (the protocol has no move counter)
    waiting = np.zeros(B, dtype=np.bool_)  # the game's last recorded position awaits its reply policy
    out_planes: list[np.ndarray] = []
    out_pi: list[np.ndarray] = []
    out_z: list[np.ndarray] = []
    out_next: list[np.ndarray] = []
    out_has_next: list[np.ndarray] = []
    started, finished = B, 0
    wins = [0, 0]
    draws = 0
    lengths: list[int] = []
    positions = searches = full_searches = simulations = 0
    # Forks waiting for a slot: (a batch-of-one state after the other move, its ply).
    forks: list[tuple[Any, int]] = []
    forks_started = 0
    fields = [f.name for f in dataclasses.fields(states)]
    snapshots = on_checkpoint is not None and all(getattr(states, k).dtype != object for k in fields)
    if resume is not None:
        for k in fields:
            getattr(states, k)[...] = resume["states"][k].numpy()
        mcts.reset(states)  # fresh trees over the saved positions
        ply[:] = resume["ply"].numpy()
        waiting[:] = resume["waiting"].numpy()
        history = [[(r[0].numpy(), r[1].numpy(), int(r[2])) for r in game_records] for game_records in resume["history"]]
        replies = [[None if r is None else r.numpy() for r in game_replies] for game_replies in resume["replies"]]
        out_planes, out_pi, out_z, out_next, out_has_next = (
            [t.numpy() for t in resume[k]] for k in ("out_planes", "out_pi", "out_z", "out_next", "out_has_next"))
        started, finished, draws = int(resume["started"]), int(resume["finished"]), int(resume["draws"])
        wins = [int(w) for w in resume["wins"]]
        lengths = [int(n) for n in resume["lengths"]]
        positions, searches, full_searches, simulations = (int(resume[k]) for k in (
            "positions", "searches", "full_searches", "simulations"))
        forks_started = int(resume.get("forks_started", 0))
        for fork_fields, fork_ply in resume.get("forks", []):
            fork = states.take([0])
            for k in fields:
                getattr(fork, k)[...] = fork_fields[k].numpy()
            forks.append((fork, int(fork_ply)))

    def snapshot() -> dict[str, Any]:
        return {
            "states": {k: _tensor(getattr(states, k)) for k in fields}, "ply": _tensor(ply),
            "waiting": _tensor(waiting),
            "history": [[(_tensor(r[0]), _tensor(r[1]), int(r[2])) for r in h] for h in history],
            "replies": [[None if r is None else _tensor(r) for r in h] for h in replies],
            "out_planes": [_tensor(a) for a in out_planes], "out_pi": [_tensor(a) for a in out_pi],
            "out_z": [_tensor(a) for a in out_z], "out_next": [_tensor(a) for a in out_next],
            "out_has_next": [_tensor(a) for a in out_has_next], "started": started, "finished": finished,
            "draws": draws, "wins": list(wins), "lengths": list(lengths), "positions": positions,
            "searches": searches, "full_searches": full_searches, "simulations": simulations,
            "forks": [({k: _tensor(getattr(f, k)) for k in fields}, p) for f, p in forks],
            "forks_started": forks_started,
        }

    last_snapshot = time.monotonic()
    while finished < num_games:
        active = ~states.terminal
        full = active & (rng.random(B) < full_search_fraction) if capped else active.copy()
        budget = np.where(full, params.num_simulations, fast_simulations if capped else params.num_simulations)
        mcts.run(active, root_noise=full, simulations=budget)
        move_weights = mcts.move_visits()
        prune = prune_policy and params.forced_playouts_k > 0
        target = mcts.policy_targets(prune=True) if prune else move_weights
        pi = visit_policy(target, 1.0)
        search_pi = visit_policy(move_weights, 1.0)
        tau = np.where(ply < temperature_moves, 1.0, 0.0)
        actions = sample_actions(visit_policy(move_weights, tau), rng)
        rows = np.flatnonzero(active)
        searches += rows.size
        full_searches += int(full.sum())
        simulations += int(budget[rows].sum())
        for b in rows[waiting[rows]]:  # this search answers the previous recorded position
            replies[b][-1] = search_pi[b]
        waiting[rows] = False
        rec = np.flatnonzero(full)
        if rec.size:
            planes = encode_planes(game, states.take(rec)).astype(plane_dtype)
            for j, b in enumerate(rec):
                history[b].append((planes[j], pi[b], int(states.to_play[b])))
                replies[b].append(None)
            waiting[rec] = True
            positions += rec.size
        actions = np.where(active, actions, 0)
        if fork_rate > 0:
            forking = rows[(ply[rows] >= temperature_moves) & (rng.random(rows.size) < fork_rate)]
            for b in forking:
                if started + len(forks) >= num_games:
                    break
                fork = _fork(game, states, int(b), int(actions[b]), move_weights[b], rng)
                if fork is not None:
                    forks.append((fork, int(ply[b]) + 1))
        game.step(states, actions)
        ply[active] += 1
        mcts.advance(actions, states)
        done = np.flatnonzero(active & states.terminal)
        if done.size:
            scores = game.returns(states.take(done))  # [D, 2] per seat
            for j, b in enumerate(done):
                records = history[b]
                if records:
                    out_planes.append(np.stack([r[0] for r in records]))
                    out_pi.append(np.stack([r[1] for r in records]))
                    out_z.append(np.array([scores[j, r[2]] for r in records], dtype=np.float32))
                    out_next.append(np.stack([np.zeros(A, np.float32) if r is None else r for r in replies[b]]))
                    out_has_next.append(np.array([r is not None for r in replies[b]], dtype=np.bool_))
                winner = int(states.winner[b])
                if winner in (0, 1):
                    wins[winner] += 1
                else:
                    draws += 1
                lengths.append(int(ply[b]))
                history[b] = []
                replies[b] = []
                waiting[b] = False
                finished += 1
            refill = done[: max(0, num_games - started)]
            if refill.size:
                fresh = game.initial_state(refill.size)
                ply[refill] = 0
                for j in range(min(len(forks), refill.size)):  # forks first, then fresh games
                    fork, fork_ply = forks.pop(0)
                    for k in fields:
                        getattr(fresh, k)[j] = getattr(fork, k)[0]
                    ply[refill[j]] = fork_ply
                    forks_started += 1
                for k in fields:
                    getattr(states, k)[refill] = getattr(fresh, k)
                mcts.reset(fresh, rows=refill)
                started += refill.size
        if on_move is not None:
            on_move(positions, finished)
        if snapshots and (finished >= num_games or (
                checkpoint_seconds > 0 and time.monotonic() - last_snapshot >= checkpoint_seconds)):
            on_checkpoint(snapshot())
            last_snapshot = time.monotonic()
    return SelfPlayData(
        planes=np.concatenate(out_planes) if out_planes else np.zeros((0, *plane_shape), plane_dtype),
        pi=np.concatenate(out_pi) if out_pi else np.zeros((0, A), np.float32),
        z=np.concatenate(out_z) if out_z else np.zeros(0, np.float32),
        games=finished, first_player_wins=wins[0], second_player_wins=wins[1], draws=draws,
        mean_length=float(np.mean(lengths)) if lengths else 0.0, seconds=time.perf_counter() - start,
        pi_next=np.concatenate(out_next) if out_next else np.zeros((0, A), np.float32),
        has_next=np.concatenate(out_has_next) if out_has_next else np.zeros(0, np.bool_),
        searches=searches, full_searches=full_searches, simulations=simulations, forks=forks_started)


def _fork(game: Any, states: Any, b: int, played: int, visits: np.ndarray, rng: np.random.Generator) -> Any | None:
    """A copy of game ``b`` in which the side to move plays another move than ``played``: drawn
    from the search's ``visits`` with ``played`` left out, else uniformly among the other legal
    moves. None when there is no other legal move or the fork's game is already over."""
    fork = states.take([b])
    weights = np.asarray(visits, dtype=np.float64).copy()
    weights[played] = 0.0
    if weights.sum() <= 0:
        weights = np.asarray(game.legal_mask(fork)[0], dtype=np.float64)
        weights[played] = 0.0
        if weights.sum() <= 0:
            return None
    action = int(rng.choice(weights.size, p=weights / weights.sum()))
    game.step(fork, np.array([action], dtype=np.int64))
    return None if bool(fork.terminal[0]) else fork
