"""Process and cluster plumbing shared by everything that runs work in other processes (the
league's game workers and Ray backend, AlphaZero's self-play actors): thread budgets, the
parent-death watch, and connecting to Ray (install hint, token authentication, address probe).

Ray is imported lazily: nothing here needs it until :func:`import_ray` is called.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
RAY_INSTALL_HINT = "pip install 'arena-league[distributed]' (in a checkout: pip install -e '.[distributed]')"


# ------------------------------------------------------------------------------------ threads
def available_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def thread_environment(threads: int) -> dict[str, str]:
    """The environment variables that give a new process ``threads`` threads per numeric library."""
    return dict.fromkeys(THREAD_VARIABLES, str(max(1, int(threads))))


def set_process_threads(threads: int) -> None:
    """Use ``threads`` threads in this process for torch (intra-op) and numba (parallel loops).

    BLAS/OpenMP pools read their variables at start-up: :func:`thread_environment` sets them for
    processes before they start."""
    import torch

    threads = max(1, int(threads))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except (ImportError, ValueError):  # numba absent, or its pool was sized smaller at start-up
        pass


@contextmanager
def quiet_children(threads: int) -> Iterator[None]:
    """While child processes start: their thread variables set to ``threads`` (BLAS/OpenMP read
    them at start-up) and Ctrl-C ignored (an ignored signal stays ignored across exec, so a Ctrl-C
    while a child imports prints no traceback; the parent handles it). Both restored after; the
    signal only from the main thread."""
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    os.environ.update(thread_environment(threads))
    in_main = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
    try:
        yield
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies (kill -9 included): a watch thread polls the parent's
    pid, since a dead parent's children are re-parented."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="arena-parent-watch", daemon=True).start()


# ---------------------------------------------------------------------------------------- Ray
def import_ray(error: type[Exception] = ValueError) -> Any:
    """The ``ray`` module, or ``error`` with one line naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise error(f"--backend ray needs Ray, which is not installed: {RAY_INSTALL_HINT}") from None
    return ray


def ray_token_auth_for(address: str | None) -> None:
    """Send this machine's Ray token (``~/.ray/auth_token``), when it has one, to a cluster named by
    HOST:PORT.

    Ray turns token authentication on for a cluster started on a machine that holds a token
    (written by the first private instance) and joins such a cluster by itself through ``auto``,
    but not through an explicit address. A token sent to a cluster without authentication is
    ignored, so sending it whenever there is one is safe; an explicit ``RAY_AUTH_MODE`` is left
    alone."""
    if address in (None, "auto", "local") or "RAY_AUTH_MODE" in os.environ:
        return
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    if not (os.environ.get("RAY_AUTH_TOKEN") or token_file.expanduser().is_file()):
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    if "ray" in sys.modules:  # Ray caches its configuration at import: refresh it
        try:
            from ray._raylet import Config

            Config.initialize("")
        except (ImportError, AttributeError):
            pass


def probe_ray_address(address: str, timeout: float = 10.0) -> None:
    """Fail in seconds on a head node that does not answer (Ray itself retries for minutes):
    ``ValueError`` for an address that is not ``auto`` or ``HOST:PORT``, ``ConnectionError`` when
    nothing answers there."""
    if address == "auto" or address.startswith(("ray://", "local")):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--address must be auto or HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc.strerror or exc})") from None


def ray_init(ray: Any, address: str | None, error: type[Exception]) -> bool:
    """Connect this process to Ray: a new private instance on this machine's free cores
    (``address`` None) or the cluster at ``address`` (``auto`` or ``HOST:PORT``, probed first so a
    silent head fails in seconds). Returns False when the process was already connected (a test,
    a notebook: the caller then must not shut Ray down), True when it connected now. Failures are
    ``error`` with one line naming what was tried."""
    import logging

    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR, "configure_logging": True}
    where = "a new local Ray instance" if address is None else f"the Ray cluster at {address}"
    try:
        if address is None:
            ray.init(address="local", num_cpus=available_cores(), include_dashboard=False, **options)
        else:
            probe_ray_address(address)
            ray.init(address=address, **options)
    except ValueError as exc:
        if address is not None and str(exc).startswith("--address"):
            raise error(str(exc)) from None
        raise error(f"cannot start or reach {where}: {_first_line(exc)}") from None
    except (ConnectionError, RuntimeError) as exc:
        raise error(f"cannot start or reach {where}: {_first_line(exc)}") from None
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
