"""Scalar and pointer types for cfunc signatures, spelled as numba spells them.

Calling a type with argument types makes a signature, as in numba::

    from nativecall.types import intc, intp, float64, voidptr, CPointer
    sig = intc(CPointer(float64), intp, CPointer(float64), voidptr)
    str(sig)   # 'int32(CPointer(float64), int64, CPointer(float64), voidptr)'

Types also serve as ``dtype=`` in ``carray`` and as conversions inside compiled code
(``float64(n)``). Struct types (``Record``) come from numpy, ctypes or cffi: see records.py.
"""

__all__ = ["Type", "CPointer", "Signature", "Array", "Tuple", "Opaque", "CustomType",
           "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "intc", "uintc", "intp", "uintp", "float32", "float64", "double", "float_",
           "boolean", "bool_", "void", "none", "voidptr",
           "Record", "Field", "from_dtype", "from_ctypes", "from_cffi", "map_type"]


class Type:
    """A scalar or pointer type; ``name`` is its canonical numba spelling."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        """``float64(float64, voidptr)`` makes a Signature; ``float64(3)`` converts a value,
        as the same call does inside compiled code."""
        if len(args) == 1 and not isinstance(args[0], Type):
            return self._convert(args[0])
        for i, arg in enumerate(args):
            if not isinstance(arg, Type):
                raise TypeError(f"argument {i + 1} of the signature must be a nativecall type, got "
                                f"{type(arg).__name__}")
        return Signature(self, args)

    def _convert(self, value):
        import numpy as np
        if self.name in ("void", "voidptr") or self.name.startswith("CPointer"):
            raise TypeError(f"cannot convert a value to {self.name}")
        return np.dtype("bool" if self.name == "boolean" else self.name).type(value)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"nativecall.types.{self.name}"

    def __eq__(self, other):
        return isinstance(other, Type) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


class CPointer(Type):
    """A pointer to ``dtype`` (``CPointer(float64)`` is ``double *``)."""
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        if not isinstance(dtype, Type):
            raise TypeError(f"CPointer() takes a nativecall type, got {type(dtype).__name__}")
        super().__init__(f"CPointer({dtype.name})")
        self.dtype = dtype


class Signature:
    """A function signature: ``return_type`` and ``args``; ``str()`` is numba's spelling."""
    __slots__ = ("return_type", "args")

    def __init__(self, return_type, args):
        self.return_type = return_type
        self.args = tuple(args)

    def __str__(self):
        return f"{self.return_type.name}({', '.join(a.name for a in self.args)})"

    def __repr__(self):
        return f"nativecall.types.Signature('{self}')"

    def __eq__(self, other):
        return isinstance(other, Signature) and str(other) == str(self)

    def __hash__(self):
        return hash(str(self))


int8, int16, int32, int64 = Type("int8"), Type("int16"), Type("int32"), Type("int64")
uint8, uint16, uint32, uint64 = Type("uint8"), Type("uint16"), Type("uint32"), Type("uint64")
float32, float64 = Type("float32"), Type("float64")
boolean = bool_ = Type("boolean")
void = none = Type("void")
voidptr = Type("voidptr")
# C-named aliases with this platform's widths (LP64), as numba defines them.
intc, uintc = int32, uint32
intp, uintp = int64, uint64
double, float_ = float64, float32


# ---------------------------------------------------------------- types seen by typing functions
# nativecall.extending.overload hands typing functions the argument types of a call site as
# these objects (numba's types.Array, types.UniTuple, ...), alongside the scalars above.

class Array(Type):
    """An array view (carray/farray): ``dtype``, ``ndim`` and ``layout`` ('C' or 'F')."""
    __slots__ = ("dtype", "ndim", "layout")

    def __init__(self, dtype, ndim, layout="C"):
        if not isinstance(dtype, Type):
            raise TypeError(f"Array() takes a nativecall type as dtype, got {type(dtype).__name__}")
        super().__init__(f"array({dtype.name}, {int(ndim)}d, {layout})")
        self.dtype, self.ndim, self.layout = dtype, int(ndim), layout


class Tuple(Type):
    """A fixed-length tuple of ``types``; ``count`` is its length, ``dtype`` the common member
    type when every member has the same type (numba's UniTuple), else None."""
    __slots__ = ("types",)

    def __init__(self, types):
        self.types = tuple(types)
        super().__init__(f"Tuple({', '.join(t.name for t in self.types)}{',' if len(self.types) == 1 else ''})")

    @property
    def count(self):
        return len(self.types)

    @property
    def dtype(self):
        return self.types[0] if self.types and all(t == self.types[0] for t in self.types) else None

    def __len__(self):
        return len(self.types)

    def __iter__(self):
        return iter(self.types)

    def __getitem__(self, index):
        return self.types[index]


class Opaque(Type):
    """Any other compiled-code type (a range, an iterator...), known by its name only."""
    __slots__ = ()


_SCALARS_BY_NAME = {"int8": int8, "int16": int16, "int32": int32, "int64": int64, "uint8": uint8,
                    "uint16": uint16, "uint32": uint32, "uint64": uint64, "float32": float32,
                    "float64": float64, "boolean": boolean, "none": none, "voidptr": voidptr}


def _from_jit(described):
    """The object for a type the compiler describes as a tuple ("scalar", name), ("pointer", t),
    ("array", dtype, ndim, layout), ("tuple", members), ("custom", name), ("record", ...) or ("opaque", name)."""
    kind = described[0]
    if kind == "scalar":
        return _SCALARS_BY_NAME[described[1]]
    if kind == "pointer":
        return CPointer(_from_jit(described[1]))
    if kind == "array":
        return Array(_from_jit(described[1]), described[2], described[3])
    if kind == "tuple":
        return Tuple(_from_jit(m) for m in described[1])
    if kind == "custom" and described[1] in _custom_by_name:
        return _custom_by_name[described[1]]
    if kind == "record":   # ("record", label, size, alignment, ((name, offset, type, shape), ...))
        from .records import Field, Record
        return Record([Field(name, offset, _from_jit(t), shape) for name, offset, t, shape in described[4]],
                      described[2], described[3], described[1])
    return Opaque(described[1])


class CustomType(Type):
    """A type nativecall.extending.register_type defined: ``fields`` are (name, type) pairs,
    ``pyclass`` the Python class whose instances it describes."""
    __slots__ = ("fields", "pyclass", "_box", "_unbox")

    def __init__(self, name, fields, pyclass=None, box=None, unbox=None):
        super().__init__(name)
        self.fields = tuple(fields)
        self.pyclass = pyclass
        self._box, self._unbox = box, unbox

    def __call__(self, *args):
        """``CelsiusType(float64)`` makes a Signature; values are built with the class itself."""
        if args and all(isinstance(a, Type) for a in args):
            return Signature(self, args)
        raise TypeError(f"{self.name} is a compiled-code type: build values with its class"
                        f"{' ' + self.pyclass.__qualname__ if self.pyclass is not None else ''}, "
                        "or call it with types to make a signature")

    @property
    def model(self):
        """The one scalar or pointer type a single-field type is made of, else None."""
        if len(self.fields) == 1 and not isinstance(self.fields[0][1], (Tuple, CustomType)):
            return self.fields[0][1]
        return None

    def __repr__(self):
        return f"nativecall.types.CustomType({self.name!r})"

    def __reduce__(self):
        # Types are identities and hold box/unbox functions: a pickle names the type, and
        # unpickling the class (which imports its module, registering it) finds it again.
        return _registered_custom_type, (self.name, self.pyclass)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


_custom_by_name: "dict[str, CustomType]" = {}   # CustomType.name → CustomType, filled by nativecall.extending.register_type


def _registered_custom_type(name, pyclass):
    """Unpickling a CustomType: the one registered under ``name`` in this process."""
    found = _custom_by_name.get(name)
    if found is None or (pyclass is not None and found.pyclass is not pyclass):
        import pickle
        what = f"register_type({pyclass.__qualname__}, ...)" if pyclass is not None else "register_type"
        raise pickle.UnpicklingError(f"the custom type {name!r} is not registered in this process: run the "
                                     f"{what} call (import its module) before unpickling")
    return found


def _to_jit(t):
    """The inverse of _from_jit: how the compiler is told about a type."""
    if isinstance(t, CustomType):
        return ("custom", t.name)
    if isinstance(t, Tuple):
        return ("tuple", tuple(_to_jit(m) for m in t.types))
    if isinstance(t, CPointer):
        from .records import Record
        if isinstance(t.dtype, Record):   # a struct is reached through pointers: its layout names it
            return ("pointer", ("record", t.dtype._described()))
        return ("pointer", _to_jit(t.dtype))
    if isinstance(t, Type) and t.name in _SCALARS_BY_NAME:
        return ("scalar", t.name)
    from .records import Record
    if isinstance(t, Record):
        raise TypeError(f"compiled code reaches the struct {t.label or t} through pointers, not as a value: "
                        "use CPointer(rec)")
    raise TypeError(f"compiled code cannot hold values of type {t}")


def _machine_signature(signature):
    """For a Signature with custom types: (the numba spelling with each custom type replaced
    by the type it is made of, parameter refinements, result refinement); None without."""
    if not any(isinstance(t, CustomType) for t in (signature.return_type, *signature.args)):
        return None

    def machine(t, where):
        if not isinstance(t, CustomType):
            return t.name, None
        if t.model is None:
            raise TypeError(f"{where} has the custom type {t.name}, which is not made of one number or pointer "
                            "and so cannot cross a C signature")
        from .records import contains_record
        # A struct pointer is a data pointer for the C ABI, as in signatures without custom types.
        return ("voidptr" if contains_record(t.model) else t.model.name), _to_jit(t)

    result, result_type = machine(signature.return_type, "the result")
    params = [machine(a, f"parameter {i + 1}") for i, a in enumerate(signature.args)]
    text = f"{result}({', '.join(p[0] for p in params)})"
    return text, [p[1] for p in params], result_type


_RECORD_NAMES = ("Record", "Field", "from_dtype", "from_ctypes", "from_cffi", "map_type")


def __getattr__(name):
    """The struct types of records.py, loaded on first use (records.py imports this module)."""
    if name in _RECORD_NAMES:
        from . import records
        return getattr(records, name)
    raise AttributeError(f"module 'nativecall.types' has no attribute {name!r}")
