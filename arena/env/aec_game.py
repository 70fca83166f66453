"""Any copyable two-player PettingZoo AEC env as a :class:`~arena.env.batched.TurnBasedGame`.

The slow path that lets search (``mcts:``, ``az``) and ``arena play`` run on games written as plain
PettingZoo AEC envs -- ``pettingzoo.classic.connect_four_v3``, ``go_v5``, a user's own -- without
rewriting them to the batched protocol. A position is a deep copy of the env (``copy.deepcopy`` of its instance dictionaries, see :func:`clone_env`);
playing a move copies the env and steps the copy, so positions stored in a search tree are never
changed behind its back. It costs a deep copy per move (measured in docs/benchmarks.md); a game
written to the protocol directly is one to two orders of magnitude faster.

What the env must do (checked when the adapter is built, with a one-line error otherwise):

* two agents that take turns (after a move in an unfinished game the other agent is selected);
* ``Discrete`` actions and observations ``{"observation": array, "action_mask": int8[A]}`` (the
  PettingZoo classic convention);
* survive ``copy.deepcopy`` (no open windows, sockets or handles: use ``render_mode=None``);
* rewards that add up to the final score of each agent (+1 / -1 / 0 in classic games).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.env.batched import BatchedState

DEFAULT_MAX_MOVES = 10_000


class NotATurnBasedGame(ValueError):
    """The env cannot be driven as a two-player turn-based game; the message says why."""


@dataclass
class AECGameState(BatchedState):
    """``B`` positions of a plain AEC env.

    ``envs[B]`` object: one private deep copy of the env per position; ``to_play[B]`` the seat to
    move; ``winner[B]`` -1 ongoing, else 0/1 the seat with the higher score, 2 a draw;
    ``scores[B, 2]`` rewards so far per seat; ``moves[B]`` plies played; ``history[B, M]`` the
    actions played (-1 past the end), which with the rest identifies a position
    (:func:`arena.env.batched.position_key`).
    """

    envs: np.ndarray
    to_play: np.ndarray
    winner: np.ndarray
    scores: np.ndarray
    moves: np.ndarray
    history: np.ndarray

    # Envs are never changed in place (a move steps a private copy), so copies of a state can share
    # them; copying them would also lose their position (see clone_env).
    def copy(self) -> AECGameState:
        return AECGameState(self.envs.copy(), self.to_play.copy(), self.winner.copy(), self.scores.copy(),
                            self.moves.copy(), self.history.copy())

    def take(self, index: Any) -> AECGameState:
        if isinstance(index, int | np.integer):
            index = [int(index)]
        return AECGameState(*(np.ascontiguousarray(a[index]) if a.dtype != object else a[index].copy()
                              for a in (self.envs, self.to_play, self.winner, self.scores, self.moves,
                                        self.history)))


def clone_env(env: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of an env *with its current position*.

    ``copy.deepcopy`` is not enough: PettingZoo's classic envs are ``EzPickle`` objects, whose
    copies are rebuilt from the constructor arguments (a fresh, un-reset env). This copies the
    instance dictionaries instead, down the wrapper chain (``.env``).
    """
    memo = {} if memo is None else memo
    if id(env) in memo:
        return memo[id(env)]
    if not hasattr(env, "__dict__"):
        return copy.deepcopy(env, memo)
    new = object.__new__(type(env))
    memo[id(env)] = new
    for key, value in vars(env).items():
        if hasattr(value, "possible_agents") and hasattr(value, "__dict__"):
            new.__dict__[key] = clone_env(value, memo)
        elif key in _SHARED_ATTRIBUTES or _is_space_table(value):
            new.__dict__[key] = value  # never changed by a move: share rather than copy (copies are slow)
        else:
            new.__dict__[key] = copy.deepcopy(value, memo)
    return new


# Attributes a PettingZoo env sets once and never changes during a game.
_SHARED_ATTRIBUTES = frozenset({"metadata", "possible_agents", "_ezpickle_args", "_ezpickle_kwargs",
                                "render_mode", "screen", "clock"})


def _is_space_table(value: Any) -> bool:
    """A gymnasium space, or a dict/list of them (``action_spaces``, ``observation_spaces``)."""
    if isinstance(value, spaces.Space):
        return True
    if isinstance(value, dict) and value:
        return all(isinstance(v, spaces.Space) for v in value.values())
    return False


def _planes(observation: Any) -> np.ndarray:
    """The observation as ``[H, W, C]`` planes (1-D vectors become ``[1, n, 1]``)."""
    arr = np.asarray(observation)
    if arr.ndim == 3:
        return arr
    if arr.ndim == 2:
        return arr[..., None]
    if arr.ndim == 1:
        return arr[None, :, None]
    raise NotATurnBasedGame(f"observation of shape {arr.shape} cannot be read as board planes")


class AECGame:
    """The :class:`~arena.env.batched.TurnBasedGame` view of a copyable two-player AEC env.

    ``env`` is a live env (it is reset once, with ``seed``, to take the start position);
    ``name`` labels the game in messages; ``max_moves`` bounds a game's length for the engines
    (the env's own ``max_cycles`` when it has one).
    """

    num_players = 2

    def __init__(self, env: Any, *, name: str | None = None, seed: int = 0,
                 max_moves: int | None = None) -> None:
        if not hasattr(env, "agent_iter"):
            raise NotATurnBasedGame(f"{type(env).__name__} is not a PettingZoo AEC env (it has no agent_iter); "
                                    "turn-based engines need an AEC env whose agents take turns")
        agents = list(env.possible_agents)
        if len(agents) != 2:
            raise NotATurnBasedGame(f"{name or type(env).__name__} has {len(agents)} agents; the turn-based "
                                    "engines (mcts, az, arena play) handle two-player games")
        space = env.action_space(agents[0])
        if not isinstance(space, spaces.Discrete):
            raise NotATurnBasedGame(f"{name or type(env).__name__} has {type(space).__name__} actions; "
                                    "turn-based engines need Discrete actions")
        self.name = name or str(getattr(env, "metadata", {}).get("name", type(env).__name__))
        self.agents = agents
        self.num_actions = int(space.n)
        env.reset(seed=seed)
        self._start = self._checked_copy(env)
        obs = env.observe(env.agent_selection)
        if not isinstance(obs, dict) or "observation" not in obs or "action_mask" not in obs:
            raise NotATurnBasedGame(f"{self.name}: observations must be dicts with 'observation' and "
                                    "'action_mask' (the PettingZoo classic convention)")
        self.observation_shape = tuple(int(d) for d in _planes(obs["observation"]).shape)
        self._obs_dtype = _planes(obs["observation"]).dtype
        cycles = getattr(env.unwrapped, "max_cycles", None)
        self.max_moves = int(max_moves or cycles or DEFAULT_MAX_MOVES)
        self._start_seat = agents.index(env.agent_selection)

    def _checked_copy(self, env: Any) -> Any:
        try:
            return clone_env(env)
        except Exception as exc:  # noqa: BLE001 - any failure means the env cannot be copied
            raise NotATurnBasedGame(f"{self.name}: the env cannot be copied "
                                    f"({type(exc).__name__}: {str(exc)[:80]}); search needs copyable "
                                    "positions (create it with render_mode=None)") from None

    def __repr__(self) -> str:
        return f"AECGame({self.name!r})"

    # ------------------------------------------------------------------ states
    def _state(self, envs: list[Any]) -> AECGameState:
        B = len(envs)
        arr = np.empty(B, dtype=object)
        for i, e in enumerate(envs):
            arr[i] = e
        return AECGameState(envs=arr, to_play=np.full(B, self._start_seat, dtype=np.int8),
                            winner=np.full(B, -1, dtype=np.int8), scores=np.zeros((B, 2), np.float32),
                            moves=np.zeros(B, dtype=np.int32),
                            history=np.full((B, self.max_moves), -1, dtype=np.int32))

    def initial_state(self, batch_size: int = 1) -> AECGameState:
        return self._state([clone_env(self._start) for _ in range(batch_size)])

    def state_of_env(self, env: Any) -> AECGameState:
        """A batch of one holding a copy of the live ``env`` (the position a bot is asked about)."""
        state = self._state([self._checked_copy(env)])
        state.to_play[0] = self.agents.index(env.agent_selection)
        state.scores[0] = [float(env._cumulative_rewards.get(a, 0.0)) for a in self.agents]
        if all(env.terminations.get(a, False) or env.truncations.get(a, False) for a in self.agents):
            state.winner[0] = self._winner(state.scores[0])
        return state

    @staticmethod
    def _winner(scores: np.ndarray) -> int:
        if scores[0] > scores[1]:
            return 0
        if scores[1] > scores[0]:
            return 1
        return 2

    # ------------------------------------------------------------------ rules
    def legal_mask(self, state: AECGameState) -> np.ndarray:
        mask = np.zeros((state.batch_size, self.num_actions), dtype=np.bool_)
        for b in range(state.batch_size):
            if state.winner[b] == -1:
                env = state.envs[b]
                mask[b] = np.asarray(env.observe(env.agent_selection)["action_mask"]).astype(bool)
        return mask

    def step(self, state: AECGameState, actions: np.ndarray) -> AECGameState:
        """Play in place: each unfinished position's env is replaced by a stepped copy."""
        return self._step(state, actions, private=False)

    def step_private(self, state: AECGameState, actions: np.ndarray) -> AECGameState:
        """Like :meth:`step`, but steps the envs themselves, without copying: only for states whose
        envs nothing else holds (a search's random playouts after their first move)."""
        return self._step(state, actions, private=True)

    def _step(self, state: AECGameState, actions: np.ndarray, *, private: bool) -> AECGameState:
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        for b in range(state.batch_size):
            if state.winner[b] != -1:
                continue
            env = state.envs[b] if private else clone_env(state.envs[b])
            mover = env.agent_selection
            mask = np.asarray(env.observe(mover)["action_mask"])
            a = int(actions[b])
            if not (0 <= a < self.num_actions) or not mask[a]:
                raise ValueError(f"illegal move {a} for {mover} in {self.name} (game {b} of the batch)")
            env.step(a)
            for seat, agent in enumerate(self.agents):
                state.scores[b, seat] += float(env.rewards.get(agent, 0.0))
            over = self._over(env)
            # An agent that is done while the other plays on is stepped out with None, as the AEC
            # API requires; when both are done the env is kept as it is (it can still be observed).
            while not over and (env.terminations.get(env.agent_selection, False)
                                or env.truncations.get(env.agent_selection, False)):
                env.step(None)
                over = self._over(env)
            if state.moves[b] < self.max_moves:
                state.history[b, state.moves[b]] = a
            state.moves[b] += 1
            state.envs[b] = env
            if over or state.moves[b] >= self.max_moves:
                state.winner[b] = self._winner(state.scores[b])
                state.to_play[b] = 1 - state.to_play[b]  # the protocol flips after the last move too
                continue
            nxt = self.agents.index(env.agent_selection)
            if nxt == int(state.to_play[b]):
                raise NotATurnBasedGame(f"{self.name}: {mover} moved twice in a row; turn-based engines need "
                                        "strictly alternating turns (an explicit pass action when a player "
                                        "cannot move)")
            state.to_play[b] = nxt
        return state

    def _over(self, env: Any) -> bool:
        return not env.agents or all(env.terminations.get(x, False) or env.truncations.get(x, False)
                                     for x in self.agents)

    def returns(self, state: AECGameState) -> np.ndarray:
        out = np.zeros((state.batch_size, 2), dtype=np.float32)
        done = state.winner != -1
        out[done] = np.clip(state.scores[done], -1.0, 1.0)
        return out

    def observation(self, state: AECGameState, seat: np.ndarray | int) -> np.ndarray:
        seats = np.broadcast_to(np.asarray(seat), (state.batch_size,))
        out = np.zeros((state.batch_size, *self.observation_shape), dtype=self._obs_dtype)
        for b in range(state.batch_size):
            out[b] = _planes(state.envs[b].observe(self.agents[int(seats[b])])["observation"])
        return out

    # ------------------------------------------------------------------ text
    def action_to_str(self, action: int) -> str:
        return str(int(action))

    def parse_action(self, text: str) -> int:
        t = text.strip()
        if not t.lstrip("-").isdigit() or not 0 <= int(t) < self.num_actions:
            raise ValueError(f"'{text}' is not a move: type an action number from 0 to {self.num_actions - 1}")
        return int(t)

    def render(self, state: AECGameState, index: int = 0, *, color: bool = False) -> str:
        """The env's own text rendering when it has one, else the first two planes of seat 0's view."""
        env = state.envs[index]
        if getattr(env, "render_mode", None) == "ansi":
            text = env.render()
            if isinstance(text, str):
                return text
        planes = self.observation(state.take(index), 0)[0]
        marks = []
        for row in planes:
            cells = []
            for cell in row:
                ch = "X" if cell[0] else ("O" if cell.shape[0] > 1 and cell[1] else ".")
                cells.append(f" {ch} ")
            marks.append("".join(cells))
        return "\n".join(marks) + "\n(seat 0 is X)"


def aec_game_of(env: Any, *, name: str | None = None) -> AECGame:
    """The :class:`AECGame` over ``env`` (raises :class:`NotATurnBasedGame` saying what is missing)."""
    return AECGame(env, name=name)



