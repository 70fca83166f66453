"""Every turn-based engine on games it has never seen: a game written in this file to the public
protocol only, broken variants of it (each check names the broken requirement), and plain
PettingZoo AEC envs through the generic adapter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import arena
from arena import bots
from arena.alphazero.replay import augment
from arena.env import BatchedState, Symmetry, TurnBasedAECEnv, grid_symmetries, symmetries_of
from arena.env.aec_game import AECGame, NotATurnBasedGame
from arena.env.checks import check_turn_based_game
from arena.play.match import play_game


@dataclass
class PileState(BatchedState):
    stones: np.ndarray  # [B] stones left
    to_play: np.ndarray
    winner: np.ndarray


class TakeAway:
    """Players take 1, 2 or 3 stones from a pile of ``pile``; whoever takes the last stone wins.

    With 7 stones the first player wins by taking 3 (then always leaving a multiple of 4)."""

    name = "take_away"
    num_players = 2
    num_actions = 3

    def __init__(self, pile: int = 7) -> None:
        self.pile = pile

    def __repr__(self) -> str:
        return f"TakeAway({self.pile})"

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (1, self.pile, 1)

    @property
    def max_moves(self) -> int:
        return self.pile

    def initial_state(self, batch_size: int = 1) -> PileState:
        return PileState(np.full(batch_size, self.pile, np.int16), np.zeros(batch_size, np.int8),
                         np.full(batch_size, -1, np.int8))

    def legal_mask(self, state: PileState) -> np.ndarray:
        take = np.arange(1, 4)[None, :]
        return (take <= state.stones[:, None]) & (state.winner[:, None] == -1)

    def step(self, state: PileState, actions: np.ndarray) -> PileState:
        actions = np.asarray(actions).reshape(-1)
        for b in range(state.batch_size):
            if state.winner[b] != -1:
                continue
            take = int(actions[b]) + 1
            if not 1 <= take <= state.stones[b]:
                raise ValueError(f"cannot take {take} of {state.stones[b]} stones")
            state.stones[b] -= take
            if state.stones[b] == 0:
                state.winner[b] = state.to_play[b]
            state.to_play[b] = 1 - state.to_play[b]
        return state

    def returns(self, state: PileState) -> np.ndarray:
        out = np.zeros((state.batch_size, 2), np.float32)
        out[state.winner == 0] = (1, -1)
        out[state.winner == 1] = (-1, 1)
        return out

    def observation(self, state: PileState, seat) -> np.ndarray:
        cells = np.arange(self.pile)[None, :] < state.stones[:, None]
        return cells[:, None, :, None].astype(np.int8)

    def action_to_str(self, action: int) -> str:
        return f"take{int(action) + 1}"

    def parse_action(self, text: str) -> int:
        t = text.strip().lower().removeprefix("take")
        if t not in ("1", "2", "3"):
            raise ValueError(f"'{text}' is not a move: type take1, take2 or take3")
        return int(t) - 1

    def render(self, state: PileState, index: int = 0, *, color: bool = False) -> str:
        return "o" * int(state.stones[index]) + f"  ({int(state.stones[index])} stones)"


def _take_away_env(pile: int = 7) -> TurnBasedAECEnv:
    return TurnBasedAECEnv(TakeAway(pile))


@pytest.fixture(scope="module", autouse=True)
def _registered():
    arena.register("take_away", _take_away_env, api="aec", description="test game", kwargs={"pile": 7},
                   overwrite=True)


def test_a_protocol_game_passes_every_check_and_pettingzoo():
    from pettingzoo.test import api_test

    results = check_turn_based_game(TakeAway(), games=32)
    assert [r.ok for r in results] == [True] * 6, results
    api_test(arena.make("take_away"), num_cycles=50)


class CopyingStep(TakeAway):
    def step(self, state, actions):
        return super().step(state.copy(), actions)


class NoAlternation(TakeAway):
    def step(self, state, actions):
        super().step(state, actions)
        state.to_play[:] = 0
        return state


class BadSymmetry(TakeAway):
    def symmetries(self) -> list[Symmetry]:  # reversing the pile is no symmetry of the rules
        return grid_symmetries(1, self.pile, ("flip_lr",), extra_actions=0)[:0] + [
            Symmetry("reverse", np.arange(self.pile)[::-1].copy(), np.array([2, 1, 0]))]


class NoRender(TakeAway):
    render = None


@pytest.mark.parametrize(("game", "check", "words"), [
    (CopyingStep(), "step in place", "in place"),
    (NoAlternation(), "rules", "alternate"),
    (BadSymmetry(), "symmetries", "reverse"),
])
def test_each_broken_requirement_is_named(game, check, words):
    results = check_turn_based_game(game, games=16)
    assert not results[-1].ok and results[-1].name == check and words in results[-1].detail
    assert all(r.ok for r in results[:-1])


def test_check_game_command_names_the_broken_requirement(capsys):
    from arena.cli import main

    arena.register("take_away_broken", lambda: TurnBasedAECEnv(NoAlternation()), api="aec",
                   description="broken test game", overwrite=True)
    assert main(["check-game", "take_away", "--games", "8"]) == 0
    assert "every check passed" in capsys.readouterr().out
    assert main(["check-game", "take_away_broken", "--games", "8"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "broken requirement: rules" in out


def test_mcts_finds_the_winning_move_of_a_game_it_has_never_seen():
    env = arena.make("take_away")
    env.reset()
    bot = bots.make("mcts:300", env, seed=0)
    obs = env.observe(env.agent_selection)
    assert bot.act(obs["observation"], obs["action_mask"]) == 2  # take 3, leaving 4
    # ... and never loses from the winning side against random play.
    for seed in range(4):
        record = play_game(env, [bots.make("mcts:200", env, seed=seed), bots.make("random", env, seed=seed)])
        assert record.scores[0] == 1.0


def test_a_game_record_keeps_each_seats_thinking_time():
    """``play_game`` times each seat's ``act()`` apart (benchmarks report time per move per side)."""
    import time

    class Slow:
        def __init__(self) -> None:
            self.inner = bots.make("random", env, seed=1)

        def reset(self) -> None:
            self.inner.reset()

        def act(self, observation, action_mask):  # type: ignore[no-untyped-def]
            time.sleep(0.02)
            return self.inner.act(observation, action_mask)

    env = arena.make("take_away")
    seen: list[tuple[str, int]] = []
    record = play_game(env, [bots.make("random", env, seed=0), Slow()], on_move=lambda a, m: seen.append((a, m)))
    slow_moves = sum(1 for agent, _ in seen if agent == env.possible_agents[1])
    assert [m for _, m in seen] == record.moves and slow_moves >= 1
    assert record.think_seconds[1] >= 0.02 * slow_moves > record.think_seconds[0]
    assert record.seconds >= sum(record.think_seconds)
    assert record.move_counts == (len(seen) - slow_moves, slow_moves)


def test_augmentation_uses_only_declared_symmetries():
    game = TakeAway()
    planes = np.zeros((3, 3, 1, 7), np.uint8)
    pi = np.full((3, 3), 1 / 3, np.float32)
    out_planes, _, _ = augment(game, planes, pi, np.zeros(3, np.float32))
    assert out_planes.shape[0] == 3  # none declared: no copies
    assert symmetries_of(arena.make("othello", size=6).game)  # othello declares its start's symmetries
    assert len(symmetries_of(arena.make("othello", size=6).game)) == 3


def test_alphazero_trains_and_plays_a_game_it_has_never_seen(tmp_path):
    from arena.alphazero.bot import load_bot
    from arena.alphazero.config import AlphaZeroConfig
    from arena.alphazero.trainer import train

    config = AlphaZeroConfig.from_dict(dict(
        game="take_away", blocks=1, channels=8, num_simulations=16, selfplay_batch=8, games_per_iteration=8,
        replay_capacity=2000, batch_size=32, train_steps=4, min_replay=16, eval_every=0, iterations=2,
        threads=1, tensorboard=False, temperature_moves=2))
    trainer = train(config, str(tmp_path / "run"), resume=False, show_progress=False)
    assert trainer.iteration == 2 and trainer.games_played == 16
    env = arena.make("take_away")
    bot = load_bot(tmp_path / "run" / "best.pt", bots.game_of(env), simulations=32, seed=0, device="cpu", env=env)
    record = play_game(env, [bot, bots.make("random", env, seed=0)])
    assert record.scores[0] in (1.0, -1.0)


def test_plain_pettingzoo_aec_envs_reach_the_search_bots():
    env = arena.make("pettingzoo.classic.tictactoe_v3", api="aec")
    game = bots.game_of(env)
    assert isinstance(game, AECGame) and game.num_actions == 9 and game.observation_shape == (3, 3, 2)
    mcts = bots.make("mcts:200", env, seed=0)
    scores = [play_game(env, [mcts, bots.make("random", env, seed=s)] if s % 2 == 0
                        else [bots.make("random", env, seed=s), mcts]).scores for s in range(4)]
    mcts_scores = [s[0] if i % 2 == 0 else s[1] for i, s in enumerate(scores)]
    assert min(mcts_scores) >= 0.0 and sum(mcts_scores) >= 2.0  # never loses to random, wins most


def test_envs_that_cannot_be_searched_say_why():
    with pytest.raises(bots.BotSpecError, match="simultaneous-move"):
        bots.game_of(arena.make("rock_paper_scissors"))
    with pytest.raises(NotATurnBasedGame, match="3 agents"):
        AECGame(arena.make("mpe2.simple_spread_v3", api="aec"))


def test_alphazero_league_learner_on_a_plain_aec_env():
    from arena.alphazero.learner import AlphaZeroLearner, tiny_config

    config = tiny_config("pettingzoo.classic.tictactoe_v3", num_simulations=8, games_per_iteration=2,
                         selfplay_batch=2, train_steps=1, min_replay=4, batch_size=8)
    learner = AlphaZeroLearner(config)
    metrics = learner.learn(lambda: arena.make("pettingzoo.classic.tictactoe_v3", api="aec"), [], 2)
    assert metrics["games"] == 2
    env = arena.make("pettingzoo.classic.tictactoe_v3", api="aec")
    record = play_game(env, [learner.bot(env, seed=0), bots.make("random", env, seed=0)])
    assert len(record.moves) >= 5
