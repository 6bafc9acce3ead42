"""The safe unpickler against crafted pickles: each known attack, numpy round trips, bad files, and fuzzing.

The attacks that corrupt memory (they crashed the loader before it refused them) run in a forked child, so that a
regression fails their test instead of killing pytest.
"""

import json
import os
import pickle
import random
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from latentlab.zoo.pickle_fuzz import attack_pickles, make_case, mutate, run_cases, valid_pickles
from latentlab.zoo.safe_pickle import UnsafePickleError, read_network_pickle, safe_load, safe_loads

ATTACKS = attack_pickles()
# attack -> what the refusal names
REFUSALS = {
    "os_system": "os.system", "builtins_eval": "builtins.eval", "subprocess_popen": "subprocess.Popen",
    "dtype_setstate_object_array": "dtype('O')", "object_scalar": "dtype('O')", "object_array": "dtype('O')",
    "structured_array": "dtype('V5')", "dtype_fields_state": "numpy dtype state", "huge_reconstruct": "limit",
    "scalar_size_mismatch": "needs 8 raw bytes", "ndarray_call": "NEWOBJ", "huge_bytearray8": "bytearray",
    "huge_frame": "limit", "huge_bytearray_call": "bytearray is only allowed", "deep_tuple_key": "nests tuples",
    "deep_tuple_in_storage": "nests tuples", "huge_storage_numel": "declare", "persistent_id": "persistent id",
    "extension_code": "extension code", "readonly_buffer": "out-of-band",
}
# these crashed the interpreter before the fix (segfault), so they only run in a child
CRASHERS = ["dtype_setstate_object_array", "object_scalar", "deep_tuple_key", "deep_tuple_in_storage"]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_every_attack_has_a_refusal_test():
    assert set(REFUSALS) == set(ATTACKS)


@pytest.mark.parametrize("name", sorted(set(REFUSALS) - set(CRASHERS)))
def test_attack_is_refused(name):
    with pytest.raises(UnsafePickleError, match=re.escape(REFUSALS[name])):
        safe_loads(ATTACKS[name], source="attack.pkl")


_CRASH_CHILD = textwrap.dedent("""
    import json, os, sys
    from latentlab.zoo.pickle_fuzz import attack_pickles
    from latentlab.zoo.safe_pickle import UnsafePickleError, safe_loads

    attacks = attack_pickles(depth=400_000)  # hashing a tuple nested 400,000 deep overflows the C stack
    results = {}
    for name in sys.argv[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # one forked child per attack: a segfault kills only it
            os.close(read)
            try:
                value = safe_loads(attacks[name])
                os.write(write, f"loaded a {type(value).__name__}; ".encode())
                if hasattr(value, "item"):
                    value.item()  # before the fix: an object array whose pointer the file chose (0x4141414141414141)
                os.write(write, b"no UnsafePickleError")
            except UnsafePickleError as error:
                os.write(write, f"UnsafePickleError raised: {error}".encode())
            os._exit(0)
        os.close(write)
        output = b"".join(iter(lambda: os.read(read, 65536), b"")).decode()
        os.close(read)
        results[name] = {"returncode": os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), "output": output}
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def crash_results() -> dict:
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    result = subprocess.run([sys.executable, "-c", _CRASH_CHILD, *CRASHERS], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", CRASHERS)
def test_memory_corrupting_attack_is_refused_in_a_child(crash_results, name):
    """The dtype-setstate object array, an object-dtype scalar and deep tuple keys segfaulted the loader before."""
    child = crash_results[name]
    assert child["returncode"] == 0, f"the child died (exit {child['returncode']}): {child['output']}"
    assert child["output"].startswith("UnsafePickleError raised") and REFUSALS[name] in child["output"], child["output"]


# --- legitimate numpy pickles still load -----------------------------------------------------------------
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<f8", ">f8", "i1", "?", "<i4", ">i4", "<c8", ">u2"])
def test_numpy_arrays_round_trip(protocol, dtype):
    base = (np.arange(12) % 7 - 3).astype(dtype)
    arrays = [base.reshape(3, 4), np.asfortranarray(base.reshape(3, 4)), base[::3], np.array(base[4]), base[:0]]
    data = pickle.dumps(arrays, protocol=protocol)
    back, reference = safe_loads(data), pickle.loads(data)
    for array, got, want in zip(arrays, back, reference):
        assert type(got) is np.ndarray and got.shape == array.shape and got.dtype == want.dtype
        assert got.dtype.kind == array.dtype.kind and got.dtype.itemsize == array.dtype.itemsize
        assert np.array_equal(got, array)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_numpy_dtypes_shared_through_the_memo_and_scalars(protocol):
    """A dtype written once and fetched from the memo later keeps its own byte order, and only its own."""
    little, big = np.arange(3, dtype="<f4"), np.arange(6, dtype=">f4")
    values = [little, big, big[::2], little + 3, big.dtype, little.dtype, np.float64(0.5), np.int8(-3), np.bool_(True),
              np.float32(2.5), np.array(["ab", "c"], dtype=">U2"), np.array([b"xyz", b""])]
    data = pickle.dumps(values, protocol=protocol)
    for got, want in zip(safe_loads(data), pickle.loads(data), strict=True):
        assert type(got) is type(want)
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and np.array_equal(got, want)
        else:
            assert got == want


def test_fuzz_corpus_loads_and_reads_as_networks(tmp_path):
    corpus = valid_pickles()
    for name, data in corpus.items():
        safe_loads(data, source=name)
    path = tmp_path / "snapshot.pkl"
    path.write_bytes(corpus["ada_snapshot_p4"])
    assert sorted(read_network_pickle(path).networks) == ["D", "G", "G_ema", "augment_pipe"]
    path.write_bytes(corpus["tf_network_p2"])
    gs = read_network_pickle(path).generator()[1]
    assert gs.variables()["mapping/noise0"].shape == (1, 1, 4, 4)


# --- bad files give one clear error --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "garbage"])
def test_bad_file_gives_a_clear_error_naming_it(tmp_path, kind):
    snapshot = valid_pickles()["ada_snapshot_p4"]
    content = {"empty": b"", "text": b"model: ffhq\nresolution: 1024\n", "truncated": snapshot[:len(snapshot) // 2],
               "garbage": random.Random(0).randbytes(300)}[kind]
    path = tmp_path / f"{kind}.pkl"
    path.write_bytes(content)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(str(path))) as info:
        safe_load(path)
    assert "pickle" in str(info.value)
    if not isinstance(info.value, UnsafePickleError):
        assert info.value.__cause__ is not None  # chained to what went wrong
    with pytest.raises(pickle.UnpicklingError, match=re.escape(str(path))):
        read_network_pickle(path)


def test_every_truncation_gives_an_unpickling_error():
    for name in ("numpy_p5", "tensors_p2"):
        data = valid_pickles()[name]
        for end in range(0, len(data) - 1, 7):
            with pytest.raises(pickle.UnpicklingError):
                safe_loads(data[:end])


# --- fuzzing -------------------------------------------------------------------------------------------
def test_cases_are_deterministic():
    items = list(valid_pickles().items())
    assert [make_case(i, 3, items) for i in range(20)] == [make_case(i, 3, items) for i in range(20)]
    data = items[0][1]
    assert mutate(data, random.Random(1)) == mutate(data, random.Random(1)) != data


_PROBE = '''
import os, signal, time

def load(data):  # what the harness must notice, chosen by the case's length
    kind = len(data) % 4
    if kind == 1:
        os.kill(os.getpid(), signal.SIGSEGV)
    if kind == 2:
        time.sleep(60)
    if kind == 3:
        os.system("true")
'''


def test_harness_counts_crashes_hangs_and_code(tmp_path, monkeypatch):
    (tmp_path / "fuzz_probe.py").write_text(_PROBE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    items = [("a", b"\x80\x02N."), ("b", b"\x80\x02K\x01K\x02\x86.")]  # lengths 4 and 8: the warm-up loads pass
    n = 6
    kinds = [len(make_case(i, 9, items)[1]) % 4 for i in range(n)]
    assert sorted(set(kinds)) == [0, 1, 2, 3]  # seed 9: one crash, one hang, one code run
    counts = run_cases(n, seed=9, timeout=2, loader="fuzz_probe:load", items=items, examples=n)
    expected = {name: kinds.count(k) for k, name in enumerate(["loaded", "crash", "hang", "ran_code"])}
    assert {k: counts[k] for k in expected} == expected and counts["tried"] == n
    assert sorted(case["index"] for case in counts["examples"]) == [i for i, k in enumerate(kinds) if k]


def test_fuzzing_finds_no_crash_hang_code_or_stray_exception():
    n = 8000  # about 20 s on 2 cores (a child process, one case at a time)
    counts = run_cases(n, seed=2024)
    print({k: v for k, v in counts.items() if k != "examples"})
    assert counts["tried"] == n
    bad = {k: counts[k] for k in ("crash", "hang", "ran_code", "other_error")}
    assert bad == dict.fromkeys(bad, 0), counts["examples"]
    assert counts["loaded"] >= 0.03 * n and counts["loaded"] + counts["refused"] >= 0.25 * n  # not only parse errors
