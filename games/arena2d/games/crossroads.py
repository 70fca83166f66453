"""Crossroads: two corridors cross; each side must reach the far end of its own corridor.

An agent that reaches its exit departs. Global: Ranking(Depart) between the sides (CP: first side
through wins). With two players a side, the team is paid Time(Shorter) every step it is still on
the road (CL: teammates share the hurry).
"""

from arena.social import Agent, Ranking, Team, Time
from games.arena2d.prefabs import agent, goal, kill_when, wall
from games.arena2d.spec import GameDef, Playground


def definition(players: int = 1) -> GameDef:
    offsets = [0.0] if players == 1 else [-1.0, 1.0]
    red = [agent(f"red_{i}", -8.5, y, 0, spawn_jitter=0.2) for i, y in enumerate(offsets)]
    blue = [agent(f"blue_{i}", x, -8.5, 90, spawn_jitter=0.2) for i, x in enumerate(offsets)]
    # Four corner blocks leave a cross of corridors 4 m wide.
    blocks = [wall(sx * 6, sy * 6, 8, 8) for sx in (-1, 1) for sy in (-1, 1)]
    triggers = [kill_when(a.name, f"exit_{a.name.split('_')[0]}", "self") for a in red + blue]
    if players == 1:
        children = [Agent(agent="red_0"), Agent(agent="blue_0")]
    else:
        children = [Team(name=t, schemes=[Time("Shorter")], declared="CL",
                         children=[Agent(agent=a.name) for a in members])
                    for t, members in (("red", red), ("blue", blue))]
    return GameDef(
        name=f"Crossroads-2T{players}P",
        description=f"Crossroads, two sides of {players}: cross the junction to your exit first",
        playground=Playground(width=20, height=20),
        agents=red + blue,
        walls=blocks,
        zones=[goal("exit_red", 9.25, 0, 1.5, 4), goal("exit_blue", 0, 9.25, 4, 1.5)],
        triggers=triggers,
        tree=Team(condition="AllLiving", schemes=[Ranking("Depart")], declared="CP", children=children),
        max_steps=300,
    )
