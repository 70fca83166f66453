"""Tennis (top-down): keep the ball out of the strip behind you; a net keeps players on their side.

The ball bounces off the side lines without losing speed; a player returns it by running into it.
Global: Ranking(Survive) (CP): the player whose back strip the ball reaches loses.
"""

from arena.social import Ranking
from games.arena2d.prefabs import agent, ball, duel, goal, kill_when, net
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    return GameDef(
        name="Tennis-2T1P",
        description="Tennis: return the ball; let it past you and you lose",
        playground=Playground(width=20, height=10, border_restitution=1.0),
        agents=[agent("red", -6, 0, 0, restitution=1.0, spawn_jitter=0.5),
                agent("blue", 6, 0, 180, restitution=1.0, spawn_jitter=0.5)],
        bodies=[ball("ball", 0, 0, radius=0.3, mass=0.3, restitution=1.0, damping=0.0, speed=5.0,
                     direction=180.0, direction_jitter=30.0)],
        walls=[net(0, 0, 0.2, 10)],
        zones=[goal("back_red", -9.5, 0, 1, 10), goal("back_blue", 9.5, 0, 1, 10)],
        triggers=[kill_when("ball", "back_red", "red"), kill_when("ball", "back_blue", "blue")],
        tree=duel(["red", "blue"], [Ranking("Survive")], declared="CP"),
        max_steps=400,
    )
