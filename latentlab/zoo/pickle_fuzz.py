"""Fuzzing :func:`latentlab.zoo.safe_pickle.safe_loads` with mutated NVIDIA-style pickles, in a child process.

- :func:`corpus`: valid pickles in the formats the loader reads (a stylegan2-ada-pytorch snapshot of
  ``torch_utils.persistence`` records, a TensorFlow ``dnnlib.tflib.network.Network`` tuple, numpy arrays of
  several dtypes and byte orders, tensors, parameters and plain containers, protocols 2–5) plus the known
  attacks of :func:`attack_pickles`. Everything is written by this module (no NVIDIA code, fixed storage keys),
  so the corpus and every case are the same bytes in every process.
- :func:`mutate`: byte flips, insertions, deletions, truncations, boundary integers, opcode splices between
  corpus items, random bytes.
- :func:`run_cases`: ``n`` cases in a child process that reports each case it starts and ends; a child killed
  by a signal is a *crash*, one stuck on a case a *hang*, and either restarts from the next case. The child
  audits forbidden events (``os.system``, ``subprocess.Popen``, ``exec`` of code not from a file, …) while it
  loads: any is *ran_code*.
"""

from __future__ import annotations

import base64
import collections
import io
import os
import pickle
import pickletools
import random
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

OUTCOMES = ("loaded", "clean_error", "other_error", "crash", "hang", "ran_code")
_BAD = ("other_error", "crash", "hang", "ran_code")


# --- writing pickles that name NVIDIA's globals --------------------------------------------------
class _Name:
    """A global written by name only (``module.name``), e.g. NVIDIA's functions that do not exist here."""

    def __init__(self, module: str, name: str):
        self._pickle_as = (module, name)

    def __reduce_ex__(self, protocol):
        return self._pickle_as[1]

    def __call__(self, *args):  # pickle wants reduce functions callable; this one is only ever written
        raise TypeError(f"{'.'.join(self._pickle_as)} is a stand-in name")


class _Writer(pickle._Pickler):  # the pure-Python pickler, so that save_global can write any name
    """Writes ``_Name`` globals and classes with ``_pickle_as``; storages as legacy ``torch.save`` bytes with key "0"."""

    def save_global(self, obj, name=None):
        target = getattr(obj, "_pickle_as", None) if isinstance(obj, (type, _Name)) else None
        if target is None:
            return super().save_global(obj, name)
        if self.proto >= 4:
            self.save(target[0])
            self.save(target[1])
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{target[0]}\n{target[1]}\n".encode())
        self.memoize(obj)

    def reducer_override(self, obj):
        if isinstance(obj, torch.TypedStorage):
            return _Name("torch.storage", "_load_from_bytes"), (storage_bytes(obj),)
        return NotImplemented


def dumps(obj: Any, protocol: int = 4) -> bytes:
    """``obj`` pickled as NVIDIA's code would, with :class:`_Writer`."""
    buffer = io.BytesIO()
    _Writer(buffer, protocol).dump(obj)
    return buffer.getvalue()


def storage_bytes(storage: torch.TypedStorage, sys_info_pickle: bytes | None = None) -> bytes:
    """A storage as ``TypedStorage.__reduce__`` writes it (legacy ``torch.save``), with the fixed key ``"0"``."""
    from torch.serialization import MAGIC_NUMBER, PROTOCOL_VERSION

    info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    buffer = io.BytesIO()
    writer = _Writer(buffer, 2)
    writer.persistent_id = lambda obj: obj if isinstance(obj, tuple) and obj[:1] == ("storage",) else None
    writer.dump(("storage", _Name("torch", storage.pickle_storage_type()), "0", "cpu", storage.size(), None))
    raw = bytes(storage._untyped_storage.tolist())
    return (pickle.dumps(MAGIC_NUMBER, 2) + pickle.dumps(PROTOCOL_VERSION, 2) + (sys_info_pickle or pickle.dumps(info, 2))
            + buffer.getvalue() + pickle.dumps(["0"], 2) + struct.pack("<q", storage.size()) + raw)


class _Persistent:
    """Pickles like a ``@persistence.persistent_class`` object: ``_reconstruct_persistent_obj(meta)``."""

    def __init__(self, class_name: str, state: dict):
        self.class_name, self.state = class_name, state

    def __reduce__(self):
        meta = {"type": "class", "version": 6, "module_src": "import os\nos.system('true')\nclass X: pass\n",
                "class_name": self.class_name, "state": self.state}
        return _Name("torch_utils.persistence", "_reconstruct_persistent_obj"), (meta,)


class _EasyDict(dict):
    _pickle_as = ("dnnlib.util", "EasyDict")


class _Network:
    """Pickles like ``dnnlib.tflib.network.Network``: its ``__getstate__`` dict."""

    _pickle_as = ("dnnlib.tflib.network", "Network")

    def __init__(self, state: dict):
        self._state = state

    def __getstate__(self):
        return self._state


class _Reduce:
    def __init__(self, func: Any, *args: Any):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


# --- the corpus ------------------------------------------------------------------------------------
def _module_state(params: dict, modules: dict | None = None, **attrs) -> dict:
    return {"training": False, "_parameters": collections.OrderedDict(params), "_buffers": collections.OrderedDict(),
            "_non_persistent_buffers_set": set(), "_forward_hooks": collections.OrderedDict(),
            "_modules": collections.OrderedDict(modules or {}), "_init_args": (),
            "_init_kwargs": _EasyDict(z_dim=4, mapping_kwargs=_EasyDict(num_layers=2)), **attrs}


def _numpy_arrays() -> list:
    base = np.arange(12)
    return [base.astype("<f4").reshape(3, 4), base.astype(">f8").reshape(3, 4, order="F"), (base % 5 - 2).astype("i1"),
            base % 2 == 0, np.array(7, dtype=">u2"), (base + 1j).astype("c8")[::3], np.array([b"ab", b"xyz"]),
            np.array(["a", "bc"], dtype=">U2"), np.zeros((0, 3), ">f4"), np.float64(0.5), np.int8(-3), np.bool_(True)]


def valid_pickles() -> dict[str, bytes]:
    """Small valid pickles of every format the safe loader reads."""
    weight = torch.nn.Parameter(torch.arange(6.0).reshape(2, 3) / 7)
    fc = _Persistent("FullyConnectedLayer", _module_state({"weight": weight, "bias": torch.arange(2.0)},
                                                          weight_gain=np.float64(0.25)))
    generator = _Persistent("Generator", _module_state({}, {"fc": fc}, z_dim=4))
    snapshot = {"G": generator, "D": _Persistent("Discriminator", _module_state({"w": torch.ones(3)})),
                "G_ema": generator, "training_set_kwargs": _EasyDict(path="faces.zip", resolution=32),
                "augment_pipe": _Persistent("AugmentPipe", _module_state({}, p=torch.zeros([])))}
    variables = [("Dense0/weight", np.arange(6, dtype="<f4").reshape(2, 3)), ("Dense0/bias", np.zeros(3, "<f4")),
                 ("noise0", np.ones((1, 1, 4, 4), ">f4"))]
    mapping = _Network({"version": 4, "name": "G_mapping", "static_kwargs": {}, "components": {},
                        "build_module_src": "import os\n", "build_func_name": "G_mapping", "variables": variables})
    gs = _Network({"version": 4, "name": "G", "static_kwargs": {"resolution": 32, "truncation_psi": 0.5},
                   "components": {"mapping": mapping}, "build_module_src": "import os\n", "build_func_name": "G",
                   "variables": [("dlatent_avg", np.zeros(4, "<f4"))]})
    plain = {"t": torch.arange(6.0).reshape(2, 3), "p": torch.nn.Parameter(torch.ones(2)), "h": torch.ones(3).half(),
             "i": torch.arange(4), "b": torch.tensor([True, False]), "view": torch.arange(10.0)[2:8:2],
             "od": collections.OrderedDict(k=torch.zeros(1, dtype=torch.int64)), "s": {1, 2}, "f": frozenset([3]),
             "ba": bytearray(b"ab\x00"), "e": b"", "x": [1, 2.5, "x", None, (True, b"raw")], "n": np.float32(2)}
    out = {}
    for p in (2, 4):
        out[f"ada_snapshot_p{p}"] = dumps(snapshot, p)
        out[f"tf_network_p{p}"] = dumps((gs, gs, gs), p)
    for p in (2, 3, 4, 5):
        out[f"numpy_p{p}"] = pickle.dumps(_numpy_arrays(), protocol=p)
        out[f"tensors_p{p}"] = dumps(plain, p)
    return out


_DTYPE_STATE = b"(K\x03X\x01\x00\x00\x00%sNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # BUILD (3, order, …, flags 0)


def _numpy_global(name: str) -> bytes:
    return f"cnumpy.core.multiarray\n{name}\n".encode()


def _object_dtype_without_flags() -> bytes:
    """``numpy.dtype('O8')`` whose ``BUILD`` clears the flags that mark it as holding objects."""
    return b"cnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R" + _DTYPE_STATE % b"|"


def deep_tuple_key(depth: int) -> bytes:
    """``{((…(),…),): 1}``: hashing the key recurses ``depth`` levels in C (a crash above ~200,000)."""
    return b"\x80\x02}" + b")" + b"\x85" * depth + b"K\x01s."


def _tensor_pickle(storage: bytes) -> bytes:
    """A 3-element float tensor whose storage is the given ``torch.save`` bytes."""
    load = _Reduce(_Name("torch.storage", "_load_from_bytes"), storage)
    return dumps(_Reduce(_Name("torch._utils", "_rebuild_tensor_v2"), load, 0, (3,), (1,), False,
                         collections.OrderedDict()))


def attack_pickles(depth: int = 5000) -> dict[str, bytes]:
    """Known-malicious pickles; the safe loader must refuse each with ``UnsafePickleError``."""
    shape = b"K\x01\x85"
    state_1x8 = b"(K\x01" + shape + _object_dtype_without_flags() + b"\x89C\x08AAAAAAAAtb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        float_storage = torch.arange(3.0).storage()
    deep_info = deep_tuple_key(depth)
    huge = storage_bytes(float_storage)
    huge = huge.replace(b"K\x03N", b"\x8a\x06\x00\x00\x00\x00\x00\x01N", 1)  # numel 2**40 (LONG1)
    return {
        "os_system": dumps(_Reduce(_Name("os", "system"), "true")),
        "builtins_eval": dumps(_Reduce(_Name("builtins", "eval"), "__import__('os').system('true')")),
        "subprocess_popen": dumps(_Reduce(_Name("subprocess", "Popen"), ["true"])),
        # the dtype-setstate object array: an object array whose one pointer is 0x4141414141414141
        "dtype_setstate_object_array": b"\x80\x02" + _numpy_global("_reconstruct") + b"cnumpy\nndarray\n" + shape
                                       + b"C\x01b\x87R" + state_1x8 + b".",
        "object_scalar": b"\x80\x02" + _numpy_global("scalar") + _object_dtype_without_flags() + b"C\x08AAAAAAAA\x86R.",
        "object_array": pickle.dumps(np.array([1, None], dtype=object), protocol=2),
        "structured_array": pickle.dumps(np.zeros(2, dtype=[("a", "<f4"), ("b", "i1")]), protocol=4),
        "dtype_fields_state": b"\x80\x02cnumpy\ndtype\nX\x02\x00\x00\x00f4\x89\x88\x87R"
                              b"(K\x03X\x01\x00\x00\x00<N)}NJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb.",
        "huge_reconstruct": b"\x80\x02" + _numpy_global("_reconstruct") + b"cnumpy\nndarray\n\x8a\x06\x00\x00\x00\x00\x00"
                            b"\x01\x85C\x01b\x87R.",
        "scalar_size_mismatch": b"\x80\x02" + _numpy_global("scalar")
                                + b"cnumpy\ndtype\nX\x02\x00\x00\x00f8\x89\x88\x87R" + _DTYPE_STATE % b"<" + b"C\x01A\x86R.",
        "ndarray_call": b"\x80\x02cnumpy\nndarray\n(K\x02\x85X\x01\x00\x00\x00Otq\x00\x81.",  # ndarray((2,), 'O')
        "huge_bytearray8": b"\x80\x05\x96" + struct.pack("<Q", 1 << 50) + b".",
        "huge_frame": b"\x80\x04\x95" + struct.pack("<Q", 1 << 50) + b"N.",
        "huge_bytearray_call": b"\x80\x02c__builtin__\nbytearray\n\x8a\x05\x00\x00\x00\x00\x01\x85R.",
        "deep_tuple_key": deep_info,
        "deep_tuple_in_storage": _tensor_pickle(storage_bytes(float_storage, deep_info)),
        "huge_storage_numel": _tensor_pickle(huge),
        "persistent_id": b"\x80\x02X\x01\x00\x00\x00aQ.",
        "extension_code": b"\x80\x02\x82\x01.",
        "readonly_buffer": b"\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x98.",
    }


def corpus() -> list[tuple[str, bytes]]:
    """(name, bytes): the valid pickles, then the attacks (named ``attack/…``)."""
    return list(valid_pickles().items()) + [(f"attack/{name}", data) for name, data in attack_pickles().items()]


# --- mutations -------------------------------------------------------------------------------------
_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 31, 1 << 40, (1 << 63) - 1,
                (1 << 64) - 1)
_OPS_CACHE: dict[bytes, list[int]] = {}


def _op_starts(data: bytes, cache: bool = False) -> list[int]:
    """Offsets where opcodes start, as far as ``data`` parses (at least ``[0]``); ``cache`` for corpus items."""
    if data in _OPS_CACHE:
        return _OPS_CACHE[data]
    starts = [0]
    try:
        for _, _, pos in pickletools.genops(data):
            if pos:
                starts.append(pos)
    except Exception:  # noqa: BLE001 - garbage ends the walk
        pass
    if cache and len(_OPS_CACHE) < 256:
        _OPS_CACHE[data] = starts
    return starts


def mutate(data: bytes, rng: random.Random, pool: Sequence[bytes] | None = None) -> bytes:
    """``data`` with 1–8 random mutations; splices take opcode runs from ``pool`` (default: the corpus)."""
    pool = pool if pool is not None else [b for _, b in _corpus_cached()]
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 8))):
        kind = rng.randrange(9)
        pos = rng.randrange(len(out) + 1)
        if kind == 0 and out:  # bit flips
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:  # a random byte
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif kind == 2:  # insert random bytes
            out[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif kind == 3:  # delete a run
            del out[pos:pos + rng.randint(1, 16)]
        elif kind == 4 and rng.random() < 0.5:  # truncate
            del out[pos:]
        elif kind == 5:  # a boundary integer over 1, 2, 4 or 8 bytes
            size = rng.choice((1, 2, 4, 8))
            value = rng.choice(_INTERESTING) & ((1 << (8 * size)) - 1)
            out[pos:pos + size] = value.to_bytes(size, "little")
        elif kind in (6, 7) and pool:  # splice a run of opcodes from another corpus item at an opcode boundary
            other = rng.choice(pool)
            starts = _op_starts(other, cache=True)
            a = rng.randrange(len(starts))
            b = min(len(starts) - 1, a + rng.randint(1, 6))
            piece = other[starts[a]:starts[b]] if b > a else other[starts[a]:]
            here = rng.choice(_op_starts(bytes(out)))
            out[here:here] = piece
        elif kind == 8 and rng.random() < 0.2:  # random bytes, sometimes behind a PROTO
            out = bytearray(rng.choice((b"", b"\x80\x02", b"\x80\x05")) + rng.randbytes(rng.randint(0, 64)))
        else:  # duplicate a run
            out[pos:pos] = out[pos:pos + rng.randint(1, 32)]
    return bytes(out)


_CORPUS: list[tuple[str, bytes]] | None = None


def _corpus_cached() -> list[tuple[str, bytes]]:
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = corpus()
    return _CORPUS


def make_case(index: int, seed: int, items: Sequence[tuple[str, bytes]]) -> tuple[str, bytes]:
    """Case ``index`` of a run: a corpus item (a valid one 80 % of the time) as is (5 %) or mutated.

    The same (seed, index, items) always give the same case.
    """
    rng = random.Random(f"{seed}/{index}")
    valid = [item for item in items if not item[0].startswith("attack/")]
    name, data = rng.choice(valid if valid and rng.random() < 0.8 else items)
    if rng.random() < 0.05:
        return f"item {name}", data
    return f"mutated {name}", mutate(data, rng, [b for _, b in items])


# --- the child process -----------------------------------------------------------------------------
_FORBIDDEN = {"os.system", "subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.startfile", "os.remove",
              "os.rmdir", "os.rename", "os.truncate", "os.chmod", "shutil.rmtree"}
_FORBIDDEN_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn", "ctypes.", "socket.")


def _real_file(name: Any) -> bool:
    try:
        return isinstance(name, (str, bytes)) and os.path.isfile(name)
    except (OSError, ValueError):
        return False


def _importing() -> bool:
    """Whether a module is being executed by an import (e.g. torch importing a submodule lazily)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap") and frame.f_code.co_name == "_load_unlocked":
            return True
        frame = frame.f_back
    return False


def _install_audit_hook(events: list[str], armed: list[bool]) -> None:
    """Record (and block) forbidden events while ``armed[0]``; imports of real module files are fine."""
    def hook(event: str, args: tuple) -> None:
        if not armed[0]:
            return
        bad = event in _FORBIDDEN or event.startswith(_FORBIDDEN_PREFIXES)
        if event == "compile":  # a module's own code may compile (namedtuple, dataclasses) while it is imported
            bad = not (_real_file(args[1] if len(args) > 1 else None) or _importing())
        elif event == "open":  # reading is fine, writing is not
            bad = len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax+")
        elif event == "exec":
            filename = getattr(args[0], "co_filename", None) if args else None
            bad = not (_real_file(filename) or _importing())  # a lazy import is fine
        if bad:
            armed[0] = False  # what we do here must not be audited
            events.append(event)
            armed[0] = True
            raise RuntimeError(f"the fuzz child blocked the audit event {event}")
    sys.addaudithook(hook)


def _read_corpus(path: str) -> list[tuple[str, bytes]]:
    items = []
    for line in Path(path).read_text().splitlines():
        name, encoded = line.split(" ", 1)
        items.append((name, base64.b64decode(encoded)))
    return items


def _child_main(argv: Sequence[str]) -> None:
    """Run cases ``start`` to ``n`` of ``seed``, writing ``i`` before case i and ``i outcome detail`` after it."""
    import importlib

    from latentlab.zoo.safe_pickle import UnsafePickleError

    corpus_path, log_path, seed, start, n, loader = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4]), argv[5]
    module, _, function = loader.partition(":")
    load = getattr(importlib.import_module(module), function)
    items = _read_corpus(corpus_path)
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    for name, data in items:  # warm up: lazy imports and first-call set-up happen before auditing starts
        if not name.startswith("attack/"):
            try:
                load(data)
            except Exception:  # noqa: BLE001 - another loader may fail on NVIDIA's names
                pass
    events: list[str] = []
    armed = [False]
    _install_audit_hook(events, armed)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    for i in range(start, n):
        _, data = make_case(i, seed, items)
        os.write(log, f"{i}\n".encode())
        events.clear()
        armed[0] = True
        try:
            load(data)
            outcome, detail = "loaded", ""
        except UnsafePickleError:
            outcome, detail = "clean_error", "refused"
        except pickle.UnpicklingError as error:
            outcome, detail = "clean_error", type(error.__cause__).__name__ if error.__cause__ else "UnpicklingError"
        except BaseException as error:  # noqa: BLE001 - anything else escaping safe_loads is a finding
            if isinstance(error, KeyboardInterrupt):
                raise
            outcome, detail = "other_error", f"{type(error).__name__}: {error}"
        finally:
            armed[0] = False
        if events:
            outcome, detail = "ran_code", ",".join(sorted(set(events)))
        detail = " ".join(detail.split())[:200]
        os.write(log, f"{i} {outcome} {detail}\n".encode())
    os.close(log)


_CHILD = "import sys; from latentlab.zoo.pickle_fuzz import _child_main; _child_main(sys.argv[1:])"


# --- the parent ------------------------------------------------------------------------------------
def run_cases(n: int, seed: int = 0, *, timeout: float = 10.0, crash_dir: str | os.PathLike | None = None,
              examples: int = 5, startup_timeout: float = 300.0,
              loader: str = "latentlab.zoo.safe_pickle:safe_loads", items: Sequence[tuple[str, bytes]] | None = None) -> dict:
    """Run ``n`` fuzz cases of ``seed`` in child processes; counts per outcome and the first offending cases.

    Returns ``{"tried", "loaded", "clean_error", "refused", "other_error", "crash", "hang", "ran_code",
    "clean_causes", "examples", "seconds"}``: ``refused`` counts the clean errors that are ``UnsafePickleError``
    and ``clean_causes`` the clean errors by the exception they were chained from. ``examples`` lists up to
    ``examples`` cases with another outcome: index, outcome, description, detail, the child's last stderr for a
    crash, and the bytes (base64, or a file under ``crash_dir``). ``loader`` (``module:function``) is what the
    child calls on each case's bytes; another one (e.g. ``pickle:loads``) shows what the harness catches.
    ``items`` (name, bytes) replaces the corpus the cases are drawn from.
    """
    began = time.monotonic()
    items = list(items) if items is not None else _corpus_cached()
    counts: dict[str, Any] = dict.fromkeys(OUTCOMES, 0)
    counts.update(tried=0, refused=0, clean_causes=collections.Counter(), examples=[])

    def record(index: int, outcome: str, detail: str, stderr: str = "") -> None:
        counts["tried"] += 1
        counts[outcome] += 1
        if outcome == "clean_error":
            counts["clean_causes"][detail] += 1
            counts["refused"] += detail == "refused"
        if outcome in _BAD and len(counts["examples"]) < examples:
            description, data = make_case(index, seed, items)
            case = {"index": index, "outcome": outcome, "case": description, "detail": detail}
            if stderr:
                case["stderr"] = stderr
            if crash_dir is not None:
                path = Path(crash_dir) / f"seed{seed}-case{index}-{outcome}.pkl"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                case["path"] = str(path)
            else:
                case["base64"] = base64.b64encode(data).decode()
            counts["examples"].append(case)

    with tempfile.TemporaryDirectory(prefix="pickle-fuzz-") as tmp:
        corpus_path = Path(tmp) / "corpus.txt"
        corpus_path.write_text("".join(f"{name} {base64.b64encode(data).decode()}\n" for name, data in items))
        package_root = str(Path(__file__).resolve().parents[2])  # the child runs in tmp but imports this latentlab
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        start = 0
        while start < n:
            log_path, err_path = Path(tmp) / f"log-{start}.txt", Path(tmp) / f"stderr-{start}.txt"
            log_path.touch()
            with open(err_path, "wb") as err:
                child = subprocess.Popen([sys.executable, "-X", "faulthandler", "-c", _CHILD, str(corpus_path),
                                          str(log_path), str(seed), str(start), str(n), loader],
                                         stdout=subprocess.DEVNULL, stderr=err, cwd=tmp, env=env)
            pending, since, buffered, position = None, time.monotonic(), "", 0
            while True:
                rc = child.poll()
                with open(log_path) as handle:
                    handle.seek(position)
                    chunk = handle.read()
                    position = handle.tell()
                lines = (buffered + chunk).split("\n")
                buffered = lines.pop()
                for line in lines:
                    index, _, rest = line.partition(" ")
                    if not rest:
                        pending, since = int(index), time.monotonic()
                    else:
                        outcome, _, detail = rest.partition(" ")
                        record(int(index), outcome, detail)
                        pending, since = None, time.monotonic()
                if rc is not None:
                    break
                limit = timeout if pending is not None else startup_timeout
                if time.monotonic() - since > limit:
                    child.kill()
                    child.wait()
                    if pending is None:
                        raise RuntimeError(f"the fuzz child made no progress for {limit} s")
                    record(pending, "hang", f"over {timeout} s")
                    break
                time.sleep(0.02)
            if rc is not None and pending is not None:
                record(pending, "crash", f"exit {rc}" + (f" (signal {-rc})" if rc < 0 else ""),
                       err_path.read_text(errors="replace")[-1500:])
            elif rc not in (0, None):
                raise RuntimeError(f"the fuzz child failed outside a case (exit {rc}): "
                                   f"{err_path.read_text(errors='replace')[-2000:]}")
            if pending is None and rc == 0:
                break
            start = pending + 1
    counts["clean_causes"] = dict(counts["clean_causes"].most_common())
    counts["seconds"] = round(time.monotonic() - began, 1)
    return counts


__all__ = ["OUTCOMES", "attack_pickles", "corpus", "deep_tuple_key", "dumps", "make_case", "mutate", "run_cases",
           "storage_bytes", "valid_pickles"]
