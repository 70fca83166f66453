"""Built-in social trees for games Arena knows, keyed by game name (``arena verify-rewards GAME``).

Each preset is a function of the env's agent names returning a tree dict (the YAML format of
:mod:`arena.social.config`), so ``arena verify-rewards GAME --tree FILE`` and a preset are the same
thing. Declared classes are what the design intends; the command measures them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from arena.social.tree import TreeError

TreeDict = dict[str, Any]


def duel_ranking(agents: Sequence[str]) -> TreeDict:
    """Two-player zero-sum games: the root ranks the players, the loser dies first (by env
    return), a draw shares the rank: Survive pays 1 / 0 or 0.5 / 0.5, a constant sum -> CP."""
    return {
        "deaths": "by_return",
        "root": {
            "declared": "CP",
            "schemes": [{"type": "Ranking", "mode": "Survive"}],
            "children": [{"id": i, "agent": a} for i, a in enumerate(agents)],
        },
    }


def mpe_simple_tag(agents: Sequence[str]) -> TreeDict:
    """Predators vs prey. Global: Ranking of the two teams (the prey team dies when caught; the
    teams differ in size, so the broadcast ranking is not constant-sum over agents: CC). Predators:
    the team is paid as the pack closes in on the prey (mean distance, CL). Prey: an energy penalty
    for moving (IS)."""
    predators = [a for a in agents if a.startswith("adversary")]
    prey = [a for a in agents if not a.startswith("adversary")]
    if not predators or not prey:
        raise TreeError(f"simple_tag preset expects adversary_* and agent_* agents, got {', '.join(agents)}")
    return {
        "deaths": "mpe_tag",
        "root": {
            "condition": "AtLeastNumberLiving(2)",
            "declared": "CC",
            "schemes": [{"type": "Ranking", "mode": "Survive"}],
            "children": [
                {"id": 0, "name": "predators", "declared": "CL",
                 "schemes": [{"type": "Distance", "a": predators, "b": prey, "reduce": "mean"}],
                 "children": [{"id": i, "agent": a} for i, a in enumerate(predators)]},
                {"id": 1, "name": "prey",
                 "children": [{"id": i, "agent": a, "declared": "IS", "schemes": [{"type": "EnergyPenalty"}]}
                              for i, a in enumerate(prey)]},
            ],
        },
    }


def mpe_simple_spread(agents: Sequence[str]) -> TreeDict:
    """One team covering the landmarks: per landmark, the team is paid as the nearest agent
    closes in (CL, mpe2's own shared reward written as a tree); agent level: an energy penalty
    (IS)."""
    n = len(agents)
    return {
        "root": {
            "children": [{
                "id": 0, "name": "team", "declared": "CL",
                "schemes": [{"type": "Distance", "a": list(agents), "b": f"landmark_{k}"} for k in range(n)],
                "children": [{"id": i, "agent": a, "declared": "IS", "schemes": [{"type": "EnergyPenalty"}]}
                             for i, a in enumerate(agents)],
            }],
        },
    }


PRESETS: dict[str, Callable[[Sequence[str]], TreeDict]] = {
    "tic_tac_toe": duel_ranking,
    "connect_four": duel_ranking,
    "rock_paper_scissors": duel_ranking,
    "pettingzoo.classic.tictactoe_v3": duel_ranking,
    "pettingzoo.classic.connect_four_v3": duel_ranking,
    "pettingzoo.classic.rps_v2": duel_ranking,
    "mpe2.simple_tag_v3": mpe_simple_tag,
    "mpe2.simple_spread_v3": mpe_simple_spread,
}


def preset_tree(game: str, agents: Sequence[str]) -> TreeDict:
    """The built-in tree dict for ``game`` (raises ``KeyError``-free :class:`TreeError` if none)."""
    if game not in PRESETS:
        raise TreeError(f"game {game!r} has no built-in social tree; pass --tree FILE.yaml "
                        f"(presets: {', '.join(sorted(PRESETS))})")
    return PRESETS[game](list(agents))
