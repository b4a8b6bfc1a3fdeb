"""nativecall.extending: teach the cfunc compiler about functions it may call (numba's extension API).

``external(name, signature, address)`` declares a C function by address; a cfunc that
reads the returned object as a global or closure value compiles each call to a direct
native call. ``@jitable`` marks a Python helper that cfuncs compile inline, typed at
each call site. ``@overload(func)`` gives ``func`` (a Python function, a builtin or an
``operator`` function) implementations for compiled code chosen by argument types.
See docs/extending.md.
"""
import ctypes
import functools
import inspect
import operator
import threading

from . import _cache
from . import _core
from . import jit as _jit
from . import types as _types
from .lowlevel import _PyCFuncPtr, _ctypes_signature, _is_cffi, _native_of, _type_name

__all__ = ["external", "ExternalFunction", "jitable", "Jitable", "overload", "overload_attribute", "overload_method",
           "register_type", "lower_cast"]


class ExternalFunction:
    """A native function with a known address and signature, callable from cfuncs and from Python.

    The compiler reads it through ``__nativecall_external__`` (name, address, C signature);
    every cfunc that calls it keeps this object, and so the address's owner, alive.
    """

    def __init__(self, name, signature, address, owner, stand_in):
        self.__name__ = name
        self._signature = signature      # the parsed nativecall Signature
        self._address = address
        self._owner = owner              # what keeps the code at `address` loaded (a CDLL's function, a cfunc)
        self._stand_in = stand_in        # the Python function it replaces, if one was given

    @property
    def address(self):
        return self._address

    @property
    def signature(self):
        """numba's spelling, "float64(float64)"."""
        return self._signature.numba_spelling

    @property
    def c_signature(self):
        """The C spelling, "double (double)"."""
        return self._signature.c_spelling

    def __nativecall_external__(self):
        return self.__name__, self._address, self._signature.c_spelling

    def __nativecall_callback__(self):
        # Usable wherever a callback is accepted; nothing is known about its thread safety.
        return {"address": self._address, "signature": self._signature.c_spelling, "thread_safe": False,
                "name": self.__name__}

    def __call__(self, *args):
        """From Python: the stand-in when one was given (it is the reference), else the native code."""
        if self._stand_in is not None:
            return self._stand_in(*args)
        if len(args) != len(self._signature.params):
            raise TypeError(f"{self.__name__}() takes {len(self._signature.params)} argument(s), {len(args)} given")
        return _core.invoke(self._address, self._signature, args)

    def __repr__(self):
        return f"<nativecall.extending.external {self.__name__!r} '{self.signature}' at 0x{self._address:x}>"


def _parse(signature):
    try:
        return _core.Signature(_jit._signature_text(signature))
    except ValueError as e:
        raise ValueError(f"external(): bad signature {signature!r}: {e}") from None


def _own_signature(address):
    """The signature an address object declares itself (cffi type, ctypes argtypes, cfunc), or None."""
    if isinstance(address, _PyCFuncPtr):
        return _ctypes_signature(address) if address.argtypes is not None else None
    if _is_cffi(address) or hasattr(type(address), "__nativecall_callback__"):
        native = _native_of(address, None)
        return native.signature if native is not None else None
    return None


def external(name_or_stand_in, signature, address):
    """Declare a native function for cfuncs: ``external("cos", "float64(float64)", libm.cos)``.

    ``name_or_stand_in`` is the name used in messages, or a Python function of the same
    meaning (its name is used, and calling the result from Python runs it). ``signature``
    is a numba or C spelling (or built from nativecall.types); ``address`` is an int, a
    ctypes or cffi function pointer, or a nativecall cfunc. When the address object
    declares its own signature it must have the same ABI as ``signature``.
    """
    if isinstance(name_or_stand_in, str):
        name, stand_in = name_or_stand_in, None
        if not name.isidentifier():
            raise ValueError(f"external(): the name must be an identifier, got {name!r}")
    elif callable(name_or_stand_in):
        name, stand_in = getattr(name_or_stand_in, "__name__", "external"), name_or_stand_in
    else:
        raise TypeError(f"external(): the first argument must be a name or a Python function, "
                        f"got {_type_name(name_or_stand_in)}")
    parsed = _parse(signature)

    if isinstance(address, bool) or not isinstance(address, (int, _PyCFuncPtr)) and not _is_cffi(address) \
            and not hasattr(type(address), "__nativecall_callback__"):
        raise TypeError(f"external(): the address must be an int, a ctypes or cffi function pointer or a "
                        f"nativecall cfunc, got {_type_name(address)}")
    if isinstance(address, int):
        value, owner = address, None
    else:
        declared = _own_signature(address)
        if declared is not None:
            difference = parsed.first_difference(_core.Signature(declared))
            if difference:
                raise TypeError(f"external(): {name} is declared '{parsed.c_spelling}' but the address object "
                                f"has signature '{declared}' ({difference})")
        if isinstance(address, _PyCFuncPtr):
            value = ctypes.cast(address, ctypes.c_void_p).value or 0
        else:
            value = _native_of(address, parsed.c_spelling).address
        owner = address
    if not 0 < value < 2 ** 64:
        raise ValueError(f"external(): the address of {name} must be in [1, 2**64), got {value}")
    return ExternalFunction(name, parsed, value, owner, stand_in)


class Jitable:
    """A Python function that cfuncs compile inline where they call it; from Python it runs unchanged.

    The compiler reads it through ``__nativecall_jitable__`` (the Python function, whose
    source and globals it snapshots like a cfunc's)."""

    def __init__(self, pyfunc):
        functools.update_wrapper(self, pyfunc)
        self.py_func = pyfunc

    def __nativecall_jitable__(self):
        return self.py_func

    def __call__(self, *args, **kwargs):
        return self.py_func(*args, **kwargs)

    def __repr__(self):
        return f"<nativecall.extending.jitable {self.py_func.__qualname__!r}>"


def jitable(func):
    """``@jitable``: make ``func`` callable from cfuncs (numba's register_jitable).

    Each call site compiles the body inline for the argument types it passes (an int
    call and a float call give two specialisations). Its globals and closure values are
    read at the time a cfunc calling it is compiled, with the same rules as a cfunc's.
    A jitable function may call other jitable functions, but not itself, directly or
    through others.
    """
    if isinstance(func, Jitable):
        return func
    if not inspect.isfunction(func):
        raise TypeError(f"jitable() takes a Python function, got {_type_name(func)}")
    return Jitable(func)


# ---------------------------------------------------------------- overload

# operator functions and the compiler's names for the operations they perform.
_OPERATOR_NAMES = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
    operator.floordiv: "//", operator.mod: "%", operator.pow: "**", operator.lshift: "<<",
    operator.rshift: ">>", operator.and_: "&", operator.or_: "|", operator.xor: "^",
    operator.eq: "==", operator.ne: "!=", operator.lt: "<", operator.le: "<=", operator.gt: ">",
    operator.ge: ">=", operator.neg: "unary-", operator.pos: "unary+", operator.invert: "~",
    operator.not_: "not", operator.truth: "bool", operator.getitem: "getitem",
}
_registered_lock = threading.Lock()
_dispatchers: "list[_Dispatcher]" = []     # every _Dispatcher handed to the compiler (they live as long as the process)


class _Dispatcher:
    """One typing function as the compiler calls it: with the argument types of a call site
    (once per distinct types: the compiler remembers the answer), returning the declaration
    of the implementation it chose, or None to decline. Each @overload registers its own
    dispatcher, so a later overload is still asked about types earlier ones declined."""

    def __init__(self, typer, shown, accepts=None):
        self.typer = typer
        self.shown = shown       # how messages name the function: "dot", "operator.add"
        self.accepts = accepts   # a test of the argument types to run before the typer, or None
        self.owners = []         # what chosen implementations call into, kept alive with them

    def __call__(self, described):
        arg_types = tuple(_types._from_jit(d) for d in described)
        if self.accepts is not None and not self.accepts(arg_types):
            return None
        shown_args = ", ".join(str(t) for t in arg_types)
        where = f"the typing function {getattr(self.typer, '__qualname__', repr(self.typer))}() of overload {self.shown}"
        try:
            impl = self.typer(*arg_types)
        except Exception as e:
            raise TypeError(f"{where} raised {type(e).__name__}: {e} (arguments: {shown_args})") from e
        if impl is None:
            return None
        if isinstance(impl, Jitable):
            impl = impl.py_func
        if not inspect.isfunction(impl):
            raise TypeError(f"{where} returned {_type_name(impl)} for arguments ({shown_args}); it must "
                            "return a Python function implementing them, or None to decline")
        described_impl = _jit._describe_jitable(impl)
        if described_impl[0] != "jitable":
            raise TypeError(f"{where} returned {described_impl[1]}")
        self.owners.extend(described_impl[7])
        return described_impl[8]


def _compiler_name(func):
    """(the name compiled code knows ``func`` by, how messages show it, whether it is a builtin one)."""
    try:
        name = _OPERATOR_NAMES.get(func)
    except TypeError:   # unhashable
        name = None
    if name is not None:
        return name, f"operator.{func.__name__}", True
    known = _jit._function_table().get(id(func))
    if known is not None:
        return known, known, True
    if inspect.isfunction(func):
        return f"{func.__module__}.{func.__qualname__}", func.__qualname__, False
    raise TypeError(f"overload() takes a Python function, a builtin the compiler knows (abs, math.exp, ...) or an "
                    f"operator function (operator.add, ...), got {_type_name(func)}")


def overload(func):
    """``@overload(func)``: an implementation of ``func`` for compiled code (numba's @overload).

    The decorated *typing function* is called with the argument types of a call site
    (nativecall.types objects: scalars, CPointer, Array, Tuple) and returns a Python
    function implementing ``func`` for them, compiled inline like a jitable, or None to
    decline. Several overloads of one function are asked in registration order; the
    first that returns an implementation wins. Each typing function is asked once per
    distinct argument types: its answer (and the implementation's globals, read then)
    is remembered for the life of the process.

    ``func`` is a Python function (cfuncs that read it as a global call the chosen
    implementation; Python callers still run ``func``), a function the compiler already
    knows (``abs``, ``math.hypot``), or an ``operator`` function (``operator.add`` serves
    ``a + b``). For those, the builtin meaning comes first: an overload only serves
    argument types the compiler rejects otherwise.
    """
    if isinstance(func, (Jitable, ExternalFunction)) or isinstance(func, _jit.CFunc):
        raise TypeError(f"overload() cannot add implementations to {_type_name(func)}: it is already compiled "
                        "code or a jitable function")
    name, shown, builtin = _compiler_name(func)

    def register(typer):
        if not callable(typer):
            raise TypeError(f"@overload({shown}) decorates a typing function, got {_type_name(typer)}")
        dispatcher = _Dispatcher(typer, shown)
        with _registered_lock:
            _jit._jit.register_overload(name, dispatcher)
            _cache.note_extension("overload", (name,), (typer,))
            _dispatchers.append(dispatcher)
            if not builtin or name in _OPERATOR_NAMES.values():
                _jit._extension_names[id(func)] = (func, name)
        return typer

    return register


def overload_attribute(custom_type, attribute):
    """``@overload_attribute(Vec3Type, "norm")``: a computed attribute of a type in compiled code.

    The typing function receives the object's type and returns a Python function of one
    argument (the object) computing the attribute, or None. ``custom_type`` may be any
    nativecall type (a CustomType, float64, ...); the typing function is only asked about it."""
    if not isinstance(custom_type, _types.Type):
        raise TypeError(f"overload_attribute() takes a nativecall type, got {_type_name(custom_type)}")
    if not isinstance(attribute, str) or not attribute.isidentifier():
        raise ValueError(f"overload_attribute(): the attribute must be an identifier, got {attribute!r}")

    def register(typer):
        if not callable(typer):
            raise TypeError(f"@overload_attribute decorates a typing function, got {_type_name(typer)}")
        dispatcher = _Dispatcher(typer, f"{custom_type.name}.{attribute}",
                                 accepts=lambda types: len(types) == 1 and types[0] == custom_type)
        with _registered_lock:
            _jit._jit.register_overload("." + attribute, dispatcher)
            _cache.note_extension("attribute", (custom_type.name, attribute), (typer,))
            _dispatchers.append(dispatcher)
        return typer

    return register


def overload_method(custom_type, method):
    """``@overload_method(Vec3Type, "dot")``: ``obj.dot(other)`` in compiled code (numba's overload_method).

    The typing function receives the object's type and the argument types, and returns a
    Python function taking the object first, or None to decline."""
    if not isinstance(custom_type, _types.Type):
        raise TypeError(f"overload_method() takes a nativecall type, got {_type_name(custom_type)}")
    if not isinstance(method, str) or not method.isidentifier():
        raise ValueError(f"overload_method(): the method name must be an identifier, got {method!r}")
    from .records import Record
    # A struct is reached by reference, not held as a value: its layout names it.
    receiver = ("record", custom_type._described()) if isinstance(custom_type, Record) else _types._to_jit(custom_type)

    def register(typer):
        if not callable(typer):
            raise TypeError(f"@overload_method decorates a typing function, got {_type_name(typer)}")
        dispatcher = _Dispatcher(typer, f"{custom_type.name}.{method}()")
        with _registered_lock:
            _jit._jit.register_method(receiver, method, dispatcher)
            _cache.note_extension("method", (receiver, method), (typer,))
            _dispatchers.append(dispatcher)
        return typer

    return register


# ---------------------------------------------------------------- custom types

_registered_types: "dict[type, _types.CustomType]" = {}   # Python class → CustomType
_cast_owners: "list[object]" = []         # what registered conversions call into, alive as long as the process


def register_type(pyclass, fields, *, name=None, box=None, unbox=None):
    """Make instances of ``pyclass`` a type compiled code knows; returns its ``CustomType``.

    ``fields`` lists ``(name, type)`` pairs (numbers, CPointer, tuples of these, or other
    registered types): the value in compiled code is the fields side by side, and each
    field is an attribute. Once registered:

    - an instance read as a global or closure value is a constant (its fields read then);
    - ``pyclass(f1, f2, ...)`` in compiled code builds a value from its fields;
    - a type of one number or pointer may appear in a cfunc signature built from
      nativecall.types (``float64(CelsiusType)``): the C signature takes the number,
      and calling the cfunc from Python unboxes arguments with ``unbox(obj)`` (default:
      the field's attribute) and boxes the result with ``box(value)`` (default:
      ``pyclass(value)``).

    Computed attributes, operators and conversions come from ``overload_attribute``,
    ``overload(operator.add)`` and ``lower_cast``.
    """
    if not isinstance(pyclass, type):
        raise TypeError(f"register_type() takes a class, got {_type_name(pyclass)}")
    if pyclass in _registered_types:
        raise ValueError(f"register_type(): {pyclass.__qualname__} is already registered")
    name = pyclass.__name__ if name is None else name
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register_type(): the name must be an identifier, got {name!r}")
    if _names_a_builtin_type(name):   # messages and signatures would show two types the same way
        raise ValueError(f"register_type(): {name!r} already names a built-in type; pass another name=")
    checked = []
    for i, field in enumerate(fields):
        if not (isinstance(field, tuple) and len(field) == 2 and isinstance(field[0], str) and field[0].isidentifier()
                and isinstance(field[1], _types.Type)):
            raise TypeError(f"register_type(): field {i + 1} must be a (name, nativecall type) pair, got {field!r}")
        checked.append(field)
    if not checked:
        raise ValueError("register_type(): a type needs at least one field")
    names = [f[0] for f in checked]
    if len(set(names)) != len(names):
        raise ValueError(f"register_type(): field names repeat: {names}")
    described_fields = [(f, _types._to_jit(t)) for f, t in checked]   # TypeError for unusable field types

    if unbox is None:
        def unbox(value):
            if not isinstance(value, pyclass):
                raise TypeError(f"expected a {pyclass.__qualname__}, got {_type_name(value)}")
            return getattr(value, names[0])
    if box is None:
        box = pyclass
    custom = _types.CustomType(name, checked, pyclass, box, unbox)
    constructor = f"{pyclass.__module__}.{pyclass.__qualname__}"
    with _registered_lock:
        if name in _types._custom_by_name:
            raise ValueError(f"register_type(): a type named {name!r} is already registered")
        _jit._jit.register_custom_type(name, constructor, described_fields)
        _cache.note_extension("type", (name, constructor, described_fields))
        _types._custom_by_name[name] = custom
        _registered_types[pyclass] = custom
        _jit._extension_names[id(pyclass)] = (pyclass, constructor)
        _jit._typeof_rules[pyclass] = lambda value: ("typed_const", ("custom", name), _field_values(custom, value))
    return custom


def _names_a_builtin_type(name):
    """Whether a signature already reads ``name`` as a type (float64, double, int, voidptr...)."""
    if name in ("CPointer", "Record", "Tuple", "Array", "none"):
        return True
    try:
        _core.Signature(f"void({name})")
    except ValueError:
        return False
    return True


def _field_values(custom, value):
    """The constant a custom-typed global becomes: its fields' values, read now (lower_constant)."""
    values = []
    for field, field_type in custom.fields:
        try:
            v = getattr(value, field)
        except AttributeError:
            raise TypeError(f"a {custom.name} global has no attribute {field!r} to read as its field") from None
        values.append(_field_constant(custom, field, field_type, v))
    return tuple(values)


def _field_constant(custom, field, field_type, v):
    """One field's value as a constant: custom values by their fields, tuples member by member,
    numbers by the rules of any constant global (numpy scalars become Python numbers)."""
    if isinstance(field_type, _types.CustomType):
        return _field_values(field_type, v)
    if isinstance(field_type, _types.Tuple) and isinstance(v, tuple) and len(v) == len(field_type.types):
        return tuple(_field_constant(custom, field, t, m) for t, m in zip(field_type.types, v))
    constant = _jit._constant(v)
    if constant is None:
        raise TypeError(f"a {custom.name} global has {type(v).__name__} {v!r:.60} as its field {field!r}, "
                        f"which is {field_type}: expected an int, float or bool"
                        f"{' (an address)' if isinstance(field_type, _types.CPointer) else ''}"
                        f"{' or a tuple of these' if isinstance(field_type, _types.Tuple) else ''}")
    return constant


def lower_cast(from_type, to_type):
    """``@lower_cast(CelsiusType, FahrenheitType)``: how compiled code converts ``from_type`` to
    ``to_type`` (where a conversion happens: returning from a cfunc, passing to a native
    function); the decorated Python function takes the value and returns the converted one,
    and is compiled inline like a jitable."""
    for t in (from_type, to_type):
        if not isinstance(t, _types.Type):
            raise TypeError(f"lower_cast() takes nativecall types, got {_type_name(t)}")

    def register(impl):
        if isinstance(impl, Jitable):
            impl = impl.py_func
        if not inspect.isfunction(impl):
            raise TypeError(f"@lower_cast decorates a Python function, got {_type_name(impl)}")
        described = _jit._describe_jitable(impl)
        if described[0] != "jitable":
            raise TypeError(f"lower_cast(): {described[1]}")
        with _registered_lock:
            _jit._jit.register_cast(_types._to_jit(from_type), _types._to_jit(to_type), described[8])
            _cache.note_extension("cast", (_types._to_jit(from_type), _types._to_jit(to_type)), (impl,))
            _cast_owners.extend(described[7])
        return impl

    return register
