"""A fake Unity player: test Unity code paths without Unity.

:class:`FakeUnity` plays the part of a Unity build with the ML-Agents package. It is a gRPC
*client* that connects to the server ``mlagents_envs`` opens (Python is the server, Unity the
client) and speaks the real protocol -- ``UnityToExternalProto.Exchange`` with communication
version 1.5.0 -- over a loopback socket, so everything between :class:`~arena.unity.UnityParallelEnv`
and the wire is the production code. It runs in a background thread::

    from arena.unity import UnityParallelEnv, free_port
    from arena.unity.fake import FakeBehavior, FakeUnity

    port = free_port()
    with FakeUnity(port, [FakeBehavior("Pusher?team=0"), FakeBehavior("Pusher?team=1")],
                   episode_length=10) as unity:
        env = UnityParallelEnv(None, base_port=port)   # None: "the Editor", i.e. whoever connects
        observations, infos = env.reset()
        ...
        env.close()

The fake game (deterministic, so tests can check every number):

* Each behavior has ``agents`` slots; each live slot is an agent with an ML-Agents id. Ids come
  from one counter, as in Unity: an agent keeps its id across episodes and gets a new one only
  when it is re-enabled after dying.
* Vector sensor ``VectorSensor_size<N>``: ``[steps in episode, id, sum of last action, team]``,
  padded with zeros. Visual sensor ``CameraSensor``: every pixel ``(id * 37 % 256) / 255``, sent
  as PNG like a Unity camera (or as raw floats with ``compress_visual=False``).
* Reward per decision: ``0.1 * (sum of the continuous + discrete actions received)``; dying costs
  ``-1``. When a scene episode ends, team 0 gets group reward ``+1``, the others ``-1``.
* Action mask: agents with an odd id may not pick the last choice of any branch.
* ``deaths={step: [(behavior, slot), ...]}`` disables agents that many Unity steps after the
  last reset (a terminal step, then gone); they come back with a new id ``respawn_delay`` steps
  later (0: at the next reset). ``episode_length`` ends every agent's episode together every so
  many steps after the last reset (terminal steps, then the same ids start again); ``max_step``
  interrupts an agent's episode after that many steps (ML-Agents' ``Max Step``: a truncation).
  A behavior with ``appears_at=k`` spawns its agents at the k-th Unity step of the session.

Everything Python sends is recorded: :attr:`FakeUnity.init_input` (seed, versions),
:attr:`FakeUnity.commands`, :attr:`FakeUnity.actions`, :attr:`FakeUnity.engine_settings`,
:attr:`FakeUnity.environment_parameters`, and :attr:`FakeUnity.shut_down` once Python closes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.unity import free_port
from arena.unity.env import UnityParallelEnv, _import_mlagents, split_behavior_name
from arena.unity.errors import UnityPortInUseError

ML_AGENTS_PACKAGE_VERSION = "2.2.1-exp.1"  # the Unity package of ML-Agents release 19


@dataclass(frozen=True)
class FakeBehavior:
    """One behavior of the fake game: its agents, sensors and actions."""

    name: str  # ML-Agents behavior name, e.g. "Striker?team=1"
    agents: int = 2
    vector_size: int = 4  # length of the vector sensor; 0: none
    visual_shape: tuple[int, int, int] | None = None  # (H, W, C) with C = 1 or 3; None: no camera
    compress_visual: bool = True  # PNG like Unity's camera sensor; False: raw floats
    continuous_actions: int = 0
    discrete_branches: tuple[int, ...] = (3,)
    decision_period: int = 1  # a DecisionRequester period: decide every this many Unity steps
    appears_at: int = 0  # Unity step at which this behavior's agents spawn (0: from the start)


@dataclass
class _Slot:
    behavior: FakeBehavior
    index: int
    unity_id: int
    alive: bool = True
    steps: int = 0
    reward: float = 0.0
    last_action_sum: float = 0.0
    respawn_at: int | None = None


@dataclass
class _Report:
    """One AgentInfo to send."""

    slot: _Slot
    done: bool = False
    interrupted: bool = False
    group_reward: float = 0.0


@dataclass
class FakeUnity:
    """A scripted Unity player speaking ML-Agents' gRPC protocol (see the module docstring)."""

    port: int
    behaviors: Sequence[FakeBehavior]
    episode_length: int = 0
    max_step: int = 0
    deaths: Mapping[int, Sequence[tuple[str, int]]] = field(default_factory=dict)
    respawn_delay: int = 2
    communication_version: str = "1.5.0"
    connect_timeout: float = 30.0

    init_input: Any = field(default=None, init=False)
    commands: list[str] = field(default_factory=list, init=False)
    actions: list[dict[str, list[tuple[int, tuple[float, ...], tuple[int, ...]]]]] = field(
        default_factory=list, init=False)
    engine_settings: dict[str, float] = field(default_factory=dict, init=False)
    environment_parameters: dict[str, float] = field(default_factory=dict, init=False)
    shut_down: bool = field(default=False, init=False)
    error: BaseException | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        names = [b.name for b in self.behaviors]
        if len(set(names)) != len(names):
            raise ValueError(f"behavior names must be unique, got {names}")
        self._thread: threading.Thread | None = None
        self._channel: Any = None
        self._step = 0  # Unity steps since the start (the academy's step count)
        self._episode_step = 0  # Unity steps since the last reset
        self._next_id = 0
        self._slots: list[_Slot] = []
        self._unsent_brains = list(names)
        self._requested: dict[str, list[_Slot]] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeUnity:
        """Connect in a background thread (it waits until Python's server listens)."""
        _import_mlagents()
        import grpc

        # Short reconnect backoff: the fake usually starts before Python's server listens, and
        # gRPC's default backoff (1 s and up) would dominate a test's run time.
        self._channel = grpc.insecure_channel(f"localhost:{self.port}", options=[
            ("grpc.initial_reconnect_backoff_ms", 20), ("grpc.min_reconnect_backoff_ms", 20),
            ("grpc.max_reconnect_backoff_ms", 100)])
        self._thread = threading.Thread(target=self._run, name=f"fake-unity-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 5.0) -> None:
        """Give the session ``wait`` seconds to end (Python closing the environment), then hang up."""
        if self._thread is not None:
            self._thread.join(wait)
        if self._channel is not None:
            self._channel.close()
        if self._thread is not None:
            self._thread.join(5.0)

    def __enter__(self) -> FakeUnity:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ protocol

    def _run(self) -> None:
        import grpc
        from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import UnityToExternalProtoStub

        stub = UnityToExternalProtoStub(self._channel)
        try:
            # Unity's RpcCommunicator.Initialize: send the academy parameters, receive Python's
            # initialization input, then send an empty message and receive the first command.
            reply = stub.Exchange(self._message(self._initialization_output()), wait_for_ready=True,
                                  timeout=self.connect_timeout)
            self.init_input = reply.unity_input.rl_initialization_input
            reply = stub.Exchange(self._message(None))
            while reply.header.status == 200:
                output = self._handle(reply.unity_input.rl_input)
                if output is None:
                    break
                reply = stub.Exchange(self._message(output))
            self.shut_down = True
        except grpc.RpcError as exc:
            # A closed channel (stop()) or a server that went away (Python closed): the session
            # is over. Anything else is a real failure the test should see.
            if exc.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE):
                self.error = exc
        except BaseException as exc:  # noqa: BLE001 -- reported to the test through .error
            self.error = exc

    def _message(self, output: Any) -> Any:
        from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto

        message = UnityMessageProto()
        message.header.status = 200
        if output is not None:
            message.unity_output.CopyFrom(output)
        return message

    def _initialization_output(self) -> Any:
        from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto

        output = UnityOutputProto()
        init = output.rl_initialization_output
        init.name = "FakeUnity"
        init.communication_version = self.communication_version
        init.package_version = ML_AGENTS_PACKAGE_VERSION
        for capability in ("baseRLCapabilities", "concatenatedPngObservations", "compressedChannelMapping",
                           "hybridActions", "trainingAnalytics", "variableLengthObservation",
                           "multiAgentGroups"):
            setattr(init.capabilities, capability, True)
        return output

    def _handle(self, rl_input: Any) -> Any:
        from mlagents_envs.communicator_objects.command_pb2 import QUIT, RESET

        self._read_side_channels(bytes(rl_input.side_channel))
        if rl_input.command == QUIT:
            return None
        if rl_input.command == RESET:
            self.commands.append("reset")
            reports = self._reset()
        else:
            self.commands.append("step")
            reports = self._advance(rl_input.agent_actions)
        return self._output(reports)

    def _read_side_channels(self, data: bytes) -> None:
        import struct
        import uuid

        from mlagents_envs.side_channel import IncomingMessage

        engine = uuid.UUID("e951342c-4f7e-11ea-b238-784f4387d1f7")
        parameters = uuid.UUID("534c891e-810f-11ea-a9d0-822485860400")
        names = {1: "quality_level", 3: "target_frame_rate", 4: "capture_frame_rate"}
        offset = 0
        while offset < len(data):
            channel = uuid.UUID(bytes_le=data[offset:offset + 16])
            (length,) = struct.unpack_from("<i", data, offset + 16)
            message = IncomingMessage(data[offset + 20:offset + 20 + length])
            offset += 20 + length
            if channel == engine:
                kind = message.read_int32()
                if kind == 0:  # screen resolution
                    self.engine_settings["width"] = message.read_int32()
                    self.engine_settings["height"] = message.read_int32()
                elif kind == 2:
                    self.engine_settings["time_scale"] = message.read_float32()
                else:
                    self.engine_settings[names.get(kind, str(kind))] = message.read_int32()
            elif channel == parameters:
                key = message.read_string()
                if message.read_int32() == 0:  # a plain float (1 would be a sampler)
                    self.environment_parameters[key] = message.read_float32()

    # ------------------------------------------------------------------ the game

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _reset(self) -> list[_Report]:
        """Academy reset: every agent starts a new episode; dead ones come back with new ids."""
        if not self._slots:
            self._slots = [_Slot(b, i, self._new_id(), alive=b.appears_at <= self._step)
                           for b in self.behaviors for i in range(b.agents)]
        self._episode_step = 0
        for slot in self._slots:
            if not slot.alive and slot.behavior.appears_at <= self._step:
                slot.alive, slot.unity_id = True, self._new_id()
            slot.steps, slot.reward, slot.last_action_sum, slot.respawn_at = 0, 0.0, 0.0, None
        return [_Report(s) for s in self._slots if s.alive]

    def _advance(self, agent_actions: Any) -> list[_Report]:
        """One Unity (academy) step: act, move time on, kill, revive, end episodes."""
        record: dict[str, list[tuple[int, tuple[float, ...], tuple[int, ...]]]] = {}
        for behavior_name, slots in self._requested.items():
            received = list(agent_actions[behavior_name].value) if behavior_name in agent_actions else []
            for slot, action in zip(slots, received):
                continuous = tuple(float(x) for x in action.continuous_actions)
                discrete = tuple(int(x) for x in action.discrete_actions)
                slot.last_action_sum = float(sum(continuous) + sum(discrete))
                slot.reward += 0.1 * slot.last_action_sum
                record.setdefault(behavior_name, []).append((slot.unity_id, continuous, discrete))
        self.actions.append(record)

        self._step += 1
        self._episode_step += 1
        reports: list[_Report] = []
        by_key = {(s.behavior.name, s.index): s for s in self._slots}
        for slot in self._slots:
            if slot.alive:
                slot.steps += 1
            elif slot.respawn_at == self._step or (slot.respawn_at is None and slot.behavior.appears_at == self._step):
                slot.alive, slot.unity_id, slot.steps, slot.respawn_at = True, self._new_id(), 0, None
                slot.reward = slot.last_action_sum = 0.0
        for behavior_name, index in self.deaths.get(self._episode_step, ()):
            slot = by_key[(behavior_name, index)]
            if slot.alive:  # OnDisable: a terminal step, then the agent is gone
                slot.reward -= 1.0
                reports.append(_Report(slot, done=True))
                slot.alive = False
                slot.respawn_at = self._step + self.respawn_delay if self.respawn_delay else -1
        if self.episode_length and self._episode_step % self.episode_length == 0:
            for slot in self._slots:  # EndEpisode on everyone, as a scene-level game over does
                if slot.alive:
                    _, team = split_behavior_name(slot.behavior.name)
                    reports.append(_Report(slot, done=True, group_reward=1.0 if team == 0 else -1.0))
                    slot.steps, slot.last_action_sum = 0, 0.0
        elif self.max_step:
            for slot in self._slots:
                if slot.alive and slot.steps >= self.max_step:
                    reports.append(_Report(slot, done=True, interrupted=True))
                    slot.steps, slot.last_action_sum = 0, 0.0
        for slot in self._slots:
            if slot.alive and self._step % slot.behavior.decision_period == 0:
                reports.append(_Report(slot))
        return reports

    # ------------------------------------------------------------------ messages

    def _output(self, reports: list[_Report]) -> Any:
        from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto

        output = UnityOutputProto()
        present = {r.slot.behavior.name for r in reports}
        for behavior in self.behaviors:  # brain parameters go out with a behavior's first agents
            if behavior.name in present and behavior.name in self._unsent_brains:
                self._unsent_brains.remove(behavior.name)
                self._brain_parameters(behavior, output.rl_initialization_output.brain_parameters.add())
        self._requested = {}
        for report in reports:
            infos = output.rl_output.agentInfos[report.slot.behavior.name].value
            infos.append(self._agent_info(report))
            if not report.done:
                self._requested.setdefault(report.slot.behavior.name, []).append(report.slot)
            report.slot.reward = 0.0  # rewards are paid once, with the next AgentInfo
        return output

    @staticmethod
    def _brain_parameters(behavior: FakeBehavior, brain: Any) -> None:
        brain.brain_name = behavior.name
        brain.is_training = True
        brain.action_spec.num_continuous_actions = behavior.continuous_actions
        brain.action_spec.num_discrete_actions = len(behavior.discrete_branches)
        brain.action_spec.discrete_branch_sizes.extend(behavior.discrete_branches)

    def _agent_info(self, report: _Report) -> Any:
        from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto

        slot, behavior = report.slot, report.slot.behavior
        _, team = split_behavior_name(behavior.name)
        info = AgentInfoProto()
        info.id = slot.unity_id
        info.reward = slot.reward
        info.done = report.done
        info.max_step_reached = report.interrupted
        info.group_id = team + 1
        info.group_reward = report.group_reward
        if behavior.discrete_branches and not report.done:
            blocked = slot.unity_id % 2 == 1
            for size in behavior.discrete_branches:
                info.action_mask.extend([blocked and choice == size - 1 for choice in range(size)])
        if behavior.visual_shape is not None:
            self._visual_observation(behavior, slot, info.observations.add())
        if behavior.vector_size:
            self._vector_observation(behavior, slot, team, info.observations.add())
        return info

    @staticmethod
    def _vector_observation(behavior: FakeBehavior, slot: _Slot, team: int, observation: Any) -> None:
        values = np.zeros(behavior.vector_size, dtype=np.float32)
        head = [slot.steps, slot.unity_id, slot.last_action_sum, team]
        values[:min(4, behavior.vector_size)] = head[:behavior.vector_size]
        observation.name = f"VectorSensor_size{behavior.vector_size}"
        observation.shape.extend([behavior.vector_size])
        observation.dimension_properties.extend([1])  # NONE
        observation.float_data.data.extend(values.tolist())

    @staticmethod
    def _visual_observation(behavior: FakeBehavior, slot: _Slot, observation: Any) -> None:
        from mlagents_envs.communicator_objects.observation_pb2 import PNG
        from PIL import Image

        height, width, channels = behavior.visual_shape  # type: ignore[misc]
        if channels not in (1, 3):
            raise ValueError(f"visual_shape {behavior.visual_shape}: use 1 (grey) or 3 (RGB) channels")
        level = slot.unity_id * 37 % 256
        observation.name = "CameraSensor"
        observation.shape.extend([height, width, channels])
        observation.dimension_properties.extend([2, 2, 1])  # translational equivariance on H and W
        if behavior.compress_visual:
            # Unity always writes RGB PNGs; a grey camera says so with the channel mapping.
            pixels = np.full((height, width, 3), level, dtype=np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
            observation.compression_type = PNG
            observation.compressed_data = buffer.getvalue()
            observation.compressed_channel_mapping.extend([0, 1, 2] if channels == 3 else [0, 0, 0])
        else:
            observation.float_data.data.extend([level / 255.0] * (height * width * channels))


@contextmanager
def fake_unity_env(behaviors: Sequence[FakeBehavior], *, episode_length: int = 0, max_step: int = 0,
                   deaths: Mapping[int, Sequence[tuple[str, int]]] | None = None, respawn_delay: int = 2,
                   communication_version: str = "1.5.0",
                   **env_kwargs: Any) -> Iterator[tuple[UnityParallelEnv, FakeUnity]]:
    """A :class:`UnityParallelEnv` connected to a :class:`FakeUnity` on a free loopback port.

    ``env_kwargs`` go to :class:`UnityParallelEnv`. On exit the environment is closed, the fake
    hangs up, and any error inside the fake (a protocol violation) is raised.
    """
    for attempt in range(3):
        port = free_port()
        fake = FakeUnity(port, behaviors, episode_length=episode_length, max_step=max_step,
                         deaths=dict(deaths or {}), respawn_delay=respawn_delay,
                         communication_version=communication_version).start()
        try:
            env = UnityParallelEnv(None, base_port=port, **{"timeout_wait": 30, **env_kwargs})
            break
        except UnityPortInUseError:
            # Another program took the port between free_port() and the bind: pick another.
            fake.stop(wait=0.0)
            if attempt == 2:
                raise
        except BaseException:
            fake.stop(wait=0.0)
            raise
    try:
        yield env, fake
    finally:
        env.close()
        fake.stop()
    if fake.error is not None:
        raise fake.error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake as a stand-in Unity *build*: ``python -m arena.unity.fake --mlagents-port N``.

    ML-Agents launches a build as ``<build> [-nographics -batchmode] --mlagents-port N [args]``;
    a two-line shell script that execs this module is therefore a "build" that
    ``UnityParallelEnv("path/to/script")`` can launch, which tests the launch and shutdown path
    without Unity. Unity's own flags (``-nographics``, ``-logFile``...) are accepted and ignored;
    ``--record FILE`` writes the command line received, as JSON, for tests to inspect.
    """
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(prog="python -m arena.unity.fake", description=main.__doc__)
    parser.add_argument("--mlagents-port", type=int, required=True)
    parser.add_argument("--behavior", action="append", default=[],
                        help="behavior name (repeatable; default: Pusher?team=0 and Pusher?team=1)")
    parser.add_argument("--agents", type=int, default=2, help="agents per behavior")
    parser.add_argument("--episode-length", type=int, default=8)
    parser.add_argument("--record", help="write the received command line to this JSON file")
    args, unity_flags = parser.parse_known_args(argv)
    raw = list(sys.argv[1:] if argv is None else argv)
    if args.record:
        with open(args.record, "w", encoding="utf-8") as handle:
            json.dump({"argv": raw, "unity_flags": unity_flags}, handle)
    names = args.behavior or ["Pusher?team=0", "Pusher?team=1"]
    fake = FakeUnity(args.mlagents_port, [FakeBehavior(n, agents=args.agents) for n in names],
                     episode_length=args.episode_length).start()
    fake.stop(wait=24 * 3600.0)  # until Python closes the environment
    if fake.error is not None:
        print(f"fake unity: {fake.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
