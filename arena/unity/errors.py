"""Errors of the Unity bridge: each says in one line what went wrong and how to fix it.

They derive from :class:`ValueError` (the CLI prints those as ``arena: error: ...``) and from the
built-in class that names the kind of failure, so ``except FileNotFoundError`` also works.
"""

from __future__ import annotations


class UnityError(ValueError):
    """A Unity environment could not be started or driven."""


class UnityNotInstalledError(UnityError, ImportError):
    """mlagents-envs is not installed (the ``unity`` extra)."""


class UnityBuildNotFoundError(UnityError, FileNotFoundError):
    """The Unity build (player executable) does not exist."""


class UnityPortInUseError(UnityError, OSError):
    """The gRPC port Python must listen on is taken by another process."""


class UnityVersionMismatchError(UnityError):
    """The Unity player speaks an incompatible ML-Agents communication version."""


class UnityTimeoutError(UnityError, TimeoutError):
    """Unity did not connect, or did not answer, in time."""
