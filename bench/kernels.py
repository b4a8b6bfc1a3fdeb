"""The benchmark kernels, once, in every spelling the suites time: Python (numba, nativecall.cfunc), C (ctypes), Cython.

Every suite takes its kernels from here: the seed integrands (exp(-t)/t**2, the
Gaussians of seed 001, the 3-D nquad cube) and the seed 002 ndimage kernels
(nbmin, the shift mapping). The Python source is numba's spelling and is
compiled by numba and by nativecall.cfunc alike; the C and Cython versions are
compiled here, at bench time, into build/bench/ under a hash of their source,
so a second run reuses them and an edited kernel is rebuilt. No network is
needed: the compilers are the system's cc and the Cython in the environment.
"""
import ctypes
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = HERE.parent / "build" / "bench"
CYTHON_SOURCE = HERE / "cy_kernels.pyx"

# numba's spelling of the seed kernels; nativecall.cfunc compiles the same functions.
PYTHON_SOURCE = '''
import math
import numpy as np
from numba import carray
from numba.types import float64


def exp_over_t2(t):
    return math.exp(-t) / (t * t)


def gaussian(n, xx):
    return math.exp(-xx[1] * xx[0] * xx[0])


def cube(n, xx):
    x = xx[0]
    y = xx[1]
    z = xx[2]
    return math.exp(-(x * x + y * y + z * z)) * math.cos(x * y * z)


def nbmin(values_ptr, len_values, result, data):
    values = carray(values_ptr, (len_values,), dtype=float64)
    result[0] = np.inf
    for v in values:
        if v < result[0]:
            result[0] = v
    return 1


def shift_mapping(output_ptr, input_ptr, output_rank, input_rank, user_data):
    input_ = carray(input_ptr, (input_rank,))
    output_ = carray(output_ptr, (output_rank,))
    shift = carray(user_data, (1,), dtype=float64)[0]
    for i in range(input_rank):
        input_[i] = output_[i] - shift
    return 1
'''

# The signature of each kernel, in the type spelling numba and nativecall.cfunc share.
SIGNATURES = {
    "exp_over_t2": "float64(float64)",
    "gaussian": "float64(intc, CPointer(float64))",
    "cube": "float64(intc, CPointer(float64))",
    "nbmin": "intc(CPointer(float64), intp, CPointer(float64), voidptr)",
    "shift_mapping": "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)",
}

C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
double exp_over_t2(double t) { return exp(-t) / (t * t); }
double gaussian(int n, double *xx) { return exp(-xx[1] * xx[0] * xx[0]); }
double cube(int n, double *xx) {
    double x = xx[0], y = xx[1], z = xx[2];
    return exp(-(x * x + y * y + z * z)) * cos(x * y * z);
}
int nbmin(double *values, intptr_t n, double *result, void *user_data) {
    double m = INFINITY;
    for (intptr_t i = 0; i < n; ++i) if (values[i] < m) m = values[i];
    *result = m;
    return 1;
}
int shift_mapping(intptr_t *out, double *in, int out_rank, int in_rank, void *user_data) {
    double shift = *(double *)user_data;
    for (int i = 0; i < in_rank; ++i) in[i] = (double)out[i] - shift;
    return 1;
}
"""

_C_TYPES = {
    "exp_over_t2": (ctypes.c_double, [ctypes.c_double]),
    "gaussian": (ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double)]),
    "cube": (ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double)]),
    "nbmin": (ctypes.c_int, [ctypes.POINTER(ctypes.c_double), ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_double),
                             ctypes.c_void_p]),
    "shift_mapping": (ctypes.c_int, [ctypes.POINTER(ctypes.c_ssize_t), ctypes.POINTER(ctypes.c_double),
                                     ctypes.c_int, ctypes.c_int, ctypes.c_void_p]),
}


def _cached_folder(stem, *parts):
    """build/bench/<stem>-<hash of parts and the interpreter>: one folder per distinct source."""
    digest = hashlib.sha256()
    for part in parts + (sys.version, sysconfig.get_config_var("EXT_SUFFIX") or ""):
        digest.update(part.encode() if isinstance(part, str) else part)
    return BUILD / f"{stem}-{digest.hexdigest()[:16]}"


def _run(cmd, what):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({' '.join(map(str, cmd))}):\n{result.stderr}{result.stdout}")


def _build_once(folder, target, steps):
    """Runs the build steps into `folder` unless `target` is there already; a half-built folder is never used."""
    if target.exists():
        return target
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    partial.mkdir(parents=True, exist_ok=True)
    try:
        steps(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        partial.rename(folder)
    except OSError:   # another run finished the same build first: use theirs
        pass
    return target


def c_library():
    """The C kernels as a ctypes library, argument and result types set."""
    cc = os.environ.get("CC", "cc")
    folder = _cached_folder("c_kernels", C_SOURCE, cc)

    def steps(where):
        (where / "kernels.c").write_text(C_SOURCE)
        _run([cc, "-O2", "-shared", "-fPIC", "-o", str(where / "kernels.so"), str(where / "kernels.c"), "-lm"],
             "compiling the C kernels")

    lib = ctypes.CDLL(str(_build_once(folder, folder / "kernels.so", steps)))
    for name, (restype, argtypes) in _C_TYPES.items():
        getattr(lib, name).restype = restype
        getattr(lib, name).argtypes = argtypes
    return lib


def cython_module():
    """bench/cy_kernels.pyx compiled with the environment's Cython and imported.

    Raises RuntimeError (with the compiler's message) when Cython or the C
    compiler is missing or fails; the suites then leave the Cython column out.
    """
    cc = os.environ.get("CC", "cc")
    source = CYTHON_SOURCE.read_text()
    folder = _cached_folder("cy_kernels", source, cc)
    name = CYTHON_SOURCE.stem
    suffix = sysconfig.get_config_var("EXT_SUFFIX")

    def steps(where):
        pyx = where / CYTHON_SOURCE.name
        pyx.write_text(source)
        _run([sys.executable, "-m", "cython", "-3", str(pyx), "-o", str(where / f"{name}.c")], "cython")
        _run([cc, "-O2", "-shared", "-fPIC", "-w", "-I" + sysconfig.get_paths()["include"],
              "-o", str(where / f"{name}{suffix}"), str(where / f"{name}.c"), "-lm"], "compiling the Cython kernels")

    library = _build_once(folder, folder / f"{name}{suffix}", steps)
    spec = importlib.util.spec_from_file_location(name, library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scipy_cython(name, user_data=None):
    """scipy.LowLevelCallable of a Cython kernel (its capsule carries the signature scipy checks), or None."""
    import scipy
    module = _cython_or_none()
    return None if module is None else scipy.LowLevelCallable.from_cython(module, name, user_data)


_cython_state = {}


def _cython_or_none():
    if "module" not in _cython_state:
        try:
            _cython_state["module"] = cython_module()
        except (RuntimeError, OSError, ImportError) as error:
            print(f"Cython kernels unavailable, leaving their contenders out: {error}")
            _cython_state["module"] = None
    return _cython_state["module"]


def python_module():
    """PYTHON_SOURCE imported as a module (from build/bench/, so that its functions have source to read)."""
    folder = _cached_folder("py_kernels", PYTHON_SOURCE)

    def steps(where):
        (where / "bench_py_kernels.py").write_text(PYTHON_SOURCE)

    path = _build_once(folder, folder / "bench_py_kernels.py", steps)
    spec = importlib.util.spec_from_file_location("bench_py_kernels", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # inspect.getsource finds the file through the module
    spec.loader.exec_module(module)
    return module


def numba_cfuncs():
    """name -> numba cfunc of every kernel."""
    import numba
    module = python_module()
    return {name: numba.cfunc(signature)(getattr(module, name)) for name, signature in SIGNATURES.items()}


def nativecall_cfuncs():
    """name -> nativecall.cfunc of every kernel, or None when the JIT is not built or refuses one."""
    try:
        from nativecall import cfunc
    except ImportError:
        return None
    module = python_module()
    try:
        return {name: cfunc(signature)(getattr(module, name)) for name, signature in SIGNATURES.items()}
    except Exception as error:   # the JIT is young: report and leave its contenders out
        print(f"nativecall.cfunc unavailable for the benchmark kernels: {error}")
        return None
