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
- What a pickle could use to corrupt memory, exhaust it or crash the interpreter is refused too,
  each with :class:`UnsafePickleError` naming it:

  - numpy dtypes: ``numpy.dtype(...)`` only makes plain kinds (bool, ints, floats, complex, ``S``,
    ``U``); object, structured/void, subarray and datetime dtypes are refused everywhere (dtype calls,
    ``_reconstruct``, array states, ``scalar``, ``_frombuffer``). A dtype's ``BUILD`` state is checked
    (no fields, subarrays, flags, sizes or alignments other than the dtype's own) and only its byte
    order is applied, via ``newbyteorder``: ``dtype.__setstate__`` never sees data from the file;
  - numpy arrays: ``_reconstruct`` only makes small placeholders (numpy writes shape ``(0,)``), and
    ``BUILD`` fills each placeholder once, from ``bytes`` whose length is exactly shape × item size
    (object arrays, whose state is a list, are refused); ``scalar(dtype, data)`` needs
    ``len(data) == itemsize``; ``numpy.ndarray`` itself can be named but not called;
  - sizes: no item, frame, ``bytearray`` or storage above :data:`MAX_BUFFER_BYTES`, and no declared
    length (``FRAME``, ``BYTEARRAY8``, ``BINBYTES8``, …) beyond the bytes left in the file;
  - tuples nested deeper than :data:`MAX_TUPLE_DEPTH` (hashing one overflows the C stack);
  - ``NEWOBJ`` on anything but the captured record classes, extension codes (``EXT*``) and
    ``READONLY_BUFFER``;
  - tensor storages: the ``torch.save`` bytes are first read by this unpickler (only storage classes,
    sizes that match the bytes that follow), then by ``torch.load(weights_only=True)``.

  Any other error while reading (a truncated, empty or text file, garbage) becomes one
  :class:`pickle.UnpicklingError` naming the file and chained to the original exception.
- :meth:`PersistentRecord.state_dict` walks the captured module tree into a flat state dict with
  dotted names, exactly what ``module.state_dict()`` returns for the original network.
"""

from __future__ import annotations

import collections
import io
import math
import os
import pickle
import re
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import torch

_PERSISTENCE_FUNC = "_reconstruct_persistent_obj"
MAX_BUFFER_BYTES = 2 << 30  # the largest item, frame, bytearray or storage (real files' storages are a few 100 MB)
MAX_TUPLE_DEPTH = 1000  # tuples nested deeper than this are refused: hashing one recurses in C
_RECONSTRUCT_MAX_BYTES = 1 << 20  # numpy's _reconstruct only makes an empty placeholder that BUILD fills
_PLAIN_KINDS = "biufcSU"


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
        if state is not None and (type(state) is not dict or state):
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
    """A storage from its ``torch.save`` bytes: checked by :class:`_StorageStream`, then read with ``weights_only=True``."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafePickleError(f"a storage must come from bytes, got {type(data).__name__}")
    _check_size(len(data), "a storage's torch.save bytes")
    _StorageStream.check(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    _check_storage(storage)
    return storage


def _codecs_encode(obj, encoding="utf-8"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode is only allowed for latin-1 byte strings, got encoding {encoding!r}")
    return obj.encode("latin-1")


def _bytearray(source: Any = b"", encoding: Any = None) -> bytearray:
    """``bytearray`` as pickles call it: from bytes, or from a latin-1 string (protocols 0–2); never from a size."""
    if isinstance(source, str) and encoding in ("latin1", "latin-1"):
        source = source.encode("latin-1")
    elif type(source) not in (bytes, bytearray) or encoding is not None:
        raise UnsafePickleError(f"bytearray is only allowed from bytes or a latin-1 string, got {type(source).__name__}")
    _check_size(len(source), "a bytearray")
    return bytearray(source)


def _empty_bytes() -> bytes:
    """``bytes()``: how protocols 0–2 write ``b""`` (other bytes come from ``_codecs.encode``)."""
    return b""


def _check_size(nbytes: int, what: str) -> None:
    if nbytes > MAX_BUFFER_BYTES:
        raise UnsafePickleError(f"{what} of {nbytes} bytes is over latentlab's limit of {MAX_BUFFER_BYTES} bytes")


# --- numpy ---------------------------------------------------------------------------------------------
class _NumpyArrayType:
    """Stands for ``numpy.ndarray``: a pickle names it as ``_reconstruct``'s subtype but may not call it."""

    def __repr__(self) -> str:
        return "numpy.ndarray (not callable from a pickle)"


_NDARRAY = _NumpyArrayType()
_DTYPE_SPEC = re.compile(r"[<>|=]?[A-Za-z?][0-9]{0,10}")


def _plain_dtype(dtype: Any) -> np.dtype:
    """``dtype`` if it is a plain numpy dtype (no objects, fields, subarrays or metadata), else refuse it."""
    if isinstance(dtype, (str, bytes)):
        spec = dtype.decode("latin-1") if isinstance(dtype, bytes) else dtype
        if not _DTYPE_SPEC.fullmatch(spec):
            raise UnsafePickleError(f"refusing the numpy dtype {spec[:40]!r}: only plain kinds ({_PLAIN_KINDS}) are allowed")
        dtype = np.dtype(spec)
    if not isinstance(dtype, np.dtype):
        raise UnsafePickleError(f"expected a numpy dtype, got {type(dtype).__name__}")
    if (dtype.kind not in _PLAIN_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None
            or dtype.metadata or dtype.itemsize == 0):
        raise UnsafePickleError(f"refusing the numpy dtype {dtype!r}: object, structured, void, subarray and other "
                                f"non-plain dtypes could corrupt memory; only kinds {_PLAIN_KINDS!r} are allowed")
    return dtype


def _make_dtype(spec: Any, align: Any = False, copy: Any = True) -> np.dtype:
    """``numpy.dtype(spec, align, copy)`` as pickles call it, for plain kinds only: a new dtype object each time,
    as numpy makes, so that a ``BUILD`` that sets its byte order affects this dtype only."""
    if not isinstance(spec, (str, bytes)):
        raise UnsafePickleError(f"numpy.dtype is only allowed from a type string, got {type(spec).__name__}")
    return np.dtype(_plain_dtype(spec), copy=True)


def _built_dtype(dtype: np.dtype, state: Any) -> np.dtype:
    """What a dtype's ``BUILD`` may do: after checking the whole state, apply its byte order (a new dtype)."""
    ok = isinstance(state, tuple) and len(state) in (8, 9) and type(state[0]) is int and state[0] in (3, 4)
    if ok:
        _, order, subarray, names, fields, elsize, alignment, flags = state[:8]
        ok = (order in ("<", ">", "|", "=") and subarray is None and names is None and fields is None
              and (len(state) == 8 or state[8] is None) and all(type(v) is int for v in (elsize, alignment, flags))
              and elsize in (-1, dtype.itemsize) and alignment in (-1, dtype.alignment) and flags in (0, dtype.flags))
    if not ok:
        raise UnsafePickleError(f"refusing a numpy dtype state {str(state)[:120]}: only a plain dtype's byte order "
                                f"may be set (no fields, subarrays, flags, sizes or metadata)")
    return dtype if order == "|" else dtype.newbyteorder(order)


def _shape(shape: Any) -> tuple[int, ...]:
    if not (isinstance(shape, tuple) and len(shape) <= 64 and all(type(n) is int and n >= 0 for n in shape)):
        raise UnsafePickleError(f"a numpy array shape must be a tuple of non-negative ints, got {str(shape)[:80]}")
    return shape


def _array_bytes(shape: tuple[int, ...], dtype: np.dtype, what: str) -> int:
    nbytes = math.prod(shape) * dtype.itemsize
    _check_size(nbytes, what)
    return nbytes


def _checked_scalar(scalar):
    def rebuild(dtype: Any, data: Any = None):
        dtype = _plain_dtype(dtype)
        if type(data) is not bytes or len(data) != dtype.itemsize:
            raise UnsafePickleError(f"a numpy {dtype} scalar needs {dtype.itemsize} raw bytes, got {type(data).__name__}")
        return scalar(dtype, data)
    return rebuild


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """numpy's ``_frombuffer`` (protocol 5 arrays) with its buffer, dtype, shape and order checked."""
    if type(buf) not in (bytes, bytearray):
        raise UnsafePickleError(f"a numpy array buffer must be bytes or a bytearray, got {type(buf).__name__}")
    dtype, shape = _plain_dtype(dtype), _shape(shape)
    if order not in ("C", "F") or _array_bytes(shape, dtype, "a numpy array") != len(buf):
        raise UnsafePickleError(f"a numpy {dtype} array of shape {shape} does not match its {len(buf)}-byte buffer")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order)


def _numpy_globals() -> dict[tuple[str, str], Any]:
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    out: dict[tuple[str, str], Any] = {("numpy", "ndarray"): _NDARRAY, ("numpy", "dtype"): _make_dtype}
    for package in ("numpy.core", "numpy._core"):
        out[(f"{package}.multiarray", "scalar")] = _checked_scalar(multiarray.scalar)
        out[(f"{package}.numeric", "_frombuffer")] = _frombuffer
    return out


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
        ("builtins", "bytearray"): _bytearray,
        ("builtins", "bytes"): _empty_bytes,
        ("_codecs", "encode"): _codecs_encode,
        ("torch_utils.persistence", _PERSISTENCE_FUNC): _capture_persistent,
        ("dnnlib.util", "EasyDict"): CapturedEasyDict,
        ("dnnlib", "EasyDict"): CapturedEasyDict,
        ("dnnlib.tflib.network", "Network"): TFNetworkRecord,
    }
    allowed.update({("__builtin__", name): value for (module, name), value in allowed.items() if module == "builtins"})
    allowed.update(_numpy_globals())
    return allowed


# --- the unpickler ---------------------------------------------------------------------------------
class _Input:
    """The pickle's file, refusing any read longer than what is left in it (so no declared length allocates more)."""

    def __init__(self, file, source: str):
        self._file, self._source = file, source
        try:
            here = file.tell()
            self.left: int | None = file.seek(0, os.SEEK_END) - here
            file.seek(here)
        except (AttributeError, OSError, ValueError):  # not seekable (a pipe): only MAX_BUFFER_BYTES applies
            self.left = None

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = MAX_BUFFER_BYTES + 1 if self.left is None else self.left
        _check_size(n, "an item")
        if self.left is not None and n > max(self.left, 8):  # small reads past the end are plain truncation
            raise UnsafePickleError(f"refusing to load {self._source}: it declares a {n}-byte item, but only "
                                    f"{self.left} bytes follow (a truncated or crafted pickle)")
        data = self._file.read(n)
        if self.left is not None:
            self.left -= len(data)
        return data

    def readline(self) -> bytes:
        line = self._file.readline()
        if self.left is not None:
            self.left -= len(line)
        return line


class _Memo(dict):
    """The unpickler's memo, noting where dtypes are kept so that a dtype's ``BUILD`` can update them."""

    def __init__(self):
        super().__init__()
        self.dtype_keys: dict[int, list] = {}

    def __setitem__(self, key, value) -> None:
        if isinstance(value, np.dtype):
            self.dtype_keys.setdefault(id(value), []).append(key)
        super().__setitem__(key, value)


def _tracking_depth(load_tuple):
    def load(self) -> None:
        load_tuple(self)
        self._note_tuple(self.stack[-1])
    return load


class SafeUnpickler(pickle._Unpickler):  # the pure-Python unpickler, so that every opcode can be checked
    """An unpickler that resolves only allow-listed globals and refuses unsafe states (see the module docstring)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, *, source: str = "the pickle"):
        self._source, self._input = source, _Input(file, source)
        super().__init__(self._input)
        self._allowed = _allowed_globals()
        self.memo = _Memo()
        self._depths: dict[int, tuple[int, tuple]] = {}  # nested tuples (kept alive): id -> (depth, tuple)
        self._fresh: dict[int, np.ndarray] = {}  # arrays from _reconstruct that await their one BUILD
        self._allowed.update({(m, "_reconstruct"): self._reconstruct
                              for m in ("numpy.core.multiarray", "numpy._core.multiarray")})

    def load(self) -> Any:
        """Unpickle; a refusal raises :class:`UnsafePickleError`, anything else wrong a :class:`pickle.UnpicklingError`."""
        try:
            return super().load()
        except UnsafePickleError as error:
            if self._source in str(error):
                raise
            raise UnsafePickleError(f"refusing to load {self._source}: {error}") from error
        except Exception as error:  # garbage: EOFError, IndexError, struct.error, torch's RuntimeError, MemoryError, …
            why = ("it ends too early: an empty or truncated file" if isinstance(error, EOFError)
                   else f"{type(error).__name__}: {str(error)[:200]}")
            raise pickle.UnpicklingError(f"{self._source} is not a valid pickle, or uses something latentlab's safe "
                                         f"unpickler does not read ({why})") from error
        finally:
            self._depths.clear()
            self._fresh.clear()

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

    def _refuse(self, what: str) -> NoReturn:
        raise UnsafePickleError(f"refusing to load {self._source}: {what}")

    def _reconstruct(self, subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
        """numpy's ``_reconstruct``: a small placeholder array, remembered for its one ``BUILD``."""
        if subtype is not _NDARRAY:
            self._refuse(f"numpy arrays must be plain ndarrays, got {subtype!r}")
        shape, dtype = _shape(shape), _plain_dtype(dtype)
        if _array_bytes(shape, dtype, "a numpy array") > _RECONSTRUCT_MAX_BYTES:
            self._refuse(f"numpy's _reconstruct asks for a {shape} {dtype} array; it only makes empty placeholders")
        array = np.ndarray(shape, dtype)
        self._fresh[id(array)] = array
        return array

    def _build_array(self, array: np.ndarray, state: Any) -> None:
        del self._fresh[id(array)]
        if not (isinstance(state, tuple) and len(state) == 5 and type(state[0]) is int and state[0] == 1):
            self._refuse(f"a numpy array state must be (1, shape, dtype, fortran, data), got {str(state)[:80]}")
        _, shape, dtype, fortran, data = state
        shape, dtype = _shape(shape), _plain_dtype(dtype)
        if type(fortran) not in (bool, int) or type(data) is not bytes:
            self._refuse(f"a numpy array's data must be raw bytes, got {type(data).__name__} (object arrays are refused)")
        if _array_bytes(shape, dtype, "a numpy array") != len(data):
            self._refuse(f"a numpy {dtype} array of shape {shape} does not match its {len(data)} bytes of data")
        array.__setstate__((1, shape, dtype, bool(fortran), data))

    def _note_tuple(self, value: tuple) -> None:
        depth = 1 + max((self._depths.get(id(v), (1,))[0] for v in value if isinstance(v, tuple)), default=0)
        if depth > MAX_TUPLE_DEPTH:
            self._refuse(f"it nests tuples more than {MAX_TUPLE_DEPTH} deep")
        if depth > 1:
            self._depths[id(value)] = (depth, value)

    def _frame_left(self) -> int:
        frame = self._unframer.current_frame
        return len(frame.getbuffer()) - frame.tell() if frame else 0

    def load_build(self) -> None:
        if len(self.stack) < 2:
            raise pickle.UnpicklingError("BUILD without an object")
        inst = self.stack[-2]
        if isinstance(inst, np.dtype):
            new = _built_dtype(inst, self.stack.pop())
            self.stack[-1] = new
            for key in self.memo.dtype_keys.pop(id(inst), ()):
                if self.memo.get(key) is inst:
                    self.memo[key] = new
            return
        if isinstance(inst, np.ndarray) and id(inst) in self._fresh:
            self._build_array(inst, self.stack.pop())
            return
        if not isinstance(inst, (TFNetworkRecord, CapturedEasyDict)):
            self._refuse(f"it sets the state of a {type(inst).__module__}.{type(inst).__name__} object, "
                         f"which is not allowed")
        super().load_build()

    def _check_new(self, cls: Any) -> None:
        if cls is not CapturedEasyDict and cls is not TFNetworkRecord:
            self._refuse(f"NEWOBJ is only allowed on NVIDIA record classes, not on {cls!r}"[:200])

    def load_newobj(self) -> None:
        self._check_new(self.stack[-2] if len(self.stack) >= 2 else None)
        super().load_newobj()

    def load_newobj_ex(self) -> None:
        self._check_new(self.stack[-3] if len(self.stack) >= 3 else None)
        super().load_newobj_ex()

    def load_bytearray8(self) -> None:
        n, = struct.unpack("<Q", self.read(8))
        _check_size(n, "a bytearray")
        left = self._frame_left() + (MAX_BUFFER_BYTES if self._input.left is None else self._input.left)
        if n > left:
            self._refuse(f"it declares a {n}-byte bytearray, but only {left} bytes follow")
        data = bytearray(n)
        self.readinto(data)
        self.append(data)

    def load_unsupported(self) -> None:
        self._refuse("it uses an extension code or an out-of-band buffer opcode, which are not supported")

    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8
    for _op in (pickle.EXT1, pickle.EXT2, pickle.EXT4, pickle.READONLY_BUFFER):
        dispatch[_op[0]] = load_unsupported
    for _op in (pickle.TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3):
        dispatch[_op[0]] = _tracking_depth(pickle._Unpickler.dispatch[_op[0]])
    del _op


class _StorageStream(SafeUnpickler):
    """The pickles of a legacy ``torch.save`` storage stream, read with the same checks before torch reads them."""

    def __init__(self, file):
        super().__init__(file, source="a tensor storage's torch.save bytes")
        self.storages: dict[str, int] = {}  # key -> bytes

    def find_class(self, module: str, name: str) -> Any:
        with warnings.catch_warnings():  # legacy storage classes warn on .dtype
            warnings.simplefilter("ignore")
            dtype = getattr(getattr(torch, name, None), "dtype", None) if module == "torch" and name.endswith("Storage") else None
        if not isinstance(dtype, torch.dtype):
            self._refuse(f"it asks for the global '{module}.{name}', which is not a torch storage class")
        return torch._utils._element_size(dtype)

    def persistent_load(self, pid: Any) -> Any:
        if not (type(pid) is tuple and len(pid) == 6 and pid[0] == "storage" and type(pid[1]) is int
                and type(pid[2]) is str and type(pid[3]) is str and type(pid[4]) is int and pid[4] >= 0 and pid[5] is None):
            self._refuse(f"unexpected storage record {str(pid)[:80]}")
        nbytes = pid[1] * pid[4]
        if self.storages.setdefault(pid[2], nbytes) != nbytes:
            self._refuse(f"storage {pid[2][:20]!r} is declared with two sizes")
        return None

    @classmethod
    def check(cls, data: bytes) -> None:
        """Refuse storage bytes whose pickles are unsafe or whose declared sizes do not match the bytes that follow."""
        stream = io.BytesIO(data)
        for _ in range(3):  # magic number, protocol version, system info: plain data
            cls(stream).load()
        main = cls(stream)
        main.load()
        keys = cls(stream).load()
        if type(keys) is not list or len(keys) != len(main.storages) or set(keys) != set(main.storages):
            raise UnsafePickleError("a storage's torch.save bytes list other storages than they hold")
        expected = stream.tell() + sum(8 + n for n in main.storages.values())
        if expected != len(data):
            raise UnsafePickleError(f"a storage's torch.save bytes declare {expected} bytes but hold {len(data)}")


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


__all__ = ["MAX_BUFFER_BYTES", "MAX_TUPLE_DEPTH", "CapturedEasyDict", "NetworkPickle", "PersistentRecord", "SafeUnpickler",
           "TFNetworkRecord", "UnsafePickleError", "plain", "read_network_pickle", "safe_load", "safe_loads"]
