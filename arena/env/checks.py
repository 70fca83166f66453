"""Protocol checks for turn-based games: what ``arena check-game NAME`` runs.

Each check states one requirement of :class:`arena.env.TurnBasedGame` (see docs/turn_based.md)
and, when it fails, says which in one line. They play random games through the batched API, so a
game that passes them works with every turn-based engine (pure MCTS, AlphaZero, ``arena play``,
the league's ``alphazero`` learner).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.env.batched import missing_members, position_key, symmetries_of


class ProtocolError(AssertionError):
    """A broken requirement of the turn-based protocol (the message names it)."""


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str


def _random_actions(game: Any, state: Any, rng: np.random.Generator) -> np.ndarray:
    mask = game.legal_mask(state)
    noise = rng.random(mask.shape)
    noise[~mask] = -1.0
    return noise.argmax(axis=1)


def check_members(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    missing = missing_members(game)
    if missing:
        raise ProtocolError(f"the game lacks {', '.join(missing)} (every TurnBasedGame has them)")
    if int(game.num_players) != 2:
        raise ProtocolError(f"num_players is {game.num_players}; the turn-based engines handle two-player games")
    shape = tuple(game.observation_shape)
    if len(shape) != 3:
        raise ProtocolError(f"observation_shape {shape} is not (H, W, C)")
    return f"{game.num_actions} actions, observation {shape}, at most {game.max_moves} plies"


def check_state(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    state = game.initial_state(batch)
    if not dataclasses.is_dataclass(state):
        raise ProtocolError("initial_state() must return a dataclass of [B, ...] arrays (subclass arena.env.BatchedState)")
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if not isinstance(value, np.ndarray) or value.ndim < 1 or value.shape[0] != batch:
            raise ProtocolError(f"state field '{f.name}' must be a numpy array whose first axis is the batch "
                                f"({batch}), got {type(value).__name__} {getattr(value, 'shape', '')}")
    for field in ("to_play", "winner"):
        if not hasattr(state, field):
            raise ProtocolError(f"the state has no '{field}' field ([B] ints)")
    for member in ("terminal", "copy", "take", "batch_size"):
        if not hasattr(state, member):
            raise ProtocolError(f"the state has no '{member}' (subclass arena.env.BatchedState to get it)")
    if state.batch_size != batch or bool(np.asarray(state.terminal).any()):
        raise ProtocolError("initial_state(B) must hold B unfinished games")
    obs = np.asarray(game.observation(state, 0))
    if obs.shape != (batch, *tuple(game.observation_shape)):
        raise ProtocolError(f"observation(state, seat) has shape {obs.shape}, expected "
                            f"{(batch, *tuple(game.observation_shape))} = [B, *observation_shape]")
    return f"{', '.join(f.name for f in dataclasses.fields(state))}"


def check_step_in_place(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    state = game.initial_state(batch)
    before = state.copy()
    returned = game.step(state, _random_actions(game, state, rng))
    if returned is not state:
        raise ProtocolError("step(state, actions) must change the state in place and return that same object")
    if all(position_key(before, b) == position_key(state, b) for b in range(batch)):
        raise ProtocolError("step() left every position unchanged: it must play the moves in place")
    return "step() plays in place and returns its argument"


def check_rules(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    """Random games: legal masks agree with step, strict alternation, games end, results."""
    finished = 0
    plies = 0
    illegal_checked = False
    while finished < games:
        state = game.initial_state(batch)
        for _ply in range(int(game.max_moves) + 1):
            done = np.asarray(state.terminal).copy()
            if done.all():
                break
            mask = game.legal_mask(state)
            if mask.shape != (batch, game.num_actions):
                raise ProtocolError(f"legal_mask() has shape {mask.shape}, expected {(batch, game.num_actions)}")
            if mask[done].any():
                raise ProtocolError("legal_mask() must be all False on finished games")
            if not mask[~done].any(axis=1).all():
                raise ProtocolError("an unfinished game has no legal move: a player who cannot move needs an "
                                    "explicit pass action")
            scores = game.returns(state)
            if np.abs(scores[~done]).max(initial=0) > 0:
                raise ProtocolError("returns() must be zeros while a game goes on")
            live = int(np.flatnonzero(~done)[0])
            if not illegal_checked and (~mask[live]).any():
                trial = state.take([live])
                bad = int(np.flatnonzero(~mask[live])[0])
                try:
                    game.step(trial, np.array([bad]))
                except ValueError:
                    illegal_checked = True
                else:
                    raise ProtocolError(f"step() accepted action {bad}, which legal_mask() marks illegal "
                                        "(an illegal action must raise ValueError)")
            to_play = np.asarray(state.to_play).copy()
            actions = _random_actions(game, state, rng)
            game.step(state, actions)
            plies += int((~done).sum())
            moved = ~done
            if (np.asarray(state.to_play)[moved] != 1 - to_play[moved]).any():
                raise ProtocolError("to_play must alternate (0, 1, 0, ...) after every move, the last one "
                                    "too; a player who cannot move plays an explicit pass action")
        else:
            raise ProtocolError(f"a random game did not end within max_moves={game.max_moves} plies")
        scores = game.returns(state)
        if scores.shape != (batch, 2):
            raise ProtocolError(f"returns() has shape {scores.shape}, expected {(batch, 2)}")
        if np.abs(scores.sum(axis=1)).max() > 1e-6:
            raise ProtocolError("returns() of a finished two-player game must sum to 0 (+1/-1, or 0/0 for a draw)")
        if np.abs(scores).max() > 1 + 1e-6:
            raise ProtocolError("returns() must lie in [-1, 1]")
        finished += batch
    return f"{finished} random games, {plies} plies: masks agree with step, turns alternate, results add to 0"


def check_symmetries(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    """Each declared symmetry maps a random game onto a game: legal moves, observations and results
    of the mirrored game are the mirror images of the original's."""
    symmetries = symmetries_of(game)
    if not symmetries:
        return "none declared (AlphaZero will not augment)"
    for sym in symmetries:
        if sym.action_perm.shape != (game.num_actions,) or sorted(sym.action_perm.tolist()) != list(range(game.num_actions)):
            raise ProtocolError(f"symmetry {sym.name}: action_perm must be a permutation of the {game.num_actions} actions")
        h, w, _ = tuple(game.observation_shape)
        if sorted(sym.cell_perm.tolist()) != list(range(h * w)):
            raise ProtocolError(f"symmetry {sym.name}: cell_perm must be a permutation of the {h * w} cells")
        for _ in range(max(1, games // (batch * len(symmetries)))):
            a_state = game.initial_state(batch)
            b_state = game.initial_state(batch)
            for _ in range(int(game.max_moves) + 1):
                done = np.asarray(a_state.terminal)
                if not np.array_equal(done, np.asarray(b_state.terminal)):
                    raise ProtocolError(f"symmetry {sym.name}: the mirrored game ended at a different move")
                if done.all():
                    break
                mask_a = game.legal_mask(a_state)
                mask_b = game.legal_mask(b_state)
                if not np.array_equal(sym.apply_policy(mask_a.astype(np.float32)) > 0, mask_b):
                    raise ProtocolError(f"symmetry {sym.name} does not keep the rules: the mirrored position's "
                                        "legal moves are not the mirror of the original's")
                seat = np.asarray(a_state.to_play)
                obs_a = np.asarray(game.observation(a_state, seat))
                obs_b = np.asarray(game.observation(b_state, seat))
                if not np.array_equal(sym.apply_planes(obs_a), obs_b):
                    raise ProtocolError(f"symmetry {sym.name}: the mirrored position's observation is not the "
                                        "mirror of the original's (is the start position symmetric?)")
                actions = _random_actions(game, a_state, rng)
                game.step(a_state, actions)
                game.step(b_state, sym.action_perm[actions])
            if not np.allclose(game.returns(a_state), game.returns(b_state)):
                raise ProtocolError(f"symmetry {sym.name}: the mirrored game has another result")
    return f"{len(symmetries)} declared ({', '.join(s.name for s in symmetries)}), each maps games onto games"


def check_text(game: Any, batch: int, games: int, rng: np.random.Generator) -> str:
    state = game.initial_state(1)
    for action in np.flatnonzero(game.legal_mask(state)[0]):
        text = game.action_to_str(int(action))
        try:
            back = game.parse_action(text)
        except ValueError as exc:
            raise ProtocolError(f"parse_action({text!r}) failed on action_to_str's own output: {exc}") from None
        if back != int(action):
            raise ProtocolError(f"parse_action(action_to_str({int(action)})) gave {back}")
    try:
        game.parse_action("%%not-a-move%%")
    except ValueError:
        pass
    else:
        raise ProtocolError("parse_action() must raise ValueError on text that is not a move")
    drawing = game.render(state, 0)
    if not isinstance(drawing, str) or not drawing.strip():
        raise ProtocolError("render(state, 0) must return the board as text")
    return "moves round-trip through action_to_str/parse_action; render() draws"


PROTOCOL_CHECKS: list[tuple[str, Callable[[Any, int, int, np.random.Generator], str]]] = [
    ("members", check_members),
    ("state", check_state),
    ("step in place", check_step_in_place),
    ("rules", check_rules),
    ("symmetries", check_symmetries),
    ("notation", check_text),
]


def check_turn_based_game(game: Any, *, games: int = 64, batch: int = 16, seed: int = 0) -> list[CheckResult]:
    """Run every protocol check; stops at the first broken requirement (later checks rely on it)."""
    rng = np.random.default_rng(seed)
    results = []
    for name, check in PROTOCOL_CHECKS:
        try:
            detail = check(game, batch, games, rng)
        except ProtocolError as exc:
            results.append(CheckResult(name, False, str(exc)))
            break
        except Exception as exc:  # noqa: BLE001 - a crash in the game's code is a broken requirement too
            results.append(CheckResult(name, False, f"{type(exc).__name__} in the game's code: {str(exc)[:160]}"))
            break
        results.append(CheckResult(name, True, detail))
    return results
