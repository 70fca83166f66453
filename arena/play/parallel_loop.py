"""The one loop that plays simultaneous-move (PettingZoo Parallel) games with bots.

Every place that plays a Parallel env goes through :func:`play_parallel_episode`: ``arena match``,
``arena watch``, real-time ``arena play`` (the person is a bot whose moves come from the keyboard),
the human ladder and league matches (``leagues.executor.play_any_game``).

Seats: bot ``s`` controls the agents ``seats[s]``. By default (:func:`seats_of`) that is one agent
per bot when there are as many bots as agents, or one *side* (team) per bot in team games
(``red_0, red_1`` are side ``red``). A bot with ``act_team`` plays a many-agent seat in one call
(shared memory for the team); otherwise it is asked once per agent. A seat's score is the mean
total reward of its agents.

Actions: discrete action spaces get an all-ones action mask (or the env's own mask when the
observation carries one) and the bot's answer as an ``int``; ``Box`` spaces get no mask and the
answer clipped into the box. A :class:`arena.bots.RandomBot` on a ``Box`` samples uniformly in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from arena.bots import Bot, RandomBot
from arena.play.match import GameRecord, MatchResult


def side_of(agent: str) -> str:
    """Team of an agent from its name: ``team_0/agent_1`` -> ``team_0``, ``red_1`` -> ``red``, ``blue`` -> ``blue``."""
    if "/" in agent:
        return agent.split("/", 1)[0]
    head, sep, tail = agent.rpartition("_")
    return head if sep and tail.isdigit() else agent


def sides_of(env: Any) -> dict[str, list[str]]:
    """``{side: [agents]}`` in the order the sides first appear among ``env.possible_agents``."""
    sides: dict[str, list[str]] = {}
    for agent in env.possible_agents:
        sides.setdefault(side_of(agent), []).append(agent)
    return sides


def seats_of(env: Any, num_bots: int) -> list[list[str]]:
    """Which agents each bot controls: one agent per bot, or one side (team) per bot in xTyP games."""
    agents = list(env.possible_agents)
    if num_bots == len(agents):
        return [[a] for a in agents]
    sides = sides_of(env)
    if num_bots == len(sides):
        return list(sides.values())
    raise ValueError(f"{num_bots} players cannot sit at a game with agents {agents} "
                     f"({len(sides)} sides: {', '.join(sides)})")


def is_parallel(env: Any) -> bool:
    """Whether ``env`` is a simultaneous-move (Parallel) env rather than a turn-based AEC one."""
    return not hasattr(env, "agent_iter")


@dataclass
class EpisodeResult:
    """One finished (or stopped) episode of a Parallel env."""

    seats: list[list[str]]  # agents of each seat
    scores: tuple[float, ...]  # per seat: mean total reward of its agents
    returns: dict[str, float]  # per agent: total reward
    steps: int
    seconds: float = 0.0
    finished: bool = True  # False when ``on_step`` stopped it early

    def winner(self) -> int | None:
        """The seat with the strictly highest score, ``None`` on a tie."""
        best = max(self.scores)
        top = [s for s, v in enumerate(self.scores) if v == best]
        return top[0] if len(top) == 1 else None


def _split(observation: Any, space: spaces.Space) -> tuple[Any, np.ndarray | None]:
    """``(observation, action mask)`` as bots take them."""
    if isinstance(observation, Mapping) and "observation" in observation and "action_mask" in observation:
        return observation["observation"], np.asarray(observation["action_mask"])
    if isinstance(space, spaces.Discrete):
        return observation, np.ones(int(space.n), dtype=np.int8)
    return observation, None


def _to_env(action: Any, space: spaces.Space) -> Any:
    if isinstance(space, spaces.Discrete):
        return int(action)
    if isinstance(space, spaces.Box):
        return np.clip(np.asarray(action, dtype=space.dtype).reshape(space.shape), space.low, space.high)
    return action


def _bot_action(bot: Bot, observation: Any, mask: np.ndarray | None, space: spaces.Space) -> Any:
    if isinstance(bot, RandomBot) and not isinstance(space, spaces.Discrete):
        if isinstance(space, spaces.Box):
            low = np.where(np.isfinite(space.low), space.low, -1.0)
            high = np.where(np.isfinite(space.high), space.high, 1.0)
            return bot.rng.uniform(low, high).astype(space.dtype)
        return space.sample()
    return bot.act(observation, mask)


def seat_actions(env: Any, bot: Bot, team: Sequence[str], observations: Mapping[str, Any]) -> dict[str, Any]:
    """The actions of the live agents of one seat."""
    alive = [a for a in team if a in env.agents]
    if not alive:
        return {}
    space_of = {a: env.action_space(a) for a in alive}
    split = {a: _split(observations[a], space_of[a]) for a in alive}
    if len(team) > 1 and hasattr(bot, "act_team"):
        chosen = bot.act_team({a: split[a][0] for a in alive}, {a: split[a][1] for a in alive})
        return {a: _to_env(chosen[a], space_of[a]) for a in alive}
    return {a: _to_env(_bot_action(bot, split[a][0], split[a][1], space_of[a]), space_of[a]) for a in alive}


# on_step(env, step, rewards of this step, returns so far) -> False to stop the episode.
StepHook = Callable[[Any, int, Mapping[str, float], Mapping[str, float]], Any]


def play_parallel_episode(env: Any, bots: Sequence[Bot], *, seats: Sequence[Sequence[str]] | None = None,
                          seed: int | None = None, on_reset: Callable[[Any], Any] | None = None,
                          before_step: Callable[[Any, int], Any] | None = None,
                          on_step: StepHook | None = None, max_steps: int | None = None,
                          reset_bots: bool = True) -> EpisodeResult:
    """Play one episode of a Parallel env; ``bots[s]`` controls the agents ``seats[s]``
    (default :func:`seats_of`).

    ``on_reset(env)`` runs after the reset, ``before_step(env, step)`` before each step's actions
    are chosen (a keyboard seat reads its keys there), ``on_step(env, step, rewards, returns)``
    after each step; either hook returning ``False`` stops the episode (``finished=False``).
    """
    if reset_bots:
        for bot in bots:
            bot.reset()
    seat_agents = [list(s) for s in (seats if seats is not None else seats_of(env, len(bots)))]
    if len(seat_agents) != len(bots):
        raise ValueError(f"{len(bots)} bots for {len(seat_agents)} seats")
    agents = list(env.possible_agents)
    returns = dict.fromkeys(agents, 0.0)
    start = time.perf_counter()
    observations, _ = env.reset(seed=seed)
    finished = True
    step = 0
    if on_reset is not None and on_reset(env) is False:
        finished = False
    while finished and env.agents and (max_steps is None or step < max_steps):
        if before_step is not None and before_step(env, step) is False:
            finished = False
            break
        actions: dict[str, Any] = {}
        for bot, team in zip(bots, seat_agents):
            actions.update(seat_actions(env, bot, team, observations))
        for agent in env.agents:  # agents no seat controls stand still
            if agent not in actions:
                actions[agent] = _idle(env.action_space(agent))
        observations, rewards, _, _, _ = env.step(actions)
        step += 1
        for a, r in rewards.items():
            returns[a] += float(np.sum(r))
        if on_step is not None and on_step(env, step, rewards, returns) is False:
            finished = False
            break
    scores = tuple(float(np.mean([returns[a] for a in team])) if team else 0.0 for team in seat_agents)
    return EpisodeResult(seat_agents, scores, returns, step, time.perf_counter() - start, finished)


def _idle(space: spaces.Space) -> Any:
    if isinstance(space, spaces.Discrete):
        return int(space.start) if hasattr(space, "start") else 0
    if isinstance(space, spaces.Box):
        return np.clip(np.zeros(space.shape, dtype=space.dtype), space.low, space.high)
    return space.sample()


def play_parallel_match(make_env: Callable[[], Any], bots: Sequence[Bot], names: Sequence[str], games: int, *,
                        seed: int = 0, on_game: Callable[[GameRecord], None] | None = None,
                        swap: bool = True) -> MatchResult:
    """``games`` episodes between two bots, each controlling one side; with ``swap`` the bots
    change sides every game (as board games alternate who moves first). Returns the same
    :class:`arena.play.match.MatchResult` as board-game matches (``scores`` per seat = mean team
    return; the higher one wins)."""
    if len(bots) != 2:
        raise ValueError(f"a match needs exactly two bots, got {len(bots)}")
    if games < 1:
        raise ValueError(f"games must be >= 1, got {games}")
    env = make_env()
    seats = seats_of(env, 2)
    result = MatchResult(names=list(names))
    try:
        for g in range(games):
            order = (0, 1) if (g % 2 == 0 or not swap) else (1, 0)
            episode = play_parallel_episode(env, [bots[i] for i in order], seats=seats, seed=seed + g)
            record = GameRecord(seats=order, scores=_outcome_scores(episode.scores), seconds=episode.seconds)
            result.games.append(record)
            if on_game is not None:
                on_game(record)
    finally:
        env.close()
    return result


def _outcome_scores(scores: Sequence[float]) -> tuple[float, ...]:
    """Per-seat +1 / 0 / -1 from two seats' returns (the table counts wins by sign)."""
    a, b = scores[0], scores[1]
    if a == b:
        return (0.0, 0.0)
    return (1.0, -1.0) if a > b else (-1.0, 1.0)
