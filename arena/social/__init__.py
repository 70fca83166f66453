"""Social trees: declare who is on whose side, who lives, and who is paid what, over any PettingZoo env.

See ``docs/social.md``. The pieces: :class:`SocialTree` (structure and living conditions),
reward schemes (:class:`Ranking`, :class:`RankByScore`, :class:`HoldZone`, :class:`Distance`,
:class:`Time`, agent-level shaping, :class:`Custom`, batched :class:`CustomHook`), :func:`SocialTreeWrapper` (lays a tree over a Parallel or AEC env) and the BMaRS
measurement (:func:`measure_tree`, :func:`classify_reward`, :func:`assert_scheme`).
"""

from arena.social.bmars import (
    BmarsConfig,
    BmarsReport,
    NodeEvidence,
    PaidTree,
    SchemeAssertionError,
    assert_scheme,
    classify_returns,
    classify_reward,
    measure_paid,
    measure_tree,
    paid_tree,
)
from arena.social.hooks import CustomHook, HookStep, register_hook
from arena.social.presets import PRESETS, preset_tree
from arena.social.schemes import (
    Coefficients,
    Custom,
    Distance,
    DistanceToward,
    EnergyPenalty,
    FacingToward,
    HoldZone,
    RankByScore,
    Ranking,
    RewardScheme,
    StepContext,
    SurvivalTime,
    Time,
    TimePenalty,
    VelocityToward,
)
from arena.social.tree import (
    Agent,
    AllLiving,
    AtLeastNumberLiving,
    AtLeastOneLiving,
    AtLeastPortionLiving,
    Life,
    LivingCondition,
    Node,
    SocialTree,
    Team,
    TreeError,
)
from arena.social.wrapper import (
    DEATH_HOOKS,
    DeathContext,
    SocialTreeAECWrapper,
    SocialTreeParallelWrapper,
    SocialTreeWrapper,
    mpe_positions,
)

__all__ = [
    "DEATH_HOOKS", "PRESETS", "Agent", "AllLiving", "AtLeastNumberLiving", "AtLeastOneLiving",
    "AtLeastPortionLiving", "BmarsConfig", "BmarsReport", "Coefficients", "Custom", "CustomHook", "DeathContext", "Distance",
    "DistanceToward", "EnergyPenalty", "FacingToward", "HoldZone", "HookStep", "Life", "LivingCondition", "Node", "NodeEvidence", "PaidTree",
    "RankByScore", "Ranking", "RewardScheme", "SchemeAssertionError", "SocialTree", "SocialTreeAECWrapper",
    "SocialTreeParallelWrapper", "SocialTreeWrapper", "StepContext", "SurvivalTime", "Team", "Time",
    "TimePenalty", "TreeError", "VelocityToward", "assert_scheme", "classify_returns", "classify_reward",
    "measure_paid", "measure_tree", "mpe_positions", "paid_tree", "preset_tree", "register_hook",
]
