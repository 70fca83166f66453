"""Arguments of mpe2's constructors that the batched ports do not implement."""

from __future__ import annotations

# mpe2 argument -> the value the ports implement (anything else needs the original module).
_DEFAULTS: dict[str, object] = {
    "curriculum": False,
    "num_agent_neighbors": None,
    "num_landmark_neighbors": None,
    "benchmark_data": False,
    "dynamic_rescaling": None,  # a rendering option: any value is accepted and ignored
}


def check_unsupported(world: str, kwargs: dict[str, object]) -> None:
    """Raise a one-line ValueError for an argument the port does not take or implement."""
    for key, value in kwargs.items():
        if key not in _DEFAULTS:
            raise ValueError(f"{world}: unknown argument {key}={value!r}")
        if key == "dynamic_rescaling":
            continue
        if value != _DEFAULTS[key]:
            raise ValueError(f"{world}: {key}={value!r} is not in Arena's batched port; "
                             f"use arena.make('mpe2.{world}', {key}={value!r}) for the original")
