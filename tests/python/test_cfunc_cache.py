"""cfunc(cache=True): object code reused across processes, keyed by everything that shapes it, robust to bad files."""
import json
import math
import os
import struct
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import nativecall
from nativecall import _cache, _jit, carray, cfunc
from nativecall.extending import jitable

HERE = Path(__file__).resolve().parent
# Child processes import the nativecall this process tests (installed, or a dev tree on PYTHONPATH).
PYTHON_PATH = os.pathsep.join([str(Path(nativecall.__file__).resolve().parent.parent), str(HERE)])

SCALE = 2.0


def scaled(x):
    return x * SCALE + 1.0


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("NATIVECALL_CACHE_DIR", str(folder))
    return folder


def run_python(code_or_args, cache_dir, *, background=False):
    env = dict(os.environ, NATIVECALL_CACHE_DIR=str(cache_dir), PYTHONPATH=PYTHON_PATH)
    args = [sys.executable, *code_or_args] if isinstance(code_or_args, list) else [sys.executable, "-c", code_or_args]
    if background:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


class Codegen:
    """Counts LLVM codegen runs in this process across a block."""

    def __enter__(self):
        self.start = _jit.codegen_runs()
        return self

    def __exit__(self, *exc):
        self.runs = _jit.codegen_runs() - self.start


def compiled_scaled(**options):
    return cfunc("float64(float64)", cache=True, **options)(scaled)


def test_a_second_process_loads_from_the_cache_without_running_llvm(cache_dir):
    points = ["0.0", "0.5", "-1.25", "3.0"]
    first = json.loads(run_python([str(HERE / "cfunc_workers.py"), *points], cache_dir).stdout)
    second = json.loads(run_python([str(HERE / "cfunc_workers.py"), *points], cache_dir).stdout)
    assert len(list(cache_dir.glob("*.ncc"))) == 2
    # After the runs: importing it here may add files (this process may hold extensions
    # other test modules registered, which are part of its keys).
    import cfunc_workers
    expected = [cfunc_workers.combined_reference(float(p)) for p in points]
    assert first["codegen_runs"] == 2            # gauss and combined
    assert second["codegen_runs"] == 0
    assert first["values"] == pytest.approx(expected, rel=1e-15)
    assert second["values"] == first["values"]


def test_a_cache_hit_in_the_same_process_is_a_working_copy():
    with Codegen() as cold:
        f = compiled_scaled()
    with Codegen() as warm:
        g = compiled_scaled()
    assert (cold.runs, warm.runs) == (1, 0)
    assert g.address != f.address
    assert [g(x) for x in (0.0, 1.5, -7.0)] == [scaled(x) for x in (0.0, 1.5, -7.0)]
    assert g.llvm_ir == f.llvm_ir and "fmul" in g.llvm_ir


@pytest.mark.parametrize("change", ["source", "global", "signature", "opt_level", "debug", "host", "compiler build"])
def test_changing_any_part_of_the_key_compiles_again(change, monkeypatch):
    compiled_scaled()
    kwargs, sig, function = {}, "float64(float64)", scaled
    if change == "source":   # the same function name, another body
        function, text = None, "def scaled(x):\n    return x * SCALE + 2.0\n"
    elif change == "global":
        monkeypatch.setattr(sys.modules[__name__], "SCALE", 3.0)
    elif change == "signature":
        sig = "float32(float32)"
    elif change == "opt_level":
        kwargs["opt_level"] = 3
    elif change == "debug":
        kwargs["debug"] = True
    elif change == "host":
        monkeypatch.setattr(_cache, "_host", _cache.host_id() + ",+imaginary-feature")
    elif change == "compiler build":   # a rebuilt _jit module, same version
        build = _cache._compiler_build()
        assert build is not None and build[0] == os.path.getsize(nativecall._jit.__file__)
        monkeypatch.setattr(_cache, "_compiler_build", lambda: (build[0] + 1, build[1]))
        monkeypatch.setattr(_cache, "_process_part", (None, b""))

    def make():
        if function is None:
            return cfunc(sig, source=text, cache=True, **kwargs)
        return cfunc(sig, cache=True, **kwargs)(function)

    with Codegen() as changed:
        f = make()
    with Codegen() as again:
        g = make()
    assert (changed.runs, again.runs) == (1, 0)
    offset = 2.0 if change == "source" else 1.0
    for x in (0.5, -2.0):
        assert f(x) == g(x) == pytest.approx(x * SCALE + offset, rel=1e-6)


def test_a_callee_change_reaches_its_callers_key():
    namespace = {"__name__": "cached_callers"}
    first = cfunc("float64(float64)", source="def inner(x):\n    return x + 1.0\n", cache=True)
    second = cfunc("float64(float64)", source="def inner(x):\n    return x + 2.0\n", cache=True)
    keys = set()
    for inner in (first, second):
        namespace["inner"] = inner
        exec("def outer(x):\n    return inner(x) * 2.0\n", namespace)
        snapshot = nativecall.jit._snapshot(namespace["outer"])
        keys.add(_cache.key("def outer(x):\n    return inner(x) * 2.0\n", "outer", "float64(float64)", *snapshot, 1, False))
    assert len(keys) == 2


def test_record_parameter_types_are_part_of_the_key():
    # The signature text says voidptr for both; the record layout decides which bytes `b` is.
    import numpy as np
    from nativecall import types
    source = "def second(p):\n    return p[0].b\n"
    with Codegen() as runs:
        functions = []
        for dtype in (np.dtype([("a", "f8"), ("b", "f8")]), np.dtype([("b", "f8"), ("a", "f8")])):
            record = types.from_dtype(dtype)
            functions.append((cfunc(types.float64(types.CPointer(record)), source=source, cache=True), dtype))
    assert runs.runs == 2
    for function, dtype in functions:
        value = np.zeros(1, dtype)
        value["a"], value["b"] = 1.0, 2.0
        assert function(value.ctypes.data) == 2.0


_tripled = cfunc("float64(float64)", source="def tripled(x):\n    return x * 3.0\n")


@jitable
def _plus_tripled(x):
    return _tripled(x) + 1.0


def _outer(x):
    return _plus_tripled(x) * 2.0


def test_cached_code_calls_a_cfunc_reached_through_a_jitable():
    with Codegen() as cold:
        first = cfunc("float64(float64)", cache=True)(_outer)
    with Codegen() as warm:
        second = cfunc("float64(float64)", cache=True)(_outer)
    assert (cold.runs, warm.runs) == (1, 0)
    assert first(2.0) == second(2.0) == (2.0 * 3.0 + 1.0) * 2.0


def _decaying(x):
    return _tripled(x) * math.exp(-x * x)   # an import symbol and a libm call in the loop entry


def _bell(x):
    return math.exp(-x * x) * (1.0 + x)


def _decaying_reference(x):
    return 3.0 * x * math.exp(-x * x)


def test_a_cache_loaded_integrand_builds_its_loop_entry_on_first_use():
    import ctypes

    import numpy as np
    import scipy.integrate

    from nativecall.integrate import quad
    cfunc("float64(float64)", cache=True)(_decaying)
    with Codegen() as warm:
        loaded = cfunc("float64(float64)", cache=True)(_decaying)
    with Codegen() as first:
        value, error = quad(loaded, 0.0, math.inf)
    with Codegen() as second:
        assert quad(loaded, 0.0, math.inf) == (value, error)
    # Loading runs no LLVM; the loop entry is one codegen run, on the first integration only.
    assert (warm.runs, first.runs, second.runs) == (0, 1, 0)
    expected, expected_error = scipy.integrate.quad(_decaying_reference, 0.0, math.inf)
    assert abs(value - expected) <= error + expected_error
    # The loop entry computes what the scalar entry does (vector libm: within a few ulp).
    assert loaded._compiled.many_address != 0
    pointer = ctypes.POINTER(ctypes.c_double)
    many = ctypes.CFUNCTYPE(None, pointer, pointer, ctypes.c_int64)(loaded._compiled.many_address)
    x = np.linspace(-6.0, 6.0, 37)
    fx = np.full_like(x, np.nan)
    many(x.ctypes.data_as(pointer), fx.ctypes.data_as(pointer), len(x))
    np.testing.assert_array_max_ulp(fx, [loaded.ctypes(v) for v in x], maxulp=4)


def test_loop_entries_are_cached_so_a_later_process_integrates_without_llvm(cache_dir):
    worker = [str(HERE / "cfunc_loop_worker.py")]
    first = json.loads(run_python(worker, cache_dir).stdout)
    files = {p.name: p.stat().st_mtime_ns for p in cache_dir.glob("*.ncc")}
    second = json.loads(run_python(worker, cache_dir).stdout)
    # Each integrand's two loops (over part of the line and over all of it) beside its three functions.
    assert len(files) == 3 + 4
    assert sum("_many-" in name for name in files) == 2 and sum("_mirrored_sum-" in name for name in files) == 2
    assert first["codegen_runs"] == 4
    assert second["codegen_runs"] == 0
    assert {p.name: p.stat().st_mtime_ns for p in cache_dir.glob("*.ncc")} == files   # read, not rewritten
    assert second["quad"] == first["quad"] and second["batch"] == first["batch"]   # the same loops, bit for bit
    # And they are right: the cosine transform of exp(-x^2) at 3 (the loaded libmvec cos runs in them).
    half_line = math.sqrt(math.pi) / 2 * math.exp(-9.0 / 4.0)
    for (value, error), exact in zip(first["quad"][:2], [half_line, 2 * half_line]):
        assert abs(float.fromhex(value) - exact) <= float.fromhex(error)


def test_a_loop_entry_file_that_does_not_load_is_ignored_with_a_warning_and_rewritten(cache_dir):
    from nativecall.integrate import quad

    f = cfunc("float64(float64)", cache=True)(_decaying)
    with Codegen() as built:
        expected = quad(f, 0.0, math.inf)
    assert built.runs == 1
    [loop_file] = [p for p in cache_dir.glob("*.ncc") if "_many-" in p.name]
    damaged = bytearray(loop_file.read_bytes())
    damaged[-10] ^= 0xFF
    key = _cache.loop_key(bytes.fromhex(f._cache_key), "many")
    header = {"function_symbol": "loop", "loop": "many", "signature": f.signature, "imports": []}
    for why, write in [("checksum mismatch", lambda: loop_file.write_bytes(bytes(damaged))),
                       ("cannot be loaded .*does not parse",
                        lambda: _cache._write(str(loop_file), key, header, b"not object code", b"", 2)),
                       ("holds the 'mirrored_sum' loop entry",
                        lambda: _cache._write(str(loop_file), key, {**header, "loop": "mirrored_sum"}, b"", b"", 2))]:
        write()
        g = cfunc("float64(float64)", cache=True)(_decaying)   # the function's own file is sound
        with pytest.warns(_cache.NativecallCacheWarning, match=why), Codegen() as rebuilt:
            assert quad(g, 0.0, math.inf) == expected
        assert rebuilt.runs == 1
        assert _cache._checked_payload(str(loop_file), key) is not None   # rewritten whole by the build
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = cfunc("float64(float64)", cache=True)(_decaying)
        with Codegen() as loaded:
            assert quad(h, 0.0, math.inf) == expected
    assert loaded.runs == 0


def test_a_loop_cache_warning_made_an_error_reaches_the_caller_and_the_next_call_looks_again(cache_dir):
    import pickle

    from nativecall.integrate import quad

    f = cfunc("float64(float64)", cache=True)(_bell)
    expected = quad(f, 0.0, math.inf)
    [loop_file] = [p for p in cache_dir.glob("*.ncc") if "_many-" in p.name]
    sound = loop_file.read_bytes()
    loop_file.write_bytes(b"XXXX" + sound[4:])
    g = cfunc("float64(float64)", cache=True)(_bell)
    with warnings.catch_warnings():
        warnings.simplefilter("error", _cache.NativecallCacheWarning)
        with pytest.raises(_cache.NativecallCacheWarning, match="bad magic"):
            quad(g, 0.0, math.inf)
    with pytest.warns(_cache.NativecallCacheWarning, match="bad magic"), Codegen() as rebuilt:
        assert quad(g, 0.0, math.inf) == expected
    assert rebuilt.runs == 1
    # An unpickled cached cfunc finds the rewritten loop as a new process would (its key is
    # f's: it calls no cfunc made before other tests registered extensions).
    h = pickle.loads(pickle.dumps(f))
    with Codegen() as unpickled:
        assert quad(h, 0.0, math.inf) == expected
    assert unpickled.runs == 0


def test_a_folder_keeps_the_newest_entries_of_each_name(cache_dir):
    # Each edit (here: a new constant in the snapshot) writes a new entry under a new key;
    # beyond KEEP_PER_NAME the oldest go, the newest stay, and other names are untouched.
    global SCALE
    keep = _cache.KEEP_PER_NAME
    def product(x, y):
        return x * y

    other = cfunc("float64(float64, float64)", cache=True)(product)
    try:
        for i in range(keep + 3):
            SCALE = 10.0 + i
            f = compiled_scaled()
            assert f(1.0) == SCALE + 1.0
    finally:
        SCALE = 2.0
    mine = sorted(cache_dir.glob("test_cfunc_cache_scaled-*.ncc"), key=lambda p: p.stat().st_mtime_ns)
    assert len(mine) == keep
    assert mine[-1].name == os.path.basename(_cache.cache_path(scaled.__code__.co_filename, "scaled",
                                                                bytes.fromhex(f._cache_key)))
    with Codegen() as newest:   # the last version is still cached
        SCALE = 10.0 + keep + 2
        try:
            assert compiled_scaled()(1.0) == SCALE + 1.0
        finally:
            SCALE = 2.0
    assert newest.runs == 0
    assert len(list(cache_dir.glob("test_cfunc_cache_product-*.ncc"))) == 1 and other(2.0, 3.0) == 6.0


def test_loaded_code_has_a_loop_entry_only_with_its_source():
    f = cfunc("float64(float64)")(_decaying)
    c = f._compiled
    source, filename, first_line, column_offset, name, described, opt_level, debug, _ = f._build
    args = (source, filename, first_line, column_offset, name, "float64(float64)", described, opt_level, debug, None,
            None)
    plain = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name)
    assert plain.many_address == 0 and plain(0.5) == f(0.5)
    with_source = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature,
                                     c.name, source=args)
    assert with_source.many_address != 0
    # A source compiled for another signature is not this code's: no loop entry from it.
    other = args[:5] + ("float64(float64, voidptr)",) + args[6:]
    mismatched = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature,
                                    c.name, source=other)
    assert mismatched.many_address == 0
    # Source that does not compile here leaves the working scalar entry, without an error.
    broken = (args[0].replace("_tripled", "not_defined_anywhere"),) + args[1:]
    assert broken[0] != args[0]
    stale = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name,
                               source=broken)
    assert stale.many_address == 0 and stale(0.5) == f(0.5)
    # The arguments become a compile request only on the first many_address: a load never
    # pays for them, and ones that no longer convert (a global the compiler cannot take)
    # leave the scalar entry too.
    unconvertible = args[:6] + ({"_tripled": ("no such kind",)},) + args[7:]
    runs = _jit.codegen_runs()
    late = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name,
                              source=unconvertible)
    assert _jit.codegen_runs() == runs and late(0.5) == f(0.5)
    assert late.many_address == 0
    with pytest.raises(TypeError, match="source must be the 11 arguments compile"):
        _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name,
                           source=args[:3])


def test_a_callee_only_an_overload_reaches_is_not_cached_and_a_warning_says_why(cache_dir):
    from nativecall.extending import overload

    @cfunc("float64(float64)")
    def tripled_natively(x):
        return x * 3.0

    def tripled(x):
        return 3.0 * x

    @overload(tripled)
    def tripled_typer(x):
        def impl(x):
            return tripled_natively(x)    # an address the cfunc's own globals do not hold
        return impl

    def user(x):
        return tripled(x) + 1.0

    for attempt in range(2):   # never written, so never found: each compile warns
        with pytest.warns(_cache.NativecallCacheWarning, match=r"user\(\) is not cached: it calls native code "
                                                              "that none of its globals names"):
            compiled = cfunc("float64(float64)", cache=True)(user)
        assert compiled(2.0) == 3.0 * 2.0 + 1.0
    assert not cache_dir.exists() or not list(cache_dir.glob("*.ncc"))


_EXTENSION_MODULE = """
import math
from nativecall.extending import overload

def damped(x):
    return math.exp(-x) * x

@overload(damped)
def damped_typer(x):
    def impl(x):
        return BODY
    return impl
"""

_EXTENSION_USER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from damping import damped
from nativecall import cfunc, _jit

def user(x):
    return damped(x) + 1.0

f = cfunc("float64(float64)", cache=True)(user)
print(json.dumps({"value": f(0.75), "codegen_runs": _jit.codegen_runs()}))
"""


def test_editing_an_overload_implementation_compiles_again(cache_dir, tmp_path):
    """The key covers the extensions registered when a cfunc is made: a cfunc reaching an
    overload is loaded while the overload is unchanged and compiled again once its body is edited."""
    module = tmp_path / "damping.py"

    def run(body, lines_before=0):
        module.write_text("\n" * lines_before + _EXTENSION_MODULE.replace("BODY", body))
        return json.loads(run_python([str(tmp_path / "user.py"), str(tmp_path)], cache_dir).stdout)

    (tmp_path / "user.py").write_text(_EXTENSION_USER)
    first, again = run("math.exp(-x) * x"), run("math.exp(-x) * x")
    assert first == {"value": math.exp(-0.75) * 0.75 + 1.0, "codegen_runs": 1}
    assert again == {"value": first["value"], "codegen_runs": 0}
    edited = run("math.exp(-2.0 * x) * x")
    assert edited == {"value": math.exp(-1.5) * 0.75 + 1.0, "codegen_runs": 1}
    # The same code further down the file (other line numbers) is still the cached code.
    assert run("math.exp(-2.0 * x) * x", lines_before=3) == {"value": edited["value"], "codegen_runs": 0}


def test_extension_registrations_change_later_keys_only():
    from nativecall.extending import overload
    before = _cache._extensions_digest

    def halved(x):
        return x / 2.0

    @overload(halved)
    def halved_typer(x):
        def impl(x):
            return x * 0.5
        return impl

    assert _cache._extensions_digest not in (before, b"")
    assert _cache._function_identity(halved_typer) == _cache._function_identity(halved_typer)


def test_code_identity_is_the_same_under_every_hash_seed():
    """`x in {"a", "b", ...}` compiles to a frozenset constant whose order follows string
    hashing: the extensions digest must not depend on it, or every process misses the cache."""
    script = textwrap.dedent("""
        from nativecall import _cache
        def typer(kind):
            return kind in {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
        print(repr(_cache._function_identity(typer)))
    """)
    seen = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(Path(nativecall.__file__).parent.parent))
        seen.add(subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True,
                                text=True).stdout)
    assert len(seen) == 1


def test_notebook_cells_are_cached_across_shells(cache_dir):
    pytest.importorskip("IPython")
    script = textwrap.dedent("""
        import json
        from IPython.core.interactiveshell import InteractiveShell
        from nativecall import _jit
        shell = InteractiveShell.instance()
        shell.run_cell("x = 1", store_history=True)   # the cell numbers differ between the two runs
        result = shell.run_cell("import nativecall, math\\n"
                                "@nativecall.cfunc('float64(float64)', cache=True)\\n"
                                "def cell_fn(x):\\n"
                                "    return math.sqrt(x) * 2\\n"
                                "value = cell_fn(9.0)\\n", store_history=True)
        result.raise_error()
        print(json.dumps([shell.user_ns["value"], _jit.codegen_runs()]))
    """)
    first = json.loads(run_python(script, cache_dir).stdout.splitlines()[-1])
    second = json.loads(run_python(script.replace('run_cell("x = 1", store_history=True)', 'run_cell("x = 1; y = 2")'),
                                   cache_dir).stdout.splitlines()[-1])
    assert first == [math.sqrt(9.0) * 2, 1]
    assert second == [math.sqrt(9.0) * 2, 0]


def _only_file(cache_dir):
    files = list(cache_dir.glob("*.ncc"))
    assert len(files) == 1
    return files[0]


def _rewritten(data, change):
    """`data` with its JSON header passed through change(header, rest) → (header, rest), where
    rest is what follows the header (object code, then IR), re-packed with a right checksum."""
    magic, version, key, _, _ = _cache._PREFIX.unpack_from(data)
    payload = data[_cache._PREFIX.size:]
    (header_length,) = struct.unpack_from("<I", payload)
    header, rest = change(json.loads(payload[4:4 + header_length]), payload[4 + header_length:])
    encoded = json.dumps(header).encode()
    payload = struct.pack("<I", len(encoded)) + encoded + rest
    return _cache._PREFIX.pack(magic, version, key, len(payload), _cache.checksum(payload)) + payload


def _valid_garbage_object(data):
    """A file whose header and checksum are right but whose object code is not an object file."""
    garbage = b"\x7fELF" + b"\x00" * 60

    def change(header, rest):
        llvm_ir = rest[header["object_size"]:]
        return {**header, "object_size": len(garbage)}, garbage + llvm_ir
    return _rewritten(data, change)


def _other_signature_in_header(data):
    """A file with a right key and checksum whose header declares another signature: calling its
    code through the one asked for would pass the wrong arguments."""
    return _rewritten(data, lambda header, rest: (
        {**header, "signature": "float64(float64, float64, CPointer(float64))"}, rest))


def _object_size_beyond_payload(data):
    """A right checksum over a header whose object code size exceeds what follows it."""
    return _rewritten(data, lambda header, rest: ({**header, "object_size": len(rest) + 1}, rest))


DAMAGE = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[:len(data) // 2],
    "short header": lambda data: data[:20],
    "flipped byte": lambda data: data[:-40] + bytes([data[-40] ^ 0xFF]) + data[-39:],
    "bad magic": lambda data: b"NOTCACHE" + data[8:],
    "wrong version": lambda data: data[:8] + struct.pack("<I", _cache.FORMAT_VERSION + 1) + data[12:],
    "foreign key": lambda data: data[:12] + bytes(32) + data[44:],
    "garbage object": _valid_garbage_object,
    "other signature": _other_signature_in_header,
    "object size beyond the payload": _object_size_beyond_payload,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_bad_cache_files_are_ignored_with_a_warning_and_rewritten(cache_dir, damage):
    compiled_scaled()
    path = _only_file(cache_dir)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with Codegen() as rebuilt, pytest.warns(_cache.NativecallCacheWarning, match=str(path.name)):
        f = compiled_scaled()
    assert rebuilt.runs == 1
    assert [f(x) for x in (0.25, -3.0)] == [scaled(x) for x in (0.25, -3.0)]
    with Codegen() as reloaded, warnings.catch_warnings():
        warnings.simplefilter("error")
        g = compiled_scaled()
    assert reloaded.runs == 0 and g(0.25) == scaled(0.25)


def test_the_loader_rejects_what_is_not_host_object_code():
    f = cfunc("float64(float64)")(scaled)
    c = f._compiled
    for bad in (b"", b"garbage" * 20, c.object_code[:200], c.object_code[:-64]):
        with pytest.raises(RuntimeError, match="does not parse"):
            _jit.load_compiled(bad, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name)
    with pytest.raises(RuntimeError, match="looking up the function"):
        _jit.load_compiled(c.object_code, "no_such_symbol", c.thunk_symbol, c.imports, c.signature, c.name)
    loaded = _jit.load_compiled(c.object_code, c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name)
    assert loaded(1.5) == scaled(1.5)


def test_concurrent_writers_leave_only_valid_files(cache_dir):
    writers = [run_python([str(HERE / "cfunc_workers.py"), "0.5"], cache_dir, background=True) for _ in range(4)]
    outputs = [w.communicate(timeout=120) for w in writers]
    assert all(w.returncode == 0 for w in writers), [err for _, err in outputs]
    import cfunc_workers
    for out, _ in outputs:
        assert json.loads(out)["values"] == [pytest.approx(cfunc_workers.combined_reference(0.5), rel=1e-15)]
    files = sorted(p.name for p in cache_dir.iterdir())
    assert len(files) == 2 and all(name.endswith(".ncc") and not name.startswith(".tmp") for name in files)
    # every file is whole: a new process loads both without compiling and without a warning
    check = run_python(["-W", "error::UserWarning", str(HERE / "cfunc_workers.py"), "0.5"], cache_dir)
    assert json.loads(check.stdout)["codegen_runs"] == 0


def test_default_cache_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("NATIVECALL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source_file = tmp_path / "project" / "module.py"
    source_file.parent.mkdir()
    source_file.write_text("x = 1\n")
    assert _cache.cache_dir(str(source_file)) == str(source_file.parent / "__pycache__")
    assert _cache.cache_dir("<ipython-input-3-abc>") == str(tmp_path / "xdg" / "nativecall")
    source_file.parent.chmod(0o500)   # not writable: the user cache dir
    try:
        if not os.access(source_file.parent, os.W_OK):   # root writes anywhere
            assert _cache.cache_dir(str(source_file)) == str(tmp_path / "xdg" / "nativecall")
    finally:
        source_file.parent.chmod(0o700)


def _decorator(*args):
    return lambda f: f


@_decorator(
    "a decorator over several lines")
def _decorated(x,
               y):   # a signature over several lines
    def nested(z):
        return z + 1
    return nested(x) + (
        y * 2)


def _ends_in_a_string(x):
    if x:
        return """text
over lines"""
    return ""


class _Holder:
    @staticmethod
    def method(x):
        return x


@pytest.mark.parametrize("function", [scaled, _decorated, _ends_in_a_string, _Holder.method])
def test_source_lines_from_code_positions_match_inspect(function):
    # the fast path a cache hit takes must find the same text the compiler always got
    import inspect
    assert nativecall.jit._source_lines(function) == inspect.getsourcelines(function)


# Source files as editors and tools write them: the direct read must give what linecache gives.
_SOURCE_FILES = {
    "plain": b"import math\n\n\ndef f(x):\n    return math.sqrt(x) + 1.0\n",
    "no_final_newline": b"def f(x):\n    return (x +\n            1.0)",
    "crlf": b"def f(x):\r\n    y = x * 2.0\r\n    return y\r\n",
    "old_mac": b"def f(x):\r    return x - 1.0\r",
    "bom": b"\xef\xbb\xbfdef f(x):\n    return x * 3.0\n",
    "form_feed": b"\x0c\ndef f(x):\n    \x0c\n    return x\x0c\n\x0cX = 1\n",
    "unicode": "def f(x):\n    # \u00e9t\u00e9, \u2028 inside a comment\n    return x\n".encode("utf-8"),
    "whitespace_only_lines": b"def f(x):\n    y = x\n    \n\t\n    return y\n  \n",
    "trailing_spaces": b"def f(x):   \n    return x  ",
    "latin1_cookie": b"# -*- coding: latin-1 -*-\ndef f(x):\n    # caf\xe9\n    return x\n",
    "decorated_nested": (b"def deco(g):\n    return g\n\n\nclass K:\n    @staticmethod\n    @deco\n    def m(x):\n"
                         b"        def inner(y):\n            return y + 1\n        return inner(x)\n\n\n"
                         b"def outer():\n    def f(x):\n        return x * 2\n    return f\n\n\nf = outer()\n"),
}


@pytest.mark.parametrize("kind", sorted(_SOURCE_FILES))
def test_source_read_without_linecache_matches_linecache_and_inspect(kind, tmp_path):
    import importlib.util
    import inspect
    import linecache
    path = tmp_path / f"source_{kind}.py"
    path.write_bytes(_SOURCE_FILES[kind])
    spec = importlib.util.spec_from_file_location(f"source_{kind}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    functions = [module.f] + ([module.K.m] if hasattr(module, "K") else [])
    for function in functions:
        linecache.cache.pop(str(path), None)
        ours = nativecall.jit._source_lines(function)
        entry = linecache.cache.pop(str(path), None)   # what the direct read recorded, if it read the file
        expected = inspect.getsourcelines(function)    # linecache reads the file itself (tokenize.open)
        assert ours == expected
        assert nativecall.jit._source_of(function)[0] == textwrap.dedent("".join(expected[0]))
        if entry is not None:   # the table entry is the one linecache would have made
            assert entry == linecache.cache[str(path)]
        assert nativecall.jit._source_lines(function) == expected   # now from linecache's table


def test_source_of_linecache_registered_cells_and_nested_functions():
    import inspect
    import linecache
    text = ("def cell_function(x):\n    y = x * 2.0\n    return y + 1.0\n\n\n"
            "def outer():\n    @staticmethod\n    def inner(y):\n        return y * 2\n    return inner\n")
    filename = "<notebook-cell-for-source-test>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        namespace = {}
        exec(compile(text, filename, "exec"), namespace)
        function, inner = namespace["cell_function"], namespace["outer"]().__func__
        for f in (function, inner):
            assert nativecall.jit._source_lines(f) == inspect.getsourcelines(f)
        assert linecache.cache[filename][1] is None   # the cell's entry is left as registered
        compiled = cfunc("float64(float64)", cache=True)(function)
        assert compiled(2.5) == function(2.5)
    finally:
        linecache.cache.pop(filename, None)


def test_host_key_is_the_cpu_identification_llvm_reads(cache_dir):
    key = _jit.host_key()
    assert key == _jit.host_key() == _cache.host_id()
    assert key.split("; ")[:2] == _jit.host_id().split("; ")[:2]   # LLVM version and target
    child = run_python("from nativecall import _jit; print(_jit.host_key())", cache_dir)
    assert child.stdout.strip() == key   # the same in every process on this machine: cached code is found
    if "; cpuid " not in key:   # hosts other than x86 with LLVM 19 key on host_id() itself
        assert key == _jit.host_id()
        return
    words = [int(w, 16) for w in textwrap.wrap(key.split("; cpuid ")[1].split(";")[0], 8)]
    vendor = b"".join(w.to_bytes(4, "little") for w in (words[1], words[3], words[2])).decode("ascii")
    eax = words[4]
    family = (eax >> 8) & 0xF
    model = (eax >> 4) & 0xF
    if family in (6, 15):
        model |= ((eax >> 16) & 0xF) << 4
    if family == 15:
        family += (eax >> 20) & 0xFF
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():   # the kernel's reading of the same CPUID leaves is the oracle
        fields = dict(line.split(":", 1) for line in cpuinfo.read_text().split("\n\n")[0].splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        assert vendor == fields["vendor_id"]
        assert (family, model, eax & 0xF) == (int(fields["cpu family"]), int(fields["model"]), int(fields["stepping"]))


def test_location_table_reading_matches_code_positions():
    # every function of the modules this process has loaded (numpy, pytest, the standard library):
    # the end line read from the location table is the one co_positions() gives
    import inspect
    import operator
    import types

    def codes(code):
        yield code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from codes(const)

    checked = 0
    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            if inspect.isfunction(value):
                for code in codes(value.__code__):
                    expected = max(filter(None, map(operator.itemgetter(1), code.co_positions())), default=0)
                    assert nativecall.jit._last_line(code) >= expected
                    if nativecall.jit._LOCATION_TABLE:
                        assert nativecall.jit._table_last_line(code.co_linetable, code.co_firstlineno) == expected, \
                            code
                    checked += 1
    assert checked > 1000


def test_cache_file_names_for_files_cells_and_strings(tmp_path, cache_dir):
    import linecache
    source_file = tmp_path / "kernels_module.py"
    source_file.write_text("def f(x):\n    return x\n")
    key = bytes(range(32))
    expected = str(cache_dir / f"kernels_module_f-{key.hex()[:32]}.ncc")
    linecache.cache.pop(str(source_file), None)
    assert _cache.cache_path(str(source_file), "f", key) == expected   # asks the disk
    linecache.getlines(str(source_file))
    assert _cache.cache_path(str(source_file), "f", key) == expected   # linecache read it from the file
    cell = "<ipython-input-7-cell>"
    linecache.cache[cell] = (10, None, ["def f(x):\n"], cell)   # registered text, no file behind it
    try:
        assert _cache.cache_path(cell, "f", key) == str(cache_dir / f"cfunc_f-{key.hex()[:32]}.ncc")
    finally:
        linecache.cache.pop(cell, None)
        linecache.cache.pop(str(source_file), None)


def _import_from(path, name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_module_edited_and_reloaded_compiles_its_new_source(tmp_path):
    # linecache keeps the text it read first; a reload must not compile (and key) that stale text
    path = tmp_path / "edited_kernels.py"
    path.write_text("def f(x):\n    return x + 1.0\n")
    first = _import_from(path, "edited_kernels")
    assert cfunc("float64(float64)", cache=True)(first.f)(1.0) == first.f(1.0)
    path.write_text("def f(x):\n    return x + 2.0\n")   # same size: only the modification time differs
    later = os.stat(path).st_mtime + 5
    os.utime(path, (later, later))
    second = _import_from(path, "edited_kernels")
    try:
        assert cfunc("float64(float64)", cache=True)(second.f)(1.0) == second.f(1.0) == 3.0
    finally:
        import linecache
        linecache.cache.pop(str(path), None)


def test_lazy_linecache_entries_are_read_like_any_other(tmp_path):
    # traceback.StackSummary.extract(lookup_lines=False) (asyncio's debug mode) leaves one-item
    # "lazy" entries in linecache's table for the files on the stack
    import linecache
    import traceback
    path = tmp_path / "lazy_kernels.py"
    path.write_text("import sys\nimport traceback\n\n\ndef f(x):\n    return x * 4.0\n\n\n"
                    "def stack():\n    return traceback.StackSummary.extract(traceback.walk_stack(sys._getframe()),"
                    " lookup_lines=False)\n")
    module = _import_from(path, "lazy_kernels")
    try:
        linecache.cache.pop(str(path), None)
        module.stack()
        assert len(linecache.cache[str(path)]) == 1   # the lazy form this test is about
        key = bytes(range(32))
        assert _cache.cache_path(str(path), "f", key).endswith(f"lazy_kernels_f-{key.hex()[:32]}.ncc")
        assert len(linecache.cache[str(path)]) == 1
        assert cfunc("float64(float64)", cache=True)(module.f)(2.5) == module.f(2.5)
    finally:
        linecache.cache.pop(str(path), None)


_BODIES_WITHOUT_INSTRUCTIONS = (
    "def only_doc(x):\n    \"\"\"Nothing to do.\"\"\"\n\n\n"
    "def only_ellipsis(x):\n    ...\n\n\n"
    "def doc_after_blank(x):\n\n    \"\"\"Nothing,\nover lines.\"\"\"\n\n\n"
    "class K:\n    def method(self, x):\n        '''Stub.'''\n\n    def other(self, x):\n        return x\n"
    "    # a comment after the last method\n\n\n"
    "def try_finally(x):\n    try:\n        y = x\n    finally:\n        pass\n    # trailing comment\n"
)


def test_bodies_whose_last_lines_compile_to_nothing(tmp_path):
    # a docstring or `...` has no location of its own: the text must still reach the end of the body
    import ast
    import inspect
    import linecache
    path = tmp_path / "stub_kernels.py"
    path.write_text(_BODIES_WITHOUT_INSTRUCTIONS)
    module = _import_from(path, "stub_kernels")
    try:
        for function in (module.only_doc, module.only_ellipsis, module.doc_after_blank, module.K.method,
                         module.K.other, module.try_finally):
            lines, first = nativecall.jit._source_lines(function)
            ast.parse(textwrap.dedent("".join(lines)))   # a whole definition
            assert (lines, first) == inspect.getsourcelines(function)
        compiled = cfunc("void(float64)", cache=True)(module.only_doc)
        assert compiled(1.0) is None
    finally:
        linecache.cache.pop(str(path), None)


def test_decorated_bodies_whose_lines_compile_to_nothing(tmp_path):
    # such a function's instructions all sit on its first decorator's line
    import inspect
    import linecache
    path = tmp_path / "decorated_stubs.py"
    path.write_text("class K:\n    @staticmethod\n    def hook(x):\n        \"Nothing to do.\"\n\n"
                    "    @staticmethod\n    @staticmethod\n    def multi(\n        x,\n    ):\n        ...\n")
    module = _import_from(path, "decorated_stubs")
    try:
        for function in (module.K.hook, module.K.multi.__func__):
            assert nativecall.jit._source_lines(function) == inspect.getsourcelines(function)
    finally:
        linecache.cache.pop(str(path), None)


def test_source_files_read_in_short_pieces_are_read_whole(tmp_path, monkeypatch):
    # os.read may return less than asked (network and FUSE file systems) before the end of the file
    import inspect
    import linecache
    path = tmp_path / "short_reads.py"
    path.write_text("def f(x):\n    return x + 1.0\n\n\ndef g(x):\n    return x * 5.0\n")
    module = _import_from(path, "short_reads")
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: real_read(fd, min(n, 16)))
    try:
        linecache.cache.pop(str(path), None)
        assert nativecall.jit._source_lines(module.g) == inspect.getsourcelines(module.g)
        assert linecache.cache[str(path)][2] == path.read_text().splitlines(True)
    finally:
        linecache.cache.pop(str(path), None)


FORKING = '''
import multiprocessing, sys
from nativecall import _jit, cfunc
import warmed


def child(queue):
    before = _jit.codegen_runs()
    f = cfunc("float64(float64)", cache=True)(warmed.bump)
    queue.put((f(1.5), _jit.codegen_runs() - before))


if __name__ == "__main__":
    if sys.argv[1] == "create":   # the parent has the engine started and cached code loaded when it forks
        cfunc("float64(float64)", cache=True)(warmed.bump)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    value, runs = queue.get(timeout=60)
    process.join(60)
    print(value, runs, process.exitcode)
'''


def test_a_forked_child_loads_and_runs_cached_code(cache_dir, tmp_path):
    (tmp_path / "warmed.py").write_text("import math\n\ndef bump(x):\n    return math.sqrt(x) * 3.0 + x\n")
    script = tmp_path / "forking.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + FORKING)
    expected = math.sqrt(1.5) * 3.0 + 1.5
    for mode in ("create", "fresh"):   # the parent compiled (the child loads); a parent with no JIT started
        value, runs, exitcode = run_python([str(script), mode], cache_dir).stdout.split()
        assert float(value) == expected
        assert (int(runs), int(exitcode)) == (0, 0)


# ---------------------------------------------------------------- the direct object loader
# A cache hit loads the object code with the engine's own ELF loader (no LLVM runs); what it
# declines goes to JITLink. These compare what it loads with CPython and with compiled code.
# The loader claims x86-64 ELF hosts only: elsewhere every load is JITLink's.
import platform  # noqa: E402

DIRECT_HOST = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")


def _loads(direct):
    """What loader_stats() should count for `direct` cached loads on this host."""
    return (direct, 0) if DIRECT_HOST else (0, direct)

def _loop_with_math(x):
    total = 0.0
    for k in range(1, 9):
        total += math.sin(k * x) / k + math.exp(-0.5 * x * x / k) * math.log1p(k * abs(x))
    if x > 1.0:
        total = total * math.tanh(x) + math.atan2(x, 3.0)
    return total


def _lookup_table(n):   # LLVM makes the chain a table in .rodata
    if n == 0:
        return 11
    elif n == 1:
        return 23
    elif n == 2:
        return 37
    elif n == 3:
        return 41
    elif n == 4:
        return 53
    elif n == 5:
        return 67
    elif n == 6:
        return 79
    return -1


def _jump_table(n, x):   # different work per branch: a jump table in .rodata, relocated against .text
    if n == 0:
        return math.sin(x)
    elif n == 1:
        return x * 2.0 + 1.0
    elif n == 2:
        return math.cos(x)
    elif n == 3:
        return x - 7.0
    elif n == 4:
        return math.exp(x)
    elif n == 5:
        return x * x
    elif n == 6:
        return math.log(x)
    elif n == 7:
        return math.atan(x)
    return -1.0


def _integer_powers(n):
    s = 0
    for i in range(n):
        s += i ** 3 // 7 % 5 + 2 ** (i % 11)
    return s


def _floor_division(a, b):
    return a // b + a % b


def _float_division(x):
    return 1.0 / x + math.sqrt(abs(x))


@jitable
def _clamped(x, lo, hi):
    return min(max(x, lo), hi)


def _through_a_jitable_and_a_cfunc(x):
    return _clamped(x, -1.0, 1.0) * math.gamma(1.5 + abs(x)) + _tripled(x)


LOADER_CASES = [
    ("float64(float64)", _loop_with_math, [(-2.5,), (0.0,), (0.3,), (1.5,), (7.25,)]),
    ("int64(int64)", _lookup_table, [(n,) for n in range(-1, 9)]),
    ("float64(int64, float64)", _jump_table, [(n, 0.625) for n in range(-1, 9)]),
    ("int64(int64)", _integer_powers, [(0,), (5,), (40,)]),
    ("int64(int64, int64)", _floor_division, [(7, -2), (-9, 4), (5, 0)]),
    ("float64(float64)", _float_division, [(4.0,), (-0.5,), (1e-300,)]),
    ("float64(float64)", _through_a_jitable_and_a_cfunc, [(-3.0,), (0.25,), (2.0,)]),
]


def _outcome(function, args):
    try:
        return function(*args)
    except ZeroDivisionError as e:
        return ("ZeroDivisionError", str(e))


@pytest.mark.parametrize("signature, function, points", LOADER_CASES, ids=[c[1].__name__ for c in LOADER_CASES])
def test_the_direct_loader_runs_cached_code_as_compiled_code_runs(signature, function, points):
    compiled = cfunc(signature, cache=True)(function)
    before = _jit.loader_stats()
    with Codegen() as warm:
        loaded = cfunc(signature, cache=True)(function)
    after = _jit.loader_stats()
    assert warm.runs == 0
    assert (after["direct"] - before["direct"], after["linked"] - before["linked"]) == _loads(1), after
    for args in points:
        expected = _outcome(function, args)   # CPython, errors included
        assert _outcome(loaded, args) == _outcome(compiled, args)
        if isinstance(expected, float):
            assert _outcome(loaded, args) == pytest.approx(expected, rel=1e-13, abs=1e-300)
        else:
            assert _outcome(loaded, args) == expected


def _weighted_records(p, n):
    a = carray(p, n)
    t = 0.0
    for i in range(n):
        t += a[i].a * a[i].b
    return t


def test_the_direct_loader_runs_cached_record_code():
    import numpy as np
    from nativecall import types
    dtype = np.dtype([("a", "f8"), ("b", "i8")], align=True)
    signature = types.float64(types.CPointer(types.from_dtype(dtype)), types.intp)
    compiled = cfunc(signature, cache=True)(_weighted_records)
    before = _jit.loader_stats()
    loaded = cfunc(signature, cache=True)(_weighted_records)
    after = _jit.loader_stats()
    assert (after["direct"] - before["direct"], after["linked"] - before["linked"]) == _loads(1), after
    values = np.zeros(5, dtype)
    values["a"], values["b"] = [1.5, -2.0, 0.25, 8.0, 3.0], [3, 1, 4, 1, 5]
    expected = sum(float(r["a"]) * int(r["b"]) for r in values)
    assert loaded(values.ctypes.data, 5) == compiled(values.ctypes.data, 5) == expected


def test_a_new_process_loads_cached_code_with_the_direct_loader(cache_dir):
    code = textwrap.dedent("""
        import json, sys
        import cfunc_workers
        from nativecall import _jit
        values = [cfunc_workers.combined(x) for x in (0.0, 0.5, -1.25)]
        print(json.dumps({"runs": _jit.codegen_runs(), "loads": _jit.loader_stats(), "values": values}))
    """)
    first = json.loads(run_python(code, cache_dir).stdout)
    second = json.loads(run_python(code, cache_dir).stdout)
    assert first["runs"] == 2 and first["loads"]["direct"] == 0
    assert second["runs"] == 0
    assert (second["loads"]["direct"], second["loads"]["linked"]) == _loads(2)   # gauss and combined
    assert second["values"] == first["values"]


def test_an_object_the_direct_loader_declines_is_linked_as_before():
    f = cfunc("float64(float64)")(scaled)
    c = f._compiled
    before = _jit.loader_stats()
    foreign = bytearray(c.object_code)
    foreign[18:20] = (183).to_bytes(2, "little")   # e_machine: AArch64
    with pytest.raises(RuntimeError, match="does not parse|another target"):
        _jit.load_compiled(bytes(foreign), c.function_symbol, c.thunk_symbol, c.imports, c.signature, c.name)
    after = _jit.loader_stats()
    assert after["linked"] == before["linked"] + 1 and after["direct"] == before["direct"]
    if DIRECT_HOST:
        assert "not a little-endian ELF64 relocatable object for x86-64" in after["last_declined"]
