"""League recipes: a YAML file, validated into typed settings with one clear error per bad field.

A recipe names the game, the fixed members (bots such as ``random`` or ``mcts:50``), held-out
evaluators (never in the training pool), the learning agents (learner kind and config, role,
how they pick opponents, when they snapshot) and optional population-based training.
See ``docs/leagues.md`` for every field and ``leagues/recipes/*.yaml`` for examples.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leagues.alphastar import ROLES, SnapshotRule
from leagues.matchmaking import PRINCIPLES, MatchmakingSettings
from leagues.pbt import PBTSettings


class RecipeError(ValueError):
    """A recipe that cannot run; the message names the file and every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberRecipe(_Strict):
    """A fixed league member or held-out evaluator: a bot spec (see ``arena match --help``)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    bot: str = Field(min_length=1)


class OpponentsRecipe(_Strict):
    principle: Literal[PRINCIPLES] = "pfsp_hard"  # type: ignore[valid-type]
    pfsp_p: float = Field(2.0, gt=0)
    prioritized_temperature: float = Field(0.1, gt=0)
    latest_ratio: float = Field(0.5, ge=0, le=1)
    window: int = Field(10, ge=1)
    openai_five_latest: float = Field(0.8, ge=0, le=1)

    def settings(self) -> MatchmakingSettings:
        return MatchmakingSettings(**self.model_dump())


class SnapshotRecipe(_Strict):
    max_steps: int = Field(64, ge=1)
    min_steps: int = Field(16, ge=0)
    win_rate: float = Field(0.7, ge=0, le=1)
    reset_probability: float | None = Field(None, ge=0, le=1)

    def rule(self) -> SnapshotRule:
        return SnapshotRule(**self.model_dump())


class AgentRecipe(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    learner: str
    config: dict[str, Any] = Field(default_factory=dict)
    role: Literal[ROLES] = "player"  # type: ignore[valid-type]
    copies: int = Field(1, ge=1, le=64)  # population size for PBT: NAME-0 .. NAME-(copies-1)
    steps_per_iteration: int = Field(16, ge=1)  # learner steps (its own unit) per league iteration
    hyperparameters: dict[str, float] = Field(default_factory=dict)  # initial values of PBT-tunable ones
    opponents: OpponentsRecipe = Field(default_factory=OpponentsRecipe)
    snapshot: SnapshotRecipe = Field(default_factory=SnapshotRecipe)

    @field_validator("learner")
    @classmethod
    def _known_learner(cls, value: str) -> str:
        from leagues.learners import LEARNERS

        if value not in LEARNERS:
            raise ValueError(f"unknown learner '{value}': use one of {', '.join(sorted(LEARNERS))}")
        return value

    def names(self) -> list[str]:
        return [self.name] if self.copies == 1 else [f"{self.name}-{i}" for i in range(self.copies)]


class MatchesRecipe(_Strict):
    opponents_per_iteration: int = Field(2, ge=1)  # opponents drawn per agent per iteration
    games_per_opponent: int = Field(2, ge=1)  # games per drawn opponent (seats alternate)
    payoff_decay: float = Field(0.99, gt=0, le=1)
    min_games: int = Field(2, ge=0)  # win rate counts as 0.5 below this many games
    elo_k: float = Field(32.0, gt=0)


class EvaluationRecipe(_Strict):
    heldout: list[MemberRecipe] = Field(default_factory=list)  # never in the training pool
    every: int = Field(1, ge=1)  # iterations between evaluations against held-out players
    games: int = Field(2, ge=1)  # games per (agent, held-out player) per evaluation
    round_robin: int = Field(0, ge=0)  # after the last iteration: games between every pair of players (0: none)


class PBTRecipe(_Strict):
    enabled: bool = False
    ready_steps: int = Field(32, ge=1)
    exploit: Literal["truncation", "tournament"] = "truncation"
    explore: Literal["perturb", "resample"] = "perturb"
    fraction: float = Field(0.25, gt=0, le=0.5)
    perturb_factors: tuple[float, float] = (0.8, 1.2)
    resample_probability: float = Field(0.25, ge=0, le=1)
    space: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @field_validator("space")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (low, high) in value.items():
            if not low < high:
                raise ValueError(f"range of '{name}' must be [low, high] with low < high, got [{low}, {high}]")
        return value

    def settings(self) -> PBTSettings:
        return PBTSettings(**self.model_dump())


class Recipe(_Strict):
    name: str = Field(min_length=1)
    game: str
    game_kwargs: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    iterations: int = Field(ge=1)
    workers: int = Field(2, ge=0)  # match worker processes (0: play in the main process)
    cache_size: int = Field(8, ge=1)  # learners kept in memory per process (LRU)
    tensorboard: bool = True
    members: list[MemberRecipe] = Field(default_factory=list)
    agents: list[AgentRecipe] = Field(min_length=1)
    matches: MatchesRecipe = Field(default_factory=MatchesRecipe)
    evaluation: EvaluationRecipe = Field(default_factory=EvaluationRecipe)
    pbt: PBTRecipe = Field(default_factory=PBTRecipe)

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        seen: set[str] = set()
        for name in ([m.name for m in self.members] + [m.name for m in self.evaluation.heldout]
                     + [n for a in self.agents for n in a.names()]):
            if name in seen:
                raise ValueError(f"player name '{name}' is used twice; every member, held-out player and agent "
                                 "needs its own name")
            seen.add(name)
        if self.pbt.enabled and max(a.copies for a in self.agents) < 2:
            raise ValueError("pbt.enabled needs a population: give an agent copies >= 2 (PBT works within "
                             "the copies of one agent)")
        return self

    def agent_names(self) -> list[tuple[str, AgentRecipe]]:
        return [(n, a) for a in self.agents for n in a.names()]


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "recipe"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The recipe model class that holds the field at ``loc`` (for "did you mean")."""
    model: Any = Recipe
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = model.model_fields[part].annotation
        while typing.get_origin(model) in (list, tuple, typing.Union) and typing.get_args(model):
            model = next((a for a in typing.get_args(model) if a is not type(None)), None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_field(loc: tuple[Any, ...]) -> str:
    model = _model_at(loc[:-1])
    known = sorted(model.model_fields) if model is not None else []
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown field ({hint}known: {', '.join(known)}; see docs/leagues.md)" if known else \
        "unknown field (check the spelling; see docs/leagues.md)"


def parse_recipe(data: Any, source: str = "recipe") -> Recipe:
    """Validate a recipe mapping; raises :class:`RecipeError` naming each bad field on one line."""
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: a recipe is a YAML mapping (name:, game:, agents: ...), got {type(data).__name__}")
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _location(tuple(error["loc"]))
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = _unknown_field(tuple(error["loc"]))
            elif error["type"] == "missing":
                message = "required field is missing"
            problems.append(f"{where}: {message}")
        raise RecipeError(f"{source}: " + "; ".join(problems)) from None
    _check_game_and_bots(recipe, source)
    _check_learner_configs(recipe, source)
    return recipe


def _check_game_and_bots(recipe: Recipe, source: str) -> None:
    """The game must exist and every bot spec must build for it."""
    import arena
    from arena.bots import make as make_bot

    try:
        env = arena.make(recipe.game, **recipe.game_kwargs)
    except (ValueError, TypeError) as exc:
        raise RecipeError(f"{source}: game: {exc}") from None
    for field, members in (("members", recipe.members), ("evaluation.heldout", recipe.evaluation.heldout)):
        for i, member in enumerate(members):
            try:
                make_bot(member.bot, env, seed=0)
            except ValueError as exc:
                raise RecipeError(f"{source}: {field}[{i}].bot: {exc}") from None
    env.close()


def _check_learner_configs(recipe: Recipe, source: str) -> None:
    """Every agent's ``config`` must build its learner, so a bad field stops the run before the
    league directory is created."""
    import arena
    from leagues.learners import check_learner_fits, league_config, make_learner

    env = None
    for i, agent in enumerate(recipe.agents):
        try:
            if env is None:
                env = arena.make(recipe.game, **recipe.game_kwargs)
            check_learner_fits(agent.learner, env, recipe.game)
        except (ValueError, TypeError) as exc:
            raise RecipeError(f"{source}: agents[{i}].learner: {exc}") from None
        try:
            make_learner(agent.learner, league_config(agent.learner, agent.config, recipe.game, recipe.game_kwargs))
        except ValueError as exc:
            raise RecipeError(f"{source}: agents[{i}].config: {exc}") from None


BUILTIN_DIR = Path(__file__).parent / "recipes"


def builtin_recipes() -> list[str]:
    """Names of the recipes shipped in ``leagues/recipes/`` (usable by name from any directory)."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def resolve_recipe(name: str | Path) -> Path:
    """A recipe path from a file path or a built-in recipe's name (``quick_connect_four``)."""
    path = Path(name)
    if path.is_file():
        return path
    if path.is_dir():
        if (path / "league.db").exists():
            raise RecipeError(f"{path} is a league directory, not a recipe: continue it with `arena league run "
                              f"RECIPE --out {path} --resume`, or inspect it with `arena league status {path}`")
        raise RecipeError(f"{path} is a directory, not a recipe file (built-in recipes: {', '.join(builtin_recipes())})")
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    builtin = BUILTIN_DIR / f"{stem}.yaml"
    if len(path.parts) == 1 and builtin.is_file():
        return builtin
    close = difflib.get_close_matches(stem, builtin_recipes(), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise RecipeError(f"recipe {name} does not exist ({hint}built-in recipes, usable by name: "
                      f"{', '.join(builtin_recipes())})")


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file (a path, or the name of a built-in recipe)."""
    from arena.config_input import read_yaml_file

    path = resolve_recipe(path)
    try:
        data = read_yaml_file(path, "recipe")
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    game = data.get("game") if isinstance(data, dict) else None
    if isinstance(game, str) and game.lower().endswith((".yaml", ".yml")) and not Path(game).is_absolute():
        # A game file named in a recipe is relative to the recipe, wherever the league runs from.
        beside = Path(path).parent / game
        if beside.is_file():
            data = {**data, "game": str(beside)}
    return parse_recipe(data, source=str(path))
