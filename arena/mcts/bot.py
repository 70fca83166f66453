"""The ``mcts`` bot: pure UCT search with random rollouts (:mod:`arena.mcts.pure`).

Spec grammar (``arena.bots.make(spec, env)``)::

    mcts                      1000 simulations per move (or the ``playouts=N`` option)
    mcts:<simulations>        e.g. mcts:2000
    mcts:<simulations>:solver with MCTS-Solver (proven wins/losses decide the move), e.g. mcts:1000:solver
    mcts:solver               the same with the default budget
    mcts:<simulations>:c=<x>  UCT exploration constant (default 2.0), e.g. mcts:1000:c=1.4

Parts after the first ``:`` may come in any order (``mcts:solver:c=1:500``). Options the factory
accepts: ``playouts`` (simulations when the spec gives no number) and ``solver`` (bool); ``None``
values count as not given.

Works on every turn-based game: the m,n,k games (tic_tac_toe, connect_four, gomoku) take the
compiled fast path (:mod:`arena.mcts.pure`); any other :class:`arena.env.TurnBasedGame` (Othello,
Hex, a user's game) and any copyable two-player PettingZoo AEC env take the generic batched path
(:mod:`arena.mcts.generic`), where ``solver`` is not available and ``c=`` is the PUCT constant.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from arena.bots import BotSpecError, SearchResult, current_state, game_of, register_bot
from arena.mcts.generic import GenericMCTS, GenericMCTSConfig
from arena.mcts.pure import PureMCTS, PureMCTSConfig

DEFAULT_SIMULATIONS = 1000
USAGE = "mcts[:<simulations>][:solver][:c=<uct_c>]"


def has_fast_path(game: Any) -> bool:
    """Whether ``game`` is an m,n,k game, searched by the compiled kernels of :mod:`arena.mcts.pure`."""
    from games.board.mnk import MNKGame

    return isinstance(game, MNKGame)


class PureMCTSBot:
    """Plays the most visited move of a fresh pure-MCTS search from the current position.

    ``env`` is the env the bot plays in (it reads the position from it, see
    :func:`arena.bots.current_state`); without one, the game must rebuild positions from
    observations (``state_from_observation``).
    """

    def __init__(self, game: Any, config: PureMCTSConfig, seed: int | None = None, env: Any = None) -> None:
        self.game = game
        self.config = config
        self.env = env
        if has_fast_path(game):
            self.search = PureMCTS(game, config, seed=seed)
        else:
            if config.solver:
                raise BotSpecError(f"mcts:solver runs on the m,n,k games only; {game.name} uses the generic "
                                   "search (drop ':solver')")
            c = None if config.uct_c == PureMCTSConfig.uct_c else float(config.uct_c)
            if c is not None and c <= 0:
                raise BotSpecError(f"the generic mcts search needs c > 0, got c={config.uct_c:g}")
            self.search = GenericMCTS(game, GenericMCTSConfig(simulations=config.simulations, c_puct=c), seed=seed)
        solver = ":solver" if config.solver else ""
        uct_c = "" if config.uct_c == PureMCTSConfig.uct_c else f":c={config.uct_c:g}"
        self.name = f"mcts:{config.simulations}{solver}{uct_c}"

    def policy(self, observation: Any, action_mask: np.ndarray) -> SearchResult:
        """Search the current position (``observation`` is what the player to move sees).

        ``visit_shares[A]`` sums to 1 and is 0 on illegal actions; ``value`` is the expected final
        score of the player to move, in [-1, 1].
        """
        state = current_state(self.env, self.game, observation)
        mask = np.asarray(action_mask).astype(bool).reshape(-1)
        if not mask.any():
            raise ValueError("no legal action: the action mask is all zeros (is the game over?)")
        legal = self.game.legal_mask(state)[0]
        if legal.shape != mask.shape or not np.array_equal(legal, mask):
            # The rules and the env disagree: the observation does not come from this game.
            raise ValueError("the action mask does not match the legal moves of the observed position; "
                             f"is this observation from {self.game.name}?")
        result = self.search.search(state)
        return SearchResult(action=result.action, visit_shares=result.visit_shares,
                            value=result.value, simulations=result.simulations)

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        return self.policy(observation, action_mask).action

    def reset(self) -> None:
        # Every move searches from scratch; nothing carries over between games.
        pass


def parse_mcts_argument(argument: str, playouts: Any = None, solver: Any = None) -> PureMCTSConfig:
    """The :class:`PureMCTSConfig` described by the part of a spec after ``mcts:``.

    Raises :class:`BotSpecError` with a one-line message for anything it does not understand.
    """
    simulations: int | None = None
    use_solver = False
    uct_c = PureMCTSConfig.uct_c
    for part in (p.strip() for p in argument.split(":")) if argument else ():
        if part.isdigit():
            if simulations is not None:
                raise BotSpecError(f"mcts spec gives the simulations twice: 'mcts:{argument}' ({USAGE})")
            simulations = int(part)
            if simulations < 1:
                raise BotSpecError(f"mcts needs at least 1 simulation, got 'mcts:{argument}' ({USAGE})")
        elif part == "solver":
            use_solver = True
        elif part.startswith("c="):
            try:
                uct_c = float(part[2:])
            except ValueError:
                raise BotSpecError(f"mcts exploration constant '{part}' is not a number; "
                                   f"use e.g. mcts:1000:c=2.0") from None
            if not np.isfinite(uct_c) or uct_c < 0:
                raise BotSpecError(f"mcts exploration constant must be a finite number >= 0, got '{part}'")
        else:
            raise BotSpecError(f"bad mcts spec 'mcts:{argument}': '{part}' is not a number of simulations, "
                               f"'solver' or 'c=<x>' ({USAGE}, e.g. mcts:2000)")
    if playouts is not None:
        if isinstance(playouts, bool) or not isinstance(playouts, int | np.integer) or playouts < 1:
            raise BotSpecError(f"mcts option playouts={playouts!r} must be a whole number >= 1")
        if simulations is None:
            simulations = int(playouts)
    if solver is not None:
        if not isinstance(solver, bool | np.bool_):
            raise BotSpecError(f"mcts option solver={solver!r} must be True or False")
        use_solver = use_solver or bool(solver)
    return PureMCTSConfig(simulations=simulations if simulations is not None else DEFAULT_SIMULATIONS,
                          uct_c=uct_c, solver=use_solver)


def make_mcts_bot(argument: str, env: Any, seed: int | None, **options: Any) -> PureMCTSBot:
    """Bot factory for ``mcts[:<simulations>][:solver][:c=<x>]`` (see the module docstring)."""
    unknown = sorted(k for k, v in options.items() if k not in ("playouts", "solver") and v is not None)
    if unknown:
        raise BotSpecError(f"mcts takes the options playouts and solver, not {', '.join(unknown)}")
    config = parse_mcts_argument(argument, options.get("playouts"), options.get("solver"))
    game = game_of(env)
    return PureMCTSBot(game, config, seed=seed, env=env)


register_bot("mcts", make_mcts_bot, USAGE)
