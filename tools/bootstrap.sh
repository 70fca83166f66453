#!/usr/bin/env bash
# Set up Arena in ./.venv (first run only) and run the main job or the tests.
#
#   bash tools/bootstrap.sh demo   # the main job: a quick self-play league with a ratings table
#   bash tools/bootstrap.sh test   # the whole test suite
#   bash tools/bootstrap.sh setup  # only install
#
# Torch: on a machine without an NVIDIA GPU the CPU build is installed (from a local wheel
# directory when the machine has one, else from the PyTorch CPU index), so no multi-GB CUDA
# build is pulled in. With a GPU, the default (CUDA) build from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${ARENA_VENV:-.venv}
TORCH_VERSION=${ARENA_TORCH_VERSION:-2.13.0}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bootstrap: Arena needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1)); set PYTHON=python3.11" >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1

stamp="$VENV/.arena-install-stamp"
want=$(cat pyproject.toml tools/bootstrap.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if ! python -c 'import torch' 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      echo "bootstrap: NVIDIA GPU found: installing the CUDA build of torch" >&2
      python -m pip install "torch>=2.2,<3"
    elif ls /opt/wheels/torch-"$TORCH_VERSION"+cpu-*.whl >/dev/null 2>&1; then
      echo "bootstrap: no GPU: installing the CPU build of torch $TORCH_VERSION from /opt/wheels" >&2
      python -m pip install -q --find-links /opt/wheels "torch==$TORCH_VERSION" 2>&1 \
        | grep -vE "^WARNING: Location .* is ignored" || true
      python -W ignore -c 'import torch' || { echo "bootstrap: torch install failed" >&2; exit 1; }
    else
      echo "bootstrap: no GPU: installing the CPU build of torch" >&2
      python -m pip install -q "torch>=2.2,<3" --index-url https://download.pytorch.org/whl/cpu
    fi
  fi
  echo "bootstrap: installing arena-league and its dependencies" >&2
  python -m pip install -q -e ".[dev,bench,unity,distributed]" 2>&1 | grep -vE "^WARNING: Location .* is ignored" || true
  python -c 'import arena, torch, pettingzoo, numba' || { echo "bootstrap: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

case "${1:-demo}" in
  demo)
    shift || true
    # A fresh league directory per run, so the demo can be run again and again (a later --out wins).
    exec arena league run leagues/recipes/quick_connect_four.yaml \
      --out "runs/quick_connect_four-$(date +%Y%m%d-%H%M%S)" "$@"
    ;;
  test)
    shift || true
    exec python -m pytest -q "$@"
    ;;
  setup)
    echo "bootstrap: ready: source $VENV/bin/activate, then run arena --help" >&2
    ;;
  *)
    echo "usage: bash tools/bootstrap.sh [demo|test|setup] [extra args]" >&2
    exit 2
    ;;
esac
