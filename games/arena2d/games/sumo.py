"""Sumo: push the other wrestler off the round platform; whoever leaves it dies.

Root: Ranking(Survive, penalize_tie) — a draw (both still in, or both out together) costs both,
so the root is mixed (CC): rivals, but with a shared interest in a decisive bout.
"""

from arena.social import Ranking
from games.arena2d.prefabs import agent, duel, kill_when, platform
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    return GameDef(
        name="Sumo-2T1P",
        description="Sumo: push the opponent off the round platform",
        playground=Playground(width=16, height=16),
        agents=[agent("red", -2.5, 0, 0, mass=1.5, spawn_jitter=0.5, angle_jitter=20),
                agent("blue", 2.5, 0, 180, mass=1.5, spawn_jitter=0.5, angle_jitter=20)],
        zones=[platform("ring", 6.0)],
        triggers=[kill_when("agents", "ring", "self", when="leave")],
        tree=duel(["red", "blue"], [Ranking("Survive", penalize_tie=True)], declared="CC"),
        max_steps=300,
    )
