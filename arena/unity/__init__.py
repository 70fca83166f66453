"""Unity games through ML-Agents (``mlagents-envs``), as PettingZoo environments.

* :class:`UnityParallelEnv` -- a Unity build or the Editor as a PettingZoo Parallel environment;
  :func:`unity_aec_env` -- its AEC view. ``arena.make("unity:PATH")`` opens a build
  (``arena.make("unity:")`` waits for the Editor). :func:`team_tree` writes a social tree with
  one node per ML-Agents team.
* :mod:`arena.unity.fake` -- a fake Unity player speaking the real gRPC protocol, for tests.

Importing this package is cheap: ``mlagents_envs`` (the ``unity`` extra, ``pip install
'arena-league[unity]'``) is imported only when an environment or fake player is created.
"""

from __future__ import annotations

import socket
from typing import Any

from arena.unity.errors import (
    UnityBuildNotFoundError,
    UnityError,
    UnityNotInstalledError,
    UnityPortInUseError,
    UnityTimeoutError,
    UnityVersionMismatchError,
)

__all__ = [
    "UnityBuildNotFoundError",
    "UnityError",
    "UnityNotInstalledError",
    "UnityParallelEnv",
    "UnityPortInUseError",
    "UnityTimeoutError",
    "UnityVersionMismatchError",
    "free_port",
    "make_unity",
    "team_tree",
    "unity_aec_env",
]


def free_port() -> int:
    """A TCP port no one listens on now, chosen by the operating system.

    Use it as ``base_port`` (with ``worker_id=0``) when several programs start Unity environments
    at once -- parallel test runs, several trainers on one machine -- instead of fixed numbers
    that collide.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


def make_unity(path: str, *, api: str | None = None, **kwargs: Any) -> Any:
    """The ``unity:PATH`` handler of ``arena.make``: an empty PATH (or ``editor``) means the Editor."""
    from arena.unity.env import UnityParallelEnv, unity_aec_env

    file_name = None if path in ("", "editor") else path
    if api == "aec":
        return unity_aec_env(file_name, **kwargs)
    if api not in (None, "parallel"):
        raise ValueError(f"api={api!r}: use 'parallel' or 'aec'")
    return UnityParallelEnv(file_name, **kwargs)


def __getattr__(name: str) -> Any:
    # The environment module imports gymnasium/pettingzoo; load it on first use only.
    if name in ("UnityParallelEnv", "unity_aec_env", "team_tree"):
        from arena.unity import env

        return getattr(env, name)
    raise AttributeError(f"module 'arena.unity' has no attribute '{name}'")
