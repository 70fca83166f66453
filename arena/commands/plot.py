"""``arena plot RUN [RUN...] [--out FILE.png]``: training curves of AlphaZero, MADDPG and PPO runs.

What each run directory holds and what is drawn from it:

* AlphaZero (``arena train alphazero``): ``log.jsonl``, one line per iteration -- the loss (total,
  value and policy in one panel) and, at the evaluations, win rates against pure MCTS / the previous snapshot and
  the Elo-style rating, all against the iteration;
* MADDPG (``arena train maddpg``): ``returns.npy`` ``[episodes, agents]`` -- the mean episode
  return per agent, smoothed over a window, against the episode;
* PPO (``arena train ppo``): ``metrics.jsonl``, one line per chunk -- mean episode return, policy
  and value loss, entropy, against env steps.

Several runs go on one figure: one panel per quantity, one line per run, so runs of the same kind
can be compared at a glance. The figure is a PNG written with matplotlib's Agg backend (no display
needed).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

KINDS = "log.jsonl (AlphaZero), returns.npy (MADDPG) or metrics.jsonl (PPO)"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plot", help="training curves (PNG) of AlphaZero, MADDPG and PPO runs",
        description="Draw the training curves of one or more run directories (written by arena train "
                    "alphazero, maddpg or ppo) into one PNG: one panel per quantity (loss, win rate, "
                    "return, ...), one line per run.",
        epilog="examples:\n  arena plot runs/ttt\n  arena plot runs/spread runs/spread_c --out spread.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directory of arena train alphazero|maddpg|ppo")
    p.add_argument("--out", metavar="FILE.png",
                   help="where to write the figure (default: RUN/curves.png for one run, curves.png for several)")
    p.add_argument("--window", type=int, default=0,
                   help="MADDPG: episodes per moving-average point (default: about 1/50 of the run, at least 1)")
    p.set_defaults(func=run)


@dataclass
class Series:
    """One line: ``y`` against ``x`` for one run."""

    x: np.ndarray
    y: np.ndarray


@dataclass
class Curves:
    """Everything drawn for one run: panel title -> (x label, {line label: series})."""

    run: str
    kind: str
    panels: dict[str, tuple[str, dict[str, Series]]] = field(default_factory=dict)

    def add(self, panel: str, xlabel: str, label: str, x: list[float] | np.ndarray,
            y: list[float] | np.ndarray) -> None:
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        keep = np.isfinite(ys)
        if keep.any():
            self.panels.setdefault(panel, (xlabel, {}))[1][label] = Series(xs[keep], ys[keep])


# ------------------------------------------------------------------------------------------ reading
def _read_jsonl(path: Path) -> list[dict[str, float]]:
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file of JSON lines") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if number == len(text.splitlines()):  # a line cut by a kill: the rest is still good
                break
            raise ValueError(f"{path}: line {number} is not JSON") from None
        if not isinstance(row, dict):
            raise ValueError(f"{path}: line {number} is not a JSON object")
        rows.append(row)
    return rows


def _column(rows: list[dict], key: str) -> list[float]:
    values = []
    for row in rows:
        value = row.get(key)
        values.append(float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan)
    return values


def read_alphazero(path: Path, label: str) -> Curves:
    rows = _read_jsonl(path / "log.jsonl")
    curves = Curves(label, "alphazero")
    x = [row.get("iteration", i + 1) for i, row in enumerate(rows)]
    for key in ("loss", "value_loss", "policy_loss"):
        name = "total" if key == "loss" else key.removesuffix("_loss")
        curves.add("AlphaZero loss", "iteration", f"{label} {name}", x, _column(rows, key))
    keys = sorted({k for row in rows for k in row if k.startswith("win_rate_vs_")})
    for key in keys:
        name = key.removeprefix("win_rate_vs_")
        curves.add("AlphaZero win rate (evaluations)", "iteration", f"{label} vs {name}", x, _column(rows, key))
    curves.add("AlphaZero Elo vs earlier snapshots", "iteration", label, x, _column(rows, "elo"))
    return curves


def read_maddpg(path: Path, label: str, window: int) -> Curves:
    try:
        returns = np.load(path / "returns.npy", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path / 'returns.npy'} cannot be read ({str(exc).splitlines()[0][:120]})") from None
    if returns.ndim == 1:
        returns = returns[:, None]
    if returns.ndim != 2 or not np.issubdtype(returns.dtype, np.number):
        raise ValueError(f"{path / 'returns.npy'} is not a [episodes, agents] array of returns")
    curves = Curves(label, "maddpg")
    episodes = len(returns)
    if episodes == 0:
        return curves
    w = window or max(1, episodes // 50)
    w = min(w, episodes)
    mean = returns.mean(axis=1)
    kernel = np.ones(w) / w
    smooth = np.convolve(mean, kernel, mode="valid")
    x = np.arange(w, episodes + 1)
    curves.add(f"MADDPG mean episode return per agent ({w}-episode average)", "episode", label, x, smooth)
    return curves


def read_ppo(path: Path, label: str) -> Curves:
    rows = _read_jsonl(path / "metrics.jsonl")
    curves = Curves(label, "ppo")
    x = _column(rows, "env_steps")
    for key, title in (("mean_return", "PPO mean episode return"), ("policy_loss", "PPO policy loss"),
                       ("value_loss", "PPO value loss"), ("entropy", "PPO entropy")):
        curves.add(title, "env steps", label, x, _column(rows, key))
    return curves


def read_run(path: Path, label: str, window: int = 0) -> Curves:
    """The curves of one run directory; a one-line ``ValueError`` when it is not a run."""
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if not path.is_dir():
        raise ValueError(f"{path} is not a directory: pass a run directory (it holds {KINDS})")
    if (path / "log.jsonl").is_file():
        curves = read_alphazero(path, label)
    elif (path / "returns.npy").is_file():
        curves = read_maddpg(path, label, window)
    elif (path / "metrics.jsonl").is_file():
        curves = read_ppo(path, label)
    else:
        hint = "; it is a league: use `arena league report`" if (path / "league.db").exists() else ""
        raise ValueError(f"{path} is not a training run: it holds no {KINDS}{hint}")
    if not curves.panels:
        raise ValueError(f"{path} has no finished {curves.kind} iteration/episode/chunk to plot yet")
    return curves


# ------------------------------------------------------------------------------------------ drawing
def plot(runs: list[Curves], out: Path) -> list[str]:
    """Draw ``runs`` into ``out`` (PNG); returns the panel titles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles: list[str] = []
    for curves in runs:
        titles += [t for t in curves.panels if t not in titles]
    columns = 1 if len(titles) == 1 else 2
    rows = math.ceil(len(titles) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 3.6 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, title in zip(axes.flat, titles):
        xlabel = ""
        for r, curves in enumerate(runs):
            if title not in curves.panels:
                continue
            xlabel, lines = curves.panels[title]
            for k, (label, series) in enumerate(lines.items()):
                style = ["-", "--", ":", "-."][k % 4]
                marker = "o" if len(series.x) < 30 else None
                ax.plot(series.x, series.y, style, color=colours[r % len(colours)], marker=marker,
                        markersize=3, label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        if "win rate" in title:
            ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(titles):]:
        ax.set_visible(False)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    tmp.replace(out)
    return titles


def run(args: argparse.Namespace) -> int:
    if args.window < 0:
        raise ValueError(f"--window must be >= 0, got {args.window}")
    paths = [Path(p) for p in args.runs]
    labels = [p.name or str(p) for p in paths]
    if len(set(labels)) < len(labels):  # same directory name under different parents: use the paths
        labels = [str(p) for p in paths]
    runs = [read_run(p, label, args.window) for p, label in zip(paths, labels)]
    out = Path(args.out) if args.out else (paths[0] / "curves.png" if len(paths) == 1 else Path("curves.png"))
    if out.suffix.lower() != ".png":
        raise ValueError(f"--out {out}: the figure is a PNG; give a file name ending in .png")
    titles = plot(runs, out)
    kinds = ", ".join(f"{c.run} ({c.kind})" for c in runs)
    print(f"wrote {out}: {len(titles)} panels for {kinds}")
    return 0
