"""Push (the book's example): two teams of two push their own box into their goal.

Agent level: EnergyPenalty (IS: each pays for its own effort). Team level: Distance between the
team's box and goal (CL: teammates share it). Global level: Ranking(Depart) (CP: the first team to
deliver its box wins).
"""

from arena.social import Distance, EnergyPenalty, Ranking
from games.arena2d.prefabs import agent, box, goal, kill_when, teams
from games.arena2d.spec import GameDef, Playground


def definition() -> GameDef:
    return GameDef(
        name="Push-2T2P",
        description="Push (the book's example): deliver your team's box to your goal first",
        playground=Playground(width=24, height=14),
        agents=[agent("red_0", -6, 4.5, 0, spawn_jitter=0.5), agent("red_1", -6, 2, 0, spawn_jitter=0.5),
                agent("blue_0", 6, -4.5, 180, spawn_jitter=0.5), agent("blue_1", 6, -2, 180, spawn_jitter=0.5)],
        bodies=[box("box_red", -3, 3.5), box("box_blue", 3, -3.5)],
        zones=[goal("goal_red", 10.5, 3.5, 3, 4), goal("goal_blue", -10.5, -3.5, 3, 4)],
        triggers=[kill_when("box_red", "goal_red", "red"), kill_when("box_blue", "goal_blue", "blue")],
        tree=teams({"red": ["red_0", "red_1"], "blue": ["blue_0", "blue_1"]}, [Ranking("Depart")],
                   team_schemes={"red": [Distance("box_red", "goal_red")],
                                 "blue": [Distance("box_blue", "goal_blue")]},
                   agent_schemes=[EnergyPenalty()], declared="CP"),
        max_steps=400,
    )
