#!/usr/bin/python3
"""Generate the *real* binary fixtures under test/fixtures/real/.

These files are produced by the genuine serializers (CPython pickle, torch.save,
torch.jit.save, numpy.save/savez_compressed, joblib.dump) so the scanner is
tested against real-world byte layouts, not only hand-built opcode streams.

Run with the Debian system interpreter, which has torch + numpy (+ joblib):

    /usr/bin/python3 scripts/make-real-fixtures.py

The output is byte-for-byte deterministic for a given set of library versions:
seeds are fixed, the script re-executes itself with PYTHONHASHSEED=0, .npz zip
timestamps are pinned, the TorchScript module is compiled under a fixed pseudo
file name (no checkout path in the debug info) and the legacy torch format's
address-based storage keys are renumbered canonically.
The versions used are printed at the end together with sha256 / size of every
file, so test/fixtures/README.md can be refreshed.

SAFETY: the files under malicious/ carry real __reduce__ payloads (os.system,
builtins.exec, os.popen). They are only ever *written* here, never loaded.
The payloads are harmless anyway (`echo antidote-fixture`, `print(1)`).
Do not torch.load / pickle.load / np.load(allow_pickle=True) / joblib.load them.
"""

import contextlib
import hashlib
import linecache
import os
import pickle
import pickletools
import platform
import sys
import time
import types
import zipfile

import numpy as np
import torch

try:
    import joblib  # Debian: apt-get install python3-joblib
except ImportError:  # pragma: no cover - joblib fixtures are optional
    joblib = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "real")
MAL = os.path.join(OUT, "malicious")

PAYLOAD_CMD = "echo antidote-fixture"
MAX_SIZE = 64 * 1024

written = []


def path(name):
    return os.path.join(OUT, name)


def record(p):
    written.append(p)


def seed():
    torch.manual_seed(0)
    np.random.seed(0)


# --------------------------------------------------------------------------
# helpers for determinism
# --------------------------------------------------------------------------

_FIXED_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the zip epoch


@contextlib.contextmanager
def pinned_zip_time():
    """numpy.savez* uses zipfile, which stamps entries with the current local
    time. Pin it so the .npz bytes are reproducible."""
    real = zipfile.time
    fake = types.SimpleNamespace(
        time=lambda: float(_FIXED_EPOCH),
        localtime=lambda t=None: time.gmtime(_FIXED_EPOCH),
        gmtime=lambda t=None: time.gmtime(_FIXED_EPOCH),
    )
    zipfile.time = fake
    try:
        yield
    finally:
        zipfile.time = real


def _pickle_end(data, start):
    """Offset just past the STOP opcode of the pickle starting at `start`."""
    end = None
    for op, _arg, pos in pickletools.genops(data[start:]):
        if op.name == "STOP":
            end = start + pos + 1
            break
    assert end is not None, "unterminated pickle"
    return end


def _storage_types_by_key(payload, keys):
    """Walk the payload pickle (protocol 2) and map each storage key to the
    storage class named just before it in its persistent id tuple
    ('storage', torch.FloatStorage, key, location, numel, view_metadata).
    Returns (key -> 'FloatStorage', keys in order of first appearance)."""
    memo, last_global, pending_put = {}, None, None
    types_, order = {}, []
    for op, arg, _pos in pickletools.genops(payload):
        if op.name == "GLOBAL":
            last_global = arg.split(" ", 1)[1] if arg.startswith("torch ") else None
            pending_put = last_global
            continue
        if op.name in ("BINPUT", "LONG_BINPUT", "PUT") and pending_put is not None:
            memo[arg] = pending_put
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
            last_global = memo[arg]
        elif op.name == "BINUNICODE" and arg in keys and arg not in types_:
            assert last_global and last_global.endswith("Storage"), (arg, last_global)
            types_[arg] = last_global
            order.append(arg)
        pending_put = None
    assert sorted(order) == sorted(keys)
    return types_, order


def renumber_legacy_storage_keys(p):
    """The legacy (non-zip) torch format is 5 pickles (magic, protocol version,
    sys_info, payload, sorted storage-key list) followed by the raw storages
    (int64 numel + bytes each) in key-list order. Keys are str(storage._cdata),
    i.e. heap addresses, so both the names and their sort order change from
    run to run. Rewrite them canonically: keys become "0", "1", ... in order of
    first appearance in the payload (what the zip format does), the key list
    pickle is re-emitted exactly as torch would (pickle.dump(list, protocol=2))
    and the raw storage blocks are reordered to match. Protocol 2 has no
    framing, so changing string lengths keeps the stream valid."""
    with open(p, "rb") as f:
        data = f.read()
    off = 0
    for _ in range(3):  # magic, protocol version, sys_info
        off = _pickle_end(data, off)
    payload_start = off
    payload_end = _pickle_end(data, payload_start)
    keys_end = _pickle_end(data, payload_end)
    keys = pickle.loads(data[payload_end:keys_end])  # a plain list of str
    assert isinstance(keys, list) and all(isinstance(k, str) for k in keys)
    stypes, order = _storage_types_by_key(data[payload_start:payload_end], keys)

    # split the raw storage section into blocks, in the original key order
    blocks, pos = {}, keys_end
    for k in keys:
        numel = int.from_bytes(data[pos : pos + 8], "little")
        esize = torch._utils._element_size(getattr(torch, stypes[k]).dtype)
        blocks[k] = data[pos : pos + 8 + numel * esize]
        pos += 8 + numel * esize
    assert pos == len(data), "unexpected trailing bytes in legacy file"

    payload = data[payload_start:payload_end]
    rename = {k: str(i) for i, k in enumerate(order)}
    for k, new in rename.items():
        enc_old, enc_new = k.encode(), new.encode()
        pat_old = b"X" + len(enc_old).to_bytes(4, "little") + enc_old
        pat_new = b"X" + len(enc_new).to_bytes(4, "little") + enc_new
        assert payload.count(pat_old) >= 1, k
        payload = payload.replace(pat_old, pat_new)

    out = data[:payload_start] + payload
    out += pickle.dumps([rename[k] for k in order], protocol=2)
    out += b"".join(blocks[k] for k in order)
    with open(p, "wb") as f:
        f.write(out)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------


def tiny_linear():
    seed()
    return torch.nn.Linear(4, 3)


def tiny_sequential():
    seed()
    return torch.nn.Sequential(
        torch.nn.Embedding(10, 4),
        torch.nn.LayerNorm(4),
        torch.nn.Linear(4, 3),
    )


# TorchScript records the source file path of every scripted class in
# code/*.debug_pkl. Compile the module from a string under a fixed pseudo file
# name (registered in linecache so inspect/torch.jit can read it) so the
# archive does not depend on where this repository is checked out.
_TINY_SCRIPTED_FILE = "<antidote-fixture>/tiny_scripted.py"
_TINY_SCRIPTED_SRC = """\
import torch


class TinyScripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(4)
        self.proj = torch.nn.Linear(4, 3)
        self.scale: float = 0.5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.proj(self.norm(x))) * self.scale
"""


def tiny_scripted_class():
    linecache.cache[_TINY_SCRIPTED_FILE] = (
        len(_TINY_SCRIPTED_SRC),
        None,  # mtime None: never invalidated by linecache.checkcache
        _TINY_SCRIPTED_SRC.splitlines(True),
        _TINY_SCRIPTED_FILE,
    )
    ns = {"__name__": "__main__"}
    exec(compile(_TINY_SCRIPTED_SRC, _TINY_SCRIPTED_FILE, "exec"), ns)
    return ns["TinyScripted"]


# --------------------------------------------------------------------------
# BENIGN
# --------------------------------------------------------------------------


def make_torch_benign():
    # 1. plain state_dict, default zip format
    p = path("linear-state-dict.pt")
    torch.save(tiny_linear().state_dict(), p)
    record(p)

    # 2. a typical training checkpoint
    model = tiny_sequential()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.tensor([[1, 2, 3], [4, 5, 6]])
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
    seed()
    ckpt = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 3,
        "rng_state": torch.get_rng_state(),
        "numpy_rng": np.random.get_state(),
        "config": {"lr": 1e-3, "name": "tiny"},
    }
    p = path("checkpoint-full.pt")
    torch.save(ckpt, p)
    record(p)

    # 3. legacy (pre-1.6) multi-pickle format
    p = path("legacy-state-dict.pt")
    torch.save(tiny_linear().state_dict(), p, _use_new_zipfile_serialization=False)
    renumber_legacy_storage_keys(p)
    ref = tiny_linear().state_dict()
    got = torch.load(p)
    assert all(torch.equal(ref[k], got[k]) for k in ref)
    record(p)

    # 4. TorchScript archive
    seed()
    scripted = torch.jit.script(tiny_scripted_class()())
    p = path("torchscript-tiny.pt")
    torch.jit.save(scripted, p)
    record(p)

    # 5. tensors of many dtypes + Parameter + Size + device + dtype
    seed()
    base = torch.arange(6, dtype=torch.float32)
    tensors = {
        "f16": torch.randn(3).to(torch.float16),
        "bf16": torch.randn(3).to(torch.bfloat16),
        "f64": torch.randn(2, dtype=torch.float64),
        "i64": torch.arange(4, dtype=torch.int64),
        "i8": torch.tensor([-1, 0, 1], dtype=torch.int8),
        "u8": torch.tensor([0, 128, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "c64": torch.randn(2, dtype=torch.complex64),
        "param": torch.nn.Parameter(torch.randn(2, 2)),
        "base": base,
        "view": base[2:5],  # shares storage with "base", non-zero offset
        "scalar": torch.tensor(7.0),
        "shape": torch.Size([2, 3]),
        "device": torch.device("cpu"),
        "dtype": torch.float32,
    }
    p = path("tensor-bf16-and-int.pt")
    torch.save(tensors, p)
    got = torch.load(p)
    assert got["shape"] == torch.Size([2, 3]) and got["device"] == torch.device("cpu")
    assert torch.equal(got["bf16"], tensors["bf16"])
    record(p)


def make_numpy_benign():
    seed()
    p = path("array-float.npy")
    np.save(p, np.random.rand(4, 3).astype(np.float32))
    record(p)

    p = path("arrays.npz")
    with pinned_zip_time():
        np.savez_compressed(
            p,
            weights=np.random.rand(8, 4),
            bias=np.linspace(-1.0, 1.0, 4, dtype=np.float32),
        )
    record(p)


def make_joblib_benign():
    if joblib is None:
        print("joblib not installed: skipping joblib fixtures", file=sys.stderr)
        return
    seed()
    data = {
        "coef_": np.random.rand(3, 4),
        "intercept_": np.zeros(3, dtype=np.float32),
        "classes_": np.array([0, 1, 2], dtype=np.int64),
        "n_features_in_": 4,
        "feature_names": ["a", "b", "c", "d"],
    }
    p = path("sklearn-like.joblib")
    joblib.dump(data, p)  # uncompressed: raw array bytes inside the pickle stream
    record(p)

    small = {"a": np.arange(16, dtype=np.float64), "b": np.ones((2, 3), dtype=np.float32)}
    for name, compress in [
        ("arrays-zlib.joblib", 3),
        ("arrays-gzip.joblib", "gzip"),
        ("arrays-bz2.joblib", "bz2"),
        ("arrays-lzma.joblib", "lzma"),
        ("arrays-xz.joblib", "xz"),
    ]:
        p = path(name)
        joblib.dump(small, p, compress=compress)
        got = joblib.load(p)
        assert np.array_equal(got["a"], small["a"])
        record(p)


def benign_structure():
    shared = [1, 2, 3]
    return {
        "none": None,
        "bools": (True, False),
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -(2**31), 2**31, 2**63],
        "big": 2**100,
        "huge": -(2**2100),  # > 256 byte two's complement: LONG4 at proto >= 2
        "floats": [0.0, -0.0, 1.5, 1e300, float("inf")],
        "text": "hello \u00e9\u4e16\u754c",
        "long_text": "x" * 300,
        "bytes": b"\x00\x01binary\xff",
        "long_bytes": bytes(range(256)) + b"tail",
        "set": {1, 2, 3},  # ints only: deterministic order under hash randomization
        "tuples": ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
        "nested": {"a": [{"b": ({"c": [[]]},)}], "empty": {}},
        "shared1": shared,
        "shared2": shared,  # memo GET / BINGET
    }


def make_pickle_benign():
    for proto in range(0, 6):
        obj = benign_structure()
        if proto == 5:
            obj["bytearray"] = bytearray(b"mutable")  # BYTEARRAY8
            obj["picklebuf"] = pickle.PickleBuffer(bytearray(b"in-band"))
        p = path(f"plain-protocol{proto}.pkl")
        with open(p, "wb") as f:
            f.write(pickle.dumps(obj, protocol=proto))
        with open(p, "rb") as f:
            back = pickle.loads(f.read())
        assert back["huge"] == obj["huge"] and back["set"] == {1, 2, 3}
        record(p)

    # protocol 5 with out-of-band buffers (NEXT_BUFFER / READONLY_BUFFER).
    # The buffers themselves are not in the file: to load it you must pass
    # buffers=[b"out-of-band-rw", b"out-of-band-ro"]. It is here for opcode
    # coverage only.
    obj = {
        "rw": pickle.PickleBuffer(bytearray(b"out-of-band-rw")),
        "ro": pickle.PickleBuffer(b"out-of-band-ro"),
    }
    bufs = []
    p = path("plain-protocol5-oob.pkl")
    with open(p, "wb") as f:
        f.write(pickle.dumps(obj, protocol=5, buffer_callback=bufs.append))
    assert len(bufs) == 2
    record(p)


# --------------------------------------------------------------------------
# MALICIOUS (written only; NEVER loaded)
# --------------------------------------------------------------------------


class OsSystem:
    def __reduce__(self):
        return (os.system, (PAYLOAD_CMD,))


class BuiltinsExec:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


class OsPopen:
    def __reduce__(self):
        return (os.popen, (PAYLOAD_CMD,))


def write_bytes(p, data):
    with open(p, "wb") as f:
        f.write(data)
    record(p)


def make_malicious():
    os.makedirs(MAL, exist_ok=True)

    # GLOBAL 'posix system' (os.system.__module__ is 'posix' on Linux)
    write_bytes(os.path.join(MAL, "os-system-p2.pkl"), pickle.dumps(OsSystem(), protocol=2))
    # SHORT_BINUNICODE x2 + STACK_GLOBAL + MEMOIZE, framed
    write_bytes(os.path.join(MAL, "os-system-p4.pkl"), pickle.dumps(OsSystem(), protocol=4))
    # text protocol: 'c__builtin__\nexec\n' (fix_imports maps builtins -> __builtin__)
    write_bytes(
        os.path.join(MAL, "builtins-exec-p0.pkl"),
        pickle.dumps(BuiltinsExec("print('antidote-fixture')"), protocol=0),
    )
    # a pure-Python os function: GLOBAL 'os popen' (literal "os" module)
    write_bytes(os.path.join(MAL, "os-popen-p3.pkl"), pickle.dumps(OsPopen(), protocol=3))

    # zip checkpoint with the payload inside archive/data.pkl next to real tensors
    seed()
    p = os.path.join(MAL, "torch-zip-exec.pt")
    torch.save({"state_dict": tiny_linear().state_dict(), "hook": BuiltinsExec("print(1)")}, p)
    record(p)

    # legacy format: pickles are magic, protocol, sys_info, PAYLOAD, keys.
    # The payload sits in the 4th pickle (index 3), after three benign ones.
    p = os.path.join(MAL, "legacy-torch-payload-in-third-pickle.pt")
    torch.save(
        {"state_dict": tiny_linear().state_dict(), "hook": OsSystem()},
        p,
        _use_new_zipfile_serialization=False,
    )
    renumber_legacy_storage_keys(p)
    record(p)

    # .npy object array: header + protocol 3 pickle holding the payload
    arr = np.empty(2, dtype=object)
    arr[0] = "benign"
    arr[1] = OsSystem()
    p = os.path.join(MAL, "object-array.npy")
    np.save(p, arr, allow_pickle=True)
    record(p)

    # joblib: payload comes AFTER a NumpyArrayWrapper + its raw array bytes
    if joblib is not None:
        seed()
        p = os.path.join(MAL, "joblib-payload.joblib")
        joblib.dump({"coef_": np.random.rand(2, 3), "hook": OsSystem()}, p)
        record(p)


# --------------------------------------------------------------------------


def main():
    # TorchScript serializes a module's __constants__ (a set of str) in set
    # order, which depends on hash randomization: re-exec with a fixed seed.
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    os.makedirs(OUT, exist_ok=True)
    make_torch_benign()
    make_numpy_benign()
    make_joblib_benign()
    make_pickle_benign()
    make_malicious()

    print(
        "# python %s, torch %s, numpy %s, joblib %s"
        % (
            platform.python_version(),
            torch.__version__,
            np.__version__,
            joblib.__version__ if joblib else "n/a",
        )
    )
    total = 0
    for p in sorted(set(written)):
        with open(p, "rb") as f:
            data = f.read()
        assert len(data) < MAX_SIZE, (p, len(data))
        total += len(data)
        print("| `%s` | %d | `%s` |" % (os.path.relpath(p, OUT), len(data), hashlib.sha256(data).hexdigest()))
    print("# total %d bytes in %d files" % (total, len(set(written))))


if __name__ == "__main__":
    main()
