"""RunToGoal: a race to one goal; the first to reach it departs first and wins.

Global: Ranking(Depart) (CP). Dense variant: each runner is also paid for getting closer to the
goal (DistanceToward, IS).
"""

from arena.social import DistanceToward, Ranking
from games.arena2d.prefabs import agent, duel, goal, kill_when, wall
from games.arena2d.spec import GameDef, Playground


def definition(dense: bool = False) -> GameDef:
    return GameDef(
        name=f"RunToGoal{'-Dense' if dense else ''}-2T1P",
        description="RunToGoal: race around the pillar to the goal",
        playground=Playground(width=20, height=12),
        agents=[agent("red", -8, 2, 0, spawn_jitter=0.5, angle_jitter=30),
                agent("blue", -8, -2, 0, spawn_jitter=0.5, angle_jitter=30)],
        walls=[wall(0, 0, 2, 5)],
        zones=[goal("goal", 8.5, 0, 2, 3)],
        triggers=[kill_when("agents", "goal", "self")],
        tree=duel(["red", "blue"], [Ranking("Depart")], declared="CP",
                  agent_schemes=[DistanceToward("goal")] if dense else ()),
        max_steps=250,
    )
