"""The ``az`` bot: a trained policy-value network searching one game (against a human or a bot).

``az:<checkpoint>`` loads a model file (or a training checkpoint); ``az`` alone loads the shipped
default for the game from :mod:`arena.alphazero.pretrained`. It searches 400 playouts per move
unless the spec (``az:CHECKPOINT:800``, ``az:800`` for the shipped model) or the ``playouts=`` option
(``arena play --playouts N``, which wins) says otherwise. The search batches the leaves of its
single tree with virtual loss (``leaves_per_call`` leaves per network call), keeps the subtree of
the moves played, always plays the most visited move (tau -> 0) and adds no noise. The search
proves wins and losses (MCTS-Solver): a proven win is played, a proven loss never is unless every
move loses; ``az:nosolver`` / ``az:CHECKPOINT:nosolver`` (or the option ``solver=False``) turns it off.
The exploration constant is the one the model was trained with (5.0 for models that do not record
one) unless the option ``c_puct=`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from arena.bots import BotSpecError, SearchResult, current_state, game_of, register_bot
from arena.env.batched import position_key

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
DEFAULT_PLAYOUTS = 400  # per move when the caller gives no playouts= (the book's gomoku column)


def default_checkpoint_name(game: Any) -> str:
    """File name of the shipped model for a game: ``tic_tac_toe.pt``, ``connect_four.pt``,
    ``gomoku_6x6_4.pt`` (board size and line length for gomoku); other games may name theirs with
    a ``model_name`` attribute (``othello_6x6.pt``), else ``<name>_<H>x<W>.pt``."""
    if game.name == "gomoku":
        suffix = "_exact" if getattr(game, "exact", False) else ""
        return f"gomoku_{game.rows}x{game.cols}_{game.k}{suffix}.pt"
    if game.name in ("tic_tac_toe", "connect_four"):
        return f"{game.name}.pt"
    custom = getattr(game, "model_name", None)
    if custom:
        return f"{custom}.pt"
    rows, cols = int(game.observation_shape[0]), int(game.observation_shape[1])
    return f"{game.name}_{rows}x{cols}.pt"


def same_rules(a: Any, b: Any) -> bool:
    """Whether two games have the same rules: same type, and the same repr (which names the
    variant), action count and observation shape."""
    return (type(a) is type(b) and repr(a) == repr(b) and a.num_actions == b.num_actions
            and tuple(a.observation_shape) == tuple(b.observation_shape))


class AlphaZeroBot:
    """Search with a policy-value network; implements :class:`arena.bots.SearchBot`."""

    def __init__(self, game: Any, model: Any, *, simulations: int = 400, c_puct: float = 5.0,
                 leaves_per_call: int = 8, device: str = "auto", seed: int | None = None,
                 solver: bool = True, name: str = "az", env: Any = None, fpu_reduction: float | None = None,
                 contempt: float = 0.0) -> None:
        from arena.alphazero.network import NetworkEvaluator, resolve_device
        from arena.mcts.batched import BatchedMCTS, SearchParams

        if simulations < 1:
            raise ValueError(f"playouts must be >= 1, got {simulations}")
        self.name = name
        self.game = game
        self.env = env  # the env it plays in (the position is read from it); see arena.bots.bind_env
        dev = resolve_device(device)
        self.model = model.to(dev).eval()
        self.params = SearchParams(num_simulations=int(simulations), c_puct=c_puct,
                                   leaves_per_game=max(1, min(int(leaves_per_call), int(simulations))),
                                   solver=bool(solver), fpu_reduction=fpu_reduction,
                                   contempt=float(contempt))
        self.rng = np.random.default_rng(seed)
        evaluator = NetworkEvaluator(game, self.model, dev, threads=1 if dev.type == "cpu" else None)
        self.mcts = BatchedMCTS(game, evaluator, self.params, rng=self.rng)
        self._have_tree = False

    def reset(self) -> None:
        self._have_tree = False

    def _root_for(self, observation: np.ndarray) -> None:
        """Point the tree's root at the current position, reusing the subtree when the position
        follows from the current root by one move (the opponent's reply)."""
        observed = current_state(self.env, self.game, observation)
        if self._have_tree:
            root = self.mcts.tree.root_states()
            target = position_key(observed)
            if position_key(root) == target:
                return
            for a in np.flatnonzero(self.game.legal_mask(root)[0]):
                nxt = root.copy()
                self.game.step(nxt, np.array([a]))
                if position_key(nxt) == target:
                    self.mcts.advance(np.array([a]), nxt)
                    return
        # A position rebuilt from an observation has no history; after one stone the last move is
        # that stone (m,n,k games keep it in ``last_move``, which the network sees).
        if hasattr(observed, "last_move") and hasattr(observed, "moves") and int(observed.last_move[0]) < 0:
            opp_cells = np.flatnonzero(np.asarray(observation)[..., 1].reshape(-1))
            if opp_cells.size == 1 and int(observed.moves[0]) == 1:
                observed.last_move[0] = int(opp_cells[0])
        self.mcts.reset(observed)
        self._have_tree = True

    def policy(self, observation: Any, action_mask: np.ndarray) -> SearchResult:
        self._root_for(observation)
        visits = self.mcts.run()[0]
        mask = np.asarray(action_mask).astype(bool)
        visits = np.where(mask, visits, 0.0)
        if visits.sum() <= 0:  # cannot happen after a search of a live position; stay legal anyway
            visits = mask.astype(np.float32)
        best = np.flatnonzero(visits == visits.max())
        action = int(self.rng.choice(best))
        shares = (visits / visits.sum()).astype(np.float32)
        value = float(self.mcts.tree.root_values()[0])
        return SearchResult(action=action, visit_shares=shares, value=value,
                            simulations=self.params.num_simulations)

    def act(self, observation: Any, action_mask: np.ndarray) -> int:
        result = self.policy(observation, action_mask)
        root = self.mcts.tree.root_states()
        self.game.step(root, np.array([result.action]))
        self.mcts.advance(np.array([result.action]), root)
        return result.action


def load_bot(path: str | Path, game: Any, *, simulations: int | None = None, seed: int | None = None,
             device: str = "auto", leaves_per_call: int = 8, solver: bool = True, env: Any = None,
             c_puct: float | None = None, fpu_reduction: float | None = None,
             contempt: float = 0.0) -> AlphaZeroBot:
    """An :class:`AlphaZeroBot` from a model file; the file's game must be ``game``. ``c_puct``:
    the search's exploration constant (default: the one the model was trained with);
    ``fpu_reduction``: first-play urgency; ``contempt``: what a draw costs this bot
    (:class:`arena.mcts.batched.SearchParams`)."""
    import arena
    from arena.alphazero.checkpoint import CheckpointError, load_model_record
    from arena.alphazero.network import build_network

    record = load_model_record(path)
    trained_on = game_of(arena.make(record["game"], **record["game_kwargs"]))
    if not same_rules(trained_on, game):
        raise CheckpointError(f"{path} was trained on {trained_on!r}, not {game!r}")
    net = record["network"]
    model = build_network(game, net["blocks"], net["channels"], net.get("value_hidden", 64),
                          reply_head=bool(net.get("reply_head", 0)))
    try:
        model.load_state_dict(record["model"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not fit the network it describes "
                              f"({str(exc).splitlines()[0][:120]})") from None
    sims = simulations if simulations is not None else DEFAULT_PLAYOUTS
    if c_puct is None:  # the search constant it was trained with
        c_puct = float(record.get("info", {}).get("c_puct", 5.0))
    return AlphaZeroBot(game, model, simulations=sims, c_puct=c_puct, seed=seed, device=device,
                        leaves_per_call=leaves_per_call, solver=solver, name=f"az:{Path(path).name}", env=env,
                        fpu_reduction=fpu_reduction, contempt=contempt)


def _number_option(name: str, value: Any, allowed: str, ok: Callable[[float], bool]) -> float | None:
    """An az option given as a number (or None: not given); a bad one is one :class:`BotSpecError` line."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not ok(number):  # NaN fails every check
        raise BotSpecError(f"az option {name}={value!r} must be a number {allowed}")
    return number


def _make_az(argument: str, env: Any, seed: int | None, **options: Any) -> AlphaZeroBot:
    playouts = options.pop("playouts", None)
    solver = options.pop("solver", None)
    c_puct = options.pop("c_puct", None)
    fpu = options.pop("fpu_reduction", None)
    contempt = options.pop("contempt", None)
    leaves = options.pop("leaves_per_call", None)
    while argument:  # trailing options: az:PATH:800, az:PATH:nosolver, az:800:nosolver, az:nosolver
        head, _, tail = argument.rpartition(":")
        if tail in ("solver", "nosolver"):
            solver = tail == "solver"
        elif tail.isdigit() and not Path(argument).expanduser().exists():
            if playouts is None:  # an explicit playouts= option (arena play --playouts) wins
                playouts = int(tail)
        else:
            break
        argument = head
    if solver is not None and not isinstance(solver, bool):
        raise BotSpecError(f"az option solver={solver!r} must be True or False")
    solver = True if solver is None else solver
    unknown = [k for k, v in options.items() if v is not None]
    if unknown:
        raise BotSpecError(f"'az' bots take the options playouts, solver, c_puct, fpu_reduction, contempt and "
                           f"leaves_per_call, not {', '.join(unknown)}")
    c_puct = _number_option("c_puct", c_puct, "> 0", lambda x: x > 0)
    fpu = _number_option("fpu_reduction", fpu, "in [0, 2]", lambda x: 0 <= x <= 2)
    contempt = _number_option("contempt", contempt, "in [0, 1)", lambda x: 0 <= x < 1)
    leaves = _number_option("leaves_per_call", leaves, "from 1 to 1024 (a whole number)",
                            lambda x: 1 <= x <= 1024 and x == int(x))
    game = game_of(env)
    if argument:
        path = Path(argument).expanduser()
        if path.is_dir():  # a run directory: its best model (the last accepted one in gating mode)
            path = next((path / n for n in ("best.pt", "latest.pt") if (path / n).is_file()), path / "best.pt")
        if not path.is_file():
            raise BotSpecError(f"az checkpoint {argument} does not exist: give a run directory or a file written by "
                               "`arena train alphazero` (e.g. az:runs/c4 or az:runs/c4/best.pt), or plain 'az'")
    else:
        path = PRETRAINED_DIR / default_checkpoint_name(game)
        if not path.is_file():
            shipped = sorted(p.name for p in PRETRAINED_DIR.glob("*.pt"))
            raise BotSpecError(f"no shipped AlphaZero model for {game!r} (shipped: {', '.join(shipped) or 'none'}); "
                               "train one with `arena train alphazero` and use az:PATH")
    if playouts is not None and int(playouts) < 1:
        raise BotSpecError(f"playouts must be >= 1, got {playouts}")
    try:
        return load_bot(path, game, simulations=None if playouts is None else int(playouts), solver=solver, seed=seed,
                        env=env, c_puct=c_puct, fpu_reduction=fpu, contempt=contempt or 0.0,
                        leaves_per_call=8 if leaves is None else int(leaves))
    except ValueError as exc:
        raise BotSpecError(str(exc)) from None


register_bot("az", _make_az, "az[:CHECKPOINT][:PLAYOUTS][:nosolver]")
