"""Pure MCTS: UCT with uniformly random rollouts, optionally with MCTS-Solver, on m,n,k games.

The algorithm, top to bottom (one *simulation*; the search runs ``simulations`` of them):

1. **Select** from the root: in an expanded node take the child maximising
   ``Q + uct_c * sqrt(ln N_parent / N_child)`` where ``Q`` is the child's mean result for the
   player choosing it; children never visited come first, in a random order fixed when the node
   was expanded (OpenSpiel's ``MCTSBot`` behaves the same way).
2. **Expand** a node the second time a simulation reaches it: one child per legal move, all at
   once, in one contiguous block of the flat node arrays.
3. **Evaluate** the new leaf with one uniformly random rollout to the end of the game. A node
   whose move ended the game is never rolled out: it returns its exact result every time.
4. **Back up** the result along the path, negated at every ply (each node keeps the result for
   the seat that moved into it).
5. With ``solver=True`` (MCTS-Solver, Winands et al. 2008): a terminal result is a *proof*; a
   node is proven lost for the seat that moved into it as soon as the seat to move has one proven
   winning child, and proven to the best child's value once all children are proven. Selection
   takes proven wins at once and skips proven losses; the search stops early when the root is
   proven.

The tree is a handful of preallocated arrays (see :mod:`arena.mcts._pure_kernels`), the whole
loop runs in numba-compiled code cached on disk, and the random generator is private to the
search, so a search is reproducible from its seed.

Example::

    from games.board.mnk import connect_four
    from arena.mcts.pure import PureMCTS, PureMCTSConfig

    game = connect_four()
    search = PureMCTS(game, PureMCTSConfig(simulations=1000), seed=0)
    result = search.search(game.initial_state(1))
    result.action, result.visit_shares, result.value
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.mcts._pure_kernels import UNPROVEN, run_simulations


@dataclass
class PureMCTSConfig:
    """Hyperparameters of pure MCTS (defaults follow OpenSpiel's ``MCTSBot`` with random rollouts)."""

    simulations: int = 1000  # simulations (one rollout each) per search
    uct_c: float = 2.0  # exploration constant c in Q + c * sqrt(ln N / n); OpenSpiel's example uses 2
    solver: bool = False  # MCTS-Solver: propagate proven wins/losses/draws, stop once the root is proven
    initial_nodes: int = 1 << 16  # starting size of the node arrays; they double when full

    def validate(self) -> None:
        if int(self.simulations) < 1:
            raise ValueError(f"simulations={self.simulations} must be at least 1")
        if not np.isfinite(self.uct_c) or self.uct_c < 0:
            raise ValueError(f"uct_c={self.uct_c} must be a finite number >= 0")
        if int(self.initial_nodes) < 2:
            raise ValueError(f"initial_nodes={self.initial_nodes} must be at least 2")


@dataclass
class PureMCTSResult:
    """The outcome of one search, for the player to move at the root.

    ``visit_counts[A]`` int64 root-child visits per action (0 on illegal actions);
    ``visit_shares[A]`` float64 the same normalised to sum to 1; ``action_values[A]`` float64 the
    mean result of each action for the player to move (NaN where never tried); ``value`` in
    [-1, 1] the value of the position (the chosen action's mean result, or the exact value when
    proven); ``proven`` +1/-1/0 when the solver proved a win/loss/draw for the player to move,
    ``None`` otherwise; ``simulations`` the simulations actually run (fewer than asked only when
    the solver proved the root).
    """

    action: int
    visit_counts: np.ndarray
    visit_shares: np.ndarray
    action_values: np.ndarray
    value: float
    simulations: int
    proven: int | None = None


class PureMCTS:
    """UCT search with random rollouts on one m,n,k game (:class:`games.board.mnk.MNKGame`).

    ``game`` must expose ``rows``, ``cols``, ``k``, ``gravity``, ``exact``, ``num_actions`` and
    ``BoardState`` positions. The node arrays are allocated once and reused by every search.
    """

    def __init__(self, game, config: PureMCTSConfig | None = None, seed: int | None = None) -> None:
        for attribute in ("rows", "cols", "k", "gravity", "exact", "num_actions"):
            if not hasattr(game, attribute):
                raise TypeError(f"pure MCTS runs on m,n,k games (tic_tac_toe, connect_four, gomoku); "
                                f"{type(game).__name__} has no '{attribute}'")
        self.game = game
        self.config = config if config is not None else PureMCTSConfig()
        self.config.validate()
        self.rng = np.random.default_rng(seed)
        self._allocate(int(self.config.initial_nodes))
        cells = game.rows * game.cols
        self._board = np.zeros((game.rows, game.cols), dtype=np.int8)
        self._path = np.zeros(cells + 2, dtype=np.int32)
        self._legal = np.zeros(max(game.num_actions, cells), dtype=np.int32)
        self._rng_state = np.zeros(1, dtype=np.uint64)
        self._node_count = np.zeros(1, dtype=np.int64)

    def _allocate(self, capacity: int) -> None:
        self.first_child = np.empty(capacity, dtype=np.int32)
        self.num_children = np.empty(capacity, dtype=np.int32)
        self.action = np.empty(capacity, dtype=np.int32)
        self.visits = np.empty(capacity, dtype=np.int32)
        self.value_sum = np.empty(capacity, dtype=np.float64)
        self.mover = np.empty(capacity, dtype=np.int8)
        self.outcome = np.empty(capacity, dtype=np.int8)
        self.proven = np.empty(capacity, dtype=np.int8)

    def _grow(self) -> None:
        """Double the node arrays, keeping the tree built so far."""
        used = int(self._node_count[0])
        old = (self.first_child, self.num_children, self.action, self.visits, self.value_sum,
               self.mover, self.outcome, self.proven)
        self._allocate(2 * self.first_child.shape[0])
        new = (self.first_child, self.num_children, self.action, self.visits, self.value_sum,
               self.mover, self.outcome, self.proven)
        for src, dst in zip(old, new):
            dst[:used] = src[:used]

    @property
    def nodes_used(self) -> int:
        """Nodes in the tree of the last search."""
        return int(self._node_count[0])

    def search(self, state, index: int = 0, simulations: int | None = None) -> PureMCTSResult:
        """Search position ``index`` of the batch ``state`` (a :class:`BoardState`).

        ``simulations`` overrides the configured budget for this call. Raises ``ValueError`` when
        the position is already decided.
        """
        budget = int(self.config.simulations if simulations is None else simulations)
        if budget < 1:
            raise ValueError(f"simulations={budget} must be at least 1")
        if int(state.winner[index]) != -1:
            raise ValueError("cannot search a finished game: the position has a winner or is a draw")
        root_board = np.ascontiguousarray(state.board[index], dtype=np.int8)
        to_play = int(state.to_play[index])
        moves = int(state.moves[index])
        game = self.game

        # Node 0 is the root; the seat "that moved into it" is the opponent of the seat to move.
        self.first_child[0] = -1
        self.num_children[0] = 0
        self.action[0] = -1
        self.visits[0] = 0
        self.value_sum[0] = 0.0
        self.mover[0] = 1 - to_play
        self.outcome[0] = -1
        self.proven[0] = UNPROVEN
        self._node_count[0] = 1
        # xorshift needs a non-zero state; drawing it from the bot's generator keeps a sequence of
        # searches reproducible from one seed.
        self._rng_state[0] = np.uint64(self.rng.integers(1, 2**63 - 1))

        done = 0
        while done < budget:
            ran = run_simulations(
                root_board, to_play, moves, bool(game.gravity), int(game.k), bool(game.exact),
                self.first_child, self.num_children, self.action, self.visits, self.value_sum,
                self.mover, self.outcome, self.proven, self._node_count, budget - done,
                float(self.config.uct_c), bool(self.config.solver), self._rng_state,
                self._board, self._path, self._legal)
            if ran >= 0:
                done += ran
                break
            done += -ran - 1
            self._grow()
        return self._result(done)

    def _result(self, simulations: int) -> PureMCTSResult:
        num_actions = self.game.num_actions
        start = int(self.first_child[0])
        count = int(self.num_children[0])
        children = np.arange(start, start + count)
        actions = self.action[children].astype(np.int64)
        visits = self.visits[children].astype(np.int64)
        sums = self.value_sum[children]
        proofs = self.proven[children]

        visit_counts = np.zeros(num_actions, dtype=np.int64)
        visit_counts[actions] = visits
        action_values = np.full(num_actions, np.nan)
        tried = visits > 0
        action_values[actions[tried]] = sums[tried] / visits[tried]
        total = visit_counts.sum()
        visit_shares = visit_counts / total if total > 0 else np.zeros(num_actions)

        # Most visited; ties go to the better mean result, then to the lower action.
        means = np.where(tried, sums / np.maximum(visits, 1), -np.inf)
        order = np.lexsort((actions, -means, -visits))
        if self.config.solver:
            # A proof outranks statistics: a proven win first, a proven loss only when forced.
            rank = np.select([proofs == 1, proofs == -1], [0, 2], default=1)
            order = order[np.argsort(rank[order], kind="stable")]
        best = int(order[0])
        action = int(actions[best])

        root_proof = int(self.proven[0])
        proven = None if (not self.config.solver or root_proof == UNPROVEN) else -root_proof
        if proven is not None:
            value = float(proven)
        elif visits[best] > 0:
            value = float(sums[best] / visits[best])
        else:
            value = 0.0
        return PureMCTSResult(action=action, visit_counts=visit_counts, visit_shares=visit_shares,
                              action_values=action_values, value=float(np.clip(value, -1.0, 1.0)),
                              simulations=int(simulations), proven=proven)
