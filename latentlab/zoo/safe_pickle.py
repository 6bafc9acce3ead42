"""Read NVIDIA's network pickles (``.pkl``) without executing code from them.

NVIDIA's StyleGAN2 files are plain Python pickles. Loading them with :func:`pickle.load` (as the
official ``legacy.load_network_pkl`` does) imports ``torch_utils.persistence`` and *executes the
Python source stored in the file* (``module_src``) to rebuild each network class, so a
tampered file runs arbitrary code. This module never does that:

- :class:`SafeUnpickler` (a restricted version of the pure-Python unpickler) resolves only an
  allow-list of globals: torch's tensor and storage rebuild functions (storages are ``torch.save``
  streams, read with ``torch.load(..., weights_only=True)``), ``collections.OrderedDict``,
  ``set``/``frozenset``/``bytearray``, numpy arrays, scalars and dtypes, ``dnnlib``'s ``EasyDict``
  (as a plain dict) and two NVIDIA record types, which are *captured* as data instead of run:

  - ``torch_utils.persistence._reconstruct_persistent_obj(meta)`` (stylegan2-ada-pytorch,
    stylegan3) becomes a :class:`PersistentRecord` holding ``class_name``, ``module_src`` (kept as
    a string, never compiled), the constructor's ``init_args``/``init_kwargs`` and the module
    ``state`` (its ``_parameters``, ``_buffers`` and ``_modules``);
  - ``dnnlib.tflib.network.Network`` (the TensorFlow StyleGAN2 files) becomes a
    :class:`TFNetworkRecord` holding ``static_kwargs``, ``components`` and the ``variables``
    (numpy arrays); its ``build_module_src`` is likewise only a string.

  Any other global (``os.system``, ``builtins.eval``, ``subprocess.Popen``, an unknown class, …)
  raises :class:`UnsafePickleError` naming it, before anything is called. ``BUILD`` (``__setstate__``)
  is only allowed on the captured records, numpy arrays and dtypes, and persistent ids are refused.
- :meth:`PersistentRecord.state_dict` walks the captured module tree into a flat state dict with
  dotted names, exactly what ``module.state_dict()`` returns for the original network.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

_PERSISTENCE_FUNC = "_reconstruct_persistent_obj"


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for something outside the allow-list (a global, ``BUILD`` target or persistent id)."""


# --- captured records -----------------------------------------------------------------------------
def plain(obj: Any) -> Any:
    """Containers of a captured record as plain Python: dicts, lists, tuples, numbers, strings."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(plain(v) for v in obj)
    if type(obj).__module__ == "numpy" and hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:
        return obj.item()
    return obj


@dataclass
class PersistentRecord:
    """A ``torch_utils.persistence`` object as data: what ``_reconstruct_persistent_obj`` would have built.

    ``module_src`` is the source code stored in the file; it is kept for inspection only.
    """

    class_name: str
    module_src: str
    state: dict
    version: int | None = None
    type: str | None = None

    @property
    def init_args(self) -> tuple:
        return tuple(plain(self.state.get("_init_args", ())))

    @property
    def init_kwargs(self) -> dict:
        return plain(dict(self.state.get("_init_kwargs", {}) or {}))

    @property
    def modules(self) -> dict[str, Any]:
        return dict(self.state.get("_modules", {}) or {})

    def state_dict(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Parameters and persistent buffers of this module and its submodules, with dotted names."""
        out: dict[str, torch.Tensor] = {}
        skip = set(self.state.get("_non_persistent_buffers_set", ()) or ())
        for group in ("_parameters", "_buffers"):
            for name, tensor in (self.state.get(group, {}) or {}).items():
                if tensor is None or (group == "_buffers" and name in skip):
                    continue
                if not isinstance(tensor, torch.Tensor):
                    raise ValueError(f"{self.class_name} {prefix + name}: expected a tensor, got {type(tensor).__name__}")
                out[prefix + name] = tensor.detach()
        for name, module in self.modules.items():
            if module is None:
                continue
            if not isinstance(module, PersistentRecord):
                raise ValueError(f"{self.class_name} submodule {prefix + name!r} is a {type(module).__name__}, "
                                 f"not an NVIDIA persistent network record")
            out.update(module.state_dict(f"{prefix}{name}."))
        return out

    def __repr__(self) -> str:
        return (f"PersistentRecord({self.class_name!r}, init_kwargs={self.init_kwargs!r}, "
                f"{len(self.state_dict())} tensors, module_src: {len(self.module_src)} characters, not run)")


class TFNetworkRecord:
    """A TensorFlow ``dnnlib.tflib.network.Network`` as data (its ``__getstate__`` dict)."""

    state: dict

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise UnsafePickleError(f"a TensorFlow network record must have a dict state, got {type(state).__name__}")
        self.state = state

    @property
    def name(self) -> str:
        return self.state.get("name", "")

    @property
    def version(self) -> int:
        return int(self.state.get("version", 0))

    @property
    def static_kwargs(self) -> dict:
        return plain(dict(self.state.get("static_kwargs", {}) or {}))

    @property
    def components(self) -> dict[str, TFNetworkRecord]:
        return dict(self.state.get("components", {}) or {})

    @property
    def build_module_src(self) -> str:
        return self.state.get("build_module_src", "")

    def variables(self, prefix: str = "") -> dict[str, Any]:
        """All variables (numpy arrays) of this network and its components, ``component/name`` keyed."""
        out = {prefix + name: value for name, value in self.state.get("variables", [])}
        for name, component in self.components.items():
            if not isinstance(component, TFNetworkRecord):
                raise ValueError(f"TensorFlow network component {name!r} is a {type(component).__name__}")
            out.update(component.variables(f"{prefix}{name}/"))
        return out

    def __repr__(self) -> str:
        return f"TFNetworkRecord({self.name!r}, static_kwargs={self.static_kwargs!r})"


class CapturedEasyDict(dict):
    """``dnnlib.EasyDict`` read back as a plain dict (attribute access is not needed)."""

    def __setstate__(self, state: Any) -> None:  # an EasyDict's (empty) instance __dict__
        if state not in (None, {}):
            raise UnsafePickleError("an EasyDict record carries unexpected instance state")


# --- allow-listed functions -------------------------------------------------------------------------
def _capture_persistent(meta: Any) -> PersistentRecord:
    if not isinstance(meta, dict) or not isinstance(meta.get("class_name"), str) or not isinstance(meta.get("state"), dict):
        raise UnsafePickleError("a torch_utils.persistence record must be a dict with 'class_name' and 'state'")
    src = meta.get("module_src", "")
    if not isinstance(src, str):
        raise UnsafePickleError("a torch_utils.persistence record's module_src must be a string")
    return PersistentRecord(meta["class_name"], src, meta["state"], meta.get("version"), meta.get("type"))


def _no_hooks(hooks: Any) -> None:
    if hooks:
        raise UnsafePickleError("refusing a tensor that carries backward hooks (callables) in the pickle")


def _check_storage(storage: Any) -> None:
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise UnsafePickleError(f"a tensor must be rebuilt from a torch storage, got {type(storage).__name__}")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    _check_storage(storage)
    _no_hooks(backward_hooks)
    from torch._utils import _rebuild_tensor_v2 as rebuild

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rebuild(storage, int(storage_offset), tuple(size), tuple(stride), bool(requires_grad),
                       collections.OrderedDict(), metadata if isinstance(metadata, dict) else None)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, torch.Tensor):
        raise UnsafePickleError(f"a parameter must wrap a tensor, got {type(data).__name__}")
    _no_hooks(backward_hooks)
    return torch.nn.Parameter(data, bool(requires_grad))


def _load_from_bytes(data: bytes):
    """A storage from its ``torch.save`` bytes, read with ``weights_only=True`` (tensors and storages only)."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafePickleError(f"a storage must come from bytes, got {type(data).__name__}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    _check_storage(storage)
    return storage


def _codecs_encode(obj, encoding="utf-8"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode is only allowed for latin-1 byte strings, got encoding {encoding!r}")
    return obj.encode("latin-1")


def _numpy_globals() -> dict[tuple[str, str], Any]:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a torch dependency here
        return {}
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    out = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        out[(module, "_reconstruct")] = _checked_reconstruct(multiarray._reconstruct, np.ndarray)
        out[(module, "scalar")] = multiarray.scalar
    return out


def _checked_reconstruct(reconstruct, ndarray):
    def rebuild(subtype, shape, dtype):
        if subtype is not ndarray:
            raise UnsafePickleError(f"numpy arrays must be plain ndarrays, got {subtype!r}")
        return reconstruct(subtype, shape, dtype)
    return rebuild


def _allowed_globals() -> dict[tuple[str, str], Any]:
    allowed: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): _load_from_bytes,
        ("torch", "Size"): torch.Size,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray,
        ("_codecs", "encode"): _codecs_encode,
        ("torch_utils.persistence", _PERSISTENCE_FUNC): _capture_persistent,
        ("dnnlib.util", "EasyDict"): CapturedEasyDict,
        ("dnnlib", "EasyDict"): CapturedEasyDict,
        ("dnnlib.tflib.network", "Network"): TFNetworkRecord,
    }
    allowed.update(_numpy_globals())
    return allowed


def _build_allowed(inst: Any) -> bool:
    try:
        import numpy as np

        numpy_types: tuple = (np.ndarray, np.dtype)
    except ImportError:  # pragma: no cover
        numpy_types = ()
    return isinstance(inst, (TFNetworkRecord, CapturedEasyDict) + numpy_types) and not isinstance(inst, type)


# --- the unpickler ---------------------------------------------------------------------------------
class SafeUnpickler(pickle._Unpickler):  # the pure-Python unpickler, so that BUILD can be checked too
    """An unpickler that resolves only allow-listed globals (see the module docstring)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, *, source: str = "the pickle"):
        super().__init__(file)
        self._allowed = _allowed_globals()
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in self._allowed:
            return self._allowed[key]
        # forks vendor NVIDIA's packages under another prefix (e.g. ``pkg.torch_utils.persistence``)
        if name == _PERSISTENCE_FUNC and module.endswith(".torch_utils.persistence"):
            return _capture_persistent
        if name == "EasyDict" and (module.endswith(".dnnlib.util") or module.endswith(".dnnlib")):
            return CapturedEasyDict
        if name == "Network" and module.endswith(".dnnlib.tflib.network"):
            return TFNetworkRecord
        raise UnsafePickleError(
            f"refusing to load {self._source}: it asks for the global '{module}.{name}', which is not on latentlab's "
            f"allow-list (tensors, storages, plain containers, numpy arrays and NVIDIA network records). Unpickling "
            f"it could run code, so nothing from it was run. Only load files you trust with other tools.")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"refusing to load {self._source}: it uses a persistent id ({str(pid)[:80]!r}), "
                                f"which latentlab's safe unpickler does not resolve")

    def load_build(self) -> None:
        inst = self.stack[-2] if len(self.stack) >= 2 else None
        if not _build_allowed(inst):
            raise UnsafePickleError(f"refusing to load {self._source}: it sets the state of a "
                                    f"{type(inst).__module__}.{type(inst).__name__} object, which is not allowed")
        super().load_build()

    dispatch[pickle.BUILD[0]] = load_build


def safe_loads(data: bytes, source: str = "the pickle") -> Any:
    """Unpickle ``data`` with :class:`SafeUnpickler`."""
    return SafeUnpickler(io.BytesIO(data), source=source).load()


def safe_load(path: str | os.PathLike) -> Any:
    """Unpickle the file at ``path`` with :class:`SafeUnpickler` (no code from the file runs)."""
    with open(path, "rb") as handle:
        return SafeUnpickler(handle, source=str(path)).load()


# --- NVIDIA network pickles ------------------------------------------------------------------------
@dataclass
class NetworkPickle:
    """The contents of an NVIDIA network pickle, as records.

    ``networks``: name → record (``G``, ``D``, ``G_ema``, ``augment_pipe`` for stylegan2-ada-pytorch
    files; ``G``, ``D``, ``Gs`` for TensorFlow files); ``extras``: everything else (e.g.
    ``training_set_kwargs``) as plain data.
    """

    networks: dict[str, PersistentRecord | TFNetworkRecord]
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_tensorflow(self) -> bool:
        return any(isinstance(n, TFNetworkRecord) for n in self.networks.values())

    def generator(self) -> tuple[str, PersistentRecord | TFNetworkRecord]:
        """(name, record) of the generator to use: the moving average (``G_ema`` / ``Gs``) if present, else ``G``."""
        for name in ("G_ema", "Gs", "G"):
            if name in self.networks:
                return name, self.networks[name]
        raise ValueError(f"the pickle holds no generator (G_ema, Gs or G); it has {sorted(self.networks)}")


def read_network_pickle(path: str | os.PathLike) -> NetworkPickle:
    """Read an NVIDIA network pickle safely: a stylegan2-ada-pytorch / stylegan3 dict of networks, or a
    TensorFlow StyleGAN2 ``(G, D, Gs)`` tuple or single network."""
    data = safe_load(path)
    if isinstance(data, tuple) and len(data) == 3 and all(isinstance(n, TFNetworkRecord) for n in data):
        return NetworkPickle(dict(zip(("G", "D", "Gs"), data)))
    if isinstance(data, TFNetworkRecord):
        return NetworkPickle({"Gs": data})
    if isinstance(data, dict):
        networks = {k: v for k, v in data.items() if isinstance(v, (PersistentRecord, TFNetworkRecord))}
        extras = {k: plain(v) for k, v in data.items() if k not in networks}
        if networks:
            return NetworkPickle(networks, extras)
    raise ValueError(f"{path} is not an NVIDIA network pickle: expected a dict of networks (stylegan2-ada-pytorch) "
                     f"or a (G, D, Gs) tuple (TensorFlow StyleGAN2), got {type(data).__name__}")


__all__ = ["CapturedEasyDict", "NetworkPickle", "PersistentRecord", "SafeUnpickler", "TFNetworkRecord",
           "UnsafePickleError", "plain", "read_network_pickle", "safe_load", "safe_loads"]
