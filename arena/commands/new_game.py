"""``arena new-game NAME [--dir D] [--kind 2d|turn-based]``: scaffold an installable game package.

The package (``D``, default ``./arena-game-<module>``) holds

* ``pyproject.toml`` declaring the game in the ``arena.games`` entry-point group, so that once
  installed (``pip install -e D``) every Arena command finds it by name;
* the game: for ``2d`` a YAML file (:mod:`games.arena2d` declarative format) with ``x`` teams of
  ``y`` agents when NAME ends in ``-xTyP`` (two single agents otherwise), for ``turn-based`` a small
  complete Python game written against the public turn-based protocol
  (:class:`arena.env.TurnBasedGame`: a take-away game, whoever takes the last stone wins);
* ``tests/test_<module>.py``: PettingZoo's conformance tests, plus rule checks;
* ``README.md`` with the next commands (also printed).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from arena.cli import UserError

KINDS = ("2d", "turn-based")
TEAM_COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "cyan", "white")
MAX_AGENTS_PER_TEAM = 8


def module_name(name: str) -> str:
    """The Python module name of a game name: ``Tag-2T1P`` -> ``tag_2t1p``."""
    module = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not module or not module.isidentifier() or module[0].isdigit():
        raise UserError(f"cannot make a Python module name from {name!r}: start the name with a letter, "
                        "e.g. MyGame-2T1P")
    return module


def teams_of(name: str) -> tuple[int, int]:
    """``(teams, agents per team)`` from Arena's ``-xTyP`` suffix (``KingOfTheHill-3T2P`` -> (3, 2));
    (2, 1) when the name has none."""
    match = re.search(r"(\d+)T(\d+)P$", name, flags=re.IGNORECASE)
    if match is None:
        return 2, 1
    teams, per_team = int(match.group(1)), int(match.group(2))
    if not 2 <= teams <= len(TEAM_COLOURS):
        raise UserError(f"{name}: {teams} teams is out of range: a 2-D game has 2 to {len(TEAM_COLOURS)} "
                        f"teams (-xTyP: x teams of y agents)")
    if not 1 <= per_team <= MAX_AGENTS_PER_TEAM:
        raise UserError(f"{name}: {per_team} agents per team is out of range: use 1 to {MAX_AGENTS_PER_TEAM}")
    return teams, per_team


# -- the 2-D game -------------------------------------------------------------------------------


def _yaml_game(name: str, teams: int, per_team: int) -> str:
    """A king-of-the-hill sumo for ``teams`` x ``per_team`` agents: stay on the round platform (leaving
    it kills), the last team standing ranks first, standing on the central hill pays a little."""
    import math

    radius = 6.0 + 1.0 * max(0, teams * per_team - 4)
    start = radius * 0.6
    agents, leaves = [], []
    for t in range(teams):
        colour = TEAM_COLOURS[t]
        heading = 180.0 + 360.0 * t / teams  # facing the centre
        cx, cy = -start * math.cos(math.radians(heading)), -start * math.sin(math.radians(heading))
        names = [colour] if per_team == 1 else [f"{colour}_{i}" for i in range(per_team)]
        for i, agent in enumerate(names):
            offset = (i - (per_team - 1) / 2) * 1.2  # side by side, across the heading
            x = cx - offset * math.sin(math.radians(heading))
            y = cy + offset * math.cos(math.radians(heading))
            agents.append(f"  - {{name: {agent}, x: {x:.2f}, y: {y:.2f}, angle: {heading % 360:.0f}, "
                          "spawn_jitter: 0.3, angle_jitter: 15}")
        leaves.append((colour, names))
    hill = "[{type: InZone, entity: %s, zone: hill}]"
    if per_team == 1:
        children = [f"    - {{agent: {names[0]}, schemes: {hill % names[0]}}}" for _, names in leaves]
        tree_note = "root -> one agent per side"
    else:
        children = []
        for colour, names in leaves:
            children += [f"    - name: {colour}", "      condition: AtLeastOneLiving", "      children:"]
            children += [f"        - {{agent: {a}, schemes: {hill % a}}}" for a in names]
        tree_note = "root -> teams -> agents"
    condition = "AllLiving" if teams == 2 else "AtLeastNumberLiving(2)"
    body = "\n".join(agents)
    kids = "\n".join(children)
    return f"""# {name}: {teams} teams of {per_team} on a round platform. Leaving the platform knocks an agent out;
# a team is out when all its agents are; the last team standing ranks first (Ranking Survive, a
# zero-sum ranking: CP). Standing on the central hill pays 0.01 per step (InZone, IS).
# Scaffolded by `arena new-game`: edit freely; every field is described in docs/arena2d.md.
name: {name}
description: "{name}: {teams} teams of {per_team}; stay on the platform, hold the hill"
playground: {{width: {2 * radius + 4:.0f}, height: {2 * radius + 4:.0f}}}
agents:
{body}
zones:
  - {{name: ring, x: 0, y: 0, radius: {radius:.1f}}}
  - {{name: hill, x: 0, y: 0, radius: 1.5}}
triggers:
  - {{entity: agents, zone: ring, when: leave, kill: self}}
coefficients: {{custom: 0.01}}
# The social tree ({tree_note}): who is paid what.
tree:
  condition: {condition}
  declared: CP
  schemes: [{{type: Ranking, mode: Survive}}]
  children:
{kids}
observation: {{others: all, frame: relative, lidar_rays: 8}}
max_steps: 300
"""


INIT_2D = '''"""{name}: a 2-D team game declared in YAML (scaffolded by `arena new-game`).

The game is ``{module}.yaml`` beside this file; ``parallel_env`` builds it through Arena's game
registry (a path to a 2-D game YAML file is a game name), so editing the YAML is all it takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GAME_FILE = Path(__file__).with_name("{module}.yaml")


def parallel_env(render_mode: str | None = None, actions: str | None = None, reward_terms: bool = False) -> Any:
    """{name}: {teams} teams of {per_team} on a platform; the last team standing wins, the hill pays."""
    import arena

    return arena.make(str(GAME_FILE), render_mode=render_mode, actions=actions, reward_terms=reward_terms)
'''

TEST_2D = '''"""Tests of {name} (scaffolded by `arena new-game`): PettingZoo conformance and the rules."""

from pettingzoo.test import parallel_api_test, parallel_seed_test

import arena
from {module} import parallel_env


def test_passes_pettingzoo_conformance() -> None:
    parallel_api_test(parallel_env(), num_cycles=100)
    parallel_seed_test(parallel_env)


def test_has_{teams}_teams_of_{per_team}() -> None:
    assert len(parallel_env().possible_agents) == {teams} * {per_team}


def test_leaving_the_platform_knocks_an_agent_out() -> None:
    env = parallel_env()
    env.reset(seed=0)
    first = env.agents[0]
    env.game.pos[0, env.game.entities[first]] = (1000.0, 0.0)  # far off the platform
    _, _, terminations, _, _ = env.step({{agent: 0 for agent in env.agents}})
    assert terminations[first]


def test_the_installed_game_is_found_by_name() -> None:
    # After `pip install -e .` the entry point in pyproject.toml makes the name work everywhere.
    env = arena.make("{name}")
    assert sorted(env.possible_agents) == sorted(parallel_env().possible_agents)
'''


# -- the turn-based game ------------------------------------------------------------------------


GAME_TB = '''"""{name}: a take-away game (scaffolded by `arena new-game --kind turn-based`).

A pile of ``stones``; the players take turns removing 1 to ``max_take`` stones; whoever takes the
last stone wins (no draws). Written against Arena's public turn-based protocol
(``arena.env.TurnBasedGame``, docs/turn_based.md): batched rules over numpy arrays, so pure MCTS,
AlphaZero, ``arena play`` and leagues all work on it. Replace the rules with your own game;
``arena check-game {name}`` names any requirement you break.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.env.aec import TurnBasedAECEnv
from arena.env.batched import BatchedState


@dataclass
class PileState(BatchedState):
    """``B`` positions: every field an array whose first axis is the batch."""

    pile: np.ndarray  # int16 [B] stones left
    to_play: np.ndarray  # int8 [B] seat to move
    winner: np.ndarray  # int8 [B] -1 ongoing, else the winning seat
    moves: np.ndarray  # int16 [B] plies played


class {cls}:
    """The rules, batched. Action ``a`` takes ``a + 1`` stones."""

    num_players = 2

    def __init__(self, stones: int = 21, max_take: int = 3) -> None:
        if not 1 <= int(max_take) <= int(stones) <= 99:
            raise ValueError(f"need 1 <= max_take <= stones <= 99, got stones={{stones}}, max_take={{max_take}}")
        self.name = "{name}"
        self.stones = int(stones)
        self.max_take = int(max_take)

    def __repr__(self) -> str:  # names the variant (model files record the game they were trained on)
        return f"{cls}(stones={{self.stones}}, max_take={{self.max_take}})"

    @property
    def num_actions(self) -> int:
        return self.max_take

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        # One row of stones + 1 cells: plane 0 marks the pile size, plane 1 is all ones when the
        # observing seat is to move, plane 2 all ones when the observer is seat 1 (everything a
        # network needs, and enough to rebuild the position: state_from_observation).
        return (1, self.stones + 1, 3)

    @property
    def max_moves(self) -> int:
        return self.stones

    def initial_state(self, batch_size: int = 1) -> PileState:
        return PileState(pile=np.full(batch_size, self.stones, dtype=np.int16),
                         to_play=np.zeros(batch_size, dtype=np.int8),
                         winner=np.full(batch_size, -1, dtype=np.int8),
                         moves=np.zeros(batch_size, dtype=np.int16))

    def legal_mask(self, state: PileState) -> np.ndarray:
        takes = np.arange(1, self.max_take + 1)
        return (takes[None, :] <= state.pile[:, None]) & ~state.terminal[:, None]

    def step(self, state: PileState, actions: np.ndarray) -> PileState:
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != state.batch_size:
            raise ValueError(f"expected {{state.batch_size}} actions, got {{actions.shape[0]}}")
        active = ~state.terminal
        take = actions + 1
        illegal = active & ((actions < 0) | (actions >= self.max_take) | (take > state.pile))
        if illegal.any():
            b = int(np.flatnonzero(illegal)[0])
            raise ValueError(f"illegal move: take {{int(take[b])}} with {{int(state.pile[b])}} stones left "
                             f"(game {{b}} of the batch)")
        state.pile[active] -= take[active].astype(np.int16)
        won = active & (state.pile == 0)
        state.winner[won] = state.to_play[won]
        state.to_play[active] = 1 - state.to_play[active]
        state.moves[active] += 1
        return state

    def returns(self, state: PileState) -> np.ndarray:
        out = np.zeros((state.batch_size, 2), dtype=np.float32)
        out[state.winner == 0] = (1.0, -1.0)
        out[state.winner == 1] = (-1.0, 1.0)
        return out

    def observation(self, state: PileState, seat: np.ndarray | int) -> np.ndarray:
        seat = np.broadcast_to(np.asarray(seat, dtype=np.int8), (state.batch_size,))
        planes = np.zeros((state.batch_size, 1, self.stones + 1, 3), dtype=np.int8)
        planes[np.arange(state.batch_size), 0, state.pile, 0] = 1
        planes[..., 1] = (seat == state.to_play)[:, None, None]
        planes[..., 2] = (seat == 1)[:, None, None]
        return planes

    def state_from_observation(self, observation: np.ndarray) -> PileState:
        """The position one ``[1, stones + 1, 3]`` observation shows (bots use it)."""
        planes = np.asarray(observation)
        if planes.shape != self.observation_shape:
            raise ValueError(f"observation of shape {{planes.shape}} does not fit {{self.name}}: "
                             f"expected {{self.observation_shape}}")
        state = self.initial_state(1)
        seat = int(planes[0, 0, 2])
        state.pile[0] = int(np.argmax(planes[0, :, 0]))
        state.to_play[0] = seat if planes[0, 0, 1] else 1 - seat
        state.moves[0] = self.stones - state.pile[0]
        if state.pile[0] == 0:  # the player who just moved took the last stone
            state.winner[0] = 1 - state.to_play[0]
        return state

    def action_to_str(self, action: int) -> str:
        return str(int(action) + 1)

    def parse_action(self, text: str) -> int:
        t = text.strip()
        if not t.isdigit() or not 1 <= int(t) <= self.max_take:
            raise ValueError(f"'{{text}}' is not a move: type how many stones to take, 1 to {{self.max_take}}")
        return int(t) - 1

    def render(self, state: PileState, index: int = 0, *, color: bool = False) -> str:
        pile = int(state.pile[index])
        stones = "o " * pile
        if color:
            stones = f"\\x1b[1;33m{{stones}}\\x1b[0m"
        return f"pile: {{pile:>2}}  {{stones}}\\n(take 1 to {{self.max_take}}; the last stone wins)"


def env(stones: int = 21, max_take: int = 3, render_mode: str | None = None) -> TurnBasedAECEnv:
    """{name}: take 1 to max_take stones from a pile; whoever takes the last stone wins."""
    return TurnBasedAECEnv({cls}(stones, max_take), render_mode=render_mode)
'''

INIT_TB = '''"""{name}: a turn-based game package (scaffolded by `arena new-game --kind turn-based`)."""

from {module}.game import {cls}, PileState, env

__all__ = ["{cls}", "PileState", "env"]
'''

TEST_TB = '''"""Tests of {name} (scaffolded by `arena new-game`): PettingZoo conformance, the turn-based
protocol checks of `arena check-game`, and the rules."""

import numpy as np
import pytest
from pettingzoo.test import api_test

import arena
from arena.env.checks import check_turn_based_game
from {module} import {cls}, env


def test_passes_pettingzoo_conformance() -> None:
    api_test(env(), num_cycles=100)


def test_follows_the_turn_based_protocol() -> None:
    failed = [f"{{r.name}}: {{r.detail}}" for r in check_turn_based_game({cls}()) if not r.ok]
    assert not failed, failed


def test_taking_the_last_stone_wins() -> None:
    game = {cls}(stones=5, max_take=3)
    state = game.initial_state(2)
    game.step(state, np.array([1, 0]))  # take 2 / take 1
    game.step(state, np.array([2, 2]))  # take 3 (the last stones in game 0) / take 3
    assert state.winner[0] == 1 and state.winner[1] == -1
    assert game.returns(state)[0].tolist() == [-1.0, 1.0]
    with pytest.raises(ValueError, match="illegal move"):
        game.step(state, np.array([0, 2]))  # game 1 has 1 stone left


def test_the_installed_game_is_found_by_name() -> None:
    # After `pip install -e .` the entry point in pyproject.toml makes the name work everywhere.
    assert arena.make("{name}").game.name == "{name}"
'''

# -- the package ---------------------------------------------------------------------------------


PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "{name}: an Arena game ({kind})"
requires-python = ">=3.11"
dependencies = ["arena-league"]

# The game's name -> its factory. Installing the package (pip install -e .) is all Arena needs:
# `arena games` lists it and every command takes the name.
[project.entry-points."arena.games"]
"{name}" = "{module}:{factory}"

[tool.setuptools]
packages = ["{module}"]

[tool.setuptools.package-data]
{module} = ["*.yaml"]
'''


def next_commands(name: str, kind: str, directory: Path) -> list[str]:
    """The commands to run after scaffolding, in order."""
    module = module_name(name)
    d = str(directory)
    common = [f"pip install -e {d}", "arena games", f"python -m pytest {d}/tests"]
    if kind == "2d":
        league = f"arena league run {d}/league.yaml --out runs/{module}-league"
        train = f"arena train ppo {name} --steps 20000 --out runs/{module}"
        if teams_of(name)[0] != 2:  # arena match and leagues pit two sides against each other
            return common + [train]
        return common + [f"arena match {name} random random --games 4", train,
                         f"arena match {name} ppo:runs/{module} random --games 4", league]
    league = f"arena league run {d}/league.yaml --out runs/{module}-league"
    return common + [f"arena check-game {name}",
                     f"arena match {name} mcts:200 random --games 10",
                     f"arena play {name} --opponent mcts:200",
                     f"arena train alphazero {name} --config {d}/alphazero.yaml --out runs/{module}",
                     league]


LEAGUE_2D = '''# A small self-play league on {name}: one PPO learner against a random bot and its own snapshots.
name: {module}-league
game: {name}
iterations: 4
workers: 0
tensorboard: false
members:
  - {{name: random, bot: random}}
matches: {{opponents_per_iteration: 1, games_per_opponent: 2, min_games: 2}}
agents:
  - name: ppo
    learner: ppo
    config: {{num_envs: 4, num_steps: 64, num_minibatches: 4, lr: 0.001, device: cpu}}
    steps_per_iteration: 256    # environment steps (num_envs x num_steps per update)
    snapshot: {{max_steps: 512, min_steps: 256}}
'''

LEAGUE_TB = '''# A small self-play league on {name}: one AlphaZero learner against random, pure MCTS and its snapshots.
name: {module}-league
game: {name}
iterations: 4
workers: 0
tensorboard: false
members:
  - {{name: random, bot: random}}
  - {{name: mcts-50, bot: "mcts:50"}}
matches: {{opponents_per_iteration: 1, games_per_opponent: 2, min_games: 2}}
agents:
  - name: az
    learner: alphazero
    # Fields of arena.alphazero.config.AlphaZeroConfig; the rest take tiny_config's values.
    config: {{blocks: 1, channels: 16, num_simulations: 16, selfplay_batch: 4, train_steps: 8, batch_size: 32,
             min_replay: 32}}
    steps_per_iteration: 4    # self-play games per league iteration
    snapshot: {{max_steps: 8, min_steps: 4}}
'''

ALPHAZERO_TB = '''# A short AlphaZero run on {name} (fields of arena.alphazero.config.AlphaZeroConfig; docs/alphazero.md).
iterations: 3
blocks: 1
channels: 16
num_simulations: 16
selfplay_batch: 8
games_per_iteration: 8
train_steps: 16
batch_size: 32
min_replay: 32
eval_every: 0
tensorboard: false
threads: 1
'''


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name):
        raise UserError(f"game name {name!r} may use letters, digits, '-' and '_' and must start with a letter "
                        "(Arena style: Name-2T1P)")
    from arena.env.registry import UnknownGameError, describe_name, spec

    try:
        spec(name)
    except UnknownGameError:
        return
    raise UserError(f"the name {name!r} is taken: {describe_name(name)}; pick another name "
                    "(`arena games` lists the names in use)")


def scaffold(name: str, directory: Path, kind: str = "2d", force: bool = False) -> list[Path]:
    """Write the package for game ``name`` of ``kind`` into ``directory``; returns the files written."""
    if kind not in KINDS:
        raise UserError(f"--kind {kind!r}: choose {' or '.join(KINDS)}")
    _check_name(name)
    module = module_name(name)
    if kind == "turn-based" and re.search(r"\d+T\d+P$", name, flags=re.IGNORECASE):
        raise UserError(f"{name}: the -xTyP suffix names teams of a 2-D game; a turn-based game is two "
                        "players taking turns (drop the suffix or use --kind 2d)")
    if directory.resolve().name == module:
        raise UserError(f"--dir {directory}: a package directory named like its module ({module}) hides the "
                        f"module from Python run beside it; use e.g. --dir {module.replace('_', '-')}-game")
    if directory.exists() and not directory.is_dir():
        raise UserError(f"--dir {directory} is a file, not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise UserError(f"{directory} already exists and is not empty; pick another --dir or pass --force "
                        "to overwrite the scaffold's files in it")
    dist = "arena-game-" + module.replace("_", "-")
    files: dict[str, str] = {}
    if kind == "2d":
        teams, per_team = teams_of(name)
        values = {"name": name, "module": module, "teams": teams, "per_team": per_team}
        files[f"{module}/{module}.yaml"] = _yaml_game(name, teams, per_team)
        files[f"{module}/__init__.py"] = INIT_2D.format(**values)
        files[f"tests/test_{module}.py"] = TEST_2D.format(**values)
        if teams == 2:
            files["league.yaml"] = LEAGUE_2D.format(**values)
        factory = "parallel_env"
    else:
        cls = "".join(part.capitalize() for part in module.split("_")) or "Game"
        if cls[0].isdigit() or cls in ("PileState",):
            cls = f"Game{cls}"
        values = {"name": name, "module": module, "cls": cls}
        files[f"{module}/game.py"] = GAME_TB.format(**values)
        files[f"{module}/__init__.py"] = INIT_TB.format(**values)
        files[f"tests/test_{module}.py"] = TEST_TB.format(**values)
        files["league.yaml"] = LEAGUE_TB.format(**values)
        files["alphazero.yaml"] = ALPHAZERO_TB.format(**values)
        factory = "env"
    files["pyproject.toml"] = PYPROJECT.format(dist=dist, name=name, module=module, factory=factory, kind=kind)
    steps = "\n".join(f"    {c}" for c in next_commands(name, kind, directory))
    files["README.md"] = f"# {name}\n\nAn Arena game ({kind}), scaffolded by `arena new-game`.\n\n```\n{steps}\n```\n"
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "new-game", help="scaffold an installable game package (2-D YAML or turn-based Python)",
        description="Write an installable package for a new game: pyproject.toml declaring it in the "
                    "arena.games entry-point group, the game (--kind 2d: a YAML 2-D game with x teams of y "
                    "agents for a NAME ending in -xTyP; --kind turn-based: a small Python game on the public "
                    "turn-based protocol), a conformance test, a league recipe and a README. Then "
                    "`pip install -e DIR` and every arena command knows NAME.",
        epilog="examples:\n  arena new-game KingOfTheHill-2T2P --dir koth\n"
               "  arena new-game TakeAway --kind turn-based --dir take-away",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="game name, e.g. KingOfTheHill-2T2P (2-D: x teams of y agents) or TakeAway")
    p.add_argument("--dir", help="package directory to create (default: ./arena-game-<name>)")
    p.add_argument("--kind", choices=KINDS, default="2d", help="2d (YAML, default) or turn-based (Python)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else Path("arena-game-" + module_name(args.name).replace("_", "-"))
    written = scaffold(args.name, directory, args.kind, args.force)
    for path in written:
        print(f"wrote {path}")
    print("\nnext:")
    for command in next_commands(args.name, args.kind, directory):
        print(f"  {command}")
    return 0
