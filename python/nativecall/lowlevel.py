"""LowLevelCallable: one native callback (function pointer, user_data, signature) from any route.

Routes accepted for ``function``: a PyCapsule named by its signature, a ctypes
function pointer, a cffi function pointer, a scipy.LowLevelCallable, a numba
``cfunc`` (or its ``.ctypes``), a nativecall ``cfunc``, another
nativecall.LowLevelCallable, or any object following the native-callback
protocol below.

The native-callback protocol, for third-party compilers: an object with a
method ``__nativecall_callback__()`` returning a mapping with keys

- ``"address"`` (int, required): the function's address;
- ``"signature"`` (str, required): its C or numba-style signature;
- ``"user_data"`` (int, optional): a default user_data address;
- ``"thread_safe"`` (bool, optional): whether routines may call it from several threads;
- ``"name"`` (str, optional): how error messages name it.

The object passed in is kept alive by the LowLevelCallable, so code and data
it owns stay valid while the callable exists.
"""
import ctypes
import operator
import weakref
from collections.abc import Mapping

from . import _core

__all__ = ["LowLevelCallable", "as_callback", "call", "workers_value"]

_PyCFuncPtr = ctypes.CFUNCTYPE(None).__mro__[1]


def _type_name(obj):
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


# ---------------------------------------------------------------- signatures

def _ctypes_type_spelling(ctype):
    """scipy's spelling of a ctypes type ('double', 'longlong *', 'void *')."""
    if ctype is None:
        return "void"
    if ctype is ctypes.c_void_p:
        return "void *"
    name, depth = ctype.__name__, 0
    while name.startswith("LP_"):
        name, depth = name[3:], depth + 1
    if name.startswith("c_"):
        name = name[2:]
    return name + (" " + "*" * depth if depth else "")


def _ctypes_signature(fn):
    if fn.argtypes is None:
        raise ValueError(
            "the ctypes function has no argtypes, so its signature is unknown: "
            "set .argtypes and .restype, or pass signature='double (double, void *)'")
    params = ", ".join(_ctypes_type_spelling(a) for a in fn.argtypes)
    return f"{_ctypes_type_spelling(fn.restype)} ({params})"


# ---------------------------------------------------------------- routes

class _Native:
    """What one route yields: address, signature text, default user_data, flags and owners."""
    __slots__ = ("address", "signature", "user_data", "thread_safe", "name", "owner")

    def __init__(self, address, signature, user_data=0, thread_safe=False, name="", owner=None):
        self.address = address
        self.signature = signature
        self.user_data = user_data
        self.thread_safe = thread_safe
        self.name = name
        self.owner = owner


def _is_scipy_lowlevel(obj):
    t = type(obj)
    return t.__name__ == "LowLevelCallable" and t.__module__.startswith("scipy.")


def _is_cffi(obj):
    return type(obj).__module__ == "_cffi_backend"


def _cffi():
    import cffi  # only when a cffi object is actually given
    global _FFI
    try:
        return _FFI
    except NameError:
        _FFI = cffi.FFI()
        return _FFI


def _address_value(value, what, allow_null):
    """An address from the protocol: an int in [0 or 1, 2**64), else TypeError/ValueError naming `what`."""
    try:
        address = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int address, got {_type_name(value)}") from None
    low = 0 if allow_null else 1
    if not low <= address < 2 ** 64:
        raise ValueError(f"{what} must be an address in [{low}, 2**64), got {address}")
    return address


def _native_from_protocol(obj):
    where = f"{_type_name(obj)}.__nativecall_callback__()"
    info = obj.__nativecall_callback__()
    if not isinstance(info, Mapping):
        raise TypeError(f"{where} must return a mapping with 'address' and 'signature', got {_type_name(info)}")
    for key in ("address", "signature"):
        if key not in info:
            raise ValueError(f"{where} returned no {key!r} (keys: {sorted(info)})")
    text, name = info["signature"], info.get("name", "")
    if not isinstance(text, str):
        raise TypeError(f"{where}['signature'] must be a str, got {_type_name(text)}")
    if not isinstance(name, str):
        raise TypeError(f"{where}['name'] must be a str, got {_type_name(name)}")
    thread_safe = info.get("thread_safe", False)
    if not isinstance(thread_safe, bool):
        raise TypeError(f"{where}['thread_safe'] must be a bool, got {_type_name(thread_safe)}")
    return _Native(_address_value(info["address"], f"{where}['address']", allow_null=False), text,
                   _address_value(info.get("user_data", 0), f"{where}['user_data']", allow_null=True),
                   thread_safe, name, obj)


def _native_of(function, signature):
    """Resolve `function` through whichever route it belongs to, or None if it is no native callback."""
    if function is None:
        return None
    if isinstance(function, LowLevelCallable):
        return _Native(function._address, function.signature, function._user_data_address,
                       function._thread_safe, function._name, function)
    protocol = getattr(type(function), "__nativecall_callback__", None)
    if protocol is not None:
        return _native_from_protocol(function)
    if _core.is_capsule(function):
        address, name, context = _core.capsule_info(function)
        if name is None and signature is None:
            raise ValueError("the PyCapsule has no name, so its signature is unknown: "
                             "name it by its signature (\"double (double, void *)\") or pass signature=")
        return _Native(address, name, context, owner=function)
    if _is_scipy_lowlevel(function):
        capsule = tuple.__getitem__(function, 0)
        address, name, context = _core.capsule_info(capsule)
        return _Native(address, name, context, owner=function)
    if isinstance(function, _PyCFuncPtr):
        address = ctypes.cast(function, ctypes.c_void_p).value
        text = signature if signature is not None else _ctypes_signature(function)
        return _Native(address or 0, text, name=getattr(function, "__name__", ""), owner=function)
    if _is_cffi(function):
        ffi = _cffi()
        ctype = ffi.typeof(function)
        if ctype.kind != "function":
            raise TypeError(f"the cffi object has type '{ctype.cname}', expected a function pointer")
        text = ffi.getctype(ctype).replace("(*)", " ")
        address = int(ffi.cast("uintptr_t", function))
        if address == 0:
            raise ValueError("the cffi function pointer is NULL")
        return _Native(address, text, owner=function)
    module = type(function).__module__ or ""
    if module.startswith("numba.") and type(function).__name__ == "CFunc":
        # numba compiles nopython code: no Python objects, safe to call from several threads.
        return _Native(function.address, _ctypes_signature(function.ctypes), thread_safe=True,
                       name=getattr(function, "__name__", ""), owner=function)
    return None


def _user_data_address(user_data):
    """(address, owner) for a user_data object; raises TypeError naming what is accepted."""
    if user_data is None:
        return 0, None
    if _core.is_capsule(user_data):
        address, _name, _context = _core.capsule_info(user_data)
        return address, user_data
    if isinstance(user_data, ctypes.c_void_p):
        return user_data.value or 0, user_data
    if isinstance(user_data, (ctypes._Pointer, ctypes.c_char_p, ctypes.c_wchar_p)):
        return ctypes.cast(user_data, ctypes.c_void_p).value or 0, user_data
    if isinstance(user_data, (ctypes.Structure, ctypes.Union, ctypes.Array, ctypes._SimpleCData)):
        return ctypes.addressof(user_data), user_data
    if _is_cffi(user_data):
        ffi = _cffi()
        kind = ffi.typeof(user_data).kind
        if kind not in ("pointer", "array"):
            raise TypeError(f"user_data: the cffi object has type '{ffi.typeof(user_data).cname}', "
                            "expected a pointer")
        return int(ffi.cast("uintptr_t", user_data)), user_data
    interface = getattr(user_data, "__array_interface__", None)
    if isinstance(interface, dict) and "data" in interface:
        return interface["data"][0], user_data
    raise TypeError(
        f"user_data must be a PyCapsule, a ctypes pointer or c_void_p, a ctypes object, a cffi "
        f"pointer, a numpy array or None; got {_type_name(user_data)}. For a raw address use "
        f"ctypes.c_void_p(address).")


# ---------------------------------------------------------------- the object

class LowLevelCallable:
    """A native callback: function pointer, user_data pointer and signature.

    Same contract as ``scipy.LowLevelCallable(function, user_data=None, signature=None)``
    plus more routes (see the module docstring). Attributes (read-only):
    ``function``, ``user_data`` and ``signature`` (the signature text).
    ``thread_safe`` (keyword only) tells routines they may call it from several
    threads at once; by default it is True for compiled-Python routes (nativecall
    and numba cfuncs) and False for foreign C code.
    """
    __slots__ = ("_function", "_user_data", "_signature", "_address", "_user_data_address", "_thread_safe",
                 "_name", "_parsed", "_c_signature", "_owners", "__weakref__")

    def __init__(self, function, user_data=None, signature=None, *, thread_safe=None):
        if signature is not None and not isinstance(signature, str):
            raise TypeError(f"signature must be a str, got {_type_name(signature)}")
        native = _native_of(function, signature)
        if native is None:
            raise TypeError(
                f"function must be a native callback (PyCapsule, ctypes or cffi function pointer, "
                f"scipy.LowLevelCallable, numba or nativecall cfunc), got {_type_name(function)}")
        self._init(function, native, user_data, signature, thread_safe)

    def _init(self, function, native, user_data, signature, thread_safe):
        text = signature if signature is not None else native.signature
        self._parsed = _core.Signature(text)  # ValueError with the position if malformed
        if native.address == 0:
            raise ValueError(f"the function pointer of {_type_name(function)} is NULL")
        data_address, data_owner = _user_data_address(user_data)
        self._function = function
        self._user_data = user_data
        self._signature = text
        self._c_signature = self._parsed.c_spelling
        self._address = native.address
        self._user_data_address = data_address if user_data is not None else native.user_data
        self._thread_safe = native.thread_safe if thread_safe is None else bool(thread_safe)
        self._name = native.name
        self._owners = (native.owner, data_owner)

    @classmethod
    def _from_native(cls, function, native):
        self = cls.__new__(cls)
        self._init(function, native, None, None, None)
        return self

    @property
    def function(self):
        """The function object given."""
        return self._function

    @property
    def user_data(self):
        """The user_data object given (None when the default was used)."""
        return self._user_data

    @property
    def signature(self):
        """The signature text, as given or derived (scipy's spelling for ctypes and cffi)."""
        return self._signature

    @classmethod
    def from_cython(cls, module, name, user_data=None, signature=None):
        """The function `name` exported by a Cython module (its ``__pyx_capi__``)."""
        try:
            capi = module.__pyx_capi__
        except AttributeError:
            raise ValueError(f"{module!r} is not a Cython module with a __pyx_capi__ attribute "
                             "(declare the function 'cdef api' or list it in a .pxd)") from None
        try:
            function = capi[name]
        except KeyError:
            raise ValueError(f"no function {name!r} in __pyx_capi__ of {getattr(module, '__name__', module)!r}; "
                             f"available: {sorted(capi)}") from None
        self = cls(function, user_data, signature)
        self._name = name
        return self

    @property
    def address(self):
        """The function's address (int)."""
        return self._address

    @property
    def user_data_address(self):
        """The address passed as user_data (int, 0 for NULL)."""
        return self._user_data_address

    @property
    def thread_safe(self):
        return self._thread_safe

    @property
    def c_signature(self):
        """The canonical C spelling, as scipy compares it."""
        return self._c_signature

    def to_capsule(self):
        """A PyCapsule named by the canonical C signature that keeps this object alive."""
        return _core.make_capsule(self._address, self._parsed.c_spelling, self)

    def to_scipy(self):
        """This callback as a ``scipy.LowLevelCallable``, spelled the way scipy expects."""
        from scipy import LowLevelCallable as ScipyLowLevelCallable
        data = ctypes.c_void_p(self._user_data_address) if self._user_data_address else None
        return ScipyLowLevelCallable(self.to_capsule(), data)

    def __call__(self, *args):
        return call(self, *args)

    def __repr__(self):
        name = f" {self._name!r}" if self._name else ""
        return (f"<nativecall.LowLevelCallable{name} '{self.signature}' at 0x{self._address:x}, "
                f"user_data=0x{self._user_data_address:x}>")


def workers_value(workers, routine):
    """The ``workers=`` argument as the routines' C++ side takes it (0 = decide).

    None decides (every core for a thread-safe native callback, one thread
    otherwise); a positive int asks for that many threads; a negative int counts
    back from the number of cores as scipy does (-1: all of them). 0 and
    counts below minus the number of cores are errors, as in scipy.
    """
    if workers is None:
        return 0
    try:
        n = operator.index(workers)
    except TypeError:
        raise TypeError(f"{routine}: workers must be an int or None, got {_type_name(workers)}") from None
    cores = _core.hardware_workers()
    if n == 0 or n < -cores:
        raise ValueError(f"{routine}: workers={n} is out of range; use None, a positive number of threads, "
                         f"or -1 to -{cores} to count back from the {cores} cores")
    return n


def as_callback(obj, what="callback"):
    """The form routines take: a LowLevelCallable for any native route, or the plain Python callable.

    Raises TypeError when `obj` is neither, naming `what`.
    """
    if isinstance(obj, LowLevelCallable):
        return obj
    native = _native_of(obj, None)
    if native is not None:
        return LowLevelCallable._from_native(obj, native)
    if callable(obj):
        return obj
    raise TypeError(f"'{what}' must be a Python callable or a native callback (nativecall cfunc, "
                    f"LowLevelCallable, ctypes/cffi function pointer, PyCapsule, scipy.LowLevelCallable, "
                    f"numba cfunc), got {_type_name(obj)}")


# obj -> a LowLevelCallable for it that holds obj only weakly (see as_callback_cached).
_resolved: "weakref.WeakKeyDictionary[object, LowLevelCallable]" = weakref.WeakKeyDictionary()


def as_callback_cached(obj, what="callback"):
    """as_callback(obj), remembered per object for routines called in a loop.

    Resolving a route (reading ctypes argtypes, asking a protocol, parsing the
    signature) costs about as much as a small integral, so it is done once per
    object. The remembered LowLevelCallable refers to `obj` through a weak
    proxy: the cache never keeps `obj` alive, and the routine's caller holds
    `obj` for the duration of the call. Objects without weak references
    (capsules, scipy's tuples) are resolved every time.
    """
    if isinstance(obj, LowLevelCallable):
        return obj
    if isinstance(obj, _PyCFuncPtr):   # unhashable: remembered by id
        cached = _resolved_ctypes_pointer(obj)
        if cached is not None:
            return cached
    else:
        try:
            return _resolved[obj]
        except (KeyError, TypeError):
            pass
    native = _native_of(obj, None)
    if native is None:
        return as_callback(obj, what)
    try:
        proxy = weakref.proxy(obj)
    except TypeError:
        return LowLevelCallable._from_native(obj, native)
    if native.owner is obj:
        native.owner = None
    callback = LowLevelCallable._from_native(proxy, native)
    try:
        _resolved[obj] = callback
    except TypeError:
        if isinstance(obj, _PyCFuncPtr):
            _remember_ctypes_pointer(obj, callback)
    return callback


# ctypes function pointers are unhashable, so they are remembered by id, with a weak
# reference that drops the entry when the pointer dies (an id is reused afterwards).
# Their argtypes and restype may be reassigned: an entry serves only the pair it was
# resolved with.
_resolved_by_id: "dict[int, tuple]" = {}


def _resolved_ctypes_pointer(obj):
    entry = _resolved_by_id.get(id(obj))
    if entry is None:
        return None
    ref, argtypes, restype, callback = entry
    if ref() is obj and obj.argtypes is argtypes and obj.restype is restype:
        return callback
    return None


def _remember_ctypes_pointer(obj, callback):
    key = id(obj)

    def forget(ref):
        entry = _resolved_by_id.get(key)
        if entry is not None and entry[0] is ref:
            del _resolved_by_id[key]

    _resolved_by_id[key] = (weakref.ref(obj, forget), obj.argtypes, obj.restype, callback)


def call(callback, *args):
    """Call a callback once with the given arguments and return its result.

    A native callback is called through a generic C call (ints, floats, bools
    and pointers as int addresses or None); when it takes one argument more than
    given and that last parameter is ``void *``, the callback's user_data is
    passed there. A Python callable is called through the same C++ path that
    routines use, so its exception propagates unchanged.
    """
    cb = as_callback(callback)
    if not isinstance(cb, LowLevelCallable):
        return _core.call_python(cb, *args)
    sig = cb._parsed
    if len(args) == len(sig.params) - 1 and sig.takes_user_data:
        args = args + (cb._user_data_address,)
    return _core.invoke(cb._address, sig, args)
