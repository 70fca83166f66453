"""CaptureTheFlag: push the other team's flag into your base. Depth 3: team -> squads -> agents.

Global: Ranking(Survive) (CP): a team whose flag is captured dies. Team: Distance between the
enemy flag and the team's base (CL). Squads: the attacker is paid for nearing the enemy flag, the
defender for staying near its own flag (DistanceToward, IS).
"""

from arena.social import Agent, Distance, DistanceToward, Ranking, Team
from games.arena2d.prefabs import agent, ball, goal, kill_when
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    sides = {"red": -1.0, "blue": 1.0}
    agents, children = [], []
    for team, side in sides.items():
        enemy = "blue" if team == "red" else "red"
        agents += [agent(f"{team}_attacker", side * 8, 2, 90 + side * 90, spawn_jitter=0.5),
                   agent(f"{team}_defender", side * 8, -2, 90 + side * 90, spawn_jitter=0.5)]
        children.append(Team(name=team, schemes=[Distance(f"flag_{enemy}", f"base_{team}")], declared="CL", children=[
            Team(name="attack", children=[Agent(agent=f"{team}_attacker", schemes=[DistanceToward(f"flag_{enemy}")])]),
            Team(name="defence", children=[Agent(agent=f"{team}_defender", schemes=[DistanceToward(f"flag_{team}")])]),
        ]))
    return GameDef(
        name="CaptureTheFlag-2T2P",
        description="CaptureTheFlag: push the enemy flag into your base (teams of attacker + defender)",
        playground=Playground(width=24, height=12),
        agents=agents,
        bodies=[ball(f"flag_{t}", s * 6, 0, radius=0.5, mass=2.0, damping=2.0, restitution=0.2) for t, s in sides.items()],
        zones=[goal(f"base_{t}", s * 10.5, 0, 3, 4) for t, s in sides.items()],
        triggers=[kill_when(f"flag_{e}", f"base_{t}", e) for t, e in (("red", "blue"), ("blue", "red"))],
        tree=Team(condition="AllLiving", schemes=[Ranking("Survive")], declared="CP", children=children),
        max_steps=500,
    )
