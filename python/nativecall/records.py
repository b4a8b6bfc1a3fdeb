"""Record (C struct) types for cfunc signatures, built from numpy, ctypes or cffi descriptions.

A ``Record`` is a struct layout: named fields at byte offsets, a size and an alignment.
Compiled code reaches records through pointers (``CPointer(rec)``, ``carray(ptr, n)``),
reads and writes their fields (``p[0].x``, ``p[0].x = 1.0``, ``p[0].arr[k]``), and the C
ABI sees a plain ``void *``: a struct pointer serves as ``user_data``. See docs/cfunc.md.

Every builder checks the layout is one a C compiler produces without packing pragmas:
natural alignment, no overlap (unions), no bit-fields, native byte order, numeric,
pointer or struct members only (the layout rules are the compiler's, nativecall._jit).
"""
import contextlib
import ctypes as _ctypes
import operator as _operator
import sys
import threading

from . import types as _types

__all__ = ["Record", "Field", "from_dtype", "from_ctypes", "from_cffi", "map_type"]


class Field:
    """One member: ``name``, byte ``offset``, ``type`` (a scalar, CPointer or Record) and
    ``shape`` (``()`` for a plain member, the extents of an inline array otherwise)."""
    __slots__ = ("name", "offset", "type", "shape")

    def __init__(self, name, offset, type, shape=()):
        if not isinstance(name, str):
            raise TypeError(f"Field(): the name must be a str, got {name!r}")
        if not isinstance(shape, (tuple, list)):   # Field("af4", 16, float32, 7): a one-dimensional array
            shape = (shape,)
        try:   # whole numbers only: 0.5 or 2.5 would silently become 0 or 2
            self.offset = _operator.index(offset)
            self.shape = tuple(_operator.index(s) for s in shape)
        except TypeError:
            raise TypeError(f"Field {name!r}: the offset must be an int and the shape an int or a tuple of ints, "
                            f"got offset={offset!r}, shape={shape!r}") from None
        self.name, self.type = name, type

    def __repr__(self):
        shape = f", shape={self.shape}" if self.shape else ""
        return f"Field({self.name!r}, offset={self.offset}, type={self.type.name}{shape})"

    def __eq__(self, other):
        return isinstance(other, Field) and (self.name, self.offset, self.type, self.shape) == \
            (other.name, other.offset, other.type, other.shape)

    def __hash__(self):
        return hash((self.name, self.offset, self.type, self.shape))


def _size_and_alignment(t):
    if isinstance(t, Record):
        return t.size, t.alignment
    if isinstance(t, _types.CPointer) or t == _types.voidptr:
        return _ctypes.sizeof(_ctypes.c_void_p), _ctypes.alignment(_ctypes.c_void_p)
    if t == _types.boolean:
        return 1, 1
    bits = int("".join(ch for ch in t.name if ch.isdigit()))
    return bits // 8, bits // 8


class Record(_types.Type):
    """A C struct type. ``str()`` is numba's spelling, e.g.
    ``Record(i1[type=int32;offset=0],af4[type=nestedarray(float32, (7,));offset=8];36;4)``;
    ``label`` names it in error messages ("struct my_struct", a ctypes class name)."""
    __slots__ = ("fields", "size", "alignment", "label")

    def __init__(self, fields, size, alignment, label=""):
        self.fields = tuple(sorted(fields, key=lambda f: f.offset))
        try:   # whole numbers only, as for Field offsets
            self.size, self.alignment = _operator.index(size), _operator.index(alignment)
        except TypeError:
            raise TypeError(f"Record(): the size and the alignment must be ints, got size={size!r}, "
                            f"alignment={alignment!r}") from None
        if not isinstance(label, str):
            raise TypeError(f"Record(): the label must be a str, got {label!r}")
        self.label = label
        self._check()
        members = []
        for f in self.fields:
            member = _numba_name(f.type)
            if f.shape:
                dims = ",".join(str(s) for s in f.shape) + ("," if len(f.shape) == 1 else "")
                member = f"nestedarray({member}, ({dims}))"
            members.append(f"{f.name}[type={member};offset={f.offset}]")
        super().__init__(f"Record({','.join(members)};{self.size};{self.alignment})")

    def _check(self):
        """The layout rules live in the compiler (types::record): ask it, so Python and C++
        users get the same checks and the same messages."""
        # Sizes and offsets are C size_t: out of that range the compiler could only say "bad cast".
        limit = 2 ** (8 * _ctypes.sizeof(_ctypes.c_size_t))
        for what, value in (("size", self.size), ("alignment", self.alignment)):
            if not 0 <= value < limit:
                raise ValueError(f"{self.label or 'the record'}: the {what} must be in [0, 2**{limit.bit_length() - 1}), "
                                 f"got {value}")
        for f in self.fields:
            if not 0 <= f.offset < limit:
                raise ValueError(f"{self.label or 'the record'}, field {f.name!r}: the offset must be in "
                                 f"[0, 2**{limit.bit_length() - 1}), got {f.offset}")
            if any(not 0 < extent < limit // 2 for extent in f.shape):
                raise ValueError(f"{self.label or 'the record'}, field {f.name!r}: array extents must be positive "
                                 f"and below 2**{limit.bit_length() - 2}, got {f.shape}")
            pointee = f.type
            while isinstance(pointee, _types.CPointer):
                pointee = pointee.dtype
            if not isinstance(f.type, _types.Type) or f.type == _types.void or \
                    isinstance(pointee, (_types.CustomType, _types.Tuple)):
                raise TypeError(f"{self.label or 'the record'}, field {f.name!r}: expected a nativecall scalar, "
                                f"CPointer or Record type, got {f.type!r}")
        from . import _jit
        _jit.describe_type(self._described())

    def field(self, name):
        """The Field called ``name``; KeyError lists the fields there are."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.label or 'the record'} has no field {name!r} (its fields: "
                       f"{', '.join(f.name for f in self.fields)})")

    @property
    def dtype(self):
        """The equivalent numpy structured dtype (same offsets and itemsize), for arrays of records."""
        import numpy as np
        formats = []
        for f in self.fields:
            if isinstance(f.type, Record):
                base = f.type.dtype
            elif isinstance(f.type, _types.CPointer) or f.type == _types.voidptr:
                base = np.dtype(np.uintp)
            else:
                base = np.dtype("bool" if f.type == _types.boolean else f.type.name)
            formats.append((base, f.shape) if f.shape else base)
        return np.dtype({"names": [f.name for f in self.fields], "formats": formats,
                         "offsets": [f.offset for f in self.fields], "itemsize": self.size}, align=True)

    @property
    def offsets(self):
        """{field name: byte offset}."""
        return {f.name: f.offset for f in self.fields}

    def _described(self):
        """The description nativecall._jit reads (see to_jit_type in bindings/jit.cpp)."""
        return ("record", self.label, self.size, self.alignment,
                tuple((f.name, f.offset, _describe_type(f.type), f.shape) for f in self.fields))

    def __call__(self, *args):
        raise TypeError(f"{self.label or 'a record'} is used through pointers: write CPointer(rec) in signatures")

    def __repr__(self):
        return f"nativecall.types.{self.name}"


def _numba_name(t):
    """numba's (and the compiler's) spelling of a member type: nativecall's "boolean" is "bool" there."""
    if isinstance(t, _types.CPointer):
        return f"CPointer({_numba_name(t.dtype)})"
    return "bool" if t == _types.boolean else t.name


def _describe_type(t):
    """A nativecall type as nativecall._jit reads it: a scalar name, ("pointer", ...) or ("record", ...)."""
    if isinstance(t, Record):
        return t._described()
    if isinstance(t, _types.CPointer):
        return ("pointer", _describe_type(t.dtype))
    return t.name


def contains_record(t):
    """True for a Record or a pointer (to a pointer ...) to one."""
    while isinstance(t, _types.CPointer):
        t = t.dtype
    return isinstance(t, Record)


# ---------------------------------------------------------------- recursive structs

_construction = threading.local()


def _under_construction():
    """The ctypes or cffi structs whose Records are being built on this thread (outermost first)."""
    return _construction.__dict__.setdefault("stack", [])


@contextlib.contextmanager
def _building(struct):
    """A struct whose Record is being built: a pointer member back to it (a linked list's
    ``next``) cannot be a CPointer of a Record that does not exist yet, and is a voidptr."""
    stack = _under_construction()
    stack.append(struct)
    try:
        yield
    finally:
        stack.pop()


# ---------------------------------------------------------------- numpy


def from_dtype(dtype):
    """The Record of a numpy structured dtype (numba's ``from_dtype``; a scalar dtype gives its
    scalar type, as there). Build the dtype with ``align=True`` to get the C layout: a packed
    dtype is refused."""
    import numpy as np
    dt = np.dtype(dtype)
    if dt.names is None:
        if dt.subdtype is None and (dt.kind == "b" or dt.name in _SCALARS) and dt.isnative:
            return _types.boolean if dt.kind == "b" else _SCALARS[dt.name]
        raise TypeError(f"from_dtype() needs a structured dtype (with named fields) or a number dtype, got {dt}")
    fields = []
    for name in dt.names:
        field_dtype, offset = dt.fields[name][:2]
        shape = ()
        if field_dtype.subdtype is not None:
            field_dtype, shape = field_dtype.subdtype
        fields.append(Field(name, offset, _numpy_member(field_dtype, name, dt), shape))
    alignment = max([_size_and_alignment(f.type)[1] for f in fields] + [1])
    if dt.itemsize % alignment:
        raise ValueError(f"the dtype {dt} has itemsize {dt.itemsize}, not a multiple of its alignment {alignment}: "
                         "it is packed; build it with np.dtype(..., align=True) for the C layout")
    return Record(fields, dt.itemsize, alignment)


def _numpy_member(dt, name, record):
    if dt.names is not None:
        return from_dtype(dt)
    if dt.byteorder not in ("=", "|") and not dt.isnative:
        raise ValueError(f"field {name!r} of {record} has non-native byte order ({dt.str}), which compiled code "
                         "cannot read")
    if dt.kind == "b":
        return _types.boolean
    if dt.kind in "iuf" and dt.name in _SCALARS:
        return _SCALARS[dt.name]
    raise TypeError(f"field {name!r} of {record} has type {dt}, which a record cannot hold (expected bool, "
                    "int8..int64, uint8..uint64, float32, float64 or a nested struct)")


_SCALARS = {t.name: t for t in (_types.int8, _types.int16, _types.int32, _types.int64, _types.uint8,
                                _types.uint16, _types.uint32, _types.uint64, _types.float32, _types.float64)}


# ---------------------------------------------------------------- ctypes


def from_ctypes(struct):
    """The Record of a ``ctypes.Structure`` subclass (unions, bit-fields and big-endian structures
    are refused)."""
    if not (isinstance(struct, type) and issubclass(struct, _ctypes.Structure)):
        kind = "a ctypes.Union" if isinstance(struct, type) and issubclass(struct, _ctypes.Union) else repr(struct)
        raise TypeError(f"from_ctypes() needs a ctypes.Structure subclass, got {kind} (unions are not supported)")
    foreign = _ctypes.BigEndianStructure if sys.byteorder == "little" else _ctypes.LittleEndianStructure
    if issubclass(struct, foreign):
        raise ValueError(f"{struct.__name__} is a {foreign.__name__}: non-native byte order, which compiled code "
                         "cannot read")
    with _building(struct):
        return _from_ctypes_fields(struct)


def _from_ctypes_fields(struct):
    fields = []
    for entry in struct._fields_:
        name, ctype = entry[0], entry[1]
        if len(entry) > 2:
            raise ValueError(f"{struct.__name__}.{name} is a bit-field, which compiled code cannot access")
        shape = []
        while isinstance(ctype, type) and issubclass(ctype, _ctypes.Array):
            shape.append(ctype._length_)
            ctype = ctype._type_
        fields.append(Field(name, getattr(struct, name).offset, _ctypes_member(ctype, f"{struct.__name__}.{name}"),
                            shape))
    return Record(fields, _ctypes.sizeof(struct), _ctypes.alignment(struct), struct.__name__)


_CTYPES_CODES = {"b": "int8", "B": "uint8", "c": "int8", "h": "int16", "H": "uint16", "i": "int32",
                 "I": "uint32", "l": "int64", "L": "uint64", "q": "int64", "Q": "uint64", "f": "float32",
                 "d": "float64",
                 # wchar_t: what cffi maps it to (int32 where it is 4 bytes, as on Linux and macOS)
                 "u": "int32" if _ctypes.sizeof(_ctypes.c_wchar) == 4 else "uint16"}


def _ctypes_member(ctype, where):
    if isinstance(ctype, type) and issubclass(ctype, _ctypes.Structure):
        return from_ctypes(ctype)
    if isinstance(ctype, type) and issubclass(ctype, _ctypes.Union):
        raise TypeError(f"{where} is a union ({ctype.__name__}), which records do not support")
    if ctype is _ctypes.c_void_p:
        return _types.voidptr
    if isinstance(ctype, type) and issubclass(ctype, _ctypes._Pointer):
        if ctype._type_ in _under_construction():   # a pointer back to an enclosing struct
            return _types.voidptr
        return _types.CPointer(_ctypes_member(ctype._type_, where))
    if isinstance(ctype, type) and issubclass(ctype, _ctypes._CFuncPtr):   # as cffi's function pointers
        return _types.voidptr
    if ctype is _ctypes.c_char_p:   # char *, as cffi maps it
        return _types.CPointer(_types.int8)
    if ctype is _ctypes.c_wchar_p:
        return _types.CPointer(_ctypes_member(_ctypes.c_wchar, where))
    code = getattr(ctype, "_type_", None)
    if ctype is _ctypes.c_bool:
        return _types.boolean
    scalar = _SCALARS.get(_CTYPES_CODES.get(code, "")) if isinstance(code, str) else None
    if scalar is not None and _ctypes.sizeof(ctype) == _size_and_alignment(scalar)[0]:
        return scalar
    raise TypeError(f"{where} has the ctypes type {getattr(ctype, '__name__', ctype)}, which a record cannot hold "
                    "(expected a ctypes number, pointer, Structure or array of these)")


# ---------------------------------------------------------------- cffi


def from_cffi(ffi, ctype=None):
    """The Record of a cffi struct type: ``from_cffi(ffi, "struct my_struct")`` or
    ``from_cffi(ffi.typeof("my_struct"))``."""
    if ctype is None:
        ffi, ctype = None, ffi
    if isinstance(ctype, str):
        if ffi is None:
            raise TypeError("from_cffi(ffi, name) needs the FFI object to look the name up")
        ctype = ffi.typeof(ctype)
    ffi = ffi or _cffi_module()
    kind = getattr(ctype, "kind", None)
    if kind != "struct":
        raise TypeError(f"from_cffi() needs a cffi struct type, got {getattr(ctype, 'cname', ctype)!r}"
                        + (" (unions are not supported)" if kind == "union" else ""))
    if ctype.fields is None:
        raise TypeError(f"{ctype.cname} is declared but not defined (opaque): its fields are unknown")
    with _building(ctype):
        return _from_cffi_fields(ffi, ctype)


def _from_cffi_fields(ffi, ctype):
    fields = []
    for name, cfield in ctype.fields:
        where = f"{ctype.cname}.{name}"
        if cfield.bitsize != -1:
            raise ValueError(f"{where} is a bit-field, which compiled code cannot access")
        member, shape = cfield.type, []
        while member.kind == "array":
            if member.length is None:
                raise ValueError(f"{where} is a flexible array member, which records do not support")
            shape.append(member.length)
            member = member.item
        fields.append(Field(name, cfield.offset, _cffi_member(ffi, member, where), shape))
    return Record(fields, ffi.sizeof(ctype), ffi.alignof(ctype), ctype.cname)


def _cffi_module():
    from .lowlevel import _cffi
    return _cffi()


_CFFI_FLOATS = {"float": _types.float32, "double": _types.float64}


def _cffi_member(ffi, ct, where):
    """numba's cffi map_type for one type, with structs as Records."""
    if ct.kind == "struct":
        return from_cffi(ffi, ct)
    if ct.kind == "union":
        raise TypeError(f"{where} is a union ({ct.cname}), which records do not support")
    if ct.kind == "function":   # a function pointer member: an address compiled code can pass on
        return _types.voidptr
    if ct.kind == "pointer":
        if ct.item.kind == "void" or ct.item in _under_construction():   # void *, or back to an enclosing struct
            return _types.voidptr
        return _types.CPointer(_cffi_member(ffi, ct.item, where))
    if ct.kind == "void":
        return _types.void
    if ct.kind in ("primitive", "enum"):
        if ct.cname in _CFFI_FLOATS:
            return _CFFI_FLOATS[ct.cname]
        if ct.cname == "_Bool":
            return _types.boolean
        if ct.cname == "char":   # signed on this platform (x86-64, as numba maps it)
            return _types.int8
        if ct.kind == "enum" or "float" not in ct.cname and "double" not in ct.cname and "Complex" not in ct.cname:
            signed = int(ffi.cast(ct, -1)) < 0
            return _SCALARS[f"{'' if signed else 'u'}int{ffi.sizeof(ct) * 8}"]
    raise TypeError(f"{where} has the C type '{ct.cname}', which compiled code does not support")


def map_type(cffi_type, use_record_dtype=True):
    """numba's ``cffi_utils.map_type``: a cffi type as a nativecall type; a function type (or a
    pointer to one) becomes a Signature, so ``cfunc(map_type(ffi.typeof("my_func")))`` compiles
    a callback of that C type. Structs always map to Records (``use_record_dtype`` is accepted
    for numba compatibility)."""
    ffi = _cffi_module()
    ct = cffi_type
    if getattr(ct, "kind", None) == "function":   # cffi's kind for function pointer types
        if ct.ellipsis:
            raise TypeError(f"{ct.cname} is variadic, which callbacks cannot be")
        result = _cffi_member(ffi, ct.result, "the result")
        return _types.Signature(result, [_cffi_member(ffi, a, f"parameter {i + 1}") for i, a in enumerate(ct.args)])
    if getattr(ct, "kind", None) is None:
        raise TypeError(f"map_type() needs a cffi type (ffi.typeof(...)), got {type(cffi_type).__name__}")
    return _cffi_member(ffi, ct, ct.cname)


# ---------------------------------------------------------------- numba


def from_numba(t):
    """The nativecall type of a numba Record (or CPointer of one), for numba-built signatures."""
    module = type(t).__module__ or ""
    if not module.startswith("numba."):
        return None
    if type(t).__name__ == "Record":
        rec = from_dtype(t.dtype)
        return rec
    if type(t).__name__ == "CPointer":
        inner = from_numba(t.dtype)
        return None if inner is None else _types.CPointer(inner)
    return None
