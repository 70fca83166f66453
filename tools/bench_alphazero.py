"""Benchmarks of the AlphaZero engine, each a ratio against a reference measured in the same run.

    python tools/bench_alphazero.py [--quick] [--json] [--device cpu|cuda] [--batch 256 ...]
    python tools/bench_alphazero.py --strength [--games 20] [--json]
    python tools/bench_alphazero.py --solver [--positions 500] [--solver-games 40] [--search-solver on off] [--model PATH]
    python tools/bench_alphazero.py --openspiel gomoku_8x8_5 [--openspiel-sims 50000] [--games 40] [--model PATH] [--jobs 2]
    python tools/bench_alphazero.py --versus MODEL_A MODEL_B [--games 100] [--playouts 400]
    python tools/bench_alphazero.py --leaves-speed gomoku_8x8_5 [--speed-leaves 8 16 32 64]
    python tools/bench_alphazero.py --ablation [--minutes 30] [--games 40] [--positions 500]
    python tools/bench_alphazero.py --actors [--backends local ray] [--actor-games 32] [--rounds 3]

Speed (game: gomoku 6x6 four-in-a-row, the book's own test board):

1. ``tree``      simulations/s of the batched search with a uniform evaluator (B trees in lockstep)
                 vs the book-style object tree (tools/book_mcts_reference.py); target >= 100x.
2. ``selfplay``  self-play positions/s with the default network (2 blocks x 32 channels), batched,
                 vs the book-style search evaluating one leaf per network call; target >= 10x.
3. ``overhead``  leaf evaluations/s inside self-play vs pure network inference at the same (mean)
                 batch size; target >= 85%.

Strength (``--strength``): the shipped models -- tic-tac-toe checked exhaustively against every
line of play (so also against a perfect minimax player) on both sides; gomoku 6x6 and connect
four against pure MCTS (``mcts:N`` bots) for ``--games`` games with seats alternating.

Perfect play (``--solver``, connect four; needs the ``bench`` extra: ``bitbully``, a perfect
connect-four solver): the share of the shipped ``az`` model's moves that keep the game-theoretic
value (win stays win, draw stays draw or better) over ``--positions`` positions from games against
``mcts:1000`` (seats alternating), and ``--solver-games`` games as first and as second player
against the solver (which breaks ties among its optimal moves at random), each with the search's
proven-value solver on and off (``--search-solver``).

Against OpenSpiel (``--openspiel GAME``, connect four or gomoku 8x8 five; needs ``pyspiel``): the
``az`` model against OpenSpiel's C++ ``MCTSBot`` (random rollouts, its solver on) with
``--openspiel-sims`` simulations per move, ``--games`` games, seats alternating; ``--jobs N``
plays the games in N processes (each game seeded by its number, so the results are one process's).
``--playouts``, ``--c-puct``, ``--fpu``, ``--contempt`` and ``--leaves`` (leaves per network call)
set az's search.

Search speed (``--leaves-speed GAME [--speed-leaves 8 16 32 64] [--playouts 3200]``): playouts
a second of the shipped ``az`` model from the empty board, one thread, for each number of leaves
per network call, as ratios against the first.

Head to head (``--versus A B``): two model files of one game, ``--games`` games in lockstep with
sampled openings, seats alternating, each side at ``--playouts`` playouts a move.

Actors (``--actors``; issue 12): self-play positions/s of ``arena train alphazero --actors 2`` vs
``--actors 1`` on each backend (``--backends local ray``), connect four with a 2x32 net: one pool
of 2 actors per backend plays an iteration's ``--actor-games`` games on actor 0 alone, then split
over both, alternating for ``--rounds`` rounds (the ratio is the median of the rounds' ratios); and
the single-process path (self-play in the trainer) against 1 local actor, the cost of shipping
weights and positions. Printed with the rows: the load average and the cores this run really gets
for two CPU-bound processes (``tools/bench_league.py``'s reference, 2.0 on an idle 2-core machine),
which bounds what 2 actors can gain.

Ablation (``--ablation``, connect four): the same base config trained from scratch for the same
wall time (``--minutes`` each, one torch thread) with the methods switched on one after the
other -- none, + solver, + playout cap randomisation, + forced playouts with policy-target pruning,
+ the opponent-reply head -- then each final model against ``mcts:1000`` (``--games``) and, with bitbully, its share of
value-preserving moves (``--positions``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from book_mcts_reference import (  # noqa: E402
    BookBoard,
    BookMCTS,
    book_self_play_positions,
    network_policy_value_fn,
    uniform_policy_value_fn,
)

import arena  # noqa: E402
from arena.alphazero.network import (  # noqa: E402
    NetworkEvaluator,
    build_network,
    encode_planes,
    freeze_for_inference,
)
from arena.alphazero.selfplay import self_play  # noqa: E402
from arena.mcts.batched import BatchedMCTS, SearchParams, uniform_evaluator  # noqa: E402


def gomoku_6x6():
    return arena.make("gomoku", size=6, n_in_row=4).game


def bench_tree(batch: int, sims: int, ref_sims: int, repeats: int) -> dict:
    game = gomoku_6x6()
    mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=sims), rng=np.random.default_rng(0))
    mcts.reset(game.initial_state(2))
    mcts.run()  # compile the numba kernels outside the timing
    best = float("inf")
    for _ in range(repeats):
        mcts.reset(game.initial_state(batch))
        t = time.perf_counter()
        mcts.run()
        best = min(best, time.perf_counter() - t)
    ours = batch * sims / best
    board = BookBoard(6, 6, 4)
    board.init_board()
    ref = BookMCTS(uniform_policy_value_fn, c_puct=5.0, n_playout=ref_sims)
    t = time.perf_counter()
    ref.get_move_visits(board)
    theirs = ref_sims / (time.perf_counter() - t)
    return {"name": "tree", "unit": "simulations/s", "ours": ours, "reference": theirs, "ratio": ours / theirs,
            "target": 100.0, "detail": f"B={batch}, {sims} sims from the empty 6x6 board, uniform evaluator"}


def bench_solver_cost(batch: int, sims: int, repeats: int) -> dict:
    """Tree speed with the proven-value search on against the same search with it off."""
    game = gomoku_6x6()
    for solver in (True, False):  # compile outside the timing
        mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=sims, solver=solver),
                           rng=np.random.default_rng(0))
        mcts.reset(game.initial_state(2))
        mcts.run()
    best = {True: float("inf"), False: float("inf")}
    for _ in range(repeats):
        for solver in (True, False):  # interleaved, so both see the same machine load
            mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=sims, solver=solver),
                               rng=np.random.default_rng(0))
            mcts.reset(game.initial_state(batch))
            t = time.perf_counter()
            mcts.run()
            best[solver] = min(best[solver], time.perf_counter() - t)
    on, off = batch * sims / best[True], batch * sims / best[False]
    return {"name": "solver", "unit": "simulations/s", "ours": on, "reference": off, "ratio": on / off,
            "target": 0.9, "detail": f"proven-value search on vs off, B={batch}, {sims} sims, uniform evaluator"}


def bench_selfplay(batch: int, games: int, sims: int, ref_positions: int, device: str) -> tuple[dict, dict, dict]:
    game = gomoku_6x6()
    torch.manual_seed(0)
    model = build_network(game, 2, 32).to(device).eval()
    evaluator = NetworkEvaluator(game, model, device)
    params = SearchParams(num_simulations=sims)
    rng = np.random.default_rng(0)
    self_play(game, evaluator, SearchParams(num_simulations=4), 2, batch_size=2, temperature_moves=4, rng=rng)
    evaluator.calls = evaluator.positions = 0
    data = self_play(game, evaluator, params, games, batch_size=batch, temperature_moves=8, rng=rng)
    ours = data.positions / data.seconds
    leaf_rate = evaluator.positions / data.seconds
    mean_batch = max(1, round(evaluator.positions / max(1, evaluator.calls)))

    # Reference: the book's search with the same network, one leaf per forward pass.
    cpu_model = build_network(game, 2, 32).eval()
    cpu_model.load_state_dict(model.state_dict())
    ref = BookMCTS(network_policy_value_fn(cpu_model), c_puct=5.0, n_playout=sims)
    board = BookBoard(6, 6, 4)
    t = time.perf_counter()
    done = 0
    while done < ref_positions:
        done += book_self_play_positions(board, ref, 8, rng, max_positions=ref_positions - done)
    theirs = done / (time.perf_counter() - t)
    selfplay = {"name": "selfplay", "unit": "positions/s", "ours": ours, "reference": theirs, "ratio": ours / theirs,
                "target": 10.0, "detail": f"B={batch}, {games} games, {sims} sims/move, 2x32 net on {device}; "
                                          "reference: book search, eager net, batch 1"}
    # The same reference with the TorchScript-frozen net Arena's evaluator uses (a stricter baseline).
    ref = BookMCTS(network_policy_value_fn(freeze_for_inference(cpu_model, torch.zeros(1, 4, 6, 6))),
                   c_puct=5.0, n_playout=sims)
    t = time.perf_counter()
    done = 0
    while done < ref_positions:
        done += book_self_play_positions(board, ref, 8, rng, max_positions=ref_positions - done)
    frozen_ref = done / (time.perf_counter() - t)
    selfplay_frozen = {"name": "selfplay*", "unit": "positions/s", "ours": ours, "reference": frozen_ref,
                       "ratio": ours / frozen_ref, "target": "-",
                       "detail": "as above, reference with the frozen (TorchScript) net"}

    # Pure inference at the same batch size: encoded random positions, the same evaluator call.
    states = game.initial_state(mean_batch)
    for _ in range(8):
        legal = game.legal_mask(states)
        moves = np.array([rng.choice(np.flatnonzero(row)) if row.any() else 0 for row in legal])
        game.step(states, moves)
    planes = encode_planes(game, states)
    legal = np.ones((mean_batch, game.num_actions), dtype=bool)
    for _ in range(5):
        evaluator.infer(planes, legal)
    calls = 100
    t = time.perf_counter()
    for _ in range(calls):
        evaluator.infer(planes, legal)
    infer_rate = calls * mean_batch / (time.perf_counter() - t)
    overhead = {"name": "overhead", "unit": "leaf evals/s", "ours": leaf_rate, "reference": infer_rate,
                "ratio": leaf_rate / infer_rate, "target": 0.85,
                "detail": f"self-play leaf evaluations vs pure inference at batch {mean_batch} (mean leaves per call)"}
    return selfplay, selfplay_frozen, overhead


# ---------------------------------------------------------------------------- actors
def bench_actors(backends: list[str], games: int, sims: int | None, rounds: int, address: str | None = None,
                 config_path: str | None = None) -> list[dict]:
    """Self-play positions/s on 2 actors vs 1 actor per backend, and in-process vs 1 local actor.
    The recipe: a small connect-four config, or a training config file (``config_path``: its game,
    network, playouts unless ``sims`` is given, self-play batch and search switches)."""
    from arena.alphazero.actors import LocalActors, RayActors, game_shares
    from arena.alphazero.config import load_config
    from arena.alphazero.learner import tiny_config
    from arena.alphazero.trainer import AlphaZeroTrainer

    if config_path:
        config = load_config(config_path, num_simulations=sims, games_per_iteration=games, actors=2,
                             tensorboard=False, eval_every=0, threads=1)
        recipe = (f"{config.game} {config.game_kwargs or ''} from {config_path}, {config.blocks}x{config.channels} "
                  f"net, batch {config.selfplay_batch} per actor")
    else:
        config = tiny_config("connect_four", num_simulations=sims or 50, selfplay_batch=16, games_per_iteration=games,
                             actors=2, seed=0)
        recipe = "connect four, 2x32 net, batch 16 per actor"
    trainer = AlphaZeroTrainer(config)  # the weights every actor gets; the in-process reference
    weights = trainer.model.state_dict()
    rows: list[dict] = []
    for backend in backends:
        pool = RayActors(config, 2, address) if backend == "ray" else LocalActors(config, 2)
        try:
            pool.play(weights, 0, [2, 2])  # warm-up: imports, compiled kernels, first network calls
            rates: dict[str, list[float]] = {"1": [], "2": [], "in-process": []}
            for r in range(rounds):
                for n in (1, 2):
                    start = time.perf_counter()
                    parts = pool.play(weights, 1 + r, game_shares(games, n) + [0] * (2 - n))
                    rates[str(n)].append(sum(p.positions for p in parts) / (time.perf_counter() - start))
                if backend == "local":
                    trainer.rng = np.random.default_rng(r)
                    start = time.perf_counter()
                    data = trainer.self_play_phase(games)
                    rates["in-process"].append(data.positions / (time.perf_counter() - start))
        finally:
            pool.close()

        def median(values: list[float]) -> float:
            return float(np.median(values))

        rows.append({"name": f"actors-{backend}", "unit": "positions/s", "ours": median(rates["2"]),
                     "reference": median(rates["1"]),
                     "ratio": median([b / a for a, b in zip(rates["1"], rates["2"], strict=True)]), "target": "-",
                     "detail": f"2 vs 1 {backend} actors, {recipe}, {games} games/iteration, "
                               f"{config.num_simulations} sims/move, median of {rounds} rounds"})
        if backend == "local":
            rows.append({"name": "actor-cost", "unit": "positions/s", "ours": median(rates["1"]),
                         "reference": median(rates["in-process"]),
                         "ratio": median([a / b for a, b in zip(rates["1"], rates["in-process"], strict=True)]),
                         "target": "-", "detail": "1 local actor vs self-play in the trainer process (--actors 1)"})
    return rows


# ---------------------------------------------------------------------------- strength
STRENGTH_GAMES = {"tic_tac_toe": ("tic_tac_toe", {}), "gomoku_6x6_4": ("gomoku", {"size": 6, "n_in_row": 4}),
                  "gomoku_8x8_5": ("gomoku", {"size": 8, "n_in_row": 5}), "connect_four": ("connect_four", {})}


def versus(model_a: str, model_b: str, games: int, playouts: int, seed: int = 0, opening_moves: int = 4) -> dict:
    """Two model files of the same game, ``games`` games in lockstep (A first in even games), each
    side searching ``playouts`` per move with its own tree (proven values on); the first
    ``opening_moves`` moves of a game are sampled from the visit shares so the games differ."""
    from arena.alphazero.bot import load_bot
    from arena.alphazero.checkpoint import load_model_record
    from arena.alphazero.evaluate import play_network_match
    from arena.bots import game_of
    from arena.mcts.batched import SearchParams

    record = load_model_record(model_a)
    game = game_of(arena.make(record["game"], **record["game_kwargs"]))
    sides = [load_bot(path, game, simulations=playouts, device="cpu") for path in (model_a, model_b)]
    evaluators = [NetworkEvaluator(game, bot.model, torch.device("cpu")) for bot in sides]
    start = time.perf_counter()
    result = play_network_match(game, evaluators[0], evaluators[1], games,
                                SearchParams(num_simulations=playouts, c_puct=sides[0].params.c_puct),
                                rng=np.random.default_rng(seed), opening_moves=opening_moves)
    return {"a": model_a, "b": model_b, "game": repr(game), "games": games, "playouts": playouts,
            "wins": result.wins, "draws": result.draws, "losses": result.losses, "score": result.score,
            "seconds": time.perf_counter() - start}


def strength(games: int, playouts: int | None, mcts_playouts: list[int], only: list[str] | None = None) -> list[dict]:
    from arena import bots
    from arena.alphazero.bot import PRETRAINED_DIR, default_checkpoint_name
    from arena.alphazero.evaluate import play_bot_match

    rows: list[dict] = []
    only = only or list(STRENGTH_GAMES)
    if "tic_tac_toe" in only:
        rows.append(_never_loses(playouts))
    for label in only:
        name, kwargs = STRENGTH_GAMES[label]
        if name == "tic_tac_toe":
            continue
        env = arena.make(name, **kwargs)
        if not (PRETRAINED_DIR / default_checkpoint_name(env.game)).exists():
            continue
        for n in mcts_playouts:
            me = bots.make("az", env, seed=1, playouts=playouts)
            them = bots.make(f"mcts:{n}", env, seed=2)
            t = time.perf_counter()
            score = play_bot_match(lambda name=name, kwargs=kwargs: arena.make(name, **kwargs), me, them, games, seed=3)
            rows.append({"game": label, "opponent": f"mcts:{n}", "games": games,
                         "losses": score.losses, "wins": score.wins, "draws": score.draws,
                         "win_rate": score.score, "seconds": time.perf_counter() - t,
                         "playouts": playouts or 400})
    return rows


def _never_loses(playouts: int | None) -> dict:
    """The shipped tic-tac-toe model against every line of play, both seats."""
    from arena import bots
    from arena.alphazero.evaluate import cached_bot_chooser, losses_against_perfect_play

    env = arena.make("tic_tac_toe")
    game = env.game
    bot = bots.make("az", env, seed=0, playouts=playouts)
    choose = cached_bot_chooser(bot, game)

    t = time.perf_counter()
    lost, lines = losses_against_perfect_play(game, choose)
    return {"game": "tic_tac_toe", "opponent": "every line (incl. perfect minimax)", "games": lines,
            "losses": lost, "win_rate": None, "seconds": time.perf_counter() - t, "playouts": playouts or 400}


# ---------------------------------------------------------------------------- perfect play (connect four)
def _perfect_solver():
    try:
        from bitbully import BitBully
    except ImportError:
        raise SystemExit("bench_alphazero --solver needs bitbully, the perfect connect-four solver: "
                         "pip install -e '.[bench]'") from None
    return BitBully()


def _value_class(score: int) -> int:
    """bitbully's score for the player to move: > 0 win, 0 draw, < 0 loss."""
    return (score > 0) - (score < 0)


class SolverBot:
    """Perfect connect-four play from bitbully, ties among optimal moves broken at random."""

    name = "bitbully"

    def __init__(self, solver, seed: int) -> None:
        import random

        self.solver = solver
        self.rng = random.Random(seed)
        self.moves: list[int] = []  # the game's moves so far, kept by the game loop

    def reset(self) -> None:
        pass

    def act(self, observation, action_mask) -> int:
        """The solver's move in the position reached by ``self.moves`` (filled by the game loop)."""
        from bitbully import Board

        return int(self.solver.best_move(Board("".join(map(str, self.moves))), tie_break="random", rng=self.rng))


def _play_tracking(me, opponent, me_first, env, on_my_move, moves_ref: list[int],
                   clock: dict[str, float] | None = None) -> tuple[float, list[int]]:
    """One two-player game in ``env`` (connect four, gomoku) through Arena's game loop
    (:func:`arena.play.match.play_game`); returns ``me``'s final reward and the moves, which are also
    kept in ``moves_ref`` as they are played (the solver and OpenSpiel's bot replay them).
    ``on_my_move(moves_before, action)`` sees each of ``me``'s moves; ``clock`` (keys ``me``,
    ``opponent``, ``me_moves``, ``opponent_moves``) adds up each side's thinking time and moves."""
    from arena.play.match import play_game

    moves_ref.clear()
    my_agent = env.possible_agents[0 if me_first else 1]

    def on_move(agent: str, action: int) -> None:
        if agent == my_agent and on_my_move is not None:
            on_my_move(list(moves_ref), action)
        moves_ref.append(action)

    seats = [me, opponent] if me_first else [opponent, me]
    record = play_game(env, seats, on_move=on_move)
    mine = 0 if me_first else 1
    if clock is not None:
        for side, seat in (("me", mine), ("opponent", 1 - mine)):
            clock[side] = clock.get(side, 0.0) + record.think_seconds[seat]
            clock[side + "_moves"] = clock.get(side + "_moves", 0) + record.move_counts[seat]
    return float(record.scores[mine]), list(moves_ref)


def _value_share(me, opponent, env, perfect, positions: int) -> tuple[int, int, int]:
    """Games of ``me`` against ``opponent`` (seats alternating) until ``positions`` of my moves
    are checked by the perfect solver; returns (value-preserving moves, moves checked, games)."""
    from bitbully import Board

    kept = checked = games = 0

    def check(moves: list[int], action: int) -> None:
        nonlocal kept, checked
        scores = perfect.score_all_moves(Board("".join(map(str, moves))))
        kept += _value_class(scores[action]) == _value_class(max(scores.values()))
        checked += 1

    while checked < positions:
        _play_tracking(me, opponent, games % 2 == 0, env, check, [])
        games += 1
    return kept, checked, games


def perfect_play(positions: int, games: int, playouts: int | None, modes: list[bool], mcts: int = 1000,
                 seed: int = 0, on_row=None, model: str | None = None) -> list[dict]:
    """The ``--solver`` rows: value-preserving share against ``mcts:N`` and results against the
    perfect solver, for each search-solver mode; ``on_row(row)`` sees each row when it is done.
    ``model`` is a checkpoint path (default: the shipped ``connect_four.pt``)."""
    from arena import bots

    perfect_solver = _perfect_solver()
    from bitbully import Board

    rows: list[dict] = []
    for on in modes:
        label = f"az ({playouts or 400} playouts, search solver {'on' if on else 'off'})"
        env = arena.make("connect_four")
        me = bots.make(f"az:{model}" if model else "az", env, seed=seed, playouts=playouts, solver=on)
        opponent = bots.make(f"mcts:{mcts}", env, seed=seed + 1)
        t = time.perf_counter()
        kept, checked, game_count = _value_share(me, opponent, env, perfect_solver, positions)
        rows.append({"player": label, "test": f"value-preserving moves vs mcts:{mcts}", "n": checked,
                     "result": kept / checked, "detail": f"{checked - kept} value-losing moves in {game_count} games",
                     "seconds": time.perf_counter() - t})
        if on_row is not None:
            on_row(rows[-1])
        for me_first in (True, False):
            perfect = SolverBot(perfect_solver, seed=seed + 2 + int(me_first))
            w = d = lost = 0
            first_losses: list[int] = []
            t = time.perf_counter()
            for _ in range(games):
                first: list[int] = []

                def track(moves: list[int], action: int, first: list[int] = first) -> None:
                    if first:
                        return
                    scores = perfect_solver.score_all_moves(Board("".join(map(str, moves))))
                    if _value_class(scores[action]) < _value_class(max(scores.values())):
                        first.append(len(moves) + 1)

                score, _ = _play_tracking(me, perfect, me_first, env, track, perfect.moves)
                w += score > 0
                d += score == 0
                lost += score < 0
                first_losses += first
            where = f"; first value-losing move at ply {min(first_losses)}-{max(first_losses)}" if first_losses else ""
            rows.append({"player": label, "test": f"as {'first' if me_first else 'second'} player vs perfect solver",
                         "n": games, "result": f"{w} / {d} / {lost}", "wins": w, "draws": d, "losses": lost,
                         "detail": f"W / D / L{where}", "seconds": time.perf_counter() - t})
            if on_row is not None:
                on_row(rows[-1])
    return rows


# ---------------------------------------------------------------------------- against OpenSpiel's MCTS
def leaves_speed(label: str, leaves: list[int], playouts: int = 3200, repeats: int = 3) -> list[dict]:
    """Playouts a second of the shipped ``az`` model of ``label`` searching the empty board with
    each number of leaves per network call in ``leaves`` (one thread; the best of ``repeats``
    fresh searches of ``playouts``), each against the first entry measured in the same run."""
    from arena import bots

    name, kwargs = STRENGTH_GAMES[label]
    env = arena.make(name, **kwargs)
    env.reset(seed=0)
    warm = bots.make("az", env, playouts=64, seed=0)  # compiles the search kernels outside the clock
    obs = env.observe(env.agent_selection)
    warm.policy(obs["observation"], obs["action_mask"])
    rows: list[dict] = []
    for n in leaves:
        best = 0.0
        for _ in range(repeats):
            bot = bots.make("az", env, playouts=playouts, leaves_per_call=n, seed=0)
            start = time.perf_counter()
            bot.policy(obs["observation"], obs["action_mask"])
            best = max(best, playouts / (time.perf_counter() - start))
        rows.append({"name": f"az leaves per call {n}", "game": label, "playouts": playouts, "leaves_per_call": n,
                     "ours": best, "reference": rows[0]["ours"] if rows else best,
                     "ratio": best / (rows[0]["ours"] if rows else best)})
    return rows


OPENSPIEL_GAMES = {"connect_four": "connect_four", "gomoku_8x8_5": "gomoku(size=8,connect=5)"}


class OpenSpielMCTSBot:
    """OpenSpiel's C++ ``MCTSBot`` (one random rollout per leaf, ``uct_c`` 2, its solver on) as an
    Arena bot: it replays the game's moves (``self.moves``, kept by the game loop) into an
    OpenSpiel state and searches ``simulations`` times. Both games' actions are the same numbers
    (connect four: columns; gomoku: cells row by row)."""

    def __init__(self, pyspiel, game_string: str, simulations: int, seed: int) -> None:
        self.pyspiel = pyspiel
        self.game = pyspiel.load_game(game_string)
        self.bot = pyspiel.MCTSBot(self.game, pyspiel.RandomRolloutEvaluator(1, seed), 2.0, simulations, 1 << 20,
                                   True, seed, False)
        self.moves: list[int] = []
        self.name = f"openspiel-mcts:{simulations}"

    def state(self):
        state = self.game.new_initial_state()
        for move in self.moves:
            state.apply_action(move)
        return state

    def reset(self) -> None:
        pass

    def act(self, observation, action_mask) -> int:
        state = self.state()
        move = int(self.bot.step(state))
        if not 0 <= move < len(action_mask) or not action_mask[move]:
            raise RuntimeError(f"OpenSpiel chose {move}, which Arena's game does not allow here: the two games' "
                               "actions do not match")
        return move


def _openspiel_game(label: str, simulations: int, playouts: int | None, model: str | None, seed: int,
                    c_puct: float | None, fpu_reduction: float | None, contempt: float, leaves: int | None,
                    g: int) -> dict:
    """Game ``g`` (0-based) of :func:`vs_openspiel`: az first in even games; OpenSpiel's seed is
    ``seed + 1 + g``, so a game is the same whichever process plays it. Returns its result, az's
    exploration constant and each side's thinking time."""
    import pyspiel

    from arena import bots

    name, kwargs = STRENGTH_GAMES[label]
    env = arena.make(name, **kwargs)
    me = bots.make(f"az:{model}" if model else "az", env, seed=seed, playouts=playouts, c_puct=c_puct,
                   fpu_reduction=fpu_reduction, contempt=contempt, leaves_per_call=leaves)
    them = OpenSpielMCTSBot(pyspiel, OPENSPIEL_GAMES[label], simulations, seed + 1 + g)
    me_first = g % 2 == 0
    clock: dict[str, float] = {}
    score, moves = _play_tracking(me, them, me_first, env, None, them.moves, clock)
    final = them.state()
    if not final.is_terminal():
        raise RuntimeError(f"game {g + 1}: Arena ended the game after {moves}, OpenSpiel did not")
    os_score = final.returns()[0 if me_first else 1]
    if (os_score > 0) != (score > 0) or (os_score < 0) != (score < 0):
        raise RuntimeError(f"game {g + 1}: Arena scored {score} for az, OpenSpiel {os_score}, after {moves}")
    return {"game": g, "az_first": me_first, "score": score, "moves": moves, "clock": clock,
            "c_puct": me.params.c_puct}


def _openspiel_worker(args: tuple) -> dict:
    torch.set_num_threads(1)
    return _openspiel_game(*args)


def vs_openspiel(label: str, simulations: int, games: int, playouts: int | None, model: str | None,
                 seed: int = 0, on_game=None, c_puct: float | None = None,
                 fpu_reduction: float | None = None, contempt: float = 0.0, jobs: int = 1,
                 leaves: int | None = None) -> dict:
    """``az`` (the shipped model of ``label`` or ``model``) against OpenSpiel's C++ MCTS with
    ``simulations`` per move, ``games`` games, seats alternating. Each game's end is checked
    against OpenSpiel's own state (same winner), so a mismatch of the two rule sets cannot pass.
    ``jobs > 1`` plays the games in that many processes (one thread each); every game is seeded by
    its number alone, so the results do not depend on ``jobs``."""
    try:
        import pyspiel  # noqa: F401
    except ImportError:
        raise SystemExit("bench_alphazero --openspiel needs OpenSpiel: pip install -e '.[bench]'") from None
    by_seat = {True: [0, 0, 0], False: [0, 0, 0]}  # az first / second: W, D, L
    clock: dict[str, float] = {}
    start = time.perf_counter()
    tasks = [(label, simulations, playouts, model, seed, c_puct, fpu_reduction, contempt, leaves, g)
             for g in range(games)]
    used_c_puct = None

    def add(result: dict, done: int) -> None:
        nonlocal used_c_puct
        used_c_puct = result["c_puct"]
        score = result["score"]
        by_seat[result["az_first"]][0 if score > 0 else 1 if score == 0 else 2] += 1
        for k, v in result["clock"].items():
            clock[k] = clock.get(k, 0.0) + v
        if on_game is not None:
            wins, draws, losses = (a + b for a, b in zip(by_seat[True], by_seat[False]))
            on_game(done, wins, draws, losses)

    if jobs <= 1:
        for i, task in enumerate(tasks):
            add(_openspiel_game(*task), i + 1)
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for i, result in enumerate(pool.imap_unordered(_openspiel_worker, tasks)):
                add(result, i + 1)
    wins, draws, losses = (a + b for a, b in zip(by_seat[True], by_seat[False]))
    return {"game": label, "opponent": f"OpenSpiel MCTSBot, {simulations} simulations", "games": games,
            "wins": wins, "draws": draws, "losses": losses, "score": (wins + 0.5 * draws) / games,
            "first": by_seat[True], "second": by_seat[False],
            "az_seconds_per_move": clock.get("me", 0.0) / max(clock.get("me_moves", 0), 1),
            "openspiel_seconds_per_move": clock.get("opponent", 0.0) / max(clock.get("opponent_moves", 0), 1),
            "playouts": playouts or 400, "c_puct": used_c_puct, "fpu_reduction": fpu_reduction, "contempt": contempt,
            "leaves_per_call": leaves or 8, "model": model or "shipped", "jobs": jobs, "seconds": time.perf_counter() - start}


# ---------------------------------------------------------------------------- ablation
ABLATION_BASE = dict(game="connect_four", blocks=3, channels=32, num_simulations=120, c_puct=5.0, dirichlet_alpha=1.0,
                     temperature_moves=8, selfplay_batch=64, games_per_iteration=128, replay_capacity=100000,
                     batch_size=256, train_steps=60, min_replay=1024, lr=0.002, eval_every=0, iterations=100000,
                     threads=1, snapshot_every=0, tensorboard=False, seed=5)
ABLATION_VARIANTS = [
    ("none", dict(solver=False)),
    ("+solver", dict(solver=True)),
    ("+solver +playout cap", dict(solver=True, playout_cap_randomisation=True, num_simulations=240,
                                  fast_simulations=40, games_per_iteration=256)),
    ("+solver +playout cap +forced/pruning", dict(solver=True, playout_cap_randomisation=True, num_simulations=240,
                                                  fast_simulations=40, games_per_iteration=256, forced_playouts=True)),
    ("+solver +playout cap +forced/pruning +reply head", dict(solver=True, playout_cap_randomisation=True,
                                                             num_simulations=240, fast_simulations=40,
                                                             games_per_iteration=256, forced_playouts=True,
                                                             reply_target_weight=0.15)),
]


def ablation(minutes: float, games: int, positions: int, out_dir: str, overrides: dict | None = None,
             playouts: int | None = None, variants: list[int] | None = None, on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Train every variant (or those numbered in ``variants``) for ``minutes`` of wall time and measure the
    final models; ``on_row(row)`` sees each row as soon as it is measured."""
    from arena import bots
    from arena.alphazero.config import AlphaZeroConfig
    from arena.alphazero.evaluate import play_bot_match
    from arena.alphazero.trainer import train

    rows = []
    for i, (name, changes) in enumerate(ABLATION_VARIANTS):
        if variants is not None and i not in variants:
            continue
        config = AlphaZeroConfig.from_dict({**ABLATION_BASE, **changes, "time_limit_minutes": minutes,
                                            **(overrides or {})})
        out = Path(out_dir) / f"variant{i}"
        t = time.perf_counter()
        cpu = time.process_time()
        trainer = train(config, out, resume=out.joinpath("checkpoint.pt").exists(), show_progress=False,
                        print_fn=lambda _line: None)
        row = {"variant": name, "games_played": trainer.games_played, "positions": trainer.positions_played,
               "train_seconds": time.perf_counter() - t, "train_cpu_seconds": time.process_time() - cpu}
        env = arena.make("connect_four")
        model = str(out / "latest.pt")
        me = bots.make(f"az:{model}", env, seed=1, playouts=playouts)
        score = play_bot_match(lambda: arena.make("connect_four"), me, bots.make("mcts:1000", env, seed=2), games,
                               seed=3)
        row["vs_mcts1000"] = score.score
        try:
            import bitbully  # noqa: F401
        except ImportError:
            row["value_preserving"] = None
        else:
            me = bots.make(f"az:{model}", env, seed=4, playouts=playouts)
            kept, checked, _ = _value_share(me, bots.make("mcts:1000", env, seed=5), env, _perfect_solver(), positions)
            row["value_preserving"] = kept / checked
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run, about a minute)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--device", default="cpu", help="network device for the self-play benchmark")
    p.add_argument("--batch", type=int, nargs="+", help="self-play batch sizes (default 128; quick 32)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--strength", action="store_true", help="measure the shipped models' strength instead")
    p.add_argument("--games", type=int, default=20, help="--strength: games per pure-MCTS opponent")
    p.add_argument("--playouts", type=int, help="--strength: az playouts per move (default 400)")
    p.add_argument("--mcts", type=int, nargs="+", default=[1000], help="--strength: pure-MCTS playouts")
    p.add_argument("--only", nargs="+", choices=sorted(STRENGTH_GAMES), help="--strength: only these models")
    p.add_argument("--solver", action="store_true", help="connect four against a perfect solver (needs bitbully)")
    p.add_argument("--positions", type=int, default=500, help="--solver: az moves checked in games vs mcts:1000")
    p.add_argument("--solver-games", type=int, default=40, help="--solver: games per seat against the solver")
    p.add_argument("--actors", action="store_true", help="self-play positions/s with 2 vs 1 actors per backend")
    p.add_argument("--backends", nargs="+", choices=["local", "ray"], default=["local", "ray"],
                   help="--actors: the backends measured")
    p.add_argument("--actor-games", type=int, default=32, help="--actors: games per iteration")
    p.add_argument("--actor-sims", type=int, help="--actors: playouts per move (default 50, or the config's)")
    p.add_argument("--actor-config", help="--actors: a training config file to measure (default: a small "
                                          "connect-four recipe)")
    p.add_argument("--rounds", type=int, default=3, help="--actors: paired rounds (1 actor, then 2)")
    p.add_argument("--address", help="--actors: a Ray cluster (auto or HOST:PORT; default: a private instance)")
    p.add_argument("--ablation", action="store_true", help="train the method variants for equal time and compare")
    p.add_argument("--minutes", type=float, default=30.0, help="--ablation: training minutes per variant")
    p.add_argument("--ablation-out", default="/tmp/az_ablation", help="--ablation: run directories")
    p.add_argument("--variants", type=int, nargs="+", choices=range(len(ABLATION_VARIANTS)),
                   help="--ablation: only these variants (0 none ... 4 all methods; run them as separate processes "
                        "to use more cores)")
    p.add_argument("--versus", nargs=2, metavar=("MODEL_A", "MODEL_B"),
                   help="two model files of one game against each other (--games, --playouts; openings sampled)")
    p.add_argument("--openspiel", choices=sorted(OPENSPIEL_GAMES),
                   help="az against OpenSpiel's C++ MCTS on this game (--games, seats alternating; needs pyspiel)")
    p.add_argument("--openspiel-sims", type=int, default=50_000, help="--openspiel: its simulations per move")
    p.add_argument("--c-puct", type=float, help="--openspiel: az's exploration constant (default: the model's own)")
    p.add_argument("--fpu", type=float, help="--openspiel: az's first-play urgency reduction (default: none, "
                                             "unvisited moves count 0)")
    p.add_argument("--contempt", type=float, default=0.0,
                   help="--openspiel: what a draw costs az, in [0, 1) (default 0: a draw is a draw)")
    p.add_argument("--leaves-speed", choices=sorted(STRENGTH_GAMES),
                   help="playouts/s of the shipped az model on this game per --speed-leaves, vs the first")
    p.add_argument("--speed-leaves", type=int, nargs="+", default=[8, 16, 32, 64],
                   help="--leaves-speed: leaves per network call to measure (the first is the reference)")
    p.add_argument("--leaves", type=int, help="--openspiel: az's leaves per network call (default 8; more is more "
                   "playouts a second, each a little less informed: virtual loss)")
    p.add_argument("--jobs", type=int, default=1,
                   help="--openspiel: play the games in this many processes (one thread each; same results)")
    p.add_argument("--model", help="--solver/--openspiel: a model file to measure (default: the shipped one)")
    p.add_argument("--seed", type=int, default=0,
                   help="--solver/--openspiel: seed of the bots (the solver's tie-breaks, the opponents' searches)")
    p.add_argument("--search-solver", nargs="+", choices=["on", "off"], default=["on", "off"],
                   help="--solver: az with its proven-value search on and/or off")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.actors:
        load = os.getloadavg()
        if args.actor_config and not os.path.isfile(args.actor_config):
            raise SystemExit(f"bench_alphazero --actor-config: no file {args.actor_config!r}")
        rows = bench_actors(args.backends, args.actor_games, args.actor_sims, args.rounds, args.address,
                            config_path=args.actor_config)
        after = os.getloadavg()
        from bench_league import parallel_capacity

        loads = f"load average (1/5/15 min) before {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, " \
                f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f}; {os.cpu_count()} cores, of which this " \
                f"run gets {parallel_capacity(rounds=2):.2f} for two CPU-bound processes"
        if args.json:
            print(json.dumps({"actors": rows, "load": loads}))
            return 0
        print(f"{'benchmark':<12} {'unit':<12} {'ours':>10} {'reference':>10} {'ratio':>6}  detail")
        for r in rows:
            print(f"{r['name']:<12} {r['unit']:<12} {r['ours']:>10.1f} {r['reference']:>10.1f} {r['ratio']:>6.2f}  "
                  f"{r['detail']}")
        print(loads)
        return 0
    if args.ablation:
        def show_row(r: dict) -> None:
            kept = "-" if r["value_preserving"] is None else f"{r['value_preserving']:.4f}"
            print(f"{r['variant']:<48} {r['games_played']:>7} {r['positions']:>9} {r['train_seconds']:>8.0f} "
                  f"{r['train_cpu_seconds']:>8.0f} {r['vs_mcts1000']:>12.3f} {kept:>10}", flush=True)

        if not args.json:
            print(f"{'variant':<48} {'games':>7} {'positions':>9} {'train s':>8} {'cpu s':>8} {'vs mcts:1000':>12} "
                  f"{'value kept':>10}", flush=True)
        rows = ablation(args.minutes, args.games, args.positions, args.ablation_out, playouts=args.playouts,
                        variants=args.variants, on_row=None if args.json else show_row)
        if args.json:
            print(json.dumps({"ablation": rows}))
        return 0
    if args.versus:
        for path in args.versus:
            if not os.path.isfile(path):
                raise SystemExit(f"bench_alphazero --versus: no file {path!r}")
        try:
            row = versus(*args.versus, args.games, args.playouts or 400, seed=args.seed)
        except ValueError as exc:  # a file that is no model, or models of two games
            raise SystemExit(f"bench_alphazero --versus: {exc}") from None
        if args.json:
            print(json.dumps({"versus": row}))
        else:
            print(f"{row['a']} vs {row['b']} ({row['game']}, {row['playouts']} playouts, {row['games']} games): "
                  f"W / D / L {row['wins']} / {row['draws']} / {row['losses']}, score {row['score']:.3f} "
                  f"({row['seconds']:.0f} s)")
        return 0
    if args.leaves_speed:
        if any(not 1 <= n <= 1024 for n in args.speed_leaves):
            raise SystemExit(f"bench_alphazero --speed-leaves: each must be in [1, 1024], got {args.speed_leaves}")
        torch.set_num_threads(1)
        rows = leaves_speed(args.leaves_speed, args.speed_leaves, playouts=args.playouts or 3200)
        if args.json:
            print(json.dumps({"leaves_speed": rows}))
        else:
            for r in rows:
                print(f"{r['name']:<26} {r['ours']:>8.0f} playouts/s  ratio {r['ratio']:.2f} "
                      f"({r['game']}, {r['playouts']} playouts from the empty board, one thread)")
        return 0
    if args.openspiel:
        if args.model and not os.path.isfile(args.model):
            raise SystemExit(f"bench_alphazero --model: no file {args.model!r}")
        if args.games < 1:
            raise SystemExit(f"bench_alphazero --games: must be >= 1, got {args.games}")
        if args.c_puct is not None and not args.c_puct > 0:
            raise SystemExit(f"bench_alphazero --c-puct: must be > 0, got {args.c_puct}")
        if args.fpu is not None and not 0 <= args.fpu <= 2:
            raise SystemExit(f"bench_alphazero --fpu: must be in [0, 2], got {args.fpu}")
        if not 0 <= args.contempt < 1:
            raise SystemExit(f"bench_alphazero --contempt: must be in [0, 1), got {args.contempt}")
        if args.jobs < 1:
            raise SystemExit(f"bench_alphazero --jobs: must be >= 1, got {args.jobs}")
        if args.leaves is not None and not 1 <= args.leaves <= 1024:
            raise SystemExit(f"bench_alphazero --leaves: must be in [1, 1024], got {args.leaves}")

        def progress(done: int, w: int, d: int, lost: int) -> None:
            if not args.json:
                print(f"  game {done}/{args.games}: {w} / {d} / {lost}", flush=True)

        row = vs_openspiel(args.openspiel, args.openspiel_sims, args.games, args.playouts, args.model,
                           seed=args.seed, on_game=progress, c_puct=args.c_puct, fpu_reduction=args.fpu,
                           contempt=args.contempt, jobs=args.jobs, leaves=args.leaves)
        if args.json:
            print(json.dumps({"openspiel": row}))
        else:
            fpu = "" if args.fpu is None else f", fpu reduction {args.fpu:g}"
            fpu += f", contempt {args.contempt:g}" if args.contempt else ""
            fpu += f", {args.leaves} leaves a call" if args.leaves else ""
            print(f"az ({row['playouts']} playouts, c_puct {row['c_puct']:g}{fpu}, {row['model']}) vs {row['opponent']} on {row['game']}: "
                  f"W / D / L {row['wins']} / {row['draws']} / {row['losses']}, score {row['score']:.3f} "
                  f"({row['games']} games, {row['seconds']:.0f} s)")
            print("  az first W / D / L {} / {} / {}, second {} / {} / {}; seconds per move: az {:.2f}, "
                  "OpenSpiel {:.2f}".format(*row["first"], *row["second"], row["az_seconds_per_move"],
                                            row["openspiel_seconds_per_move"]))
        return 0
    if args.solver:
        def show(r: dict) -> None:  # one line per row as soon as it is measured (the runs are long)
            res = f"{r['result']:.4f}" if isinstance(r["result"], float) else r["result"]
            print(f"{r['player']:<42} {r['test']:<38} {r['n']:>5} {res:>12}  {r['detail']} ({r['seconds']:.0f} s)",
                  flush=True)

        if args.model and not os.path.isfile(args.model):
            raise SystemExit(f"bench_alphazero --model: no file {args.model!r}; give a connect-four model (.pt)")
        rows = perfect_play(args.positions, args.solver_games, args.playouts, [m == "on" for m in args.search_solver],
                            on_row=None if args.json else show, model=args.model, seed=args.seed)
        if args.json:
            print(json.dumps({"solver": rows}))
        return 0
    if args.strength:
        rows = strength(args.games, args.playouts, args.mcts, args.only)
        if args.json:
            print(json.dumps({"strength": rows}))
        else:
            print(f"{'game':<16} {'opponent':<36} {'games':>6} {'losses':>6} {'score':>6} {'sec':>7}")
            for r in rows:
                score = "" if r["win_rate"] is None else f"{r['win_rate']:.2f}"
                print(f"{r['game']:<16} {r['opponent']:<36} {r['games']:>6} {r['losses']:>6} {score:>6} {r['seconds']:>7.1f}")
        return 0
    quick = args.quick
    results = [bench_tree(batch=64 if quick else 256, sims=100 if quick else 400, ref_sims=200 if quick else 800,
                          repeats=2 if quick else 3)]
    results.append(bench_solver_cost(batch=64 if quick else 256, sims=100 if quick else 400, repeats=3 if quick else 5))
    for batch in args.batch or ([32] if quick else [128]):
        sp, spf, ov = bench_selfplay(batch=batch, games=batch * (2 if quick else 3), sims=50 if quick else 100,
                                ref_positions=5 if quick else 20, device=args.device)
        results += [sp, spf, ov]
    if args.json:
        print(json.dumps({"results": results, "torch_threads": torch.get_num_threads(),
                          "device": args.device}))
        return 0
    print(f"{'benchmark':<10} {'unit':<16} {'ours':>12} {'reference':>12} {'ratio':>8} {'target':>7}  detail")
    for r in results:
        print(f"{r['name']:<10} {r['unit']:<16} {r['ours']:>12.1f} {r['reference']:>12.1f} {r['ratio']:>8.2f} "
              f"{r['target']:>7}  {r['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
