"""``python -m games.arena2d``: list the 2-D games, or print a game's social tree as YAML.

``python -m games.arena2d tree Push-2T2P > push.yaml`` writes the tree in arena.social's file
format, for ``arena verify-rewards Push-2T2P --tree push.yaml``.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from games.arena2d import GAMES, make


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m games.arena2d", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="the 2-D games")
    tree = sub.add_parser("tree", help="print a game's social tree as YAML")
    tree.add_argument("game")
    args = parser.parse_args(argv)
    if args.command == "tree":
        if args.game not in GAMES:
            print(f"error: unknown 2-D game {args.game!r}; games: {', '.join(GAMES)}", file=sys.stderr)
            return 2
        print(yaml.safe_dump(make(args.game).social_tree.to_dict(), sort_keys=False), end="")
        return 0
    for name, (_, _, description) in GAMES.items():
        print(f"{name:24s} {description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
