"""The policy-value network, its input planes, its loss, and the evaluator the search calls.

Input: ``[B, P, H, W]`` planes built from the game's public protocol -- the ``C`` channels of
``game.observation(state, to_play)`` (for the m,n,k games: the player to move's stones and the
opponent's), a plane marking the last move when the state keeps a ``last_move`` field (a flat cell
index; passes and other non-cell moves mark nothing), and a constant plane that is 1 when the first
player is to move. ``P = C + 1 + [state has last_move]``: 4 for the m,n,k games.
Output: policy logits ``[B, A]`` and a value ``[B]`` in [-1, 1] for the player to move.
Loss (SPEC section 3): ``l = (z - v)^2 - pi^T log p + c * ||theta||^2``.
With ``reply_head`` the network also predicts the opponent's reply policy (KataGo's auxiliary
target): ``forward_with_reply`` adds ``reply_logits[B, A]``, trained on the search policy of the
position after the move played; play and search use ``forward`` and never see it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NUM_PLANES = 4  # input planes of the m,n,k games (see input_planes for any game)


def _has_last_move(game: Any) -> bool:
    cached = getattr(game, "_arena_has_last_move", None)
    if cached is None:
        cached = hasattr(game.initial_state(1), "last_move")
        try:
            game._arena_has_last_move = cached
        except AttributeError:
            pass
    return bool(cached)


def input_planes(game: Any) -> int:
    """Number of network input planes for ``game`` (see the module docstring)."""
    return int(game.observation_shape[2]) + 1 + int(_has_last_move(game))


def check_network_game(game: Any) -> None:
    """A one-line ``ValueError`` unless ``game`` has ``(H, W, C)`` observation planes, which the
    ResNet's convolutions need."""
    shape = tuple(getattr(game, "observation_shape", ()))
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{getattr(game, 'name', game)!r} has observations of shape {shape}; AlphaZero's "
                         "convolutional network needs (H, W, C) planes")


def encode_planes(game: Any, states: Any) -> np.ndarray:
    """``[B, P, H, W]`` float32 network input for a batch of states (see the module docstring)."""
    to_play = np.asarray(states.to_play).astype(np.int64)
    obs = np.asarray(game.observation(states, to_play))  # [B, H, W, C] from the mover's point of view
    B, H, W, C = obs.shape
    planes = np.zeros((B, input_planes(game), H, W), dtype=np.float32)
    planes[:, :C] = np.moveaxis(obs, -1, 1)
    if _has_last_move(game):
        last = np.asarray(states.last_move).astype(np.int64)
        has_last = np.flatnonzero((last >= 0) & (last < H * W))
        planes[has_last, C, last[has_last] // W, last[has_last] % W] = 1.0
    planes[:, -1] = (to_play == 0).astype(np.float32)[:, None, None]
    return planes


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class PolicyValueNet(nn.Module):
    """ResNet trunk (``blocks`` residual blocks of ``channels``) with a policy and a value head.

    ``forward(planes[B, P, H, W]) -> (logits[B, A], value[B])``.
    """

    def __init__(self, height: int, width: int, num_actions: int, *, blocks: int = 2, channels: int = 32,
                 value_hidden: int = 64, in_planes: int = NUM_PLANES, reply_head: bool = False) -> None:
        super().__init__()
        self.height, self.width, self.num_actions, self.in_planes = height, width, num_actions, in_planes
        self.stem = nn.Sequential(nn.Conv2d(in_planes, channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels), nn.ReLU())
        self.trunk = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.policy_head = self._policy_head(channels, height, width, num_actions)
        # The opponent's reply policy (auxiliary target, training only); None without it.
        self.reply_head = self._policy_head(channels, height, width, num_actions) if reply_head else None
        self.value_head = nn.Sequential(nn.Conv2d(channels, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU(),
                                        nn.Flatten(), nn.Linear(height * width, value_hidden), nn.ReLU(),
                                        nn.Linear(value_hidden, 1), nn.Tanh())

    @staticmethod
    def _policy_head(channels: int, height: int, width: int, num_actions: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(channels, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU(),
                             nn.Flatten(), nn.Linear(2 * height * width, num_actions))

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.trunk(self.stem(planes))
        return self.policy_head(x), self.value_head(x).squeeze(-1)

    def forward_with_reply(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(logits, value, reply_logits)``; ``reply_logits`` is None without a reply head."""
        x = self.trunk(self.stem(planes))
        reply = self.reply_head(x) if self.reply_head is not None else None
        return self.policy_head(x), self.value_head(x).squeeze(-1), reply


def build_network(game: Any, blocks: int, channels: int, value_hidden: int = 64, *,
                  reply_head: bool = False) -> PolicyValueNet:
    """The network for any turn-based game: its board is the observation's ``H x W``."""
    check_network_game(game)
    rows, cols = int(game.observation_shape[0]), int(game.observation_shape[1])
    return PolicyValueNet(rows, cols, game.num_actions, blocks=blocks, channels=channels,
                          value_hidden=value_hidden, in_planes=input_planes(game), reply_head=reply_head)


def alphazero_loss(logits: torch.Tensor, value: torch.Tensor, target_pi: torch.Tensor, target_z: torch.Tensor,
                   model: nn.Module | None = None, l2: float = 0.0, *, reply_logits: torch.Tensor | None = None,
                   target_next: torch.Tensor | None = None, has_next: torch.Tensor | None = None,
                   reply_weight: float = 0.0) -> tuple[torch.Tensor, dict[str, float]]:
    """``(z - v)^2 - pi^T log p + c ||theta||^2`` averaged over the batch.

    ``logits[B, A]``, ``value[B]``, ``target_pi[B, A]`` (visit shares), ``target_z[B]`` (+1/0/-1 for
    the player to move). The L2 term sums the squares of all weights of ``model`` (the book puts
    it on every parameter). With ``reply_weight > 0`` it adds ``reply_weight`` times the
    cross-entropy of ``reply_logits`` against ``target_next`` (the opponent's reply policy),
    averaged over the positions with ``has_next`` (the game went on after the move). Returns the
    loss and its parts as floats.
    """
    value_loss = F.mse_loss(value.float(), target_z.float())
    log_p = F.log_softmax(logits.float(), dim=1)
    policy_loss = -(target_pi * log_p).sum(dim=1).mean()
    loss = value_loss + policy_loss
    parts: dict[str, float] = {}
    if reply_weight > 0 and reply_logits is not None and target_next is not None and has_next is not None:
        log_q = F.log_softmax(reply_logits.float(), dim=1)
        mask = has_next.float()
        reply_loss = -((target_next * log_q).sum(dim=1) * mask).sum() / mask.sum().clamp(min=1.0)
        loss = loss + reply_weight * reply_loss
        parts["reply_loss"] = float(reply_loss.detach())
    l2_term = torch.zeros((), device=logits.device)
    if model is not None and l2 > 0:
        l2_term = l2 * sum((p.float() ** 2).sum() for p in model.parameters())
        loss = loss + l2_term
    with torch.no_grad():
        entropy = -(log_p.exp() * log_p).sum(dim=1).mean()
    return loss, {"loss": float(loss.detach()), "value_loss": float(value_loss.detach()),
                  "policy_loss": float(policy_loss.detach()), "l2": float(l2_term.detach()),
                  "entropy": float(entropy), **parts}


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; a clear error when CUDA is asked but absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device '{name}' was requested but torch sees no CUDA GPU: use --device cpu")
    return torch.device(name)


def freeze_for_inference(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """A TorchScript-frozen copy of ``model`` for CPU inference: batch norm folded into the
    convolutions and the Python module overhead gone (about 1.5-4x faster for small nets and
    batches). It is a snapshot: later training does not change it. Falls back to ``model``."""
    try:
        with torch.no_grad():
            return torch.jit.freeze(torch.jit.trace(model.eval(), example, check_trace=False))
    except Exception:  # tracing is an optimisation only; eager mode gives the same numbers
        return model


class NetworkEvaluator:
    """The search's evaluator: ``(states, legal[L, A]) -> (prior[L, A], value[L])`` with ONE
    forward pass of ``model`` over all ``L`` leaves (in eval mode, no autograd).

    ``freeze=True`` (CPU only) evaluates a frozen snapshot of the weights taken now
    (:func:`freeze_for_inference`); create a new evaluator after training the model.
    """

    def __init__(self, game: Any, model: PolicyValueNet, device: torch.device | str = "cpu", *,
                 amp: bool = False, freeze: bool = True, threads: int | None = None) -> None:
        self.game = game
        # CPU threads for each forward pass (None: leave torch's setting). Small batches gain
        # nothing from more threads, and on a busy machine spinning intra-op threads can make a
        # forward pass of 8 leaves 40x slower, so the single-game bot asks for 1.
        self.threads = threads
        self.device = torch.device(device)
        self.model = model.eval()  # the trainer puts it back to eval after each training phase
        if freeze and self.device.type == "cpu":
            rows, cols = int(game.observation_shape[0]), int(game.observation_shape[1])
            self.model = freeze_for_inference(model, torch.zeros(2, input_planes(game), rows, cols))
        self.amp = bool(amp) and self.device.type == "cuda"
        self.calls = 0
        self.positions = 0

    @torch.inference_mode()
    def infer(self, planes: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors and values for encoded ``planes[L, P, H, W]``."""
        x = torch.from_numpy(planes).to(self.device, non_blocking=True)
        previous_threads = torch.get_num_threads()
        if self.threads is not None and self.device.type == "cpu":
            torch.set_num_threads(self.threads)
        try:
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                logits, value = self.model(x)
        finally:
            if self.threads is not None and self.device.type == "cpu":
                torch.set_num_threads(previous_threads)
        mask = torch.from_numpy(legal).to(self.device)
        logits = logits.float().masked_fill(~mask, -1e9)
        prior = torch.softmax(logits, dim=1)
        self.calls += 1
        self.positions += planes.shape[0]
        return prior.cpu().numpy(), value.float().cpu().numpy()

    def __call__(self, states: Any, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.infer(encode_planes(self.game, states), legal)
