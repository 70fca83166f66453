"""Reference for the benchmarks: AlphaZero MCTS written the way the book's chapter 15 code is.

This is the object-tree design of the well-known AlphaZero_Gomoku ``mcts_alphaZero.py`` that the
book builds on, re-written here (not copied) in the same style so that Arena's batched search can
be compared against it fairly:

* a pure-Python board (``BookBoard``: a dict of moves, a list of available moves, a line check
  over the stones played), deep-copied at the start of every playout;
* ``TreeNode`` objects with a dict of children, visit count, running-mean Q, prior P;
* one leaf per ``policy_value_fn`` call (with a network: a forward pass of batch size 1).

Not used by the library; ``tools/bench_alphazero.py`` and the tests import it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

import numpy as np


class BookBoard:
    """A gomoku-style board as the book keeps it: ``states`` maps move -> player id."""

    def __init__(self, width: int = 6, height: int = 6, n_in_row: int = 4) -> None:
        self.width = width
        self.height = height
        self.n_in_row = n_in_row
        self.players = [1, 2]

    def init_board(self, start_player: int = 0) -> None:
        self.current_player = self.players[start_player]
        self.availables = list(range(self.width * self.height))
        self.states: dict[int, int] = {}
        self.last_move = -1

    def move_to_location(self, move: int) -> tuple[int, int]:
        # The book's bug used `move % height`; the column is `move % width`.
        return move // self.width, move % self.width

    def current_state(self) -> np.ndarray:
        """``[4, H, W]`` planes from the player to move: own, opponent, last move, colour."""
        square = np.zeros((4, self.height, self.width), dtype=np.float32)
        for move, player in self.states.items():
            r, c = self.move_to_location(move)
            square[0 if player == self.current_player else 1, r, c] = 1.0
        if self.last_move >= 0:
            r, c = self.move_to_location(self.last_move)
            square[2, r, c] = 1.0
        if len(self.states) % 2 == 0:
            square[3][:, :] = 1.0
        return square

    def do_move(self, move: int) -> None:
        self.states[move] = self.current_player
        self.availables.remove(move)
        self.current_player = self.players[0] if self.current_player == self.players[1] else self.players[1]
        self.last_move = move

    def has_a_winner(self) -> tuple[bool, int]:
        """Scan every stone on the board for a line of ``n_in_row`` (as the book does)."""
        n = self.n_in_row
        if len(self.states) < 2 * n - 1:
            return False, -1
        for move, player in self.states.items():
            r, c = self.move_to_location(move)
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                count = 1
                rr, cc = r + dr, c + dc
                while 0 <= rr < self.height and 0 <= cc < self.width and \
                        self.states.get(rr * self.width + cc) == player:
                    count += 1
                    rr += dr
                    cc += dc
                if count >= n:
                    return True, player
        return False, -1

    def game_end(self) -> tuple[bool, int]:
        win, winner = self.has_a_winner()
        if win:
            return True, winner
        if not self.availables:
            return True, -1
        return False, -1

    def get_current_player(self) -> int:
        return self.current_player


class TreeNode:
    """A node of the book's tree: Q is a running mean from the parent's player's view."""

    def __init__(self, parent: TreeNode | None, prior_p: float) -> None:
        self._parent = parent
        self._children: dict[int, TreeNode] = {}
        self._n_visits = 0
        self._Q = 0.0
        self._u = 0.0
        self._P = prior_p

    def expand(self, action_priors: Iterable[tuple[int, float]]) -> None:
        for action, prob in action_priors:
            if action not in self._children:
                self._children[action] = TreeNode(self, prob)

    def select(self, c_puct: float) -> tuple[int, TreeNode]:
        return max(self._children.items(), key=lambda item: item[1].get_value(c_puct))

    def update(self, leaf_value: float) -> None:
        self._n_visits += 1
        self._Q += 1.0 * (leaf_value - self._Q) / self._n_visits

    def update_recursive(self, leaf_value: float) -> None:
        if self._parent is not None:
            self._parent.update_recursive(-leaf_value)
        self.update(leaf_value)

    def get_value(self, c_puct: float) -> float:
        self._u = c_puct * self._P * np.sqrt(self._parent._n_visits) / (1 + self._n_visits)
        return self._Q + self._u

    def is_leaf(self) -> bool:
        return self._children == {}

    def is_root(self) -> bool:
        return self._parent is None


PolicyValueFn = Callable[[BookBoard], tuple[Iterable[tuple[int, float]], float]]


class BookMCTS:
    """The book's search: one playout = copy the board, walk down, evaluate ONE leaf, back up."""

    def __init__(self, policy_value_fn: PolicyValueFn, c_puct: float = 5.0, n_playout: int = 400) -> None:
        self._root = TreeNode(None, 1.0)
        self._policy = policy_value_fn
        self._c_puct = c_puct
        self._n_playout = n_playout

    def _playout(self, state: BookBoard) -> None:
        node = self._root
        while not node.is_leaf():
            action, node = node.select(self._c_puct)
            state.do_move(action)
        action_probs, leaf_value = self._policy(state)
        end, winner = state.game_end()
        if not end:
            node.expand(action_probs)
        elif winner == -1:
            leaf_value = 0.0
        else:
            leaf_value = 1.0 if winner == state.get_current_player() else -1.0
        node.update_recursive(-leaf_value)

    def get_move_visits(self, state: BookBoard) -> dict[int, int]:
        for _ in range(self._n_playout):
            self._playout(copy.deepcopy(state))
        return {a: node._n_visits for a, node in self._root._children.items()}

    def get_move_probs(self, state: BookBoard, temp: float = 1e-3) -> tuple[list[int], np.ndarray]:
        visits = self.get_move_visits(state)
        acts = list(visits)
        logits = np.log(np.array([visits[a] for a in acts], dtype=np.float64) + 1e-10) / temp
        probs = np.exp(logits - logits.max())
        return acts, probs / probs.sum()

    def update_with_move(self, last_move: int) -> None:
        if last_move in self._root._children:
            self._root = self._root._children[last_move]
            self._root._parent = None
        else:
            self._root = TreeNode(None, 1.0)


def uniform_policy_value_fn(board: BookBoard) -> tuple[list[tuple[int, float]], float]:
    """Uniform priors over available moves and value 0 (the tree-speed benchmark)."""
    probs = np.ones(len(board.availables)) / max(1, len(board.availables))
    return list(zip(board.availables, probs)), 0.0


def network_policy_value_fn(model, device: str = "cpu") -> PolicyValueFn:
    """The book's per-leaf evaluation: one forward pass of batch size 1 per playout."""
    import torch

    def policy_value(board: BookBoard) -> tuple[list[tuple[int, float]], float]:
        x = torch.from_numpy(board.current_state()[None]).to(device)
        with torch.inference_mode():
            logits, value = model(x)
        probs = torch.softmax(logits[0], dim=0).cpu().numpy()
        return [(a, float(probs[a])) for a in board.availables], float(value[0])

    return policy_value


def book_self_play_positions(board: BookBoard, mcts: BookMCTS, temp_moves: int, rng: np.random.Generator,
                             max_positions: int | None = None) -> int:
    """Play one self-play game the book's way (tree reuse, tau = 1 then greedy); returns its length."""
    board.init_board()
    positions = 0
    while True:
        acts, probs = mcts.get_move_probs(board, temp=1.0 if positions < temp_moves else 1e-3)
        move = int(rng.choice(acts, p=probs))
        board.do_move(move)
        mcts.update_with_move(move)
        positions += 1
        end, _ = board.game_end()
        if end or (max_positions is not None and positions >= max_positions):
            mcts.update_with_move(-1)
            return positions
