"""Compiled kernels of pure MCTS (UCT with random rollouts) over m,n,k rules.

Everything a simulation does -- select, expand, roll out, back up, and the optional MCTS-Solver
proof propagation -- runs inside :func:`run_simulations`, compiled by numba and cached on disk.
The rules are the single-board kernels of :mod:`games.board.mnk`; nothing here knows what a line
of ``k`` is.

The tree lives in flat arrays indexed by node id (capacity ``N``); node 0 is the root and the
children of a node occupy one contiguous block ``first_child .. first_child + num_children``:

* ``first_child[N]`` int32: id of the first child, -1 while the node is unexpanded;
* ``num_children[N]`` int32: number of children (legal moves) once expanded;
* ``action[N]`` int32: the move that leads from the parent to this node;
* ``visits[N]`` int32: simulations that went through the node;
* ``value_sum[N]`` float64: sum of the simulation results from the point of view of ``mover``;
* ``mover[N]`` int8: the seat (0/1) that made the move into the node;
* ``outcome[N]`` int8: -2 not yet known, -1 ongoing, 0/1 the winning seat, 2 draw (the game
  result right after the node's move, computed the first time a simulation reaches the node);
* ``proven[N]`` int8: MCTS-Solver result for ``mover`` (+1 proven win, -1 proven loss,
  0 proven draw, ``UNPROVEN`` otherwise); only maintained when ``solver`` is on.
"""

from __future__ import annotations

import hashlib
import inspect
import math
from pathlib import Path

import numba
import numpy as np

from games.board.mnk import mnk_legal, mnk_outcome, mnk_play

UNKNOWN = -2  # outcome not computed yet
ONGOING = -1
DRAW = 2
UNPROVEN = 2  # proven[] code for "no proof yet" (the proofs themselves are -1, 0, +1)

# Returned by run_simulations when the next expansion would overflow the node arrays.
OUT_OF_NODES = -1


@numba.njit(cache=True, nogil=True, inline="always")
def _rand_below(rng, n):
    """Uniform integer in ``[0, n)`` from a xorshift64* generator whose state is ``rng[0]``.

    A private generator (instead of numba's global one) keeps every search reproducible from its
    own seed, whatever else runs in the process.
    """
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    bits = (x * np.uint64(2685821657736338717)) >> np.uint64(32)  # 32 good bits
    return np.int64((bits * np.uint64(n)) >> np.uint64(32))


@numba.njit(cache=True, nogil=True)
def _rollout(board, gravity, k, exact, player, moves, legal, rng):
    """Play uniformly random moves on ``board`` (int8 ``[H, W]``, modified in place) from the
    position where seat ``player`` is to move with ``moves`` stones down; return the result:
    0/1 the winning seat, 2 draw."""
    n = mnk_legal(board, gravity, legal)
    while n > 0:
        i = _rand_below(rng, n)
        move = legal[i]
        cell = mnk_play(board, gravity, move, player + 1)
        moves += 1
        result = mnk_outcome(board, k, exact, cell, player + 1, moves)
        if result != ONGOING:
            return result
        if gravity:
            # A drop can fill its column; asking the rules again costs one read per column.
            n = mnk_legal(board, gravity, legal)
        else:
            # On a cell board a move removes exactly itself from the legal list.
            n -= 1
            legal[i] = legal[n]
        player = 1 - player
    return DRAW


@numba.njit(cache=True, nogil=True, inline="always")
def _select_child(node, first_child, num_children, visits, value_sum, proven, uct_c, solver):
    """The child of ``node`` to descend into: UCT ``Q + c * sqrt(ln N / n)``; unvisited children
    first (in their shuffled order, like OpenSpiel's infinite UCT value); with ``solver``, a
    proven win is taken at once and proven losses are skipped."""
    start = first_child[node]
    count = num_children[node]
    parent_visits = visits[node]
    explore = uct_c * math.sqrt(math.log(parent_visits if parent_visits > 0 else 1))
    best = -np.inf
    best_child = start
    for c in range(start, start + count):
        if solver:
            p = proven[c]
            if p == 1:
                return c
            if p == -1:
                continue
        n = visits[c]
        if n == 0:
            return c
        inv_sqrt = 1.0 / math.sqrt(n)
        q = value_sum[c] * inv_sqrt * inv_sqrt
        if solver and proven[c] == 0:
            q = 0.0
        score = q + explore * inv_sqrt
        if score > best:
            best = score
            best_child = c
    return best_child


@numba.njit(cache=True, nogil=True)
def run_simulations(root_board, root_to_play, root_moves, gravity, k, exact,
                    first_child, num_children, action, visits, value_sum, mover, outcome, proven,
                    node_count, simulations, uct_c, solver, rng, board, path, legal):
    """Run up to ``simulations`` UCT simulations from the root position into the tree arrays.

    ``root_board`` int8 ``[H, W]`` with seat ``root_to_play`` to move and ``root_moves`` stones;
    node 0 must already be initialised as the root. ``node_count[0]`` (int64 ``[1]``) is the
    number of nodes in use and is updated. ``rng`` (uint64 ``[1]``) is the generator state,
    ``board`` (int8 ``[H, W]``), ``path`` (int32 ``[cells + 1]``) and ``legal`` (int32 ``[A]``)
    are scratch space.

    Returns the number of simulations done. When the next expansion would not fit into the node
    arrays, it stops before changing anything for that simulation and returns ``-(done + 1)``
    (so the caller can grow the arrays and carry on). With ``solver`` it stops early once the
    root is proven.
    """
    capacity = first_child.shape[0]
    rows, cols = root_board.shape
    done = 0
    while done < simulations:
        if solver and proven[0] != UNPROVEN:
            break
        for r in range(rows):
            for c in range(cols):
                board[r, c] = root_board[r, c]
        node = 0
        depth = 0
        path[0] = 0
        player = root_to_play
        moves = root_moves
        # ---- selection and expansion: walk down until a new node, a terminal or a proof
        while True:
            result = outcome[node]
            if result >= 0:
                # The move into this node ended the game: its exact result, every time.
                if result == DRAW:
                    value = 0.0
                elif result == mover[node]:
                    value = 1.0
                else:
                    value = -1.0
                break
            if solver and proven[node] != UNPROVEN:
                value = float(proven[node])
                break
            if visits[node] == 0 and node != 0:
                # ---- rollout from the new leaf; the result is scored for the leaf's mover
                winner = _rollout(board, gravity, k, exact, player, moves, legal, rng)
                if winner == DRAW:
                    value = 0.0
                elif winner == mover[node]:
                    value = 1.0
                else:
                    value = -1.0
                break
            if first_child[node] < 0:
                n_legal = mnk_legal(board, gravity, legal)
                if node_count[0] + n_legal > capacity:
                    return -(done + 1)
                # Shuffle so that unvisited children are tried in random order.
                for i in range(n_legal - 1, 0, -1):
                    j = _rand_below(rng, i + 1)
                    tmp = legal[i]
                    legal[i] = legal[j]
                    legal[j] = tmp
                base = node_count[0]
                for i in range(n_legal):
                    c = base + i
                    action[c] = legal[i]
                    first_child[c] = -1
                    num_children[c] = 0
                    visits[c] = 0
                    value_sum[c] = 0.0
                    mover[c] = player
                    outcome[c] = UNKNOWN
                    proven[c] = UNPROVEN
                first_child[node] = base
                num_children[node] = n_legal
                node_count[0] = base + n_legal
            child = _select_child(node, first_child, num_children, visits, value_sum, proven, uct_c, solver)
            cell = mnk_play(board, gravity, action[child], player + 1)
            moves += 1
            if outcome[child] == UNKNOWN:
                result = mnk_outcome(board, k, exact, cell, player + 1, moves)
                outcome[child] = result
                if result >= 0:
                    if result == DRAW:
                        proven[child] = 0
                    elif result == player:
                        proven[child] = 1
                    else:
                        proven[child] = -1
            node = child
            depth += 1
            path[depth] = child
            player = 1 - player
        # ---- backup: each node scores the result for the seat that moved into it
        v = value
        for d in range(depth, -1, -1):
            n = path[d]
            visits[n] += 1
            value_sum[n] += v
            v = -v
        # ---- MCTS-Solver: push a proof up while it decides the parents
        if solver and proven[path[depth]] != UNPROVEN:
            for d in range(depth - 1, -1, -1):
                parent = path[d]
                best = -2
                all_proven = True
                start = first_child[parent]
                for c in range(start, start + num_children[parent]):
                    p = proven[c]
                    if p == UNPROVEN:
                        all_proven = False
                    elif p > best:
                        best = p
                if best == 1:
                    proven[parent] = -1  # the seat to move at parent has a winning move
                elif all_proven:
                    proven[parent] = -best  # every move is decided: the best one decides
                else:
                    break
        done += 1
    return done


def _flush_cache_if_rules_changed() -> None:
    """Throw away the on-disk machine code when ``games/board/mnk.py`` has changed.

    numba compiles the rules kernels into :func:`run_simulations` and caches the result, but it
    only checks *this* file's timestamp before reusing the cache (a documented numba
    limitation), so an edit to the rules would otherwise keep running the old rules. A
    fingerprint of the rules file is kept next to the cache; when it differs, the caches are
    flushed and numba recompiles on first use.
    """
    kernels = (run_simulations, _rollout, _select_child, _rand_below)
    try:
        fingerprint = hashlib.sha256(Path(inspect.getsourcefile(mnk_play.py_func)).read_bytes()).hexdigest()
        stamp = Path(run_simulations._cache.cache_path) / "_pure_kernels.rules.sha256"
        if stamp.exists() and stamp.read_text() == fingerprint:
            return
        for kernel in kernels:
            kernel._cache.flush()
        stamp.write_text(fingerprint)
    except (OSError, TypeError, AttributeError):
        # No writable cache directory (or a numba without these internals): numba then compiles
        # in memory or keeps its own behaviour; correctness does not depend on the stamp.
        pass


_flush_cache_if_rules_changed()
