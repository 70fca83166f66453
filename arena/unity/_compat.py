"""Make ``mlagents_envs==0.28.0`` importable next to today's protobuf, numpy and Python.

mlagents-envs 0.28.0 is the newest release that installs on Python >= 3.11, and it shows its age
in two places. Both are handled here, before the first ``import mlagents_envs``, without touching
the installed files:

* **Generated protobuf code.** Its ``communicator_objects/*_pb2.py`` were written by protoc 3.5
  and build descriptors by hand, which protobuf >= 4 refuses ("Descriptors cannot be created
  directly"); with protobuf 3.20.x they still load. Pinning protobuf 3.20 would break every
  package built against a newer one (TensorBoard 2.21 needs protobuf >= 6.31), so instead, when
  the installed protobuf is 4 or newer, each ``*_pb2`` module is rebuilt from the serialized
  ``FileDescriptorProto`` that the old file carries (read with :mod:`ast`, never executed), using
  the same ``builder`` calls that current protoc output uses, and put in :data:`sys.modules` under
  its usual name. The wire format is untouched: the messages are defined by the same descriptors.
* **distutils.** ``mlagents_envs.environment`` imports ``distutils.version.StrictVersion``, gone
  from the standard library since Python 3.12; a minimal stand-in is registered when needed.

(numpy 2 needs nothing: the ``np.bool`` alias that mlagents-envs uses exists again in numpy 2.)
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import types
from pathlib import Path

_PACKAGE = "mlagents_envs.communicator_objects"
_installed = False


class MLAgentsNotInstalledError(ImportError):
    """mlagents-envs is missing: the ``unity`` extra was not installed."""


def _protobuf_major() -> int:
    import google.protobuf

    return int(google.protobuf.__version__.split(".")[0])


def _serialized_descriptor(source_file: Path) -> bytes:
    """The ``serialized_pb`` argument of the ``FileDescriptor(...)`` call in an old ``*_pb2.py``.

    protoc 3.5 wrote it as ``_b('...')`` (a latin-1 str turned into bytes) or as a bytes literal.
    """
    tree = ast.parse(source_file.read_text(encoding="utf-8"), filename=str(source_file))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "FileDescriptor"):
            continue
        for keyword in node.keywords:
            if keyword.arg != "serialized_pb":
                continue
            value = keyword.value
            if isinstance(value, ast.Call) and len(value.args) == 1:  # _b('...')
                value = value.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, bytes):
                return value.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value.encode("latin-1")
    raise ImportError(f"no serialized FileDescriptor found in {source_file}")


def _rebuild_communicator_objects(package_dir: Path) -> None:
    """Register modern ``*_pb2`` modules for every old generated file in ``package_dir``."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.internal import builder

    files: dict[str, tuple[str, bytes, list[str]]] = {}  # proto file name -> (module, bytes, deps)
    for source in sorted(package_dir.glob("*_pb2.py")):
        serialized = _serialized_descriptor(source)
        proto = descriptor_pb2.FileDescriptorProto.FromString(serialized)
        files[proto.name] = (f"{_PACKAGE}.{source.stem}", serialized, list(proto.dependency))

    pool = descriptor_pool.Default()
    package = importlib.import_module(_PACKAGE)
    done: set[str] = set()

    def add(proto_name: str) -> None:
        # Dependencies first: the pool resolves type names across files when a file is added.
        if proto_name in done:
            return
        module_name, serialized, dependencies = files[proto_name]
        for dependency in dependencies:
            if dependency in files:
                add(dependency)
        file_descriptor = pool.AddSerializedFile(serialized)
        if not hasattr(file_descriptor, "message_types_by_name"):  # older pools return None
            file_descriptor = pool.FindFileByName(proto_name)
        module = types.ModuleType(module_name)
        module.__dict__["DESCRIPTOR"] = file_descriptor
        builder.BuildMessageAndEnumDescriptors(file_descriptor, module.__dict__)
        builder.BuildTopDescriptorsAndMessages(file_descriptor, module_name, module.__dict__)
        sys.modules[module_name] = module
        setattr(package, module_name.rsplit(".", 1)[1], module)
        done.add(proto_name)

    for proto_name in files:
        add(proto_name)


class _StrictVersion:
    """The part of ``distutils.version.StrictVersion`` that mlagents-envs uses: ``.version``."""

    _pattern = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")

    def __init__(self, text: str) -> None:
        match = self._pattern.match(text.strip())
        if match is None:
            raise ValueError(f"invalid version number '{text}'")
        self.version = tuple(int(part or 0) for part in match.groups())


def _ensure_strict_version() -> None:
    try:
        from distutils.version import StrictVersion  # noqa: F401
        return
    except ImportError:
        pass
    distutils = sys.modules.get("distutils") or types.ModuleType("distutils")
    version = types.ModuleType("distutils.version")
    version.__dict__["StrictVersion"] = _StrictVersion
    distutils.__dict__["version"] = version
    sys.modules.setdefault("distutils", distutils)
    sys.modules["distutils.version"] = version


def install() -> None:
    """Prepare the interpreter for ``import mlagents_envs`` (idempotent).

    Raises :class:`MLAgentsNotInstalledError` with the install command when it is missing.
    """
    global _installed
    if _installed:
        return
    spec = importlib.util.find_spec("mlagents_envs")
    if spec is None or spec.submodule_search_locations is None:
        raise MLAgentsNotInstalledError(
            "Unity support needs mlagents-envs: pip install 'arena-league[unity]' "
            "(or: pip install mlagents-envs==0.28.0)")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # distutils on 3.11
        _ensure_strict_version()
    already_loaded = f"{_PACKAGE}.unity_message_pb2" in sys.modules
    if _protobuf_major() >= 4 and not already_loaded:
        package_dir = Path(next(iter(spec.submodule_search_locations))) / "communicator_objects"
        _rebuild_communicator_objects(package_dir)
    _installed = True
