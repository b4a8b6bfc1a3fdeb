"""Scalar and pointer types for cfunc signatures, spelled as numba spells them.

Calling a type with argument types makes a signature, as in numba::

    from nativecall.types import intc, intp, float64, voidptr, CPointer
    sig = intc(CPointer(float64), intp, CPointer(float64), voidptr)
    str(sig)   # 'int32(CPointer(float64), int64, CPointer(float64), voidptr)'

Types also serve as ``dtype=`` in ``carray`` and as conversions inside compiled code
(``float64(n)``). Struct types (``Record``) come from numpy, ctypes or cffi: see records.py.
"""

__all__ = ["Type", "CPointer", "Signature",
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

_RECORD_NAMES = ("Record", "Field", "from_dtype", "from_ctypes", "from_cffi", "map_type")


def __getattr__(name):
    """The struct types of records.py, loaded on first use (records.py imports this module)."""
    if name in _RECORD_NAMES:
        from . import records
        return getattr(records, name)
    raise AttributeError(f"module 'nativecall.types' has no attribute {name!r}")
