"""The demo's scenarios: each prints what it did and how it compares, using only public nativecall API."""
import ctypes
import ctypes.util
import time


def _libm():
    return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")


def signatures(args):
    """The seed 002 failure: scipy compares signature strings, nativecall compares ABIs."""
    from nativecall import LowLevelCallable, _core

    accepted = ["int (intptr_t *, double *, int, int, void *)"]
    given = [
        "int (ssize_t *, double *, int, int, void *)",
        "intc(CPointer(intp), CPointer(float64), intc, intc, voidptr)",
        "long (longlong *, double *, long, long, void *)",
    ]
    for text in given:
        try:
            _core.select_signature(_core.Signature(text), [_core.Signature(a) for a in accepted],
                                   "geometric_transform's mapping")
            verdict = "accepted (same ABI)"
        except ValueError as error:
            verdict = "refused: " + str(error).splitlines()[-1]
        print(f"  {text:<62} {verdict}")
    cos = LowLevelCallable(_libm().cos, signature="double (double)")
    print(f"  libm cos through ctypes: {cos!r}")
    print(f"  its scipy spelling: {cos.c_signature!r}")


def scipy_interop(args):
    """A native callback handed to scipy, and scipy's object handed back."""
    import scipy
    import scipy.integrate

    from nativecall import LowLevelCallable

    libm = _libm()
    libm.exp.restype, libm.exp.argtypes = ctypes.c_double, [ctypes.c_double]
    ours = LowLevelCallable(libm.exp)
    start = time.perf_counter()
    value, error = scipy.integrate.quad(ours.to_scipy(), 0, 1)
    elapsed = time.perf_counter() - start
    print(f"  scipy.integrate.quad(exp, 0, 1) with a nativecall callback: {value:.15f} "
          f"(abserr {error:.1e}, {elapsed * 1e6:.0f} us)")
    back = LowLevelCallable(scipy.LowLevelCallable(libm.exp))
    print(f"  scipy.LowLevelCallable -> nativecall: {back!r}")


# name -> (title, function)
ALL = {
    "signatures": ("Signatures matched by ABI, not by string", signatures),
    "scipy": ("Interop with scipy", scipy_interop),
}
