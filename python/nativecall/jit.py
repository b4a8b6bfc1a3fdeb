"""nativecall.cfunc: compile a Python function into a native C callback.

The compiler is written in C++ on LLVM (``nativecall._jit``); this module only finds
the function's source, snapshots the globals and closure values it reads, and wraps
the result. See docs/cfunc.md for the supported language and the runtime error model.
"""
import builtins
import ctypes
import inspect
import math
import operator
import os
import sys
import textwrap
import threading
import typing
import weakref

from . import _cache
from . import _jit
from . import records as _records
from . import types as _types

__all__ = ["cfunc", "CFunc", "CompileError", "carray", "farray"]

CompileError = _jit.CompileError

# ---------------------------------------------------------------- carray in Python


def _view(ptr, shape, dtype, order):
    """carray/farray when the function runs as plain Python (the same semantics as numba's)."""
    import numpy as np
    shape = (int(shape),) if not isinstance(shape, tuple) else tuple(int(s) for s in shape)
    if isinstance(ptr, np.ndarray):
        if dtype is not None and np.dtype(_numpy_dtype(dtype)) != ptr.dtype:
            raise TypeError(f"dtype {dtype} does not match the array's {ptr.dtype}")
        return ptr.reshape(shape, order=order)
    if dtype is None:
        raise TypeError("carray over a raw address needs dtype=")
    address = ptr if isinstance(ptr, int) else ctypes.cast(ptr, ctypes.c_void_p).value
    dt = np.dtype(_numpy_dtype(dtype))
    size = int(np.prod(shape)) * dt.itemsize
    buffer = (ctypes.c_char * size).from_address(address)
    return np.ndarray(shape, dtype=dt, buffer=buffer, order=order)


def carray(ptr, shape, dtype=None):
    """A C-order array view of ``shape`` over ``ptr`` (in compiled code: no copy, no numpy)."""
    return _view(ptr, shape, dtype, "C")


def farray(ptr, shape, dtype=None):
    """A Fortran-order array view of ``shape`` over ``ptr``."""
    return _view(ptr, shape, dtype, "F")


def _numpy_dtype(dtype):
    record = _record_of(dtype)
    if record is not None:
        return record.dtype
    name = _dtype_name(dtype)
    return {"boolean": "bool", "bool_": "bool"}.get(name, name)


# ---------------------------------------------------------------- globals snapshot

_MODULE_NAMES = {"math": "math", "numpy": "numpy", "numba": "numba", "nativecall": "nativecall",
                 "numba.types": "types", "numba.core.types": "types", "nativecall.types": "types"}
_SCALAR_NAMES = {"bool", "bool_", "boolean", "int8", "int16", "int32", "int64", "uint8", "uint16",
                 "uint32", "uint64", "intc", "uintc", "intp", "uintp", "float32", "float64", "double",
                 "single", "float_", "int_", "byte", "short", "longlong"}
_MATH_FUNCTIONS = ["exp", "expm1", "log", "log1p", "log10", "log2", "sqrt", "sin", "cos", "tan", "asin",
                   "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc",
                   "gamma", "lgamma", "hypot", "pow", "fabs", "floor", "ceil", "trunc", "copysign", "fmod",
                   "isnan", "isinf", "isfinite"]
_NUMPY_FUNCTIONS = ["exp", "expm1", "log", "log1p", "log10", "log2", "sqrt", "sin", "cos", "tan", "arcsin",
                    "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
                    "hypot", "fabs", "copysign", "fmod", "isnan", "isinf", "isfinite", "floor", "ceil",
                    "trunc", "power"]
_known_functions: "dict[int, str] | None" = None
_known_functions_for: "tuple[bool, bool] | None" = None


def _function_table():
    """Python function objects the compiler knows, by identity: math.exp → "math.exp".
    Rebuilt when numpy or numba has been imported since (their functions join the table)."""
    global _known_functions, _known_functions_for
    present = ("numpy" in sys.modules, "numba" in sys.modules)
    if _known_functions is None or _known_functions_for != present:
        _known_functions_for = present
        table = {id(getattr(math, n)): f"math.{n}" for n in _MATH_FUNCTIONS}
        table[id(carray)] = "carray"
        table[id(farray)] = "farray"
        for name in ("abs", "min", "max", "round", "int", "float", "bool", "len", "range", "pow"):
            table[id(getattr(builtins, name))] = name
        np = sys.modules.get("numpy")
        if np is not None:
            table.update({id(getattr(np, n)): f"numpy.{n}" for n in _NUMPY_FUNCTIONS})
            table[id(np.abs)] = "abs"
        nb = sys.modules.get("numba")
        if nb is not None:
            table[id(nb.carray)] = "carray"
            table[id(nb.farray)] = "farray"
        _known_functions = table
    return _known_functions


def _dtype_name(value):
    """The scalar name of a type object (np.float64, numba/nativecall types), or None."""
    if isinstance(value, _types.Type):
        return value.name if value.name in _SCALAR_NAMES else None
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, type) and issubclass(value, np.generic):
        name = np.dtype(value).name
        return name if name in _SCALAR_NAMES else None
    module = type(value).__module__ or ""
    if module.startswith("numba.") and getattr(value, "name", None) in _SCALAR_NAMES:
        return value.name
    if isinstance(value, str) and value in _SCALAR_NAMES:
        return value
    return None


def _constant(value):
    """An int/float/bool/tuple constant the compiler can embed, or None."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, (bool, int, float)):
        if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
            return None
        return value
    if isinstance(value, tuple):
        members = [_constant(m) for m in value]
        return None if any(m is None for m in members) else tuple(members)
    return None


def _describe(value):
    """How the compiler sees one global or closure value (("unusable", description) when it cannot use it)."""
    if inspect.ismodule(value):
        name = _MODULE_NAMES.get(value.__name__)
        return ("module", name) if name else ("unusable", f"the module {value.__name__}")
    if isinstance(value, CFunc):
        return ("cfunc", value.__name__, value.address, value.c_signature)
    external = getattr(type(value), "__nativecall_external__", None)
    if external is not None:   # nativecall.extending.external(...): a native function by address
        return ("external", *external(value))
    jitable = getattr(type(value), "__nativecall_jitable__", None)
    if jitable is not None:    # nativecall.extending.jitable: compiled inline where it is called
        return _describe_jitable(jitable(value))
    record = _record_of(value)
    if record is not None:   # a struct type used as dtype= (carray(voidptr, n, dtype=rec))
        return ("dtype_of", record._described())
    typeof = _typeof_rules.get(type(value))
    if typeof is not None:     # an instance of a class nativecall.extending.register_type describes
        return typeof(value)
    extension = _extension_names.get(id(value))
    if extension is not None and extension[0] is value:   # a function nativecall.extending.overload serves
        return ("function", extension[1])
    module = type(value).__module__ or ""
    if module.startswith("numba.") and type(value).__name__ == "CFunc":
        from .lowlevel import _ctypes_signature
        return ("cfunc", value.__name__, value.address, _ctypes_signature(value.ctypes))
    try:
        known = _function_table().get(id(value))
    except TypeError:
        known = None
    if known is not None:
        return ("function", known)
    name = _dtype_name(value)
    if name is not None:
        return ("dtype", name)
    constant = _constant(value)
    if constant is not None:
        return ("const", constant)
    kind = type(value)
    return ("unusable", f"a {kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins"
            else f"a {kind.__qualname__}")


def _record_of(value):
    """The Record a global stands for: a Record, a numpy structured dtype, a numba Record; else None."""
    if isinstance(value, _records.Record):
        return value
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.dtype) and value.names is not None:
        return _records.from_dtype(value)
    return _records.from_numba(value) if type(value).__name__ == "Record" else None


def _referenced_names(code):
    """Every global or attribute name the code object (and nested code) mentions."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _referenced_names(const)
    return names


# Kinds whose compiled calls jump to code another object owns: the cfunc keeps that object alive.
_OWNED_KINDS = ("cfunc", "external")
# The jitable functions being described on this thread: meeting one again is recursion.
_describing = threading.local()


# Python objects nativecall.extending has registered with the compiler by name: id → (object, name).
_extension_names: "dict[int, tuple[object, str]]" = {}
# Classes whose instances compiled code reads as constants of a custom type: class → describe(value).
_typeof_rules: "dict[type, typing.Callable[[object], tuple]]" = {}
# One compiler declaration per jitable function and globals snapshot: function → (description, declaration).
# Compiling the same helper again reuses it, so the compiler's tables do not grow with each compile.
_declarations: "weakref.WeakKeyDictionary[object, tuple[tuple, object]]" = weakref.WeakKeyDictionary()
_declarations_lock = threading.Lock()


def _describe_jitable(pyfunc):
    """("jitable", name, source, filename, first line, column offset, its globals, their owners,
    its compiler declaration). The declaration is what the compiler uses; the fields before it
    are what the compile cache keys on and what pickling carries to another process."""
    active = _describing.__dict__.setdefault("stack", [])
    if pyfunc in active:
        return ("unusable", f"the jitable function {pyfunc.__name__}, which is still being compiled here "
                            "(recursion between jitable functions is not supported)")
    text, filename, first_line, column_offset = _source_of(pyfunc)
    active.append(pyfunc)
    try:
        described, owners = _snapshot(pyfunc, self_call=False)
    finally:
        active.pop()
    key = (pyfunc.__name__, text, filename, first_line, column_offset, described)
    with _declarations_lock:
        cached = _declarations.get(pyfunc)
    if cached is not None and _same_description(cached[0], key):
        return ("jitable", *key, owners, cached[1])
    declaration = _jit.declare_jitable(*key)
    with _declarations_lock:
        _declarations[pyfunc] = (key, declaration)
    return ("jitable", *key, owners, declaration)


def _same_description(a, b):
    """Equal descriptions, comparing floats by bits (a NaN constant equals itself) and
    declarations by identity."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_description(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_description(a[k], b[k]) for k in a)
    if isinstance(a, (str, int, bool)) or a is None:
        return a == b
    return a is b


def _snapshot(pyfunc, self_call=True):
    """(described globals and closure values, the objects the compiled code will call into).
    ``self_call``: the function's own name means the function being compiled (false for jitables)."""
    described, owners = {}, []

    def add(name, value):
        d = _describe(value)
        described[name] = d
        if d[0] in _OWNED_KINDS:
            owners.append(value)
        elif d[0] == "jitable":   # what a helper calls into, the cfunc that inlines it must keep
            owners.extend(d[7])

    namespace = pyfunc.__globals__
    referenced = _referenced_names(pyfunc.__code__)
    for name in referenced:
        if name in namespace:
            add(name, namespace[name])
    # Once decorated, the function's own name refers to the compiled function: recursion.
    if self_call and pyfunc.__name__ in referenced and \
            pyfunc.__name__ not in pyfunc.__code__.co_freevars:
        described[pyfunc.__name__] = ("self",)
    if pyfunc.__closure__:
        for name, cell in zip(pyfunc.__code__.co_freevars, pyfunc.__closure__):
            try:
                value = cell.cell_contents
            except ValueError:   # an empty cell: the variable is assigned later
                continue
            add(name, value)
    return described, owners


# ---------------------------------------------------------------- source


_second = operator.itemgetter(1)   # a position's end line


def _last_line(code):
    """The last source line any instruction of `code` (or code nested in it) spans."""
    try:
        last = _table_last_line(code.co_linetable, code.co_firstlineno) if _LOCATION_TABLE else None
    except IndexError:   # not the layout this reads
        last = None
    if last is None:
        last = max(filter(None, map(_second, code.co_positions())), default=0)
    for const in code.co_consts:
        if inspect.iscode(const):
            last = max(last, _last_line(const))
    return last


# CPython 3.11-3.13's location table (Objects/locations.md): what co_positions() decodes.
_LOCATION_TABLE = (3, 11) <= sys.version_info[:2] <= (3, 13)


def _read_varint(table, i):
    """A location table's unsigned varint at `i` (6 bits a byte, bit 6 says more follow):
    its value and the index after it."""
    b = table[i]
    i += 1
    value, shift = b & 63, 6
    while b & 64:
        b = table[i]
        i += 1
        value |= (b & 63) << shift
        shift += 6
    return value, i


def _table_last_line(table, line):
    """The largest end line in a location table whose lines count from `line`. The same
    answer as co_positions() in a third of the time: that iterator builds a tuple per
    instruction, which cost a cached load tens of microseconds for a small function."""
    last, i, n = 0, 0, len(table)
    while i < n:
        kind = (table[i] >> 3) & 15   # each entry: 1kkkklll, kind k, l + 1 code units
        i += 1
        if kind == 15:     # no location
            continue
        if kind < 10:      # short form: this line, one byte of columns
            i += 1
        elif kind < 13:    # one-line form: 0-2 lines on, two bytes of columns
            line += kind - 10
            i += 2
        else:              # no-column (13) and long (14) forms: a signed varint line delta
            value, i = _read_varint(table, i)
            line += -(value >> 1) if value & 1 else value >> 1
            if kind == 14:   # the long form adds an end line delta and two varint columns
                value, i = _read_varint(table, i)
                if line + value > last:
                    last = line + value
                for _ in range(2):
                    _, i = _read_varint(table, i)
        if line > last:
            last = line
    return last


def _source_lines(pyfunc):
    """inspect.getsourcelines, from the code object's positions where Python has them (3.11+):
    inspect's tokenizer compiles its regular expressions on a process's first call, which
    costs more than loading a cached cfunc."""
    code = pyfunc.__code__
    if hasattr(code, "co_positions") and pyfunc.__name__ != "<lambda>":
        import linecache
        filename = code.co_filename
        # A file edited since linecache read it (a module reloaded) must not give its old text:
        # checkcache drops such an entry (one stat). A one-item entry is linecache's lazy form.
        linecache.checkcache(filename)
        entry = linecache.cache.get(filename)
        lines = entry[2] if entry is not None and len(entry) == 4 else None
        if lines is None:
            lines = _read_source_file(filename)
        if lines is None:   # a file inside a zip, one in another encoding: linecache knows how
            lines = linecache.getlines(filename, pyfunc.__globals__)
        first, last = code.co_firstlineno, _last_line(code)
        if 1 <= first <= last <= len(lines) and lines[first - 1].lstrip().startswith(("@", "def ", "async def ")) \
                and not _body_continues(lines, first, last):
            return lines[first - 1:last], first
    return inspect.getsourcelines(pyfunc)


def _body_continues(lines, first, last):
    """Whether the first non-blank line after line `last` is indented deeper than line
    `first` (the definition's), so still belongs to it: statements that compile to no
    instruction (a docstring, `...`, a trailing comment) have no location, and a body of
    only those would otherwise be cut to its `def` line (or, decorated, to the first
    decorator's, where all its instructions are placed). inspect's tokenizer decides then."""
    if lines[last - 1].lstrip().startswith("@"):   # all on the first decorator's line: the def is below
        return True
    start = lines[first - 1]
    margin = len(start) - len(start.lstrip())
    for line in lines[last:last + 64]:
        text = line.lstrip()
        if text:
            return len(line) - len(text) > margin
    return last + 64 < len(lines)   # only blank lines for a while: let inspect look further


def _read_source_file(filename):
    """The lines of a UTF-8 source file as linecache.getlines gives them (universal
    newlines, a BOM dropped, every line ending in a newline), entered into linecache's table as it would enter them; None
    when the file declares another encoding or cannot be read. linecache's own read goes
    through tokenize.open, whose encoding detection and text layer cost several system
    calls and more time than a cached load's own work."""
    import linecache
    try:
        fd = os.open(filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):   # ValueError: a NUL in the name
        return None
    try:
        status = os.fstat(fd)
        chunks = [os.read(fd, status.st_size + 1)]
        if len(chunks[0]) != status.st_size:   # the file grew or shrank since fstat, or a short read:
            while chunks[-1]:                  # read to its end
                chunks.append(os.read(fd, 1 << 16))
    except OSError:
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    end = data.find(b"\n")
    end = data.find(b"\n", end + 1) if end >= 0 else -1
    if b"coding" in (data if end < 0 else data[:end]):   # a PEP 263 declaration may name another encoding
        return None
    if data.startswith(b"\xef\xbb\xbf"):   # a BOM (the utf-8-sig codec would cost an import on first use)
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line + "\n" for line in text.split("\n")]   # a last line without one gets one, as in linecache
    if lines[-1] == "\n":   # what followed the final newline
        lines.pop()
    linecache.cache[filename] = (status.st_size, status.st_mtime, lines, filename)
    return lines


def _source_of(pyfunc):
    """(dedented source, filename, first line) of a function defined in a file, a notebook cell or exec'd code."""
    try:
        lines, first_line = _source_lines(pyfunc)
    except (OSError, TypeError) as e:
        raise CompileError(
            f"cannot find the source of {getattr(pyfunc, '__qualname__', pyfunc)!r} ({e}); functions created "
            "by exec() without a file have none: pass the text as cfunc(signature, source=...)") from None
    if pyfunc.__name__ == "<lambda>":
        raise CompileError("lambda functions cannot be compiled: define the function with def")
    text = "".join(lines)
    # A function at column 0 has no margin; dedent would then only empty whitespace-only lines (which
    # end in a space or tab), and its regular expressions cost a cached load tens of microseconds.
    plain = lines[0][:1] not in (" ", "\t", "\n", "\r", "") and " \n" not in text and "\t\n" not in text
    dedented = text if plain and not text.endswith((" ", "\t")) else textwrap.dedent(text)
    first = next((line for line in lines if line.strip()), "")
    removed = len(first) - len(first.lstrip()) - (len(dedented) - len(dedented.lstrip(" \t")))
    return dedented, pyfunc.__code__.co_filename, max(first_line, 1), removed


def _signature_text(signature):
    """The C-level signature text (a pointer to a Record is a `voidptr` there)."""
    return _signature_parts(signature)[0]


def _signature_parts(signature):
    """(C-level signature text, per-parameter JIT types or None). A pointer to a Record is a
    `voidptr` for the ABI; its record type travels separately to the compiler."""
    if isinstance(signature, str):
        return signature, None
    if not (hasattr(signature, "return_type") and hasattr(signature, "args")):
        raise TypeError(f"signature must be a string or built from nativecall.types, got {type(signature).__name__}")
    # numba's Signature objects: numba type names, and numba Records converted to ours
    args = [_records.from_numba(a) or a for a in signature.args]
    result = _records.from_numba(signature.return_type) or signature.return_type
    if isinstance(result, _records.Record):
        raise TypeError(f"a cfunc cannot return a struct by value ({result.label or result}); write it through a "
                        "pointer parameter")
    if _records.contains_record(result):
        raise TypeError("a cfunc cannot return a record pointer; return voidptr, or write through a parameter")
    for i, a in enumerate(args):
        if isinstance(a, _records.Record):
            raise TypeError(f"parameter {i + 1} is a struct passed by value ({a.label or a}), which cfuncs cannot "
                            "take: pass a pointer to it, CPointer(rec)")
    if not any(_records.contains_record(a) for a in args):
        if isinstance(signature, _types.Signature):
            return str(signature), None
        return f"{signature.return_type}({', '.join(str(a) for a in signature.args)})", None
    texts, described = [], []
    for a in args:
        record = _records.contains_record(a)
        texts.append("voidptr" if record else str(a))
        described.append(_records._describe_type(a) if record else None)
    return f"{signature.return_type}({', '.join(texts)})", described


# ---------------------------------------------------------------- the compiled object

_CTYPES_SCALARS = {"int8": ctypes.c_int8, "int16": ctypes.c_int16, "int32": ctypes.c_int32,
                   "int64": ctypes.c_int64, "uint8": ctypes.c_uint8, "uint16": ctypes.c_uint16,
                   "uint32": ctypes.c_uint32, "uint64": ctypes.c_uint64, "float32": ctypes.c_float,
                   "float64": ctypes.c_double, "boolean": ctypes.c_bool, "bool": ctypes.c_bool,
                   "voidptr": ctypes.c_void_p, "none": None, "void": None}


def _ctypes_type(name):
    if name.startswith("CPointer(") and name.endswith(")"):
        inner = _ctypes_type(name[len("CPointer("):-1])
        return ctypes.c_void_p if inner is None else ctypes.POINTER(inner)
    return _CTYPES_SCALARS[name]


def _split_numba_spelling(text):
    """"float64(CPointer(float64), int64)" → ("float64", ["CPointer(float64)", "int64"])."""
    head, _, rest = text.partition("(")
    body = rest[:-1]
    params, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            params.append(current.strip())
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current.strip():
        params.append(current.strip())
    return head.strip(), params


class CFunc:
    """A compiled native callback; pass it to any nativecall routine, or use .ctypes,
    .cffi, .to_scipy() / .to_lowlevel() and .address elsewhere. Calling it runs the
    native code (through a small generated thunk, not ctypes)."""

    def __init__(self, pyfunc, compiled, signature_text, owners=()):
        self._compiled = compiled
        self._owners = tuple(owners)   # cfuncs and external functions the native code calls into
        self._pyfunc = pyfunc
        self._requested_signature = signature_text
        self._ctypes = None
        self._loops_sought = set()   # the loop entries _loop_address has looked for in the cache
        self.__name__ = compiled.name
        self.__qualname__ = getattr(pyfunc, "__qualname__", compiled.name)
        self.__doc__ = getattr(pyfunc, "__doc__", None)
        self.__wrapped__ = pyfunc

    # numba's attribute names
    @property
    def address(self):
        """The native function's address (an int)."""
        return self._compiled.address

    @property
    def signature(self):
        """Canonical numba-style signature, "float64(float64, voidptr)"."""
        return self._compiled.signature

    @property
    def c_signature(self):
        """The C spelling scipy compares against, "double (double, void *)"."""
        return self._compiled.c_signature

    @property
    def py_func(self):
        return self._pyfunc

    @property
    def native_name(self):
        return self._compiled.name

    @property
    def llvm_ir(self):
        """The optimised LLVM IR of the function and its call thunk."""
        return self._compiled.llvm_ir

    def inspect_llvm(self):
        return self._compiled.llvm_ir

    @property
    def ctypes(self):
        """A ctypes function pointer to the native code (kept alive by this object)."""
        if self._ctypes is None:
            result, params = _split_numba_spelling(self.signature)
            prototype = ctypes.CFUNCTYPE(_ctypes_type(result), *[_ctypes_type(p) for p in params])
            fn = prototype(self.address)
            setattr(fn, "_nativecall_owner", self)   # the code lives as long as this object
            self._ctypes = fn
        return self._ctypes

    @property
    def cffi(self):
        """A cffi function pointer to the native code."""
        from .lowlevel import _cffi
        ffi = _cffi()
        result, _, params = self.c_signature.partition(" (")
        return ffi.cast(f"{result} (*)({params}", self.address)

    def to_lowlevel(self, user_data=None):
        """A nativecall.LowLevelCallable over this function."""
        from .lowlevel import LowLevelCallable
        return LowLevelCallable(self, user_data=user_data)

    def to_scipy(self, user_data=None):
        """A scipy.LowLevelCallable over this function (for scipy.integrate, scipy.ndimage)."""
        return self.to_lowlevel(user_data).to_scipy()

    def _loop_address(self, kind):
        """The address of the loop entry `kind` ('many' or 'mirrored_sum'; 0 when there is none),
        which the integrate routines call with a whole rule's nodes. Built on first use, which
        runs LLVM; with cache=True first looked for in the compile cache, and written there
        when built, so a later process loads it as it loads the function. What the cache
        raises (a NativecallCacheWarning made an error) propagates, and the next call looks again."""
        build = getattr(self, "_build", None)
        if build is None or kind in self._loops_sought:
            return self._built_loop(kind)
        source, filename, first_line, column_offset, name, described, opt_level, debug, cache = build
        if not cache:
            return self._built_loop(kind)
        key = _cache.loop_key(bytes.fromhex(self._cache_key), kind)
        path = _cache.cache_path(filename, f"{name}.{kind}", key)
        address = _cache.load_loop(path, key, described, self._compiled, kind)
        if address is None:
            address = self._built_loop(kind)
            if address:
                _cache.store_loop(path, key, self._compiled, kind, described)
        self._loops_sought.add(kind)
        return address

    def _built_loop(self, kind):
        """The loop entry `kind` as the compiled function has it or builds it; 0 when it does not
        build (source that no longer compiles here): the scalar entry then serves."""
        try:
            return getattr(self._compiled, kind + "_address")
        except Exception:
            return 0

    def __nativecall_callback__(self):
        return {"address": self.address, "signature": self.c_signature, "thread_safe": True,
                "name": self.__name__}

    def __call__(self, *args):
        return self._compiled(*args)

    def __repr__(self):
        return f"<nativecall.cfunc {self.__name__!r} '{self.signature}' at 0x{self.address:x}>"

    def __reduce__(self):
        """Pickled as what compiles it again (source, signature, globals snapshot, options);
        unpickling compiles it, or loads it from the cache when it was made with cache=True."""
        source, filename, first_line, column_offset, name, described, opt_level, debug, cache = self._build
        portable = _portable_snapshot(described, self._owners, self.__name__)
        return _rebuild, (source, filename, first_line, column_offset, name, self._requested_signature, portable,
                          opt_level, debug, cache)


class _BoxingCFunc(CFunc):
    """A cfunc whose signature has custom types: calling it from Python unboxes those
    arguments to the values the C signature takes and boxes the result (the native code,
    and what other routines see, use the C signature)."""

    def __init__(self, pyfunc, compiled, signature_text, owners, signature):
        super().__init__(pyfunc, compiled, signature_text, owners)
        self._custom_signature = signature

    def __call__(self, *args):
        sig = self._custom_signature
        unboxed = []
        if len(args) == len(sig.args):
            args = tuple(_unboxed(t, a, f"argument {i + 1} of {self.__name__}()") if isinstance(t, _types.CustomType)
                         else a for i, (t, a) in enumerate(zip(sig.args, args)))
            unboxed = {f"argument {i + 1}:": f"{t.name}'s unbox returned {type(a).__name__} {a!r:.40}"
                       for i, (t, a) in enumerate(zip(sig.args, args)) if isinstance(t, _types.CustomType)}
        try:
            result = self._compiled(*args)
        except TypeError as e:
            # The native call rejected what unbox() returned: say that it came from there.
            culprit = next((why for prefix, why in unboxed.items() if str(e).startswith(prefix)), None)
            if culprit is None:
                raise
            raise TypeError(f"{self.__name__}(): {e} ({culprit})") from None
        if isinstance(sig.return_type, _types.CustomType):
            return _boxed(sig.return_type, result, f"the result of {self.__name__}()")
        return result


def _unboxed(custom, value, where):
    try:
        return custom._unbox(value)
    except Exception as e:
        raise TypeError(f"{where}: cannot unbox {type(value).__name__} as {custom.name}: {type(e).__name__}: {e}") from e


def _boxed(custom, value, where):
    try:
        return custom._box(value)
    except Exception as e:
        raise TypeError(f"{where}: cannot box {value!r} as {custom.name}: {type(e).__name__}: {e}") from e


def _compile(signature, pyfunc, source, filename, first_line, column_offset, name, snapshot, opt_level, debug,
             cache=False):
    if isinstance(signature, _types.Signature):
        for i, t in enumerate((signature.return_type, *signature.args)):
            pointee = t
            while isinstance(pointee, _types.CPointer):
                pointee = pointee.dtype
            if pointee is not t and isinstance(pointee, _types.CustomType):
                where = "the result" if i == 0 else f"parameter {i}"
                raise TypeError(f"{where} of the signature {signature} is a pointer to the custom type {pointee.name}, "
                                "which has no memory layout; pass the value itself (a type of one number or pointer) "
                                "or a pointer to a struct Record")
    machine = _types._machine_signature(signature) if isinstance(signature, _types.Signature) else None
    if machine is not None and any(_records.contains_record(t) for t in (signature.return_type, *signature.args)):
        raise TypeError(f"the signature {signature} mixes custom types and records, which is not supported: "
                        "pass the record pointer as voidptr")
    if machine is None:
        text, parameter_types = _signature_parts(signature)
        result_type = None
    else:   # custom types stand for C values: the call from Python boxes and unboxes them
        text, parameter_types, result_type = machine
    globals_described, owners = snapshot
    # The record types of pointer parameters, and custom types standing for C values, are part
    # of what was compiled (the text says voidptr, or double).
    compiled_as = (text, parameter_types) if result_type is None else (text, parameter_types, result_type)
    key = _cache.key(source, name, compiled_as, globals_described, owners, opt_level, debug)
    path = _cache.cache_path(filename, name, key) if cache else None
    args = (source, filename, first_line, column_offset, name, text, globals_described, opt_level, debug,
            parameter_types, result_type)
    compiled = _cache.load(path, key, globals_described, text, args) if cache else None
    if compiled is None:
        compiled = _jit.compile(*args)
        if cache:
            _cache.store(path, key, compiled, globals_described)
    if machine is not None:
        fn = _BoxingCFunc(pyfunc, compiled, signature, owners, signature)
    else:
        # With records the text alone (voidptr) no longer says what was asked for: keep the object.
        fn = CFunc(pyfunc, compiled, signature if parameter_types else text, owners)
    fn._cache_key = key.hex()   # how callers of this cfunc name it in their own keys
    fn._build = (source, filename, first_line, column_offset, name, globals_described, opt_level, debug, cache)
    return fn


# ---------------------------------------------------------------- pickling


def _portable_snapshot(described, owners, where):
    """The globals snapshot with what only makes sense in this process replaced: a callee
    cfunc by the cfunc itself (pickled in turn), a jitable by its own portable snapshot.
    Native functions bound to addresses cannot travel: a PicklingError names them."""
    import pickle
    cfuncs = {o.address: o for o in owners if isinstance(o, CFunc)}
    portable = {}
    for name, d in described.items():
        if d[0] == "cfunc" and d[2] in cfuncs:
            portable[name] = ("cfunc-object", cfuncs[d[2]])
        elif d[0] in ("cfunc", "external"):
            raise pickle.PicklingError(
                f"cannot pickle the cfunc {where!r}: its global {name!r} is a native function at a fixed address "
                f"({d[1]}), which does not exist in another process; make it a nativecall cfunc or jitable")
        elif d[0] == "jitable":
            portable[name] = ("jitable", *d[1:6], _portable_snapshot(d[6], d[7], where))
        else:
            portable[name] = d
    return portable


def _from_portable(portable):
    """(described, owners) for a snapshot _portable_snapshot produced, in this process."""
    described, owners = {}, []
    for name, d in portable.items():
        if d[0] == "cfunc-object":
            described[name] = _describe(d[1])
            owners.append(d[1])
        elif d[0] == "jitable":
            nested, nested_owners = _from_portable(d[6])
            described[name] = (*d[:6], nested, nested_owners)
            owners.extend(nested_owners)
        else:
            described[name] = d
    return described, owners


def _rebuild(source, filename, first_line, column_offset, name, signature, portable, opt_level, debug, cache):
    """Unpickling a CFunc: compile (or load from the cache) in this process. py_func is None:
    the Python function is not rebuilt."""
    return _compile(signature, None, source, filename, first_line, column_offset, name, _from_portable(portable),
                    opt_level, debug, cache)


def cfunc(signature, func=None, *, source=None, name="", opt_level=1, debug=False, **numba_options):
    """Compile a Python function into a native callback with the given C signature.

    ``@cfunc("float64(float64)")`` decorates; ``cfunc(sig)(f)`` and ``cfunc(sig, f)`` compile
    ``f``; ``cfunc(sig, source="def f(x): ...")`` compiles text (imports and other
    definitions in it run as Python first; ``name`` picks the function when it defines several).
    ``debug=True`` adds bounds checks to array indexing. ``cache=True`` keeps the object code
    on disk so later processes load it without compiling (see docs/cfunc.md, "Caching and
    pickling"). numba's ``nopython``, ``nogil`` and ``locals`` options are accepted and ignored.
    """
    if inspect.isfunction(signature):
        raise TypeError(f"cfunc needs the C signature first: write @cfunc(\"float64(float64)\") above "
                        f"{signature.__name__}(), not a bare @cfunc")
    unknown = set(numba_options) - {"nopython", "nogil", "cache", "locals", "fastmath", "boundscheck"}
    if unknown:
        raise TypeError(f"cfunc() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if numba_options.get("boundscheck"):
        debug = True
    cache = bool(numba_options.get("cache", False))
    if source is not None:
        if func is not None:
            raise TypeError("cfunc() takes either a function or source=, not both")
        caller = sys._getframe(1).f_globals
        namespace = dict(caller)
        filename = f"<cfunc source {next(_source_counter)}>"
        import linecache
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
        functions = [v for k, v in namespace.items()
                     if inspect.isfunction(v) and v.__code__.co_filename == filename and (not name or k == name)]
        if not functions:
            raise CompileError(f"the source defines no function{' named ' + repr(name) if name else ''}")
        if len(functions) > 1 and not name:
            raise CompileError(f"the source defines several functions ({', '.join(f.__name__ for f in functions)}); "
                               "pick one with name=")
        pyfunc = functions[-1]
        return _compile(signature, pyfunc, source, filename, 1, 0, pyfunc.__name__, _snapshot(pyfunc),
                        opt_level, debug, cache)

    def decorate(pyfunc):
        if isinstance(pyfunc, CFunc):
            pyfunc = pyfunc.py_func
        if not inspect.isfunction(pyfunc):
            raise TypeError(f"cfunc() compiles Python functions, got {type(pyfunc).__name__}")
        text, filename, first_line, column_offset = _source_of(pyfunc)
        return _compile(signature, pyfunc, text, filename, first_line, column_offset, pyfunc.__name__,
                        _snapshot(pyfunc), opt_level, debug, cache)

    return decorate(func) if func is not None else decorate


class _Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self._value = 0

    def __next__(self):
        with self._lock:
            self._value += 1
            return self._value


_source_counter = _Counter()
