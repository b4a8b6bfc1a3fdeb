"""nativecall: run numerical routines on native callbacks, and compile Python functions into them.

Importing the package is cheap: numpy, scipy and the JIT load only when the
submodule that needs them is first used (``nativecall.integrate``,
``nativecall.ndimage``, ``nativecall.cfunc``).
"""
import importlib as _importlib

from .lowlevel import LowLevelCallable, as_callback, call

__all__ = ["LowLevelCallable", "as_callback", "call", "cfunc", "carray", "farray",
           "integrate", "ndimage", "types", "jit", "extending"]
__version__ = "0.1.0"

# Names served lazily: attribute -> (module, attribute or None for the module itself).
_LAZY = {
    "integrate": (".integrate", None),
    "ndimage": (".ndimage", None),
    "types": (".types", None),
    "jit": (".jit", None),
    "extending": (".extending", None),
    "cfunc": (".jit", "cfunc"),
    "carray": (".jit", "carray"),
    "farray": (".jit", "farray"),
}


def __getattr__(name):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'nativecall' has no attribute {name!r}") from None
    module = _importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
