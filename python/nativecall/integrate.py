"""nativecall.integrate: scipy.integrate's quad, dblquad, tplquad and nquad, in C++, plus quad_batch.

The functions take the same arguments and return the same values as their
scipy.integrate namesakes, so ``from nativecall.integrate import quad`` is a
drop-in change. The integrand may be a Python callable (called with the GIL
held; its exceptions propagate unchanged) or a native callback from any route
nativecall accepts (cfunc, ctypes, cffi, PyCapsule, Cython, numba,
scipy.LowLevelCallable) with one of the signatures::

    double (double x)
    double (double x, void *user_data)
    double (int n, double *xx)              # xx[0] = x, xx[1:] = args
    double (int n, double *xx, void *user_data)

A native integrand runs with the GIL released and, in nquad/dblquad/tplquad,
every level of the iterated integral runs in C++ when the limits are constants
(scipy runs the outer levels in Python). ``quad_batch`` integrates many
independent integrals over the thread pool.
"""
import math
import operator
import sys
import warnings

from . import _integrate
from .lowlevel import as_callback_cached, workers_value

__all__ = ["quad", "dblquad", "tplquad", "nquad", "quad_batch", "IntegrationWarning", "SIGNATURES"]

#: The C signatures a native integrand may have.
SIGNATURES = tuple(_integrate.signatures())

_WEIGHTS = ("cos", "sin", "alg", "alg-loga", "alg-logb", "alg-log", "cauchy")


class IntegrationWarning(UserWarning):
    """Warning on issues during integration (scipy.integrate's IntegrationWarning)."""


# ---------------------------------------------------------------- messages (scipy's wording)

def _messages(limit, infinite_fourier):
    msgs = {
        80: "A Python error occurred possibly while calling the function.",
        1: f"The maximum number of subdivisions ({limit}) has been achieved.\n  "
           f"If increasing the limit yields no improvement it is advised to "
           f"analyze \n  the integrand in order to determine the difficulties.  "
           f"If the position of a \n  local difficulty can be determined "
           f"(singularity, discontinuity) one will \n  probably gain from "
           f"splitting up the interval and calling the integrator \n  on the "
           f"subranges.  Perhaps a special-purpose integrator should be used.",
        2: "The occurrence of roundoff error is detected, which prevents \n  "
           "the requested tolerance from being achieved.  "
           "The error may be \n  underestimated.",
        3: "Extremely bad integrand behavior occurs at some points of the\n  "
           "integration interval.",
        4: "The algorithm does not converge.  Roundoff error is detected\n  "
           "in the extrapolation table.  It is assumed that the requested "
           "tolerance\n  cannot be achieved, and that the returned result "
           "(if full_output = 1) is \n  the best which can be obtained.",
        5: "The integral is probably divergent, or slowly convergent.",
        6: "The input is invalid.",
        7: "Abnormal termination of the routine.  The estimates for result\n  "
           "and error are less reliable.  It is assumed that the requested "
           "accuracy\n  has not been achieved.",
        "unknown": "Unknown error.",
    }
    explain = None
    if infinite_fourier:
        msgs[1] = ("The maximum number of cycles allowed has been achieved., e.e.\n  of "
                   "subintervals (a+(k-1)c, a+kc) where c = (2*int(abs(omega)+1))\n  "
                   "*pi/abs(omega), for k = 1, 2, ..., lst.  "
                   "One can allow more cycles by increasing the value of limlst.  "
                   "Look at info['ierlst'] with full_output=1.")
        msgs[4] = ("The extrapolation table constructed for convergence acceleration\n  of "
                   "the series formed by the integral contributions over the cycles, \n  does "
                   "not converge to within the requested accuracy.  "
                   "Look at \n  info['ierlst'] with full_output=1.")
        msgs[7] = ("Bad integrand behavior occurs within one or more of the cycles.\n  "
                   "Location and type of the difficulty involved can be determined from \n  "
                   "the vector info['ierlist'] obtained with full_output=1.")
        explain = {1: "The maximum number of subdivisions (= limit) has been \n  "
                      "achieved on this cycle.",
                   2: "The occurrence of roundoff error is detected and prevents\n  "
                      "the tolerance imposed on this cycle from being achieved.",
                   3: "Extremely bad integrand behavior occurs at some points of\n  "
                      "this cycle.",
                   4: "The integral over this cycle does not converge (to within the "
                      "required accuracy) due to roundoff in the extrapolation "
                      "procedure invoked on this cycle.  It is assumed that the result "
                      "on this interval is the best which can be obtained.",
                   5: "The integral over this cycle is probably divergent or "
                      "slowly convergent."}
    return msgs, explain


def _invalid_input_message(a, b, epsabs, epsrel, limit, points, weight, wvar, maxp1, limlst):
    """Why QUADPACK answered ier=6, in scipy's words where scipy has them."""
    msg = "The input is invalid."
    if epsabs <= 0 and epsrel < max(50 * sys.float_info.epsilon, 5e-29):
        msg = ("If 'epsabs'<=0, 'epsrel' must be greater than both"
               " 5e-29 and 50*(machine epsilon).")
    elif epsabs <= 0 and weight in ("sin", "cos") and abs(a) + abs(b) == float("inf"):
        msg = "Sine or cosine weighted integrals with infinite domain must have 'epsabs'>0."
    elif weight is None:
        if points is None or limit < 1:
            msg = "Invalid 'limit' argument. There must be at least one subinterval"
        elif len(points) >= limit:
            msg = f"Number of break points ({len(points):d}) must be less than subinterval limit ({limit:d})"
    else:
        if maxp1 < 1:
            msg = "Chebyshev moment limit maxp1 must be >=1."
        elif weight in ("cos", "sin") and abs(a + b) == float("inf"):
            msg = "Cycle limit limlst must be >=3." if limlst < 3 else (
                f"Invalid 'limit' argument ({limit}). There must be at least one subinterval")
        elif weight.startswith("alg"):
            alpha, beta = (float(w) for w in wvar)
            if min(alpha, beta) < -1:
                msg = "wvar parameters (alpha, beta) must both be >= -1."  # scipy's words
            elif not (alpha > -1 and beta > -1):
                msg = (f"wvar parameters (alpha, beta) must both be > -1 (the weight is not integrable "
                       f"otherwise); got ({alpha!r}, {beta!r})")
            elif limit < 2:
                msg = f"Invalid 'limit' argument ({limit}): weight {weight!r} needs at least 2 subintervals"
        elif weight == "cauchy" and wvar in (a, b):
            msg = "Parameter 'wvar' must not equal integration limits 'a' or 'b'."
        elif weight == "cauchy" and wvar != wvar:
            msg = "Parameter 'wvar' (the pole c) is nan; expected a number other than 'a' and 'b'."
        elif limit < 1:
            msg = "Invalid 'limit' argument. There must be at least one subinterval"
    return msg


# ---------------------------------------------------------------- argument checks

def _routine_callback(func):
    """The integrand as routines take it; native routes are resolved once per object."""
    return as_callback_cached(func, "func")


def _limit_value(value, name, routine):
    try:
        if isinstance(value, (str, bytes, bytearray)):  # float() parses text; a limit is a number (as in C++)
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{routine}: the integration limit {name} must be a real number or +-inf, "
                        f"got {value!r}") from None
    if x != x:
        raise ValueError(f"{routine}: the integration limit {name} is nan; expected a number or +-inf")
    return x


def _check_tolerances(epsabs, epsrel, routine):
    """The tolerances as floats (a TypeError naming one that is not a real number), and
    scipy's ValueError for tolerances QUADPACK cannot meet (ier=6), before any work."""
    epsabs, epsrel = _real_option("epsabs", epsabs, routine), _real_option("epsrel", epsrel, routine)
    if epsabs <= 0 and epsrel < max(50 * sys.float_info.epsilon, 5e-29):
        raise ValueError("If 'epsabs'<=0, 'epsrel' must be greater than both 5e-29 and 50*(machine epsilon).")
    return epsabs, epsrel


def _fourier_options(weight, infinite, maxp1, limlst, routine):
    """maxp1 and limlst as integers where the routine reads them, 50 elsewhere.

    scipy reads maxp1 only for cos/sin weights and limlst only for those on an
    infinite range; elsewhere any value, None included, is accepted and unused.
    """
    fourier = weight in ("cos", "sin")

    def integer(name, value):
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(f"{routine}: {name} must be an integer for weight {weight!r}, got {value!r}") from None
    return (integer("maxp1", maxp1) if fourier else 50,
            integer("limlst", limlst) if fourier and infinite else 50)


def _check_weight(weight, wvar, points):
    if weight is None:
        return
    if weight not in _WEIGHTS:
        raise ValueError(f"{weight} not a recognized weighting function.")
    if weight.startswith("alg"):
        try:
            pair = tuple(float(w) for w in wvar)
        except TypeError:
            pair = ()
        if len(pair) != 2:
            raise ValueError(f"weight {weight!r} needs wvar = (alpha, beta), a pair of numbers; got {wvar!r}")
    else:
        what = "the pole c" if weight == "cauchy" else "the frequency omega"
        try:
            float(wvar)
        except (TypeError, ValueError):
            raise ValueError(f"weight {weight!r} needs a number for wvar ({what}); got {wvar!r}") from None


def _points_list(points):
    if points is None:
        return None
    try:
        return [float(p) for p in _flatten(points)]
    except (TypeError, ValueError):
        raise ValueError(f"'points' must be a sequence of numbers, got {points!r}") from None


def _flatten(points):
    if hasattr(points, "ravel"):
        return points.ravel().tolist()
    if isinstance(points, (int, float)):
        return [points]
    return list(points)


def _infodict(info, limit, maxp1, limlst):
    """scipy's full_output dictionary: arrays padded as scipy returns them
    (interval tables to `limit`, cycle tables to `limlst`, break point tables
    to the number of points + 2, moments to (25, maxp1))."""
    import numpy as np

    def padded(values, dtype, size=None):
        out = np.zeros(max(limit, 1) if size is None else size, dtype=dtype)
        out[:len(values)] = values
        return out

    routine = info.pop("routine")
    if routine == "qawf":
        return {"neval": info["neval"], "lst": info["lst"],
                "rslst": padded(info["rslst"], np.float64, limlst),
                "erlst": padded(info["erlst"], np.float64, limlst),
                "ierlst": padded(info["ierlst"], np.int32, limlst)}

    result = {"neval": info["neval"], "last": info["last"],
              "iord": padded(info["iord"], np.int32),
              "alist": padded(info["alist"], np.float64), "blist": padded(info["blist"], np.float64),
              "rlist": padded(info["rlist"], np.float64), "elist": padded(info["elist"], np.float64)}
    if routine == "qagp":
        result["pts"] = np.asarray(info["pts"], dtype=np.float64)
        result["level"] = padded(info["level"], np.int32)
        result["ndin"] = padded(info["ndin"], np.int32, len(info["pts"]))
    if routine == "qawo":
        result["nnlog"] = padded(info["nnlog"], np.int32)
        result["momcom"] = info["momcom"]
        result["chebmo"] = padded(info["chebmo"], np.float64, maxp1 * 25).reshape(maxp1, 25).T.copy()
    return result


def _chebyshev_moments(wopts, maxp1):
    """scipy's wopts = (momcom, chebmo), chebmo of shape (25, maxp1) as an
    earlier full_output returned it, as (momcom, moments flattened by level)."""
    import numpy as np

    try:
        momcom, chebmo = wopts
        chebmo = np.asarray(chebmo, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"wopts must be (momcom, chebmo) as returned in info['momcom'] and info['chebmo'] "
                         f"by an earlier full_output call; got {wopts!r:.200}") from None
    if chebmo.shape != (25, maxp1):
        raise ValueError(f"wopts[1] (chebmo) must have shape (25, maxp1) = (25, {maxp1}); "
                         f"got shape {chebmo.shape}")
    return momcom, chebmo.T.ravel().tolist()


def _batch_limits(np, value, name):
    """quad_batch's a or b as a contiguous 1-D float64 array (a scalar as one entry)."""
    if type(value) is float or type(value) is int:   # the usual scalar limit, without numpy's conversions
        if value != value:
            raise ValueError(f"quad_batch: {name}[0] is nan; expected numbers or +-inf")
        return np.array((value,), dtype=np.float64)
    arr = _batch_numbers(np, value, name)
    if arr.ndim != 1:
        raise ValueError(f"quad_batch: {name} must be a scalar or a 1-D array, got shape {arr.shape}")
    nan = np.isnan(arr)
    if nan.any():
        raise ValueError(f"quad_batch: {name}[{np.flatnonzero(nan)[0]}] is nan; expected numbers or +-inf")
    return arr


def _batch_numbers(np, value, name):
    """`value` as a contiguous float64 array of at least one dimension, or a TypeError
    naming `name`: numpy alone would parse text ("1") and turn None into nan."""
    try:
        arr = np.asarray(value)
    except ValueError as error:   # ragged nesting
        raise ValueError(f"quad_batch: {name} must be a regular array of numbers; {error}") from None
    if arr.dtype.kind == "O":
        import numbers
        flat = arr.ravel().tolist()
        bad = next((i for i, v in enumerate(flat) if not isinstance(v, numbers.Real)), None)
        if bad is not None:
            raise TypeError(f"quad_batch: {name} must hold real numbers, got {flat[bad]!r} "
                            f"(flat index {bad})")
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"quad_batch: {name} must hold real numbers, got an array of dtype {arr.dtype} "
                        f"({value!r:.60})")
    return np.ascontiguousarray(np.atleast_1d(arr.astype(np.float64, copy=False)))


def _real_option(name, value, routine):
    """A float option as a float, or a TypeError naming it and the routine."""
    if type(value) is float:   # the defaults and most values given
        return value
    import numbers
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{routine}: {name} must be a real number, got {value!r}")
    return float(value)


def _int_option(name, value):
    """An integer option of quad_batch as an int, or a TypeError naming it."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"quad_batch: {name} must be an integer, got {value!r}") from None


# ---------------------------------------------------------------- quad

def quad(func, a, b, args=(), full_output=0, epsabs=1.49e-8, epsrel=1.49e-8, limit=50,
         points=None, weight=None, wvar=None, wopts=None, maxp1=50, limlst=50, complex_func=False):
    """Compute a definite integral, as scipy.integrate.quad (same arguments and results).

    ``func`` is a Python callable ``func(x, *args)`` or a native callback with
    one of :data:`SIGNATURES`; ``args`` are packed into ``xx[1:]`` for the
    ``double (int, double *)`` forms. Returns ``(y, abserr)``, plus the
    ``infodict`` (and a message, and for cos/sin weights on infinite ranges an
    explanation) with ``full_output``. Non-convergence warns with
    :class:`IntegrationWarning`, with scipy's message.
    """
    # Reached through the C function `quad` below, which runs the common call
    # itself and hands every other one here.
    if not isinstance(args, tuple):
        args = (args,)
    a = _limit_value(a, "a", "quad")
    b = _limit_value(b, "b", "quad")
    try:
        limit = operator.index(limit)  # as scipy and the C path: no float for an integer option
    except TypeError:
        raise TypeError(f"limit must be an integer, got {limit!r}") from None
    if a == b:  # scipy's shortcut for an empty interval, improper ones included
        if not full_output:
            return (0.0, 0.0)
        import numpy as np
        infodict = {"neval": 0, "last": 0,
                    "alist": np.full(limit, np.nan), "blist": np.full(limit, np.nan),
                    "rlist": np.zeros(limit), "elist": np.zeros(limit),
                    "iord": np.zeros(limit, dtype=np.int32)}
        return (0.0, 0.0, {"real": infodict, "imag": infodict}) if complex_func else (0.0, 0.0, infodict)

    if complex_func:
        # As scipy: the real and imaginary parts come from calling func in Python,
        # so anything callable there (a ctypes function pointer too) is accepted.
        if not callable(func):
            raise TypeError("quad: complex_func=True needs a Python callable returning complex values; "
                            f"got {func!r}, which is not callable")
        real = quad(lambda x, *p: func(x, *p).real, a, b, args, full_output, epsabs, epsrel, limit,
                    points, weight, wvar, wopts, maxp1, limlst)
        imag = quad(lambda x, *p: func(x, *p).imag, a, b, args, full_output, epsabs, epsrel, limit,
                    points, weight, wvar, wopts, maxp1, limlst)
        retval = (real[0] + 1j * imag[0], real[1] + 1j * imag[1])
        if full_output:
            retval += ({"real": real[2:], "imag": imag[2:]},)
        return retval

    callback = _routine_callback(func)
    if weight is not None and points is not None:
        warnings.warn("Break points cannot be specified when using weighted integrand.\n"
                      "Continuing, ignoring specified points.", IntegrationWarning, stacklevel=2)
        points = None
    _check_weight(weight, wvar, points)
    maxp1, limlst = _fourier_options(weight, math.inf in (abs(a), abs(b)), maxp1, limlst, "quad")
    points = _points_list(points)
    chebyshev = None
    if wopts is not None and weight in ("cos", "sin"):
        chebyshev = _chebyshev_moments(wopts, maxp1)

    value, abserr, ier, info = _integrate.quad(
        callback, a, b, args, bool(full_output), epsabs, epsrel, limit, points,
        weight, wvar, chebyshev, maxp1, limlst)

    retval = (value, abserr)
    if full_output:
        retval += (_infodict(info, limit, int(maxp1), int(limlst)),)
    if ier == 0:
        return retval
    lo, hi = min(a, b), max(a, b)
    infinite_fourier = weight in ("cos", "sin") and (hi == float("inf") or lo == float("-inf"))
    if ier == 6:
        raise ValueError(_invalid_input_message(lo, hi, epsabs, epsrel, limit, points, weight,
                                                wvar, maxp1, limlst))
    msgs, explain = _messages(limit, infinite_fourier)
    msg = msgs.get(ier, msgs["unknown"])
    if full_output:
        return retval + ((msg, explain) if infinite_fourier else (msg,))
    warnings.warn(msg, IntegrationWarning, stacklevel=2)
    return retval


def _plain_quad_warning(ier, limit):
    """The IntegrationWarning of a common quad call (no weight, points or full_output) that did not converge."""
    warnings.warn(_messages(limit, False)[0].get(ier, "Unknown error."), IntegrationWarning, stacklevel=2)


# The public quad: a C function with the signature and docstring of the Python
# quad above. For a native integrand the cost of a Python call (a frame, 15
# parameters, the option checks) is a large part of a whole quad, so the common
# call runs in C and only the others reach the Python function. Type checkers
# keep seeing the signature of the def above, which the C function has.
_quad_general = quad
quad = _integrate.make_quad_front("quad", _quad_general, _plain_quad_warning)  # type: ignore[assignment]


# ---------------------------------------------------------------- nquad and friends

def _nquad_args(args):
    """nquad's args as a tuple: scipy unpacks them with *args, so any iterable
    (a list, a numpy array, a range, a string) gives its items; a lone number,
    which scipy refuses, is taken as one argument."""
    if args is None:
        return ()
    if isinstance(args, tuple):
        return args
    if getattr(args, "ndim", None) == 0:
        return (args,)
    try:
        return tuple(args)
    except TypeError:
        return (args,)


def nquad(func, ranges, args=None, opts=None, full_output=False):
    """Integration over multiple variables, as scipy.integrate.nquad.

    ``func(x0, x1, ..., xn, t0, t1, ...)``; ``ranges[0]`` is the innermost
    variable, each range a pair or a callable of the outer variables and the
    args; ``opts`` a dict, or one dict or callable per level, with quad's
    keywords. With a native integrand (``double (int, double *)``, receiving
    the coordinates and then the args) and constant ranges and options, every
    level runs in C++ with the GIL released. Returns ``(result, abserr)``, plus
    ``{'neval': n}`` with ``full_output``.
    """
    args = _nquad_args(args)
    # The ranges and opts are read in C++ (their checks cost more than a small
    # nquad in Python); a failed level comes back with its opts dict, if any.
    value, abserr, neval, ier, level_opts, routine = _integrate.nquad(func, ranges, args, opts)
    # scipy's nquad passes full_output to its quads, which then return their messages
    # instead of warning (and it drops them): no warning with full_output, as there.
    if ier != 0 and not full_output:
        msgs, _ = _messages((level_opts or {}).get("limit", 50), routine == "qawf")
        warnings.warn(msgs.get(ier, msgs["unknown"]), IntegrationWarning, stacklevel=2)
    if full_output:
        return value, abserr, {"neval": neval}
    return value, abserr


def dblquad(func, a, b, gfun, hfun, args=(), epsabs=1.49e-8, epsrel=1.49e-8):
    """Double integral of ``func(y, x)`` for x in [a, b], y in [gfun(x), hfun(x)], as scipy.integrate.dblquad.

    gfun and hfun may be constants, which keeps every level in C++ for a native integrand.
    """
    if callable(gfun) or callable(hfun):
        def inner(x, *rest):
            return [gfun(x) if callable(gfun) else gfun, hfun(x) if callable(hfun) else hfun]
    else:
        inner = [gfun, hfun]
    epsabs, epsrel = _check_tolerances(epsabs, epsrel, "dblquad")
    options = {"epsabs": epsabs, "epsrel": epsrel}
    return nquad(func, [inner, [a, b]], args=args, opts=options)


def tplquad(func, a, b, gfun, hfun, qfun, rfun, args=(), epsabs=1.49e-8, epsrel=1.49e-8):
    """Triple integral of ``func(z, y, x)``, as scipy.integrate.tplquad (x in [a, b],
    y in [gfun(x), hfun(x)], z in [qfun(x, y), rfun(x, y)])."""
    if callable(qfun) or callable(rfun):
        def innermost(y, x, *rest):
            return [qfun(x, y) if callable(qfun) else qfun, rfun(x, y) if callable(rfun) else rfun]
    else:
        innermost = [qfun, rfun]
    if callable(gfun) or callable(hfun):
        def middle(x, *rest):
            return [gfun(x) if callable(gfun) else gfun, hfun(x) if callable(hfun) else hfun]
    else:
        middle = [gfun, hfun]
    epsabs, epsrel = _check_tolerances(epsabs, epsrel, "tplquad")
    options = {"epsabs": epsabs, "epsrel": epsrel}
    return nquad(func, [innermost, middle, [a, b]], args=args, opts=options)


# ---------------------------------------------------------------- quad_batch

def _progress_reporter(progress, total):
    if not progress:
        return None, None
    if callable(progress):
        return progress, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total, desc="quad_batch")
        state = {"done": 0}

        def update(done):
            bar.update(done - state["done"])
            state["done"] = done
        return update, bar.close

    def text(done):
        width = 40
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rquad_batch [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
    return text, lambda: sys.stderr.write("\n")


def quad_batch(func, a, b, args=None, *, epsabs=1.49e-8, epsrel=1.49e-8, limit=50, points=None,
               weight=None, wvar=None, maxp1=50, limlst=50, workers=None, progress=False):
    """Many independent integrals of one integrand: item i is ∫_{a[i]}^{b[i]} func(x, *args[i]) dx.

    ``a`` and ``b`` are scalars or 1-D arrays, ``args`` None or an array with
    one row of parameters per integral (1-D: one parameter each). All other
    options are quad's and apply to every item. Returns three arrays
    ``(values, abserr, ier)``; ``values[i]`` equals
    ``quad(func, a[i], b[i], args=tuple(args[i]), ...)[0]`` exactly.

    ``workers=None`` uses every core for a thread-safe native callback
    (nativecall cfunc, or ``LowLevelCallable(..., thread_safe=True)``) and one
    thread otherwise; ``workers=n`` overrides. A Python integrand always runs on
    the calling thread. ``progress=True`` shows a progress bar (tqdm when
    installed), or pass a callable receiving the number of integrals done.
    Items that do not converge are reported once with an IntegrationWarning.
    """
    import numpy as np

    # Every step here costs microseconds on a call that may integrate only a few
    # items: scalars skip numpy's conversions, and the C++ side counts failed items.
    a_arr, b_arr = _batch_limits(np, a, "a"), _batch_limits(np, b, "b")
    rows = given_rows = None
    if args is not None:
        rows = _batch_numbers(np, args, "args")
        given_rows = np.asarray(args)
        if rows.ndim == 1:
            rows, given_rows = rows[:, None], given_rows.reshape(-1, 1)
        if rows.ndim != 2:
            raise ValueError(f"quad_batch: args must be a 1-D or 2-D array (one row of parameters per "
                             f"integral), got shape {rows.shape}")
        rows = np.ascontiguousarray(rows)
    lengths = {len(x) for x in (a_arr, b_arr) if len(x) != 1}
    if rows is not None and rows.shape[0] != 1:
        lengths.add(rows.shape[0])
    if len(lengths) > 1:
        raise ValueError(f"quad_batch: a has {len(a_arr)} entries, b {len(b_arr)} and args "
                         f"{None if rows is None else rows.shape[0]} rows; they must agree (or be 1)")
    n = lengths.pop() if lengths else 1
    if rows is not None and rows.shape[0] == 1 and n > 1:
        rows = np.ascontiguousarray(np.broadcast_to(rows, (n, rows.shape[1])))
        given_rows = np.broadcast_to(given_rows, rows.shape)
    # A Python integrand gets integer, bool and object rows as tuple(args[i]) would
    # give them (integers stay integers); floats of any width arrive as float64, as
    # native integrands read them.
    python_rows = given_rows if given_rows is not None and given_rows.dtype.kind in "biuO" else None
    epsabs, epsrel = _check_tolerances(epsabs, epsrel, "quad_batch")
    limit = _int_option("limit", limit)
    if limit < 1:
        raise ValueError(f"Invalid 'limit' argument ({limit}). There must be at least one subinterval")
    if weight is not None and points is not None:
        raise ValueError("quad_batch: break points cannot be combined with a weight")
    _check_weight(weight, wvar, points)
    infinite = bool(np.isinf(a_arr).any() or np.isinf(b_arr).any())
    maxp1, limlst = _fourier_options(weight, infinite, maxp1, limlst, "quad_batch")

    callback = _routine_callback(func)
    values = np.empty(n, dtype=np.float64)
    abserr = np.empty(n, dtype=np.float64)
    ier = np.empty(n, dtype=np.int32)
    neval = np.empty(n, dtype=np.int32)
    report, finish = _progress_reporter(progress, n)
    try:
        failures = _integrate.quad_batch(callback, a_arr, b_arr, rows, python_rows, epsabs, epsrel, limit,
                                         _points_list(points), weight, wvar, maxp1, limlst,
                                         workers_value(workers, "quad_batch"), report, values, abserr, ier, neval)
    finally:
        if finish is not None:
            finish()
    if failures:
        invalid = np.flatnonzero(ier == 6)
        if invalid.size:
            i = invalid[0]
            raise ValueError(f"quad_batch: integral {i} has invalid input: " + _invalid_input_message(
                a_arr[i % len(a_arr)], b_arr[i % len(b_arr)], epsabs, epsrel, limit, points, weight, wvar,
                maxp1, limlst))
        failed = np.flatnonzero(ier)
        warnings.warn(f"{failed.size} of {n} integrals did not converge (first: item {failed[0]}, "
                      f"ier={ier[failed[0]]}); see the returned ier array", IntegrationWarning, stacklevel=2)
    return values, abserr, ier
