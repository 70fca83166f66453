"""BlowBlow: two teams of two blow two balls into the other team's half (the ``blow`` action).

Team level: InZone, 0.01 per ball in the opponents' half per step (CL: teammates share it).
Global level: Time(Longer) while the round lasts — every round lasts exactly 200 steps, so no
policy changes it (NL, a participation baseline).
"""

from arena.social import Coefficients, Time
from games.arena2d.prefabs import ball, blower, goal, teams
from games.arena2d.social import InZone
from games.arena2d.spec import Blow, GameDef, Playground


def definition() -> GameDef:
    gust = Blow(strength=8.0, range=5.0, cone=45.0)
    return GameDef(
        name="BlowBlow-2T2P",
        description="BlowBlow: blow the balls into the other team's half and keep them there",
        playground=Playground(width=20, height=12),
        agents=[blower(f"{t}_{i}", s * 3.5, y, 90 + s * 90, blow=gust, spawn_jitter=0.5)
                for t, s in (("red", -1), ("blue", 1)) for i, y in enumerate((2.5, -2.5))],
        bodies=[ball("ball_0", 0, 2, spawn_jitter=0.5), ball("ball_1", 0, -2, spawn_jitter=0.5)],
        zones=[goal("half_red", -5.5, 0, 9, 12), goal("half_blue", 5.5, 0, 9, 12)],
        tree=teams({"red": ["red_0", "red_1"], "blue": ["blue_0", "blue_1"]}, [Time("Longer")],
                   team_schemes={t: [InZone(b, f"half_{o}") for b in ("ball_0", "ball_1")]
                                 for t, o in (("red", "blue"), ("blue", "red"))},
                   condition="AtLeastOneLiving", max_living_steps=200, declared="NL"),
        coefficients=Coefficients(custom=0.01),  # InZone pays 0.01 per ball per step
        max_steps=200,
    )
