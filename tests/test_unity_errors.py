"""Clear one-line errors from the Unity bridge: missing build, taken port, version mismatch,
no answer, missing extra, bad arguments."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("mlagents_envs", reason="the unity extra is not installed: pip install -e '.[unity]'")

# A protocol bug would otherwise hang on a socket: fail instead.
pytestmark = pytest.mark.timeout(120)

import arena  # noqa: E402
from arena.unity import (  # noqa: E402
    UnityBuildNotFoundError,
    UnityNotInstalledError,
    UnityParallelEnv,
    UnityPortInUseError,
    UnityTimeoutError,
    UnityVersionMismatchError,
    free_port,
)
from arena.unity.fake import FakeBehavior, fake_unity_env  # noqa: E402


def test_missing_build(tmp_path) -> None:
    missing = tmp_path / "builds" / "Soccer.x86_64"
    with pytest.raises(UnityBuildNotFoundError, match=r"Unity build '.*Soccer.x86_64' not found") as caught:
        UnityParallelEnv(missing)
    assert isinstance(caught.value, FileNotFoundError) and "\n" not in str(caught.value)
    with pytest.raises(FileNotFoundError, match="not found"):
        arena.make(f"unity:{missing}")


def test_port_in_use() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("localhost", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(UnityPortInUseError, match=f"port {port} is in use.*worker_id or base_port"):
            UnityParallelEnv(None, base_port=port, timeout_wait=5)


@pytest.mark.parametrize("unity_version", ["2.0.0", "0.15.0"])
def test_communication_version_mismatch(unity_version: str) -> None:
    with pytest.raises(UnityVersionMismatchError) as caught:
        with fake_unity_env([FakeBehavior("Runner")], communication_version=unity_version):
            pass
    message = str(caught.value)
    assert unity_version in message and "1.5.0" in message and "\n" not in message


def test_no_unity_connects() -> None:
    with pytest.raises(UnityTimeoutError, match=r"no Unity player connected on port \d+ within 1 s.*Editor"):
        UnityParallelEnv(None, base_port=free_port(), timeout_wait=1)


def test_unity_stops_answering() -> None:
    with fake_unity_env([FakeBehavior("Runner", agents=1)], timeout_wait=1) as (env, fake):
        env.reset()
        fake.stop(wait=0.0)  # the player vanishes without saying goodbye
        with pytest.raises(UnityTimeoutError, match="Unity stopped answering"):
            for _ in range(3):
                env.step({"Runner/1": 0})


def test_mlagents_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from arena.unity import _compat

    real_find_spec = _compat.importlib.util.find_spec
    monkeypatch.setattr(_compat, "_installed", False)
    monkeypatch.setattr(_compat.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlagents_envs" else real_find_spec(name, *a))
    with pytest.raises(UnityNotInstalledError, match=r"pip install 'arena-league\[unity\]'"):
        UnityParallelEnv(None)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="give both"):
        UnityParallelEnv(None, width=84)
    with pytest.raises(ValueError, match="observation_format"):
        UnityParallelEnv(None, observation_format="flat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agent_names"):
        UnityParallelEnv(None, agent_names="slot")  # type: ignore[arg-type]


def test_protobuf_and_distutils_shims() -> None:
    from pathlib import Path

    import mlagents_envs
    from google.protobuf import descriptor_pb2

    from arena.unity._compat import _serialized_descriptor, _StrictVersion

    source = Path(mlagents_envs.__file__).parent / "communicator_objects" / "unity_message_pb2.py"
    proto = descriptor_pb2.FileDescriptorProto.FromString(_serialized_descriptor(source))
    assert proto.name == "mlagents_envs/communicator_objects/unity_message.proto"
    assert [m.name for m in proto.message_type] == ["UnityMessageProto"]
    assert _StrictVersion("1.5.0").version == (1, 5, 0) and _StrictVersion("2.1").version == (2, 1, 0)
    with pytest.raises(ValueError):
        _StrictVersion("1.5.0-preview")
