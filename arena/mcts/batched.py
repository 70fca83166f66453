"""Batched neural MCTS (PUCT) over flat arrays: B independent search trees advance in lockstep.

Design (after mctx): no per-node objects. A :class:`Tree` holds, for ``B`` games and a node
capacity ``N`` (root = node 0 of every tree):

* ``parent[B, N]``, ``action[B, N]`` -- the edge a node hangs from (-1 at the root);
* ``children[B, N, A]`` -- child node index per action (-1: not allocated yet);
* ``prior[B, N, A]`` -- network priors P(s, a) (masked to legal moves, renormalised);
* ``visits[B, N]`` N and ``value_sum[B, N]`` W, W from the point of view of the player who made
  the move *into* the node, so a parent picks ``argmax_a Q + U`` with ``Q = W/N`` directly;
* ``expanded[B, N]``, ``terminal[B, N]``, ``terminal_value[B, N]`` (final score of the player to
  move at a terminal node, from the rules);
* ``states`` -- the game state of every node, one ``[B, N, ...]`` array per field of the game's
  batched state dataclass (e.g. ``BoardState``), so expanding a leaf is one batched ``game.step``.

One simulation = :func:`select` (numba, one leaf per game; with ``leaves_per_game > 1`` several
leaves per tree spread by virtual loss) -> one batched ``game.step`` to compute the new leaves'
states -> ONE call of the evaluator on all leaves (a network on CUDA when available) ->
:func:`_expand` and :func:`_backup` (numba, sign flipped at each ply).

PUCT (SPEC section 3): ``a* = argmax_a Q(s,a) + c_puct * P(s,a) * sqrt(N(s)) / (1 + N(s,a))``.
``N(s)`` counts the node's own visits, i.e. ``1 + sum_b N(s,b)``: the book's code, and the
extra 1 (the visit that expanded the node) lets the first choice at a fresh node follow the prior
instead of a tie of zeros. Unvisited children have ``Q = 0``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

# evaluate(states, legal[L, A]) -> (prior[L, A], value[L]); value is the expected final score of the
# player to move in each state, prior sums to 1 over legal moves.
Evaluator = Callable[[Any, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class SearchParams:
    """Search hyperparameters (defaults: the book's gomoku column)."""

    num_simulations: int = 400  # simulations per move (root expansion counts as the first)
    c_puct: float = 5.0  # exploration constant in U
    dirichlet_alpha: float = 0.3  # root noise Dir(alpha), self-play only
    dirichlet_weight: float = 0.25  # P = (1 - eps) p + eps Dir(alpha)
    leaves_per_game: int = 1  # leaves selected per tree per network call (virtual loss spreads them)
    virtual_loss: float = 1.0  # visits added (as losses) to a path while its leaf awaits evaluation
    solver: bool = True  # MCTS-Solver: proven wins/losses/draws decide selection and the move
    forced_playouts_k: float = 0.0  # KataGo forced playouts at noised roots: n = sqrt(k P sum N) (0: off)
    # First-play urgency: an unvisited child's Q. None: 0 (AlphaZero's); a number r: the parent's
    # mean value for the chooser minus r (Leela Zero / KataGo: unexplored moves are assumed a bit worse
    # than the position, so a losing side does not spread its playouts over every untried move).
    fpu_reduction: float | None = None
    # Contempt (play only, not self-play): a draw is worth -contempt to the side to move at the root
    # and +contempt to the other, so a searcher facing a weaker opponent avoids draws it can avoid.
    contempt: float = 0.0

    def __post_init__(self) -> None:
        if self.num_simulations < 1:
            raise ValueError(f"num_simulations must be >= 1, got {self.num_simulations}")
        if self.c_puct <= 0:
            raise ValueError(f"c_puct must be > 0, got {self.c_puct}")
        if self.dirichlet_alpha <= 0:
            raise ValueError(f"dirichlet_alpha must be > 0, got {self.dirichlet_alpha}")
        if not 0 <= self.dirichlet_weight <= 1:
            raise ValueError(f"dirichlet_weight must be in [0, 1], got {self.dirichlet_weight}")
        if self.leaves_per_game < 1:
            raise ValueError(f"leaves_per_game must be >= 1, got {self.leaves_per_game}")
        if self.virtual_loss < 0:
            raise ValueError(f"virtual_loss must be >= 0, got {self.virtual_loss}")
        if self.forced_playouts_k < 0:
            raise ValueError(f"forced_playouts_k must be >= 0, got {self.forced_playouts_k}")
        if self.fpu_reduction is not None and not 0 <= self.fpu_reduction <= 2:
            raise ValueError(f"fpu_reduction must be in [0, 2] (or None: unvisited moves count 0), got {self.fpu_reduction}")
        if not 0 <= self.contempt < 1:
            raise ValueError(f"contempt must be in [0, 1), got {self.contempt}")


# ---------------------------------------------------------------------------- state helpers
def _state_fields(state: Any) -> list[str]:
    if not dataclasses.is_dataclass(state):
        raise TypeError(f"batched search needs a dataclass state of [B, ...] arrays, got {type(state).__name__}")
    return [f.name for f in dataclasses.fields(state)]


def gather_states(store: dict[str, np.ndarray], rows: np.ndarray, nodes: np.ndarray, like: Any) -> Any:
    """The states of nodes ``(rows[L], nodes[L])`` of a node store, as one batch of ``L``."""
    return type(like)(**{k: store[k][rows, nodes] for k in store})


def scatter_states(store: dict[str, np.ndarray], rows: np.ndarray, nodes: np.ndarray, states: Any) -> None:
    """Write a batch of ``L`` states into nodes ``(rows[L], nodes[L])`` of a node store."""
    for k in store:
        store[k][rows, nodes] = getattr(states, k)


# ---------------------------------------------------------------------------- numba kernels
WIN = 1.0  # a proven value >= WIN is a win (the best score a game can give); <= -WIN a loss


@numba.njit(cache=True, nogil=True)
def _puct_child(children, prior, visits, value_sum, legal, proven, proof, b, node, c_puct, solver, forced_k,
                fpu=np.nan):
    """The action maximising Q + U at ``node`` of tree ``b`` (ties: lowest action).

    With ``solver``: a child proven won for the chooser is taken at once, children proven lost
    are skipped, and a proven draw's Q is its exact value. Where every legal child is proven lost,
    they are chosen by their mean values: a loss that takes longer to prove averages above -1, so
    the search (and the move choice, by visits) prefers the moves that resist longest.
    ``forced_k > 0`` (KataGo forced playouts, roots only): a visited child with fewer than
    ``sqrt(forced_k * P * N)`` visits is taken first (the largest shortfall).
    ``fpu`` (first-play urgency): NaN values an unvisited child at 0; a number ``r``, at the
    node's mean value for the chooser minus ``r``.
    """
    sqrt_n = math.sqrt(max(visits[b, node], 1.0))
    q_unvisited = 0.0
    if not math.isnan(fpu) and visits[b, node] > 0:
        q_unvisited = -value_sum[b, node] / visits[b, node] - fpu
    for attempt in range(2):
        skip_losses = solver and attempt == 0
        best = -1
        best_score = -np.inf
        skipped = 0
        for a in range(children.shape[2]):
            if not legal[b, node, a]:
                continue
            child = children[b, node, a]
            q = q_unvisited
            n_child = 0.0
            if child >= 0:
                n_child = visits[b, child]
                if n_child > 0:
                    q = value_sum[b, child] / n_child
                if solver and proven[b, child]:
                    if proof[b, child] >= WIN:
                        return a
                    if proof[b, child] <= -WIN:
                        if skip_losses:
                            skipped += 1
                            continue
                        # Every child loses: keep the mean, which a slow loss keeps above -1
                        # (the moves that resist longest are searched and played).
                    else:
                        q = proof[b, child]
            score = q + c_puct * prior[b, node, a] * sqrt_n / (1.0 + n_child)
            if forced_k > 0.0 and n_child > 0:
                n_forced = math.sqrt(forced_k * prior[b, node, a] * visits[b, node])
                if n_child < n_forced:
                    score = 1e9 + (n_forced - n_child)
            if score > best_score:
                best_score = score
                best = a
        if best >= 0 or skipped == 0:
            return best
    return -1


@numba.njit(cache=True, nogil=True)
def _select(children, prior, visits, value_sum, legal, expanded, terminal, parent, action, num_nodes,
            active, c_puct, virtual_loss, out_leaf, proven, proof, solver, forced, forced_k, fpu=np.nan):
    """Descend every active tree from the root to a leaf; write the leaf node into ``out_leaf[B]``
    (-1 for inactive trees).

    A leaf is an unexpanded node, a terminal one, or (``solver``) a proven one below the root.
    When the descent takes an edge whose child does not exist yet, the child is allocated here
    (unexpanded), so a second descent in the same round (virtual loss) sees it as pending and its
    path carries the virtual loss too. ``forced[B]`` turns on forced playouts at that tree's root.
    """
    capacity = children.shape[1]
    for b in range(children.shape[0]):
        if not active[b]:
            out_leaf[b] = -1
            continue
        node = 0
        while expanded[b, node] and not terminal[b, node]:
            if solver and node != 0 and proven[b, node]:
                break
            k = forced_k if (node == 0 and forced[b]) else 0.0
            a = _puct_child(children, prior, visits, value_sum, legal, proven, proof, b, node, c_puct, solver, k, fpu)
            if a < 0:
                break
            child = children[b, node, a]
            if child < 0:
                if num_nodes[b] >= capacity:
                    # Tree full (cannot happen with the capacities Tree chooses): re-evaluate node.
                    break
                child = num_nodes[b]
                num_nodes[b] += 1
                children[b, node, a] = child
                parent[b, child] = node
                action[b, child] = a
                visits[b, child] = 0.0
                value_sum[b, child] = 0.0
                expanded[b, child] = False
                terminal[b, child] = False
                proven[b, child] = False
                proof[b, child] = 0.0
                node = child
                break
            node = child
        out_leaf[b] = node
        if virtual_loss > 0:
            cur = node
            while cur >= 0:
                visits[b, cur] += virtual_loss
                value_sum[b, cur] -= virtual_loss
                cur = parent[b, cur]


@numba.njit(cache=True, nogil=True)
def _backup(visits, value_sum, parent, rows, leaves, values, virtual_loss):
    """Add each leaf's value (for the player to move at the leaf) along its path to the root,
    flipping the sign at every ply, and take back the virtual loss the selection added."""
    for i in range(leaves.shape[0]):
        b = rows[i]
        cur = leaves[i]
        v = -values[i]  # W of a node is from the view of the player who moved into it
        while cur >= 0:
            visits[b, cur] += 1.0 - virtual_loss
            value_sum[b, cur] += v + virtual_loss
            v = -v
            cur = parent[b, cur]


@numba.njit(cache=True, nogil=True)
def _propagate_proofs(children, legal, parent, proven, proof, rows, leaves):
    """MCTS-Solver: from each proven leaf, prove its ancestors while they become proven.

    A node is proven once the player to move there has a child proven won (the node is then
    lost for the player who moved into it), or once every legal child is proven (its value is
    minus the best child's). ``proof`` is from the view of the player who moved into the node.
    """
    for i in range(leaves.shape[0]):
        b = rows[i]
        node = leaves[i]
        if node < 0 or not proven[b, node]:
            continue
        cur = parent[b, node]
        while cur >= 0 and not proven[b, cur]:
            best = -np.inf
            complete = True
            for a in range(children.shape[2]):
                if not legal[b, cur, a]:
                    continue
                c = children[b, cur, a]
                if c < 0 or not proven[b, c]:
                    complete = False
                    continue
                if proof[b, c] > best:
                    best = proof[b, c]
                if best >= WIN:
                    break
            if best >= WIN or (complete and best > -np.inf):
                proven[b, cur] = True
                proof[b, cur] = -best
                cur = parent[b, cur]
            else:
                break


@numba.njit(cache=True, nogil=True)
def _subtree_order(children, new_root, limit, out_old):
    """Breadth-first order of the subtree under ``new_root[b]`` (at most ``limit`` nodes; -1: no
    subtree) written into ``out_old[b, :count]`` (old node indices); returns ``count[B]``."""
    B = children.shape[0]
    counts = np.zeros(B, dtype=np.int32)
    for b in range(B):
        r = new_root[b]
        if r < 0:
            continue
        out_old[b, 0] = r
        n = 1
        head = 0
        while head < n:
            node = out_old[b, head]
            head += 1
            for a in range(children.shape[2]):
                c = children[b, node, a]
                if c >= 0 and n < limit:
                    out_old[b, n] = c
                    n += 1
        counts[b] = n
    return counts


@numba.njit(cache=True, nogil=True)
def _remap_children(children, parent, old_order, counts, new_children, new_parent):
    """Rewrite the child/parent links of the kept nodes with their new indices; links to dropped
    nodes become -1 (the node is then re-allocated on demand)."""
    B, N, A = children.shape
    new_of_old = np.full(N, -1, dtype=np.int32)
    for b in range(B):
        n = counts[b]
        if n == 0:
            continue
        for i in range(n):
            new_of_old[old_order[b, i]] = i
        for i in range(n):
            old = old_order[b, i]
            for a in range(A):
                c = children[b, old, a]
                new_children[b, i, a] = new_of_old[c] if c >= 0 else -1
            new_parent[b, i] = new_of_old[parent[b, old]] if i > 0 else -1
        for i in range(n):
            new_of_old[old_order[b, i]] = -1


# ---------------------------------------------------------------------------- the tree
class Tree:
    """``B`` search trees over flat arrays (see the module docstring for the layout).

    ``capacity`` is the node budget per tree; :meth:`advance` keeps at most
    ``capacity - simulations_per_search`` nodes of the reused subtree so a search never runs out.
    """

    def __init__(self, game: Any, roots: Any, capacity: int) -> None:
        B = roots.batch_size
        A = game.num_actions
        if capacity < 2:
            raise ValueError(f"tree capacity must be >= 2, got {capacity}")
        self.game = game
        self.batch_size = B
        self.capacity = int(capacity)
        self.num_actions = A
        N = self.capacity
        self.parent = np.full((B, N), -1, dtype=np.int32)
        self.action = np.full((B, N), -1, dtype=np.int32)
        self.children = np.full((B, N, A), -1, dtype=np.int32)
        self.prior = np.zeros((B, N, A), dtype=np.float32)
        self.legal = np.zeros((B, N, A), dtype=np.bool_)
        self.visits = np.zeros((B, N), dtype=np.float32)
        self.value_sum = np.zeros((B, N), dtype=np.float32)
        self.expanded = np.zeros((B, N), dtype=np.bool_)
        self.terminal = np.zeros((B, N), dtype=np.bool_)
        self.terminal_value = np.zeros((B, N), dtype=np.float32)
        # MCTS-Solver: proven[b, n] once the node's game-theoretic value is known; proof[b, n] is
        # that value for the player who moved into the node (terminal nodes are proven at once).
        self.proven = np.zeros((B, N), dtype=np.bool_)
        self.proof = np.zeros((B, N), dtype=np.float32)
        self.num_nodes = np.ones(B, dtype=np.int32)
        self._like = roots
        self.states = {k: np.zeros((B, N) + getattr(roots, k).shape[1:], dtype=getattr(roots, k).dtype)
                       for k in _state_fields(roots)}
        self.reset(np.arange(B), roots)

    # -------------------------------------------------------------- root management
    def reset(self, rows: np.ndarray, roots: Any) -> None:
        """Start fresh trees in ``rows[L]`` whose roots are the ``L`` states ``roots``."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        self.parent[rows] = -1
        self.action[rows] = -1
        self.children[rows] = -1
        self.prior[rows] = 0.0
        self.legal[rows] = False
        self.visits[rows] = 0.0
        self.value_sum[rows] = 0.0
        self.expanded[rows] = False
        self.terminal[rows] = False
        self.terminal_value[rows] = 0.0
        self.proven[rows] = False
        self.proof[rows] = 0.0
        self.num_nodes[rows] = 1
        zeros = np.zeros(rows.size, dtype=np.int64)
        scatter_states(self.states, rows, zeros, roots)
        self.legal[rows, 0] = self.game.legal_mask(roots)
        done = np.asarray(roots.terminal)
        self.terminal[rows, 0] = done
        if done.any():
            to_play = np.asarray(roots.to_play, dtype=np.int64)
            self.terminal_value[rows, 0] = self.game.returns(roots)[np.arange(rows.size), to_play]
            self.proven[rows, 0] = done
            self.proof[rows, 0] = np.where(done, -self.terminal_value[rows, 0], 0.0)

    def root_states(self) -> Any:
        """The ``B`` root states."""
        return gather_states(self.states, np.arange(self.batch_size), np.zeros(self.batch_size, np.int64),
                             self._like)

    def advance(self, actions: np.ndarray, next_states: Any, keep: int) -> None:
        """Move every root along ``actions[B]`` and keep that child's subtree (at most ``keep``
        nodes, breadth first). Where the child was never expanded the tree restarts from
        ``next_states`` (the real positions after the move)."""
        B = self.batch_size
        rows = np.arange(B)
        actions = np.asarray(actions, dtype=np.int64)
        child = self.children[rows, 0, actions]
        ok = child >= 0
        ok[ok] = self.expanded[rows[ok], child[ok]]
        new_root = np.where(ok, child, -1).astype(np.int32)
        order = np.zeros((B, self.capacity), dtype=np.int32)
        counts = _subtree_order(self.children, new_root, max(1, min(int(keep), self.capacity)), order)
        new_children = np.full_like(self.children, -1)
        new_parent = np.full_like(self.parent, -1)
        _remap_children(self.children, self.parent, order, counts, new_children, new_parent)
        kept = counts > 0
        # Gather the kept nodes' per-node arrays into their new slots (order[b, i] = old index).
        per_node = [self.action, self.prior, self.legal, self.visits, self.value_sum, self.expanded,
                    self.terminal, self.terminal_value, self.proven, self.proof, *self.states.values()]
        for arr in per_node:
            arr[kept] = arr[rows[kept, None], order[kept]]
        self.children[kept] = new_children[kept]
        self.parent[kept] = new_parent[kept]
        self.num_nodes[kept] = counts[kept]
        # Clear the slots past each kept subtree so stale links can never be followed.
        slot = np.arange(self.capacity)[None, :]
        stale = kept[:, None] & (slot >= counts[:, None])
        self.children[stale] = -1
        self.expanded[stale] = False
        self.visits[stale] = 0.0
        self.value_sum[stale] = 0.0
        self.proven[stale] = False
        self.action[kept, 0] = -1
        fresh = np.flatnonzero(~kept)
        if fresh.size:
            self.reset(fresh, next_states.take(fresh))

    # -------------------------------------------------------------- statistics
    def root_visits(self) -> np.ndarray:
        """``[B, A]`` visit counts of the root's children."""
        rows = np.arange(self.batch_size)[:, None]
        child = self.children[:, 0, :]
        counts = self.visits[rows, np.maximum(child, 0)]
        return np.where(child >= 0, counts, 0.0).astype(np.float32)

    def root_values(self) -> np.ndarray:
        """``[B]`` value of each root for its player to move: the proven value where the root is
        proven, else the mean value (0 before any visit)."""
        n = self.visits[:, 0]
        mean = np.where(n > 0, -self.value_sum[:, 0] / np.maximum(n, 1), 0.0)
        return np.where(self.proven[:, 0], -self.proof[:, 0], mean).astype(np.float32)

    def root_proofs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(proven[B, A], value[B, A])``: which root children are proven and their proven
        value for the root's player to move (0 where unproven or not allocated)."""
        rows = np.arange(self.batch_size)[:, None]
        child = self.children[:, 0, :]
        safe = np.maximum(child, 0)
        proven = (child >= 0) & self.proven[rows, safe]
        return proven, np.where(proven, self.proof[rows, safe], 0.0).astype(np.float32)


# ---------------------------------------------------------------------------- search
def add_root_noise(tree: Tree, rows: np.ndarray, params: SearchParams, rng: np.random.Generator) -> None:
    """Mix Dirichlet noise into the root priors of trees ``rows``: P = (1 - eps) p + eps Dir(alpha),
    the noise spread over legal moves only."""
    for b in np.asarray(rows, dtype=np.int64):
        legal = np.flatnonzero(tree.legal[b, 0])
        if legal.size == 0:
            continue
        noise = rng.dirichlet(np.full(legal.size, params.dirichlet_alpha))
        p = tree.prior[b, 0, legal]
        tree.prior[b, 0, legal] = (1.0 - params.dirichlet_weight) * p + params.dirichlet_weight * noise


def search(tree: Tree, evaluate: Evaluator, params: SearchParams, *, active: np.ndarray | None = None,
           root_noise: bool | np.ndarray = False, rng: np.random.Generator | None = None,
           simulations: int | np.ndarray | None = None) -> None:
    """Run simulations in every active tree (``active[B]`` bool; default: every tree whose root
    is not terminal): ``params.num_simulations`` each, or ``simulations`` (one number or one per
    tree, e.g. KataGo's playout cap randomisation).

    Each round selects ``leaves_per_game`` leaves per tree and evaluates all of them in one
    ``evaluate`` call. ``root_noise`` (bool, or ``[B]`` bool per tree) adds Dirichlet noise to
    the root priors (self-play only); forced playouts (``params.forced_playouts_k``) apply to the
    noised roots only. With ``params.solver`` proofs propagate after every round.
    """
    B = tree.batch_size
    if active is None:
        active = ~tree.terminal[:, 0]
    active = np.asarray(active, dtype=np.bool_) & ~tree.terminal[:, 0]
    if not active.any():
        return
    noise = np.broadcast_to(np.asarray(root_noise, dtype=np.bool_), (B,)) & active
    if noise.any():
        rng = rng if rng is not None else np.random.default_rng()
        add_root_noise(tree, np.flatnonzero(noise & tree.expanded[:, 0]), params, rng)
    forced = noise if params.forced_playouts_k > 0 else np.zeros(B, dtype=np.bool_)
    K = params.leaves_per_game
    vl = float(params.virtual_loss) if K > 1 else 0.0
    budget = params.num_simulations if simulations is None else simulations
    budget = np.broadcast_to(np.asarray(budget, dtype=np.int64), (B,))
    if (budget[active] < 1).any():
        raise ValueError("every searched tree needs at least 1 simulation")
    remaining = np.where(active, budget, 0)  # simulations left per tree
    leaf = np.empty(B, dtype=np.int32)
    while (remaining > 0).any():
        rows_list, leaves_list = [], []
        for k in range(K):
            selecting = remaining > 0
            if k > 0:
                # An unexpanded root is a single leaf; selecting it again would only duplicate it.
                selecting &= tree.expanded[:, 0]
            if not selecting.any():
                break
            _select(tree.children, tree.prior, tree.visits, tree.value_sum, tree.legal, tree.expanded,
                    tree.terminal, tree.parent, tree.action, tree.num_nodes, selecting, params.c_puct, vl, leaf,
                    tree.proven, tree.proof, params.solver, forced, params.forced_playouts_k,
                    np.nan if params.fpu_reduction is None else float(params.fpu_reduction))
            remaining[selecting] -= 1
            sel = np.flatnonzero(selecting)
            rows_list.append(sel)
            leaves_list.append(leaf[sel].astype(np.int64))
        rows = np.concatenate(rows_list)
        leaves = np.concatenate(leaves_list)
        values = evaluate_leaves(tree, rows, leaves, evaluate, root_noise=noise, params=params, rng=rng)
        _backup(tree.visits, tree.value_sum, tree.parent, rows, leaves, values, vl)
        if params.solver:
            _propagate_proofs(tree.children, tree.legal, tree.parent, tree.proven, tree.proof, rows, leaves)


def evaluate_leaves(tree: Tree, rows: np.ndarray, leaves: np.ndarray, evaluate: Evaluator, *,
                    root_noise: bool | np.ndarray = False, params: SearchParams | None = None,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """Compute the states of the pending leaves ``(rows[L], leaves[L])`` (one batched
    ``game.step``), take terminal values from the rules (and mark those nodes proven), evaluate
    the rest in ONE evaluator call and expand them. Returns ``values[L]`` for the player to move
    at each leaf; a proven leaf (``params.solver``) returns its exact value."""
    game = tree.game
    values = np.zeros(rows.size, dtype=np.float32)
    if rows.size == 0:
        return values
    pending = ~tree.expanded[rows, leaves] & ~tree.terminal[rows, leaves]
    # New non-root leaves: their state is the parent's state after the edge's action.
    new = pending & (leaves != 0)
    if new.any():
        r, n = rows[new], leaves[new]
        states = gather_states(tree.states, r, tree.parent[r, n].astype(np.int64), tree._like)
        game.step(states, tree.action[r, n].astype(np.int64))
        scatter_states(tree.states, r, n, states)
        tree.legal[r, n] = game.legal_mask(states)
        done = np.asarray(states.terminal)
        if done.any():
            to_play = np.asarray(states.to_play, dtype=np.int64)
            returns = np.asarray(game.returns(states))
            scores = returns[np.arange(r.size), to_play].astype(np.float32)
            if params is not None and params.contempt > 0:
                # A draw (every seat scores the same) is worth -contempt to the root's side to move.
                draw = done & np.all(returns == returns[:, :1], axis=1)
                root_seat = np.asarray(tree.states["to_play"][r, 0], dtype=np.int64)
                scores[draw] = np.where(to_play[draw] == root_seat[draw], -params.contempt, params.contempt)
            tree.terminal[r[done], n[done]] = True
            tree.terminal_value[r[done], n[done]] = scores[done]
            tree.proven[r[done], n[done]] = True
            tree.proof[r[done], n[done]] = -scores[done]
    terminal = tree.terminal[rows, leaves]
    values[terminal] = tree.terminal_value[rows[terminal], leaves[terminal]]
    todo = np.flatnonzero(~terminal & ~tree.expanded[rows, leaves])
    if todo.size:
        r, n = rows[todo], leaves[todo]
        states = gather_states(tree.states, r, n, tree._like)
        legal = tree.legal[r, n]
        prior, value = evaluate(states, legal)
        prior = np.where(legal, prior, 0.0).astype(np.float32)
        total = prior.sum(axis=1, keepdims=True)
        # A network can put (almost) no mass on legal moves; fall back to uniform there.
        uniform = legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)
        prior = np.where(total > 1e-12, prior / np.maximum(total, 1e-12), uniform).astype(np.float32)
        tree.prior[r, n] = prior
        tree.expanded[r, n] = True
        values[todo] = value
        noise = np.broadcast_to(np.asarray(root_noise, dtype=np.bool_), (tree.batch_size,))
        if noise.any() and params is not None:
            roots = np.unique(r[(n == 0) & noise[r]])
            if roots.size:
                add_root_noise(tree, roots, params, rng if rng is not None else np.random.default_rng())
    # Leaves that were already expanded and are not terminal: proven nodes (solver), whose exact
    # value is backed up, or -- only when a tree is full -- nodes whose mean value is backed up
    # again rather than growing the tree.
    is_todo = np.zeros(rows.size, dtype=np.bool_)
    is_todo[todo] = True
    again = ~terminal & ~is_todo
    if again.any():
        r, n = rows[again], leaves[again]
        nv = tree.visits[r, n]
        mean = np.where(nv > 0, -tree.value_sum[r, n] / np.maximum(nv, 1), 0.0)
        values[again] = np.where(tree.proven[r, n], -tree.proof[r, n], mean)
    return values


# ---------------------------------------------------------------------------- search results
def solver_visits(visits: np.ndarray, legal: np.ndarray, proven: np.ndarray, proof: np.ndarray,
                  prior: np.ndarray | None = None) -> np.ndarray:
    """Root visit counts ``[B, A]`` with the proofs applied: where a child is proven won, only
    the proven-won children keep their visits; children proven lost get none, unless every
    legal child is proven lost. If no visited child survives, the surviving legal moves get a
    share in proportion to ``prior`` (uniform without it), so a move can always be chosen."""
    visits = np.asarray(visits, dtype=np.float32)
    won = proven & (proof >= WIN) & legal
    lost = proven & (proof <= -WIN) & legal
    keep = np.where(won.any(axis=1, keepdims=True), won, legal & ~lost)
    keep = np.where(keep.any(axis=1, keepdims=True), keep, legal)  # every move loses: keep them all
    out = np.where(keep, visits, 0.0)
    empty = (out.sum(axis=1) <= 0) & keep.any(axis=1)
    if empty.any():
        weights = np.ones_like(out) if prior is None else np.asarray(prior, dtype=np.float32) + 1e-6
        share = np.where(keep[empty], weights[empty], 0.0)
        out[empty] = share / share.sum(axis=1, keepdims=True) * 0.5  # below one visit: never beats a real one
    return out.astype(np.float32)


def pruned_visits(tree: Tree, c_puct: float, forced_k: float) -> np.ndarray:
    """KataGo's policy-target pruning: root visits ``[B, A]`` with the forced playouts taken back.

    For every root child ``c`` other than the most visited ``c*``, subtract up to
    ``n_forced(c) = sqrt(k P(c) sum N)`` visits as long as its PUCT value stays below that of
    ``c*`` (with the priors the search used, noise included); a child left with one visit or less
    is pruned to zero. ``c*`` keeps its visits.
    """
    visits = tree.root_visits().astype(np.float64)
    B, A = visits.shape
    rows = np.arange(B)[:, None]
    child = tree.children[:, 0, :]
    safe = np.maximum(child, 0)
    n_child = np.where(child >= 0, tree.visits[rows, safe], 0.0)
    q = np.where(n_child > 0, tree.value_sum[rows, safe] / np.maximum(n_child, 1), 0.0)
    prior = tree.prior[:, 0, :].astype(np.float64)
    sqrt_n = np.sqrt(np.maximum(tree.visits[:, 0], 1.0))[:, None]
    best = np.argmax(visits, axis=1)
    b_idx = np.arange(B)
    puct_best = (q[b_idx, best] + c_puct * prior[b_idx, best] * sqrt_n[:, 0] / (1.0 + visits[b_idx, best]))[:, None]
    n_forced = np.sqrt(forced_k * prior * visits.sum(axis=1, keepdims=True))
    gap = puct_best - q
    # Fewest visits that keep PUCT(c) <= PUCT(c*): 1 + N' >= c P sqrt(N) / gap.
    with np.errstate(divide="ignore", invalid="ignore"):
        n_min = np.where(gap > 0, np.ceil(c_puct * prior * sqrt_n / np.maximum(gap, 1e-12) - 1.0), visits)
    reduced = np.clip(np.maximum(visits - n_forced, n_min), 0.0, visits)
    reduced = np.where(reduced <= 1.0, 0.0, reduced)
    reduced[b_idx, best] = visits[b_idx, best]
    return reduced.astype(np.float32)


def uniform_evaluator(states: Any, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform priors over legal moves and value 0 (tree-speed benchmarks, tests)."""
    prior = legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)
    return prior.astype(np.float32), np.zeros(legal.shape[0], dtype=np.float32)


# ---------------------------------------------------------------------------- move choice
def visit_policy(visits: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """pi(a) proportional to N(a)^(1/tau), ``visits[B, A]`` -> ``[B, A]``; ``tau == 0`` puts all
    mass on the most visited moves (split evenly between ties)."""
    visits = np.asarray(visits, dtype=np.float64)
    tau = np.broadcast_to(np.asarray(temperature, dtype=np.float64), (visits.shape[0],))
    out = np.zeros_like(visits)
    greedy = tau <= 1e-6
    if greedy.any():
        v = visits[greedy]
        best = v == v.max(axis=1, keepdims=True)
        best &= v > 0
        out[greedy] = best / np.maximum(best.sum(axis=1, keepdims=True), 1)
    soft = ~greedy & (visits.max(axis=1) > 0)  # rows without visits (finished games) stay 0
    if soft.any():
        v = visits[soft]
        # Work in log space: N^(1/tau) overflows for small tau.
        logits = np.where(v > 0, np.log(np.maximum(v, 1e-30)) / tau[soft, None], -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        out[soft] = p / p.sum(axis=1, keepdims=True)
    return out.astype(np.float32)


def sample_actions(policy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of ``policy[B, A]`` (rows with no mass give -1)."""
    cdf = np.cumsum(policy, axis=1)
    u = rng.random(policy.shape[0]) * cdf[:, -1]
    actions = (cdf <= u[:, None]).sum(axis=1)
    actions = np.minimum(actions, policy.shape[1] - 1)
    return np.where(cdf[:, -1] > 0, actions, -1).astype(np.int64)


class BatchedMCTS:
    """The search a player runs: a :class:`Tree` over ``B`` games plus :func:`search` with fixed
    parameters and subtree reuse between moves.

    >>> mcts = BatchedMCTS(game, uniform_evaluator, SearchParams(num_simulations=100))
    >>> mcts.reset(game.initial_state(8))
    >>> visits = mcts.run()               # [8, A]
    >>> mcts.advance(actions, states)     # after playing actions[8] in the real games
    """

    def __init__(self, game: Any, evaluate: Evaluator, params: SearchParams, *,
                 rng: np.random.Generator | None = None, reuse_tree: bool = True) -> None:
        self.game = game
        self.evaluate = evaluate
        self.params = params
        self.rng = rng if rng is not None else np.random.default_rng()
        self.reuse_tree = reuse_tree
        self.tree: Tree | None = None

    @property
    def capacity(self) -> int:
        # A search adds at most one node per selected leaf; the reused subtree is capped so that
        # capacity = 2 * (simulations + 1) always suffices.
        per_search = self.params.num_simulations + self.params.leaves_per_game
        return 2 * per_search + 2

    def reset(self, roots: Any, rows: np.ndarray | None = None) -> None:
        """New trees for all games (``rows=None``) or for the games ``rows`` only."""
        if self.tree is None or rows is None:
            self.tree = Tree(self.game, roots, self.capacity)
        else:
            self.tree.reset(rows, roots)

    def run(self, active: np.ndarray | None = None, *, root_noise: bool | np.ndarray = False,
            simulations: int | np.ndarray | None = None) -> np.ndarray:
        """Search the current roots (``simulations``: per-tree budgets, default
        ``params.num_simulations``); returns the root children's visits ``[B, A]``, with the
        proofs applied when ``params.solver`` is on (see :meth:`move_visits`)."""
        if self.tree is None:
            raise RuntimeError("call reset(states) before run()")
        search(self.tree, self.evaluate, self.params, active=active, root_noise=root_noise, rng=self.rng,
               simulations=simulations)
        return self.move_visits()

    def move_visits(self, visits: np.ndarray | None = None) -> np.ndarray:
        """``visits`` (default: the root visits) as move weights: with the solver on, a proven
        win is played and a proven loss never is, unless every move loses (:func:`solver_visits`)."""
        tree = self.tree
        if tree is None:
            raise RuntimeError("call reset(states) before move_visits()")
        visits = tree.root_visits() if visits is None else visits
        if not self.params.solver:
            return visits
        proven, proof = tree.root_proofs()
        return solver_visits(visits, tree.legal[:, 0], proven, proof, tree.prior[:, 0])

    def policy_targets(self, *, prune: bool = False) -> np.ndarray:
        """Training targets ``[B, A]`` (not normalised): the root visits, with KataGo's
        policy-target pruning of forced playouts when ``prune`` (:func:`pruned_visits`), and the
        proofs applied with the solver on."""
        if self.tree is None:
            raise RuntimeError("call reset(states) before policy_targets()")
        visits = pruned_visits(self.tree, self.params.c_puct, self.params.forced_playouts_k) if prune else None
        return self.move_visits(visits)

    def advance(self, actions: np.ndarray, next_states: Any, rows: np.ndarray | None = None) -> None:
        """Follow ``actions[B]`` (played in the real games, now at ``next_states``)."""
        if self.tree is None:
            raise RuntimeError("call reset(states) before advance()")
        keep = self.capacity - (self.params.num_simulations + self.params.leaves_per_game) - 1
        if not self.reuse_tree:
            keep = 0
        if keep <= 0:
            self.tree.reset(np.arange(self.tree.batch_size), next_states)
            return
        self.tree.advance(actions, next_states, keep)
