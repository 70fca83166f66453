"""Soccer: put the ball in the other side's goal. A team whose goal the ball enters dies (loses).

Root: Ranking(Survive) between the sides (CP). Dense variant: each side is also paid for the ball
moving toward the goal it attacks (Distance, CL with two players, per player with one) and each
player for running toward the ball (VelocityToward, IS).
"""

from arena.social import Agent, Distance, Ranking, Team, VelocityToward
from games.arena2d.prefabs import agent, ball, goal, kill_when
from games.arena2d.spec import GameDef, Playground


def definition(players: int = 1, dense: bool = False) -> GameDef:
    name = f"Soccer{'-Dense' if dense else ''}-2T{players}P"
    sides = {"red": -1.0, "blue": 1.0}
    agents, children = [], []
    for team, side in sides.items():
        other = "blue" if team == "red" else "red"
        members = [f"{team}_{i}" for i in range(players)]
        ys = [0.0] if players == 1 else [-2.5, 2.5]
        agents += [agent(m, side * 5.0, y, 0.0 if side < 0 else 180.0, spawn_jitter=0.5) for m, y in zip(members, ys)]
        shaping = [VelocityToward("ball")] if dense else []
        team_schemes = [Distance("ball", f"goal_{other}")] if dense else []
        if players == 1:
            children.append(Agent(agent=members[0], schemes=team_schemes + shaping))
        else:
            children.append(Team(name=team, schemes=team_schemes, declared="CL" if dense else None,
                                 children=[Agent(agent=m, schemes=shaping) for m in members]))
    kill = (lambda t: f"{t}_0") if players == 1 else (lambda t: t)
    return GameDef(
        name=name,
        description=f"Soccer, two teams of {players}: score in the other goal; conceding loses",
        playground=Playground(width=20, height=12),
        agents=agents,
        bodies=[ball("ball", 0, 0, radius=0.4, spawn_jitter=1.0, mass=0.5, restitution=0.9, damping=0.4)],
        zones=[goal("goal_red", -9.25, 0, 1.5, 4), goal("goal_blue", 9.25, 0, 1.5, 4)],
        triggers=[kill_when("ball", f"goal_{t}", kill(t)) for t in sides],
        tree=Team(condition="AllLiving", schemes=[Ranking("Survive")], declared="CP", children=children),
        max_steps=400,
    )
