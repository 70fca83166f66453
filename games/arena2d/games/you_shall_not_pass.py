"""YouShallNotPass: a runner must reach the far end; a heavier guard must stop it in time.

If the runner reaches the goal the guard dies; at step 200 the runner does. Global:
Ranking(Survive) (CP).
"""

from arena.social import Ranking
from games.arena2d.prefabs import agent, duel, goal, kill_at, kill_when
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    return GameDef(
        name="YouShallNotPass-2T1P",
        description="YouShallNotPass: the runner must get past the heavier guard within 200 steps",
        playground=Playground(width=20, height=10),
        agents=[agent("runner", -8, 0, 0, spawn_jitter=1.0),
                agent("guard", 3, 0, 180, mass=2.5, radius=0.7, max_speed=5.0, spawn_jitter=1.0)],
        zones=[goal("goal", 9.25, 0, 1.5, 10)],
        triggers=[kill_when("runner", "goal", "guard"), kill_at(200, "runner")],
        tree=duel(["runner", "guard"], [Ranking("Survive")], declared="CP"),
        max_steps=250,
    )
