"""The on-disk compile cache of cfunc(..., cache=True): object code keyed by everything that shapes it.

A cache file holds one function's object code (see _jit.load_compiled), so a later process
loads it without running LLVM. The key is a BLAKE2b-256 over the source text, the function name,
the globals snapshot (callee cfuncs by their own key), the signature, the options, the
nativecall and LLVM versions, the compiler's build and the host CPU (_jit.host_key()); the file name only helps
find it, the key inside decides. A file that fails any check is ignored with a
NativecallCacheWarning and rewritten by the compile that follows. A function's loop
entries (what the integrate routines call with a whole rule's nodes) are built on first
use and kept in files of their own, under loop_key(key, kind), so that a later process
loads them too (CompiledFunction.adopt_loop) instead of running LLVM on its first integral.

File layout: MAGIC | format version (u32) | key (32 bytes) | payload length (u64) |
checksum(payload) (u64) | payload, where payload = header length (u32) | JSON header |
object code | LLVM IR (UTF-8; none for a loop entry). The header gives the object code's size; the IR, tens of
kilobytes, stays out of the JSON, whose decoder would otherwise spend more on it than
the rest of a load's Python work. Writers go through a temporary file and os.replace, so concurrent writers of
one key leave one whole file.
"""
import hashlib
import json
import os
import re
import struct
import sys
import warnings

from . import __version__ as _version
from . import _jit

__all__ = ["NativecallCacheWarning"]

MAGIC = b"NCCACHE\0"
# 2: the LLVM IR follows the object code instead of sitting in the header; 3: BLAKE2b keys;
# 4: the payload's checksum is XXH3-64
FORMAT_VERSION = 4
_PREFIX = struct.Struct("<8sI32sQQ")   # magic, version, key, payload length, payload checksum
_HEADER_LENGTH = struct.Struct("<I")
SUFFIX = ".ncc"


def digest(data):
    """The 32-byte BLAKE2b of `data`, for keys and checksums. hashlib's sha256 goes through
    OpenSSL, whose first use in a process costs more than a cached load's hashing."""
    return hashlib.blake2b(data, digest_size=32).digest()


# A payload's checksum only catches damage (its key was checked first), so it need not be
# cryptographic: XXH3 costs a cached load ~0.1 instructions a byte where Python's
# reference BLAKE2b costs ~15, and the payload (object code and IR) is kilobytes.
checksum = _jit.checksum


class NativecallCacheWarning(UserWarning):
    """A compile cache file was ignored (corrupt, truncated, foreign or unloadable) or could not be written."""


_host = None


def host_id():
    """LLVM version, target and host CPU (what object code depends on), read once a process:
    _jit.host_key(), the CPUID words LLVM derives the CPU name and features from, which
    costs a fraction of _jit.host_id()'s names."""
    global _host
    if _host is None:
        _host = _jit.host_key()
    return _host


# ---------------------------------------------------------------- extensions


# Every nativecall.extending registration made so far in this process (overloads, methods,
# attributes, custom types, casts), in order, folded into one digest that every key
# includes: code a cfunc reaches through them is part of what it compiles to. Updated at
# registration, so a key pays nothing for it. Conservative: any registration changes every
# key made after it, whether the cfunc reaches it or not.
_extensions = hashlib.blake2b(digest_size=32)
_extensions_digest = b""


def note_extension(kind, parts, functions=()):
    """Folds one registration into the extensions digest: `parts` (plain data), and what each
    of `functions` (typing functions, implementations) does. The caller holds extending's lock."""
    global _extensions_digest
    identity = (kind, parts, tuple(_function_identity(f) for f in functions))
    _extensions.update(repr(identity).encode("utf-8", "surrogatepass") + b"\n")
    _extensions_digest = _extensions.digest()


def _code_identity(code):
    """What a code object does, without its file name or line numbers (moving it does not
    change it): bytecode, names and constants, nested code (an implementation defined in
    its typing function) likewise."""
    return (code.co_name, code.co_code, code.co_names, code.co_varnames, code.co_freevars,
            tuple(_constant_identity(c) for c in code.co_consts))


def _constant_identity(constant):
    """A code constant as plain data whose repr() is the same in every process: nested code
    by its identity, a frozenset (`x in {"a", "b"}`) sorted, since its iteration order
    follows string hashing, which PYTHONHASHSEED changes between processes."""
    if hasattr(constant, "co_code"):
        return _code_identity(constant)
    if isinstance(constant, frozenset):
        return ("frozenset", tuple(sorted(repr(_constant_identity(c)) for c in constant)))
    if isinstance(constant, tuple):
        return tuple(_constant_identity(c) for c in constant)
    return constant


def _names_in(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, type(code)):
            names |= _names_in(c)
    return names


def _function_identity(function):
    """The code of `function` (a callable object: its __call__), and of the Python functions
    its globals name (an implementation a typing function returns from its module)."""
    function = getattr(function, "py_func", function)   # a Jitable
    code = getattr(function, "__code__", None) or getattr(getattr(function, "__call__", None), "__code__", None)
    if code is None:
        return repr(type(function))
    namespace = getattr(function, "__globals__", None) or {}
    reached = []
    for name in sorted(_names_in(code)):
        value = namespace.get(name)
        value = getattr(value, "py_func", value)
        if hasattr(value, "__code__") and value is not function:
            reached.append((name, _code_identity(value.__code__)))
    return _code_identity(code), tuple(reached)


# ---------------------------------------------------------------- the key


def _identity(described, owners):
    """The globals snapshot as plain data that names each callee cfunc by its cache key,
    not by its address (which differs between processes)."""
    keys = {o.address: o._cache_key for o in owners if getattr(o, "_cache_key", None)}
    out = []
    for name in sorted(described):
        d = described[name]
        if d[0] == "cfunc" and d[2] in keys:
            out.append((name, "cfunc", d[1], d[3], keys[d[2]]))
        elif d[0] == "jitable":   # its file and line only appear in error messages
            out.append((name, "jitable", d[1], d[2], d[5], _identity(d[6], d[7])))
        else:   # constants, modules, dtypes; externals and numba cfuncs by address
            out.append((name, *d))
    return tuple(out)


_process_part = (None, b"")   # ((the host id, the extensions digest) it was made with, its bytes)


def _compiler_build():
    """The compiler's own build (its extension module's size and modification time): a
    rebuilt compiler may emit other code for the same source without a version change."""
    try:
        status = os.stat(_jit.__file__)
        return (status.st_size, status.st_mtime_ns)
    except (AttributeError, OSError):
        return None


def _process_key_part():
    """What every key of this process shares, as bytes: the versions, the host and the
    extensions digest (the host id alone is hundreds of characters for repr() to scan)."""
    global _process_part
    made_with, part = _process_part
    now = (host_id(), _extensions_digest)
    if made_with != now:
        part = repr(("nativecall", _version, _compiler_build(), FORMAT_VERSION, *now)).encode("utf-8")
        _process_part = (now, part)
    return part


def key(source, name, signature, described, owners, opt_level, debug):
    """The 32-byte key of one compile. repr() is exact for the ints, floats, bools and
    strings a snapshot holds, and tells True from 1 and 0.0 from -0.0. The parts follow
    one another after newlines, which no repr() contains; the source comes last as UTF-8:
    repr() of the text would scan and escape it character by character."""
    parts = (name, signature, int(opt_level), bool(debug), _identity(described, owners))
    return digest(b"%s\n%s\n%s" % (_process_key_part(), repr(parts).encode("utf-8", "surrogatepass"),
                                    source.encode("utf-8", "surrogatepass")))


# ---------------------------------------------------------------- where files go


def user_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nativecall")


def cache_dir(filename, on_disk=None):
    """NATIVECALL_CACHE_DIR if set; else __pycache__ next to a source file when it can be
    written (numba's rule); else the user cache dir (notebook cells, source= strings).
    `on_disk`: whether `filename` is a file, when the caller already knows."""
    configured = os.environ.get("NATIVECALL_CACHE_DIR")
    if configured:
        return configured
    if on_disk is None:
        on_disk = bool(filename) and os.path.isfile(filename)
    if on_disk:
        folder = os.path.join(os.path.dirname(os.path.abspath(filename)), "__pycache__")
        if os.path.isdir(folder) and os.access(folder, os.W_OK):
            return folder
        if not os.path.exists(folder) and os.access(os.path.dirname(folder), os.W_OK):
            return folder
    return user_cache_dir()


_UNSAFE_IN_NAMES = re.compile(r"[^\w-]")   # \w: what str.isalnum() accepts, and _
_KEY_CHARS_IN_NAME = 32   # the hex digits of the key a file name carries


def cache_path(filename, name, key_bytes):
    # A linecache entry with a modification time was read from that file: no need to ask the disk again.
    # (A one-item entry is linecache's lazy form, which says nothing about the disk.)
    entry = sys.modules["linecache"].cache.get(filename) if "linecache" in sys.modules else None
    on_disk = entry is not None and len(entry) == 4 and entry[1] is not None or \
        bool(filename) and os.path.isfile(filename)
    stem = os.path.splitext(os.path.basename(filename))[0] if on_disk else "cfunc"
    safe = _UNSAFE_IN_NAMES.sub("_", f"{stem}.{name}")
    return os.path.join(cache_dir(filename, on_disk), f"{safe}-{key_bytes.hex()[:_KEY_CHARS_IN_NAME]}{SUFFIX}")


# ---------------------------------------------------------------- imports


def _import_paths(imports, described):
    """[symbol, path] for each address the object code calls: the path of names (through
    jitables) that leads to the global holding it, so a new process can find its new address."""
    found = {}

    def walk(snapshot, prefix):
        for name, d in snapshot.items():
            if d[0] in ("cfunc", "external"):
                found.setdefault(d[2], prefix + [name])
            elif d[0] == "jitable":
                walk(d[6], prefix + [name])

    walk(described, [])
    paths = []
    for symbol, address in sorted(imports.items()):
        if address not in found:
            return None
        paths.append([symbol, found[address]])
    return paths


def _resolve(paths, described):
    imports = {}
    for symbol, path in paths:
        snapshot, d = described, None
        for i, name in enumerate(path):
            d = snapshot.get(name) if isinstance(snapshot, dict) else None
            if d is None:
                return None
            if i < len(path) - 1:
                if d[0] != "jitable":
                    return None
                snapshot = d[6]
        if d[0] not in ("cfunc", "external"):
            return None
        imports[symbol] = d[2]
    return imports


# ---------------------------------------------------------------- reading and writing


def _warn(path, why, stacklevel):
    warnings.warn(f"nativecall: ignoring the compile cache file {path}: {why}; compiling again",
                  NativecallCacheWarning, stacklevel=stacklevel)


def _read(path):
    """The file's bytes through os.open/os.read: half the system calls of open().read(),
    which also asks for the size, the position and whether it is a terminal."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def _checked_payload(path, key_bytes):
    """The payload of the cache file at `path` when it is whole and made for `key_bytes`;
    None when there is no file, and when it fails a check (a warning says which)."""
    try:
        data = _read(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        _warn(path, f"cannot be read ({e})", 6)
        return None
    if len(data) < _PREFIX.size:
        _warn(path, f"truncated ({len(data)} bytes, the header alone takes {_PREFIX.size})", 6)
        return None
    magic, version, file_key, length, file_checksum = _PREFIX.unpack_from(data)
    payload = data[_PREFIX.size:]
    if magic != MAGIC:
        _warn(path, "not a nativecall cache file (bad magic)", 6)
    elif version != FORMAT_VERSION:
        _warn(path, f"format version {version}, this nativecall reads {FORMAT_VERSION}", 6)
    elif file_key != key_bytes:
        _warn(path, "written for another source, snapshot, signature, option set or host", 6)
    elif len(payload) != length:
        _warn(path, f"truncated or padded (payload of {len(payload)} bytes, header says {length})", 6)
    elif checksum(payload) != file_checksum:
        _warn(path, "checksum mismatch", 6)
    else:
        return payload
    return None


class _Unusable(Exception):
    """A cache file whose contents cannot be used (the message says why)."""


def _split_payload(payload):
    """(header, object code, what follows it) of a payload; raises _Unusable, or what decoding raises."""
    (header_length,) = _HEADER_LENGTH.unpack_from(payload)
    end = _HEADER_LENGTH.size + header_length
    header = json.loads(payload[_HEADER_LENGTH.size:end].decode("utf-8"))
    object_size = header["object_size"]
    if type(object_size) is not int or not 0 <= object_size <= len(payload) - end:
        raise _Unusable(f"its header gives an object code size of {object_size!r}, but {len(payload) - end} "
                        "bytes follow the header")
    object_end = end + object_size
    return header, payload[end:object_end], payload[object_end:]


def _bound_imports(header, described):
    imports = _resolve(header["imports"], described)
    if imports is None:
        raise _Unusable("it calls functions this snapshot does not hold")
    return imports


# What a damaged or foreign header makes decoding and loading raise.
_LOAD_ERRORS = (ValueError, KeyError, TypeError, struct.error, RuntimeError)


def _use_file(path, key_bytes, use):
    """use(header, object code, what follows it) of the cache file at `path` made for
    `key_bytes`; None when there is no usable file (a warning says why when one was there)."""
    payload = _checked_payload(path, key_bytes)
    if payload is None:
        return None
    try:
        return use(*_split_payload(payload))
    except _Unusable as e:
        _warn(path, str(e), 5)
    except _LOAD_ERRORS as e:
        _warn(path, f"cannot be loaded ({e})", 5)
    return None


def load(path, key_bytes, described, signature=None, compile_args=None):
    """The CompiledFunction cached at `path` for `key_bytes`, or None (a warning says why
    when a file was there but unusable). `signature` is the C signature text asked for: a
    file whose header says another cannot be called safely. `compile_args`, what
    _jit.compile would be given, lets an integrand build its loop entry on first use when
    the loop's own file (load_loop) is not there."""
    def use(header, object_code, llvm_ir):
        if signature is not None and header["signature"] != signature:   # equal text: nothing to compare
            from . import _core
            difference = _core.Signature(header["signature"]).first_difference(_core.Signature(signature))
            if difference:
                raise _Unusable(f"its header declares the signature {header['signature']!r}, not the "
                                f"{signature!r} asked for ({difference})")
        return _jit.load_compiled(object_code, header["function_symbol"], header["thunk_symbol"],
                                  _bound_imports(header, described), header["signature"], header["name"],
                                  llvm_ir.decode("utf-8"), compile_args)

    return _use_file(path, key_bytes, use)


def loop_key(key_bytes, kind):
    """The key of a cfunc's loop entry `kind` ('many' or 'mirrored_sum'), from the cfunc's own
    key: the loop is compiled from everything that key covers."""
    return digest(key_bytes + b"\nloop entry " + kind.encode("ascii"))


def load_loop(path, key_bytes, described, compiled, kind):
    """Makes the loop entry `kind` cached at `path` for `key_bytes` the loop of `compiled` (a
    CompiledFunction of the same key) without running LLVM, and returns its address; None
    when there is no usable file (a warning says why when a file was there but unusable)."""
    def use(header, object_code, _):
        if header["loop"] != kind or header["signature"] != compiled.signature:
            raise _Unusable(f"it holds the {header['loop']!r} loop entry of a {header['signature']!r} function, "
                            f"not the {kind!r} loop of a {compiled.signature!r} one")
        return compiled.adopt_loop(kind, object_code, header["function_symbol"], _bound_imports(header, described))

    return _use_file(path, key_bytes, use)


def store(path, key_bytes, compiled, described):
    """Writes `compiled` under `key_bytes` atomically; failures only warn (the function works regardless)."""
    paths = _import_paths(compiled.imports, described)
    if paths is None:   # a callee no global names (reached through an overload or a conversion): not cached
        warnings.warn(f"nativecall: {compiled.name}() is not cached: it calls native code that none of its globals "
                      "names (a cfunc or external function used by an overload or lower_cast implementation), "
                      "whose address a later process could not find; make that callee a global of the cfunc, or "
                      "drop cache=True", NativecallCacheWarning, stacklevel=4)
        return
    _write(path, key_bytes, {"function_symbol": compiled.function_symbol, "thunk_symbol": compiled.thunk_symbol,
                             "signature": compiled.signature, "name": compiled.name, "imports": paths},
           compiled.object_code, compiled.llvm_ir.encode("utf-8"), stacklevel=5)


def store_loop(path, key_bytes, compiled, kind, described):
    """Writes the loop entry `kind` of `compiled`, once built, under `key_bytes` (loop_key)."""
    loop = compiled.loop_object(kind)
    if loop is None:
        return
    object_code, symbol, imports = loop
    paths = _import_paths(imports, described)
    if paths is None:   # store() said why when it met the function itself
        return
    _write(path, key_bytes, {"function_symbol": symbol, "loop": kind, "signature": compiled.signature,
                             "imports": paths}, object_code, b"", stacklevel=4)


def _write(path, key_bytes, header, object_code, tail, stacklevel):
    """One cache file, written atomically: `header` (plus the object code's size), the object
    code, then `tail`. Failures only warn, at `stacklevel` (warnings.warn's, counted from here)."""
    header = json.dumps({**header, "object_size": len(object_code)}).encode("utf-8")
    payload = _HEADER_LENGTH.pack(len(header)) + header + object_code + tail
    blob = _PREFIX.pack(MAGIC, FORMAT_VERSION, key_bytes, len(payload), checksum(payload)) + payload
    import tempfile   # only writers need it, and it is slow to import
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as e:
        warnings.warn(f"nativecall: cannot write the compile cache file {path}: {e}", NativecallCacheWarning,
                      stacklevel=stacklevel)
        return
    _prune(folder, os.path.basename(path))


# How many entries of one name (a function of a file, or one of its loop entries) a cache
# folder keeps. Every edit of a function writes new ones under new keys; a name compiled
# for several signatures or snapshots at once keeps them all unless it has more than this.
KEEP_PER_NAME = 8


def _prune(folder, written):
    """Deletes the oldest entries (by modification time, so by when they were written)
    named as `written` is, beyond the KEEP_PER_NAME newest. A file another process is
    about to read and finds gone is compiled again; failures are ignored."""
    name = written[:written.rfind("-") + 1]   # "<file>_<function>[_<loop>]-", as cache_path names it
    try:
        entries = []
        with os.scandir(folder) as found:
            for entry in found:
                rest = entry.name[len(name):]
                if entry.name.startswith(name) and len(rest) == _KEY_CHARS_IN_NAME + len(SUFFIX) and \
                        rest.endswith(SUFFIX):
                    entries.append((entry.stat().st_mtime_ns, entry.name))
        entries.sort(reverse=True)
        for _, stale in entries[KEEP_PER_NAME:]:
            os.unlink(os.path.join(folder, stale))
    except OSError:
        pass
