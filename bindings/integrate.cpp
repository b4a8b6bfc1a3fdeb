// nativecall._integrate: quad, nquad and quad_batch on native or Python integrands (GIL released for native work).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "callback_arg.h"
#include "errors.h"
#include "nativecall/integrate/batch.h"
#include "nativecall/integrate/nquad.h"
#include "nativecall/integrate/quad.h"
#include "nativecall/runtime/thread_pool.h"

namespace nb = nanobind;
using namespace nativecall;
using namespace nativecall::integrate;

namespace {

/* ---------------------------------------------------------------- native integrands */

using ScalarFn = double(double);
using ScalarDataFn = double(double, void *);
using PackedFn = double(int, double *);
using PackedDataFn = double(int, double *, void *);
/* The loop entries of nativecall cfuncs with those signatures (CompiledFunction::many_address). */
using ScalarLoop = void(const double *, double *, std::int64_t);
using ScalarDataLoop = void(const double *, double *, std::int64_t, void *);
using PackedLoop = void(const double *, double *, std::int64_t, int, double *);
using PackedDataLoop = void(const double *, double *, std::int64_t, int, double *, void *);

/* The four signatures scipy.integrate.quad's callbacks may have, in the order of NativeForm. */
enum class NativeForm { Scalar, ScalarWithData, Packed, PackedWithData };

const std::vector<Signature> &accepted_signatures() {
    static const std::vector<Signature> accepted = {signature_of<ScalarFn>(), signature_of<ScalarDataFn>(),
                                                    signature_of<PackedFn>(), signature_of<PackedDataFn>()};
    return accepted;
}

/* A native integrand after signature matching. Packed forms receive
   xx = [x, args...] (scipy's layout); the others take x alone. */
struct NativeIntegrand {
    NativeForm form = NativeForm::Scalar;
    void *function = nullptr;
    void *user_data = nullptr;
    bool thread_safe = false;
    void *many = nullptr;   // a cfunc's vectorised loop entry for the same form, or null
    void *mirrored_sum = nullptr;   // its loop filling f(x) + f(-x), or null
    /* Whether `many` and `mirrored_sum` were looked for: each is built on its first
       use, and a call that will not use one does not pay for building it. */
    bool many_sought = false, mirrored_sum_sought = false;

    bool packed() const { return form == NativeForm::Packed || form == NativeForm::PackedWithData; }

    /* Runs `loop`, one of the cfunc's loop entries, on n points. */
    void run_loop(void *loop, const double *x, double *fx, std::size_t n, double *xx, int count) const {
        const auto m = static_cast<std::int64_t>(n);
        switch (form) {
        case NativeForm::Scalar: return reinterpret_cast<ScalarLoop *>(loop)(x, fx, m);
        case NativeForm::ScalarWithData: return reinterpret_cast<ScalarDataLoop *>(loop)(x, fx, m, user_data);
        case NativeForm::Packed: return reinterpret_cast<PackedLoop *>(loop)(x, fx, m, count, xx);
        case NativeForm::PackedWithData: return reinterpret_cast<PackedDataLoop *>(loop)(x, fx, m, count, xx, user_data);
        }
    }

    /* fx[i] = f(x[i]) with xx[1:] already holding the arguments. */
    void sample(const double *x, double *fx, std::size_t n, double *xx, int count) const {
        if (many) return run_loop(many, x, fx, n, xx, count);
        switch (form) {
        case NativeForm::Scalar: {
            auto fn = reinterpret_cast<ScalarFn *>(function);
            for (std::size_t i = 0; i < n; ++i) fx[i] = fn(x[i]);
            break;
        }
        case NativeForm::ScalarWithData: {
            auto fn = reinterpret_cast<ScalarDataFn *>(function);
            for (std::size_t i = 0; i < n; ++i) fx[i] = fn(x[i], user_data);
            break;
        }
        case NativeForm::Packed: {
            auto fn = reinterpret_cast<PackedFn *>(function);
            for (std::size_t i = 0; i < n; ++i) {
                xx[0] = x[i];
                fx[i] = fn(count, xx);
            }
            break;
        }
        case NativeForm::PackedWithData: {
            auto fn = reinterpret_cast<PackedDataFn *>(function);
            for (std::size_t i = 0; i < n; ++i) {
                xx[0] = x[i];
                fx[i] = fn(count, xx, user_data);
            }
            break;
        }
        }
    }
};

/* Matches `cb` against the accepted signatures (SignatureMismatch lists them)
   and checks that extra arguments have somewhere to go. */
NativeIntegrand native_integrand(const Callback &cb, std::size_t extra_args, const char *routine) {
    std::string role = std::string("the integrand of ") + routine;
    NativeIntegrand f;
    f.form = static_cast<NativeForm>(cb.select(accepted_signatures(), role));
    f.function = cb.address();
    f.user_data = cb.user_data();
    f.thread_safe = cb.thread_safe();
    if (extra_args > 0 && !f.packed()) {
        /* nquad's extra values are mostly the outer coordinates: say so, 'args' may be empty. */
        std::string extras = std::string(routine) == "nquad"
                                 ? "the integrand receives " + std::to_string(extra_args) +
                                       " value(s) besides x (the outer coordinates, then 'args')"
                                 : std::to_string(extra_args) + " extra argument(s) given in 'args'";
        throw InvalidArgument(std::string(routine) + ": " + extras + ", but the integrand's signature '" +
                              cb.signature().spelling +
                              "' has no place for them; use 'double (int, double *)' (or with a trailing "
                              "'void *') to receive them in xx[1:]");
    }
    return f;
}

/* A native integrand with its arguments in xx[1:], as the rules call it
   (Integrand::from_sampler), with the cfunc's mirrored-sum loop when it has one. */
struct NativeSampler {
    const NativeIntegrand *f;
    double *xx;
    int count;   // 1 + the arguments
    void operator()(const double *x, double *fx, std::size_t n) const { f->sample(x, fx, n, xx, count); }
    bool has_mirrored_sum() const { return f->mirrored_sum != nullptr; }
    void mirrored_sum(const double *x, double *fx, std::size_t n) const {
        f->run_loop(f->mirrored_sum, x, fx, n, xx, count);
    }
};

/* Whether [a, b] is the whole real line (QAGI's inf = 2), where the rules sum f(x) + f(-x). */
bool doubly_infinite(double a, double b) { return std::isinf(a) && std::isinf(b) && a != b; }

/* A routine's integrand argument: a native integrand (matched) or a Python callable. */
struct IntegrandArg {
    std::optional<NativeIntegrand> native;
    nb::handle python;
};

/* The vectorised loop entries when `lowlevel` wraps a nativecall cfunc (its function
   is a nativecall.jit.CFunc with the same address and C signature): `many`
   (CompiledFunction::many_address) when `plain` asks for it, `mirrored_sum` when
   `mirrored` does (a whole-line integral). Each costs an LLVM run on its first use
   (unless the compile cache holds it), so only what the call will use is looked
   for. Anything unexpected on the way leaves them null, and the scalar entry is used. */
void find_loop_entries(nb::handle lowlevel, bool plain, bool mirrored, NativeIntegrand &f) {
    /* What is not a cfunc has no loops to look for, now or later. */
    f.many_sought = f.mirrored_sum_sought = true;
    /* Found once nativecall.jit is loaded (a cfunc cannot exist before), never
       imported here: loading the JIT costs more than many quads. Kept for the life
       of the process. */
    static PyObject *cfunc_type = nullptr;
    if (!cfunc_type) {
        nb::str name("nativecall.jit");
        PyObject *module = PyImport_GetModule(name.ptr());
        if (!module) {
            PyErr_Clear();
            return;
        }
        cfunc_type = PyObject_GetAttrString(module, "CFunc");
        Py_DECREF(module);
        if (!cfunc_type) {
            PyErr_Clear();
            return;
        }
    }
    nb::object function = lowlevel.attr("_function");
    /* isinstance, not a type check: cached callbacks hold their function through a weak proxy. */
    const int is_cfunc = PyObject_IsInstance(function.ptr(), cfunc_type);
    if (is_cfunc != 1) {
        PyErr_Clear();
        return;
    }
    nb::object compiled = nb::getattr(function, "_compiled", nb::none());
    if (compiled.is_none() || !function.attr("address").equal(lowlevel.attr("_address")) ||
        !function.attr("c_signature").equal(lowlevel.attr("_c_signature")))
        return;
    /* The cfunc's _loop_address builds the loop the first time (or loads it from the
       compile cache), and gives 0 for one that does not build; what the cache raises (a
       warning made an error) reaches the caller. */
    auto loop_at = [&function](const char *kind) {
        return reinterpret_cast<void *>(nb::cast<std::uintptr_t>(function.attr("_loop_address")(kind)));
    };
    f.many_sought = plain;
    f.mirrored_sum_sought = mirrored;
    if (plain) f.many = loop_at("many");
    if (mirrored) f.mirrored_sum = loop_at("mirrored_sum");
}

/* The last object whose integrand resolved to native code, by a weak reference
   (an integrand is not kept alive by having been used), and what it resolved to.
   The key is what the caller passed: a LowLevelCallable, or an object such as a
   cfunc that routine_callback turns into one. A LowLevelCallable's fields are
   fixed when it is made and a cfunc's code when it is compiled, so a loop of
   calls on one integrand skips the conversion (a Python call), reading four
   attributes and hashing the signature text: together as much as a small quad.
   Only touched with the GIL held. */
struct RememberedIntegrand {
    PyObject *ref = nullptr;
    NativeIntegrand native;
};

RememberedIntegrand &remembered() {
    static RememberedIntegrand last;
    return last;
}

/* The native integrand `key` resolved to last time, when it is the last one
   resolved, takes `extra_args` arguments and had the loops `plain` and `mirrored`
   ask for sought; otherwise false and `arg` unchanged. */
bool recall(nb::handle key, std::size_t extra_args, IntegrandArg &arg, bool plain = true, bool mirrored = false) {
    const RememberedIntegrand &last = remembered();
    if (!last.ref) return false;
    /* A reference whose object died reads None: never a match (quad(None, ...) must not run freed code). */
    PyObject *object = PyWeakref_GetObject(last.ref);
    if (object == Py_None || object != key.ptr() || (extra_args > 0 && !last.native.packed()) ||
        (plain && !last.native.many_sought) || (mirrored && !last.native.mirrored_sum_sought))
        return false;
    arg.native = last.native;
    return true;
}

void remember(nb::handle key, const NativeIntegrand &native) {
    RememberedIntegrand &last = remembered();
    PyObject *ref = PyWeakref_NewRef(key.ptr(), nullptr);
    if (!ref) PyErr_Clear();  // not weakly referenceable: simply not remembered
    Py_XDECREF(last.ref);
    last.ref = ref;
    last.native = native;
}

/* Like callback_arg followed by native_integrand, but remembers which of the
   accepted signatures each signature text matched, so repeated calls with the
   same callback skip parsing: for a single quad the parse costs as much as the
   integral. `key` is the object the caller was given, when `obj` was made from
   it (see remembered()); `plain` and `mirrored` as for find_loop_entries. The
   cache is only touched with the GIL held. */
IntegrandArg integrand_arg(nb::handle obj, std::size_t extra_args, const char *routine, nb::handle key = {},
                           bool plain = true, bool mirrored = false) {
    static std::unordered_map<std::string, NativeForm> forms;
    if (!key.is_valid()) key = obj;
    IntegrandArg arg;
    if (python::is_lowlevel(obj)) {
        if (recall(key, extra_args, arg, plain, mirrored)) return arg;
        std::string text = nb::cast<std::string>(obj.attr("_c_signature"));
        auto found = forms.find(text);
        if (found != forms.end()) {
            NativeIntegrand f;
            f.form = found->second;
            f.function = reinterpret_cast<void *>(nb::cast<std::uintptr_t>(obj.attr("_address")));
            f.user_data = reinterpret_cast<void *>(nb::cast<std::uintptr_t>(obj.attr("_user_data_address")));
            f.thread_safe = nb::cast<bool>(obj.attr("_thread_safe"));
            if (extra_args > 0 && !f.packed()) native_integrand(python::callback_arg(obj, "func").native.value(),
                                                                extra_args, routine);
            arg.native = f;
        } else {
            python::CallbackArg cb = python::callback_arg(obj, "func");
            arg.native = native_integrand(*cb.native, extra_args, routine);
            if (forms.size() < 64) forms.emplace(std::move(text), arg.native->form);
        }
        find_loop_entries(obj, plain, mirrored, *arg.native);
        remember(key, *arg.native);
        return arg;
    }
    python::CallbackArg cb = python::callback_arg(obj, "func");
    arg.python = cb.python;
    return arg;
}

std::vector<double> float_args(nb::handle args, const char *routine) {
    std::vector<double> values;
    for (nb::handle item : args) {
        PyObject *number = PyNumber_Float(item.ptr());
        if (!number) {
            PyErr_Clear();
            throw InvalidArgument(std::string(routine) + ": 'args' must be numbers for a native integrand (they are "
                                  "packed into its double array), got " +
                                  nb::cast<std::string>(nb::repr(item)));
        }
        values.push_back(PyFloat_AsDouble(number));
        Py_DECREF(number);
    }
    return values;
}

/* ---------------------------------------------------------------- Python integrands */

/* Calls func(v0, v1, ..., *extra) with the GIL held; exceptions propagate unchanged. */
double call_python(nb::handle func, const double *values, std::size_t count, nb::handle extra) {
    std::size_t n_extra = extra.is_valid() ? static_cast<std::size_t>(PyTuple_GET_SIZE(extra.ptr())) : 0;
    std::vector<nb::object> floats;
    floats.reserve(count);
    PyObject *small[16];
    std::vector<PyObject *> large;
    PyObject **argv = count + n_extra <= 16 ? small : (large.resize(count + n_extra), large.data());
    for (std::size_t i = 0; i < count; ++i) {
        floats.push_back(nb::steal(PyFloat_FromDouble(values[i])));
        argv[i] = floats.back().ptr();
    }
    for (std::size_t i = 0; i < n_extra; ++i) argv[count + i] = PyTuple_GET_ITEM(extra.ptr(), i);
    PyObject *result = PyObject_Vectorcall(func.ptr(), argv, count + n_extra, nullptr);
    if (!result) throw nb::python_error();
    nb::object owned = nb::steal(result);
    double value = PyFloat_AsDouble(result);
    if (value == -1.0 && PyErr_Occurred()) throw nb::python_error();
    return value;
}

/* ---------------------------------------------------------------- options */

/* PyFloat_AsDouble, without its detour through __float__ (a new float object)
   for the ints and floats most calls pass. */
double as_double(PyObject *value) {
    if (PyFloat_CheckExact(value)) return PyFloat_AS_DOUBLE(value);
    if (PyLong_CheckExact(value)) return PyLong_AsDouble(value);
    return PyFloat_AsDouble(value);
}

/* A real-valued option from any Python number (0-d arrays included); TypeError
   naming the option otherwise. */
double float_option(nb::handle value, const char *name) {
    double x = as_double(value.ptr());
    if (x == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        throw nb::type_error((std::string(name) + " must be a real number, got " +
                              nb::cast<std::string>(nb::repr(value)))
                                 .c_str());
    }
    return x;
}

/* An integer option that fits QUADPACK's int; TypeError or OverflowError naming it otherwise. */
int int_option(nb::handle value, const char *name) {
    PyObject *index = PyNumber_Index(value.ptr());
    if (!index) {
        PyErr_Clear();
        throw nb::type_error((std::string(name) + " must be an integer, got " +
                              nb::cast<std::string>(nb::repr(value)))
                                 .c_str());
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (overflow != 0 || v > std::numeric_limits<int>::max() || v < std::numeric_limits<int>::min()) {
        PyErr_SetString(PyExc_OverflowError, (std::string(name) + "=" + nb::cast<std::string>(nb::repr(value)) +
                                              " is out of range; expected an integer below 2**31")
                                                 .c_str());
        throw nb::python_error();
    }
    return static_cast<int>(v);
}

/* Tolerances may be any number, but not NaN: QUADPACK's tests against a NaN
   tolerance never succeed, so the routine would quietly run to its limit. */
void check_tolerances(double epsabs, double epsrel) {
    if (std::isnan(epsabs) || std::isnan(epsrel))
        throw InvalidArgument(std::string(std::isnan(epsabs) ? "epsabs" : "epsrel") +
                              " is nan; expected a number (a tolerance <= 0 leaves the other one to decide)");
}

/* The QuadSpec for scipy's quad keyword arguments. */
QuadSpec spec_from(double epsabs, double epsrel, int limit, nb::handle points, nb::handle weight, nb::handle wvar,
                   int maxp1, int limlst) {
    check_tolerances(epsabs, epsrel);
    QuadSpec spec;
    spec.options = Options{epsabs, epsrel, limit};
    spec.maxp1 = maxp1;
    spec.limlst = limlst;
    if (points.is_valid() && !points.is_none()) {
        spec.break_points_given = true;   // QAGP even for points=[], as scipy
        for (nb::handle p : points) spec.points.push_back(float_option(p, "each break point in 'points'"));
    }
    if (weight.is_valid() && !weight.is_none()) {
        spec.weight = parse_weight(nb::cast<std::string>(nb::str(weight)));
        const std::string name = weight_name(spec.weight);
        bool pair = spec.weight != Weight::Cos && spec.weight != Weight::Sin && spec.weight != Weight::Cauchy;
        if (pair) {
            if (!PySequence_Check(wvar.ptr()) || PySequence_Size(wvar.ptr()) != 2) {
                PyErr_Clear();
                throw InvalidArgument("weight '" + name + "' needs wvar = (alpha, beta), got " +
                                      nb::cast<std::string>(nb::repr(wvar)));
            }
            nb::sequence seq = nb::borrow<nb::sequence>(wvar);
            spec.wvar[0] = float_option(seq[0], "wvar[0] (alpha)");
            spec.wvar[1] = float_option(seq[1], "wvar[1] (beta)");
        } else {
            const char *what = spec.weight == Weight::Cauchy ? "the pole c" : "the frequency omega";
            double x = PyFloat_AsDouble(wvar.ptr());
            if (x == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                throw InvalidArgument("weight '" + name + "' needs a number for wvar (" + what + "), got " +
                                      nb::cast<std::string>(nb::repr(wvar)));
            }
            spec.wvar[0] = x;
        }
    }
    return spec;
}

/* A per-level option dict as scipy's nquad passes to quad(**opts). `level` is the
   level's index (named in errors); `may_be_infinite` whether its range can have an
   infinite end (a constant finite range cannot), where limlst is read. */
QuadSpec spec_from_dict(nb::handle opts, std::size_t level, bool may_be_infinite) {
    static const char *known[] = {"epsabs", "epsrel", "limit", "points", "weight", "wvar", "maxp1", "limlst"};
    if (!PyDict_Check(opts.ptr()))
        throw nb::type_error(("nquad: each entry of opts must be a dict of quad's keywords (or a callable "
                              "returning one), got " + nb::cast<std::string>(nb::repr(opts)))
                                 .c_str());
    nb::dict d = nb::borrow<nb::dict>(opts);
    for (auto [key, value] : d) {
        std::string name = nb::cast<std::string>(nb::str(key));
        if (name == "wopts" && !value.is_none())
            throw InvalidArgument("nquad: 'wopts' in opts is not supported (its moments belong to one interval "
                                  "length, which changes with the outer variables); drop it");
        if (name == "wopts" || name == "full_output") continue;
        if (std::find_if(std::begin(known), std::end(known), [&](const char *k) { return name == k; }) ==
            std::end(known))
            throw InvalidArgument("nquad: unknown option '" + name +
                                  "' in opts; expected epsabs, epsrel, limit, points, weight, wvar, maxp1, limlst");
    }
    auto get = [&](const char *key) -> nb::object {
        return d.contains(key) ? nb::borrow(d[key]) : nb::object();
    };
    nb::object epsabs = get("epsabs"), epsrel = get("epsrel"), limit = get("limit"), maxp1 = get("maxp1"),
               limlst = get("limlst"), points = get("points"), weight = get("weight");
    const bool weighted = weight.is_valid() && !weight.is_none();
    /* As quad(**opts) in scipy: points beside a weight are dropped with its warning,
       maxp1 is read only for the cos and sin weights, and limlst only for those on an
       infinite range (any value, None included, is accepted and unused otherwise). */
    if (weighted && points.is_valid() && !points.is_none()) {
        nb::object category = nb::module_::import_("nativecall.integrate").attr("IntegrationWarning");
        if (PyErr_WarnEx(category.ptr(),
                         "Break points cannot be specified when using weighted integrand.\n"
                         "Continuing, ignoring specified points.",
                         1) < 0)
            throw nb::python_error();
        points = nb::object();
    }
    bool fourier = false;
    if (weighted) {
        const std::string name = nb::cast<std::string>(nb::str(weight));
        fourier = name == "cos" || name == "sin";
    }
    const std::string where = "nquad: opts for ranges[" + std::to_string(level) + "]: ";
    auto real = [&](const nb::object &value, const char *name, double fallback) {
        return value.is_valid() ? float_option(value, (where + name).c_str()) : fallback;
    };
    auto integer = [&](const nb::object &value, const char *name, bool read, int fallback) {
        return read && value.is_valid() ? int_option(value, (where + name).c_str()) : fallback;
    };
    const QuadSpec defaults;
    return spec_from(real(epsabs, "epsabs", defaults.options.epsabs), real(epsrel, "epsrel", defaults.options.epsrel),
                     integer(limit, "limit", true, defaults.options.limit), points, weight, get("wvar"),
                     integer(maxp1, "maxp1", fourier, defaults.maxp1),
                     integer(limlst, "limlst", fourier && may_be_infinite, defaults.limlst));
}

/* Why a level's options are invalid, in quad's words (scipy's where it has them):
   the message quad would raise with those options and that range. */
std::string invalid_level_message(const InvalidLevelOptions &e) {
    const QuadSpec &spec = e.spec;
    nb::object points = nb::none();
    if (spec.break_points_given) {
        nb::list given;
        for (double p : spec.points) given.append(p);
        points = given;
    }
    nb::object weight = nb::none(), wvar = nb::none();
    if (spec.weight != Weight::None) {
        weight = nb::str(weight_name(spec.weight));
        const bool pair = spec.weight != Weight::Cos && spec.weight != Weight::Sin && spec.weight != Weight::Cauchy;
        wvar = pair ? nb::object(nb::make_tuple(spec.wvar[0], spec.wvar[1])) : nb::object(nb::float_(spec.wvar[0]));
    }
    nb::object explain = nb::module_::import_("nativecall.integrate").attr("_invalid_input_message");
    nb::object message = explain(std::min(e.lo, e.hi), std::max(e.lo, e.hi), spec.options.epsabs,
                                 spec.options.epsrel, spec.options.limit, points, weight, wvar, spec.maxp1,
                                 spec.limlst);
    return "nquad: ranges[" + std::to_string(e.level) + "]'s options: " + nb::cast<std::string>(message);
}

const char *routine_name(Routine r) {
    switch (r) {
    case Routine::Qags: return "qags";
    case Routine::Qagi: return "qagi";
    case Routine::Qagp: return "qagp";
    case Routine::Qawo: return "qawo";
    case Routine::Qawf: return "qawf";
    case Routine::Qaws: return "qaws";
    case Routine::Qawc: return "qawc";
    }
    return "";
}

template <class T> nb::list list_of(const std::vector<T> &v, std::size_t n) {
    nb::list out;
    for (std::size_t i = 0; i < n && i < v.size(); ++i) out.append(v[i]);
    return out;
}

/* The raw material of scipy's full_output dictionary; the Python layer turns
   the lists into arrays padded as scipy pads them. */
nb::dict diagnostics(const QuadOutcome &outcome, const Workspace &work, int limit, int maxp1) {
    nb::dict info;
    const Result &r = outcome.result;
    info["neval"] = r.neval;
    info["routine"] = routine_name(outcome.routine);
    if (outcome.routine == Routine::Qawf) {
        info["lst"] = r.last;
        info["rslst"] = list_of(work.rslst, work.rslst.size());
        info["erlst"] = list_of(work.erlst, work.erlst.size());
        info["ierlst"] = list_of(work.ierlst, work.ierlst.size());
        return info;
    }
    std::size_t n = static_cast<std::size_t>(std::max(r.last, outcome.routine == Routine::Qawo ? 1 : 0));
    info["last"] = r.last;
    info["alist"] = list_of(work.alist, n);
    info["blist"] = list_of(work.blist, n);
    info["rlist"] = list_of(work.rlist, n);
    info["elist"] = list_of(work.elist, n);
    info["iord"] = list_of(work.iord, n);
    info["limit"] = limit;
    if (outcome.routine == Routine::Qagp) {
        info["pts"] = list_of(work.pts, work.pts.size());
        info["level"] = list_of(work.level, n);
        info["ndin"] = list_of(work.ndin, work.ndin.size());
    }
    if (outcome.routine == Routine::Qawo) {
        info["momcom"] = work.momcom;
        info["nnlog"] = list_of(work.nnlog, n);
        info["chebmo"] = list_of(work.chebmo, static_cast<std::size_t>(maxp1) * 25);
    }
    return info;
}

/* One quad on either kind of integrand: native ones with the GIL released,
   Python ones on this thread with the GIL held. */
QuadOutcome run_quad(const IntegrandArg &integrand, double a, double b, nb::tuple args, const QuadSpec &spec,
                     Workspace &work) {
    QuadOutcome outcome;
    if (integrand.native) {
        const NativeIntegrand &f = *integrand.native;
        double buffer[16];
        std::vector<double> heap;
        const std::size_t count = 1 + nb::len(args);
        double *xx = count <= 16 ? buffer : (heap.resize(count), heap.data());
        if (count > 1) {
            std::vector<double> extra = float_args(args, "quad");
            std::copy(extra.begin(), extra.end(), xx + 1);
        }
        NativeSampler sampler{&f, xx, static_cast<int>(count)};
        python::run_native([&] { outcome = quad(Integrand::from_sampler(sampler), a, b, spec, work); });
    } else {
        nb::handle callable = integrand.python;
        auto sampler = [&](const double *x, double *fx, std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) fx[i] = call_python(callable, x + i, 1, args);
        };
        outcome = quad(Integrand::from_sampler(sampler), a, b, spec, work);
    }
    return outcome;
}

/* An integration limit from any Python number; NaN and non-numbers are errors
   naming it ("<routine>: the integration limit <name()> ..."). The name is
   made only for the message. */
template <class Name> double limit_value(nb::handle value, const char *routine, Name &&name) {
    double x = as_double(value.ptr());
    if (x == -1.0 && PyErr_Occurred()) {
        // An int beyond a double's range is a number: Python's OverflowError says so (as scipy's quad).
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) throw nb::python_error();
        PyErr_Clear();
        throw nb::type_error((std::string(routine) + ": the integration limit " + name() +
                              " must be a real number or +-inf, got " + nb::cast<std::string>(nb::repr(value)))
                                 .c_str());
    }
    if (std::isnan(x))
        throw InvalidArgument(std::string(routine) + ": the integration limit " + name() +
                              " is nan; expected a number or +-inf");
    return x;
}

/* The integrand in the form integrand_arg takes: nativecall.LowLevelCallable
   objects and plain Python functions as they are, anything else through
   nativecall.integrate._routine_callback (as_callback, remembered per object). */
nb::object routine_callback(nb::handle func) {
    if (python::is_lowlevel(func) || PyFunction_Check(func.ptr()) || PyMethod_Check(func.ptr()))
        return nb::borrow(func);
    /* Kept for the life of the process: a static nb::object would be released
       at exit, after the interpreter is gone. */
    static PyObject *convert =
        nb::object(nb::module_::import_("nativecall.integrate").attr("_routine_callback")).release().ptr();
    return nb::handle(convert)(func);
}

/* The common quad call (no weight, break points, wopts or full_output), for
   quad's front door (below). Returns (value, abserr) when ier == 0, else
   (value, abserr, ier). */
nb::tuple quad_plain_entry(nb::handle func, nb::handle a_obj, nb::handle b_obj, nb::handle args_obj,
                           nb::handle epsabs_obj, nb::handle epsrel_obj, nb::handle limit_obj) {
    const double a = limit_value(a_obj, "quad", [] { return std::string("a"); });
    const double b = limit_value(b_obj, "quad", [] { return std::string("b"); });
    const double epsabs = float_option(epsabs_obj, "epsabs"), epsrel = float_option(epsrel_obj, "epsrel");
    const int limit = int_option(limit_obj, "limit");
    check_tolerances(epsabs, epsrel);
    nb::tuple args = PyTuple_Check(args_obj.ptr()) ? nb::borrow<nb::tuple>(args_obj) : nb::make_tuple(args_obj);
    if (a == b) return nb::make_tuple(0.0, 0.0);  // scipy's shortcut, improper "intervals" included
    /* A cfunc seen last time skips routine_callback's Python call too. */
    IntegrandArg integrand;
    nb::object callback;
    const bool mirrored = doubly_infinite(a, b);   // QAGI then asks only for mirrored sums
    if (!recall(func, nb::len(args), integrand, !mirrored, mirrored)) {
        callback = routine_callback(func);
        integrand = integrand_arg(callback, nb::len(args), "quad", func, !mirrored, mirrored);
    }
    QuadSpec spec;
    spec.options = Options{epsabs, epsrel, limit};
    PooledWorkspace pooled;
    QuadOutcome outcome = run_quad(integrand, a, b, args, spec, *pooled);
    /* A converged result is already quad's return value, so the wrapper hands it on untouched. */
    if (outcome.result.ier == 0) return nb::make_tuple(outcome.result.value, outcome.result.abserr);
    return nb::make_tuple(outcome.result.value, outcome.result.abserr, outcome.result.ier);
}

/* ---------------------------------------------------------------- quad's front door */

/* A C++ exception caught by quad's front door, which nanobind does not wrap:
   rethrown inside a nanobind function, it reaches Python as it would from any
   binding. Set and taken at once, with the GIL held. */
std::exception_ptr &pending_exception() {
    thread_local std::exception_ptr pending;
    return pending;
}

void rethrow_pending() {
    std::exception_ptr pending = std::exchange(pending_exception(), nullptr);
    if (pending) std::rethrow_exception(pending);
}

/* The public quad is a C function with CPython's vectorcall protocol: a call
   from Python then builds no frame, no keyword dict and no argument tuple,
   which for a native integrand is a large part of a whole quad. It serves the
   common call (no weight, points, wopts, full_output or complex_func) with
   quad_plain_entry and hands every other call, untouched, to the Python function it
   was made from (`general`), which also owns the documented signature: the
   parameter names, defaults and docstring are read from it, never repeated
   here. Argument errors (unknown keyword, missing argument, one given twice)
   come from `general` too, so they read exactly as Python's own. */
struct QuadFront {
    PyObject *general = nullptr;   // the Python quad: signature, docstring, uncommon options
    PyObject *warn = nullptr;      // warn(ier, limit): the IntegrationWarning for a failed plain quad
    PyObject *rethrow = nullptr;   // _integrate._rethrow_pending: nanobind's translation of a caught exception
    std::vector<PyObject *> names; // general's parameter names, in order
    std::vector<PyObject *> defaults; // their defaults (null for the required ones)
    /* Positions of the parameters the plain path reads; every other one must keep its default. */
    std::size_t func = 0, a = 0, b = 0, args = 0, epsabs = 0, epsrel = 0, limit = 0;
    PyMethodDef def{};
    std::string doc;
};

QuadFront &quad_front() {
    static QuadFront front;  // filled once by make_quad_front, then only read (with the GIL held)
    return front;
}

/* Whether `value`, given for a parameter the plain path ignores, means the same as its
   default: the default object itself, or one of None / False / 0 where the default is
   None, False or 0 and the general path only asks whether the option is set. */
bool keeps_default(PyObject *value, PyObject *default_value) {
    if (value == default_value) return true;
    if (default_value == Py_None) return value == Py_None;
    auto zero = [](PyObject *v) {
        int overflow = 0;
        return PyLong_CheckExact(v) && PyLong_AsLongAndOverflow(v, &overflow) == 0 && overflow == 0;
    };
    const bool flag = default_value == Py_False || zero(default_value);
    return flag && (value == Py_None || value == Py_False || zero(value));
}

/* The position of the parameter named `kwname`, or -1; interned names compare by address first. */
Py_ssize_t parameter_index(const QuadFront &front, PyObject *kwname) {
    for (std::size_t i = 0; i < front.names.size(); ++i)
        if (front.names[i] == kwname) return static_cast<Py_ssize_t>(i);
    for (std::size_t i = 0; i < front.names.size(); ++i) {
        const int same = PyObject_RichCompareBool(front.names[i], kwname, Py_EQ);
        if (same < 0) PyErr_Clear();
        if (same == 1) return static_cast<Py_ssize_t>(i);
    }
    return -1;
}

PyObject *quad_front_call(PyObject *, PyObject *const *argv, size_t nargsf, PyObject *kwnames) {
    const QuadFront &front = quad_front();
    const std::size_t count = front.names.size();
    const std::size_t nargs = static_cast<std::size_t>(PyVectorcall_NARGS(nargsf));
    auto general = [&] { return PyObject_Vectorcall(front.general, argv, nargsf, kwnames); };
    if (nargs > count) return general();
    PyObject *slot[32] = {};
    for (std::size_t i = 0; i < nargs; ++i) slot[i] = argv[i];
    const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; ++k) {
        const Py_ssize_t i = parameter_index(front, PyTuple_GET_ITEM(kwnames, k));
        if (i < 0 || slot[i]) return general();  // Python's TypeError, from the general path
        slot[i] = argv[nargs + static_cast<std::size_t>(k)];
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (!slot[i]) {
            if (!front.defaults[i]) return general();  // a required argument is missing
            slot[i] = front.defaults[i];
            continue;
        }
        const bool read = i == front.func || i == front.a || i == front.b || i == front.args ||
                          i == front.epsabs || i == front.epsrel || i == front.limit;
        if (!read && !keeps_default(slot[i], front.defaults[i])) return general();
    }
    /* The general path takes int(limit); quad_plain_entry wants an integer itself. */
    if (!PyLong_CheckExact(slot[front.limit])) return general();
    PyObject *result = nullptr;
    try {
        result = quad_plain_entry(slot[front.func], slot[front.a], slot[front.b], slot[front.args],
                                  slot[front.epsabs], slot[front.epsrel], slot[front.limit])
                     .release()
                     .ptr();
    } catch (nb::python_error &e) {
        e.restore();
        return nullptr;
    } catch (...) {
        /* Everything else is translated as in any nanobind call: by rethrowing it inside one. */
        pending_exception() = std::current_exception();
        PyObject *none = PyObject_CallNoArgs(front.rethrow);
        if (none) {  // cannot happen: the exception was pending
            Py_DECREF(none);
            PyErr_SetString(PyExc_RuntimeError, "quad: an error was lost on its way to Python");
        }
        return nullptr;
    }
    if (PyTuple_GET_SIZE(result) == 2) return result;  // converged: (value, abserr) as it is
    /* Not converged: (value, abserr, ier). Invalid input (ier 6) is explained by
       the general path, which finds it again before calling the integrand. */
    const long ier = PyLong_AsLong(PyTuple_GET_ITEM(result, 2));
    if (ier == 6) {
        Py_DECREF(result);
        return general();
    }
    PyObject *warn_args[] = {PyTuple_GET_ITEM(result, 2), slot[front.limit]};
    PyObject *warned = PyObject_Vectorcall(front.warn, warn_args, 2, nullptr);
    if (!warned) {  // warnings turned into errors
        Py_DECREF(result);
        return nullptr;
    }
    Py_DECREF(warned);
    PyObject *pair = PyTuple_Pack(2, PyTuple_GET_ITEM(result, 0), PyTuple_GET_ITEM(result, 1));
    Py_DECREF(result);
    return pair;
}

/* quad as a C function named `name`, made from the Python function `general`
   (see QuadFront); it lives as long as the process. */
nb::object make_quad_front(nb::str name, nb::object general, nb::object warn) {
    QuadFront &front = quad_front();
    /* Made again when nativecall.integrate is reloaded: the old references are
       kept (functions made before read the same state), the state is refilled. */
    front.names.clear();
    front.defaults.clear();
    nb::object code = general.attr("__code__");
    const std::size_t count = nb::cast<std::size_t>(code.attr("co_argcount"));
    if (count > 32 || nb::cast<std::size_t>(code.attr("co_kwonlyargcount")) != 0)
        throw nb::type_error("make_quad_front: the general quad must have at most 32 positional parameters");
    nb::tuple varnames = nb::borrow<nb::tuple>(code.attr("co_varnames"));
    nb::object defaults_obj = general.attr("__defaults__");
    nb::tuple defaults = defaults_obj.is_none() ? nb::tuple() : nb::borrow<nb::tuple>(defaults_obj);
    const std::size_t first_default = count - nb::len(defaults);
    std::string signature = nb::cast<std::string>(name) + "(";
    for (std::size_t i = 0; i < count; ++i) {
        nb::str pname = nb::borrow<nb::str>(varnames[i]);
        front.names.push_back(pname.inc_ref().ptr());
        PyObject *value = i < first_default ? nullptr : defaults[i - first_default].inc_ref().ptr();
        front.defaults.push_back(value);
        signature += (i ? ", " : "") + nb::cast<std::string>(pname);
        if (value) signature += "=" + nb::cast<std::string>(nb::repr(nb::handle(value)));
    }
    auto position = [&](const char *wanted) {
        for (std::size_t i = 0; i < count; ++i)
            if (nb::cast<std::string>(nb::handle(front.names[i])) == wanted) return i;
        throw nb::type_error((std::string("make_quad_front: the general quad has no parameter '") + wanted + "'").c_str());
    };
    front.func = position("func");
    front.a = position("a");
    front.b = position("b");
    front.args = position("args");
    front.epsabs = position("epsabs");
    front.epsrel = position("epsrel");
    front.limit = position("limit");
    front.general = general.inc_ref().ptr();
    front.warn = warn.inc_ref().ptr();
    front.rethrow = nb::object(nb::module_::import_("nativecall._integrate").attr("_rethrow_pending")).release().ptr();
    /* "name(...)\n--\n\n" makes the signature CPython's __text_signature__, which inspect reads. */
    nb::object docstring = general.attr("__doc__");
    front.doc = signature + ")\n--\n\n" + (docstring.is_none() ? std::string() : nb::cast<std::string>(docstring));
    front.def.ml_name = PyUnicode_AsUTF8(name.ptr());
    name.inc_ref();  // ml_name points into it
    front.def.ml_meth = reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&quad_front_call));
    front.def.ml_flags = METH_FASTCALL | METH_KEYWORDS;
    front.def.ml_doc = front.doc.c_str();
    return nb::steal(PyCFunction_NewEx(&front.def, nullptr, general.attr("__module__").ptr()));
}

/* ---------------------------------------------------------------- quad */

/* wopts = (momcom, chebmo) as scipy's full_output returned them; the Python
   layer has checked chebmo's shape (25, maxp1) and passes it flattened by level. */
nb::tuple quad_entry(nb::handle func, double a, double b, nb::tuple args, bool full_output, nb::handle epsabs,
                     nb::handle epsrel, nb::handle limit_obj, nb::handle points, nb::handle weight, nb::handle wvar,
                     std::optional<std::pair<nb::handle, std::vector<double>>> wopts, nb::handle maxp1_obj,
                     nb::handle limlst_obj) {
    const int limit = int_option(limit_obj, "limit"), maxp1 = int_option(maxp1_obj, "maxp1");
    /* Only QAGI sums mirrored points (no weight, no break points), and then only those. */
    const bool mirrored = doubly_infinite(a, b) && weight.is_none() && points.is_none();
    IntegrandArg integrand = integrand_arg(func, nb::len(args), "quad", {}, !mirrored, mirrored);
    QuadSpec spec = spec_from(float_option(epsabs, "epsabs"), float_option(epsrel, "epsrel"), limit, points, weight,
                              wvar, maxp1, int_option(limlst_obj, "limlst"));
    PooledWorkspace pooled;
    Workspace &work = *pooled;
    if (wopts) {
        work.momcom = int_option(wopts->first, "wopts[0] (momcom)");
        if (work.momcom < 0 || work.momcom >= std::max(maxp1, 1))
            throw InvalidArgument("wopts[0] (momcom) is " + std::to_string(work.momcom) +
                                  "; expected the number of moment levels computed, 0 <= momcom < maxp1 = " +
                                  std::to_string(maxp1));
        if (wopts->second.size() != static_cast<std::size_t>(std::max(maxp1, 0)) * 25)
            throw InvalidArgument("wopts[1] (chebmo) must hold 25 x maxp1 = " + std::to_string(maxp1 * 25) +
                                  " moments, got " + std::to_string(wopts->second.size()));
        work.chebmo = std::move(wopts->second);
        spec.reuse_moments = true;
    }
    QuadOutcome outcome = run_quad(integrand, a, b, args, spec, work);
    nb::object info = full_output ? nb::object(diagnostics(outcome, work, limit, maxp1)) : nb::none();
    return nb::make_tuple(outcome.result.value, outcome.result.abserr, outcome.result.ier, info);
}

/* ---------------------------------------------------------------- nquad */

/* One level of nquad as given: constant limits or a callable for them, and
   an options dict or a callable returning one (both None when absent). */
struct LevelInput {
    double lo = 0.0, hi = 0.0;
    nb::object range_fn, opts_dict, opts_fn;
};

/* scipy's nquad `opts`: None, one dict for every level, or one entry per level. */
std::vector<nb::object> per_level_opts(nb::handle opts, std::size_t depth) {
    if (opts.is_none()) return std::vector<nb::object>(depth, nb::none());
    if (PyDict_Check(opts.ptr())) return std::vector<nb::object>(depth, nb::borrow(opts));
    nb::list entries = nb::steal<nb::list>(PySequence_List(opts.ptr()));
    if (!entries.is_valid()) throw nb::python_error();  // not iterable: list()'s own TypeError
    if (nb::len(entries) != depth)
        throw InvalidArgument("nquad: opts has " + std::to_string(nb::len(entries)) + " entries for " +
                              std::to_string(depth) + " ranges; give one per range (or one dict for all)");
    std::vector<nb::object> out;
    for (nb::handle entry : entries) out.push_back(nb::borrow(entry));
    return out;
}

/* ranges[i] and its opts as LevelInput, with nquad's messages for bad ones. */
LevelInput level_input(nb::handle range, nb::handle opts, std::size_t index) {
    LevelInput level;
    const std::string where = "ranges[" + std::to_string(index) + "]";
    if (PyCallable_Check(range.ptr())) {
        level.range_fn = nb::borrow(range);
    } else {
        /* `lo, hi = range`: any iterable of exactly two items. */
        PyObject *items = PySequence_Fast(range.ptr(), "");
        if (!items || PySequence_Fast_GET_SIZE(items) != 2) {
            Py_XDECREF(items);
            if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_TypeError) && !PyErr_ExceptionMatches(PyExc_ValueError))
                throw nb::python_error();
            PyErr_Clear();
            throw InvalidArgument("nquad: " + where + " must be a pair (low, high) or a callable returning one, got " +
                                  nb::cast<std::string>(nb::repr(range)));
        }
        nb::object pair = nb::steal(items);
        level.lo = limit_value(PySequence_Fast_GET_ITEM(items, 0), "nquad", [&] { return where + "[0]"; });
        level.hi = limit_value(PySequence_Fast_GET_ITEM(items, 1), "nquad", [&] { return where + "[1]"; });
    }
    if (PyCallable_Check(opts.ptr())) {
        level.opts_fn = nb::borrow(opts);
    } else {
        const int given = PyObject_IsTrue(opts.ptr());
        if (given < 0) throw nb::python_error();
        if (given) {
            PyObject *copy = PyObject_CallOneArg(reinterpret_cast<PyObject *>(&PyDict_Type), opts.ptr());
            if (!copy) {
                if (!PyErr_ExceptionMatches(PyExc_TypeError) && !PyErr_ExceptionMatches(PyExc_ValueError))
                    throw nb::python_error();
                PyErr_Clear();
                throw nb::type_error(("nquad: opts[" + std::to_string(index) +
                                      "] must be a dict of quad's keywords or a callable returning one, got " +
                                      nb::cast<std::string>(nb::repr(opts)))
                                         .c_str());
            }
            level.opts_dict = nb::steal(copy);
        }
    }
    return level;
}

/* scipy's nquad(func, ranges, args, opts) with ranges[0] the innermost variable;
   `args` is a tuple. Returns (value, abserr, neval, first_failure_ier, the
   options dict of the failed level or None, routine). */
nb::tuple nquad_entry(nb::handle func, nb::handle ranges, nb::tuple args, nb::handle opts) {
    const std::size_t dims = nb::len(ranges);
    if (dims == 0) throw InvalidArgument("nquad: 'ranges' is empty; expected one range per variable");
    std::vector<nb::object> opts_in = per_level_opts(opts, dims);
    std::vector<LevelInput> inputs;
    inputs.reserve(dims);
    for (std::size_t i = 0; i < dims; ++i) inputs.push_back(level_input(nb::borrow(ranges[i]), opts_in[i], i));
    /* Every coordinate but the innermost, and the arguments, are extra values.
       A cfunc seen last time skips routine_callback's Python call. */
    const std::size_t extra_values = nb::len(args) + dims - 1;
    IntegrandArg integrand_in;
    nb::object callback;
    /* The innermost level over the whole real line sums mirrored points (a callable
       range may too, but building that loop for it is left to quad). */
    const bool mirrored = !inputs[0].range_fn.is_valid() && doubly_infinite(inputs[0].lo, inputs[0].hi);
    if (!recall(func, extra_values, integrand_in, !mirrored, mirrored)) {
        callback = routine_callback(func);
        integrand_in = integrand_arg(callback, extra_values, "nquad", func, !mirrored, mirrored);
    }
    const std::optional<NativeIntegrand> &native = integrand_in.native;
    std::vector<NquadLevel> levels(dims);
    /* Native integrands get the arguments packed after the coordinates; Python
       callables (integrand, limits, options) get them as the original objects. */
    std::vector<double> native_args;
    if (native) native_args = float_args(args, "nquad");
    /* Limits and options called from C++ with a native integrand run while the
       GIL is released: they take it back for the call and drop every Python
       object before returning. */
    /* `outer` holds the outer coordinates, and for a native integrand the
       arguments too (packed as floats); a Python integrand's arguments follow
       as the original objects. */
    nb::tuple extra = native ? nb::tuple() : args;
    auto call_outer = [extra](nb::handle fn, const double *outer, std::size_t count) {
        nb::list argv;
        for (std::size_t i = 0; i < count; ++i) argv.append(outer[i]);
        for (nb::handle e : extra) argv.append(e);
        return fn(*nb::tuple(argv));
    };
    for (std::size_t i = 0; i < dims; ++i) {
        const LevelInput &input = inputs[i];
        NquadLevel &l = levels[i];
        const bool may_be_infinite = input.range_fn.is_valid() || std::isinf(input.lo) || std::isinf(input.hi);
        if (input.range_fn.is_valid()) {
            nb::object fn = input.range_fn;
            l.range = [fn, call_outer, i](const double *outer, std::size_t count) {
                nb::gil_scoped_acquire gil;
                nb::object r = call_outer(fn, outer, count);
                const std::string where = "nquad: ranges[" + std::to_string(i) + "]";
                if (!PySequence_Check(r.ptr()) || PySequence_Size(r.ptr()) != 2) {
                    PyErr_Clear();
                    throw InvalidArgument(where + " must return a pair (low, high), got " +
                                          nb::cast<std::string>(nb::repr(r)));
                }
                nb::sequence pair = nb::borrow<nb::sequence>(r);
                const double lo = float_option(pair[0], (where + "'s low limit").c_str());
                const double hi = float_option(pair[1], (where + "'s high limit").c_str());
                return std::make_pair(lo, hi);
            };
        } else {
            l.lo = input.lo;
            l.hi = input.hi;
        }
        if (input.opts_fn.is_valid()) {
            nb::object fn = input.opts_fn;
            l.spec_at = [fn, call_outer, i, may_be_infinite](const double *outer, std::size_t count) {
                nb::gil_scoped_acquire gil;
                return spec_from_dict(call_outer(fn, outer, count), i, may_be_infinite);
            };
        } else if (input.opts_dict.is_valid()) {
            l.spec = spec_from_dict(input.opts_dict, i, may_be_infinite);
        }
    }
    NquadResult result;
    try {
        if (native) {
            const NativeIntegrand f = *native;
            /* The packed forms get the coordinates and arguments array itself as xx. */
            struct Sampler {
                const NativeIntegrand &f;
                void operator()(double *x, std::size_t count, const double *t, double *ft, std::size_t n) const {
                    f.sample(t, ft, n, x, static_cast<int>(count));
                }
                bool has_mirrored_sum() const { return f.mirrored_sum != nullptr; }
                void mirrored_sum(double *x, std::size_t count, const double *t, double *ft, std::size_t n) const {
                    f.run_loop(f.mirrored_sum, t, ft, n, x, static_cast<int>(count));
                }
            } sampler{f};
            python::run_native(
                [&] { result = nquad(MultiIntegrand::from_sampler(sampler), levels, native_args); });
        } else {
            /* A Python integrand keeps the GIL; the limits' gil_scoped_acquire is then a no-op. */
            nb::handle callable = integrand_in.python;
            auto integrand = [callable, args, dims](const double *x, std::size_t) {
                return call_python(callable, x, dims, args);
            };
            result = nquad(MultiIntegrand(integrand), levels, {});
        }
    } catch (const InvalidLevelOptions &e) {
        throw InvalidArgument(invalid_level_message(e));
    }
    nb::object failed_opts = nb::none();
    if (result.first_failure_ier != 0 && inputs[static_cast<std::size_t>(result.first_failure_level)].opts_dict.is_valid())
        failed_opts = inputs[static_cast<std::size_t>(result.first_failure_level)].opts_dict;
    return nb::make_tuple(result.value, result.abserr, result.neval, result.first_failure_ier, failed_opts,
                          routine_name(result.first_failure_routine));
}

/* ---------------------------------------------------------------- quad_batch */

using Doubles = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Rows = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using DoublesOut = nb::ndarray<double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using IntsOut = nb::ndarray<int, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/* `python_rows`: None, or the rows as the caller gave them (e.g. integers) for a
   Python integrand, which gets tuple(python_rows[i]) as quad's args would be. */
std::size_t quad_batch_entry(nb::handle func, Doubles a, Doubles b, std::optional<Rows> args, nb::handle python_rows,
                             nb::handle epsabs, nb::handle epsrel, nb::handle limit, nb::handle points,
                             nb::handle weight, nb::handle wvar, nb::handle maxp1, nb::handle limlst,
                             nb::handle workers_obj, nb::handle progress, DoublesOut value, DoublesOut abserr,
                             IntsOut ier, IntsOut neval) {
    const int workers = int_option(workers_obj, "workers");
    const std::size_t n = value.shape(0);
    const std::size_t a_stride = a.shape(0) == 1 ? 0 : 1, b_stride = b.shape(0) == 1 ? 0 : 1;
    const std::size_t nargs = args ? args->shape(1) : 0;
    const double *rows = args ? args->data() : nullptr;
    QuadSpec spec = spec_from(float_option(epsabs, "epsabs"), float_option(epsrel, "epsrel"),
                              int_option(limit, "limit"), points, weight, wvar, int_option(maxp1, "maxp1"),
                              int_option(limlst, "limlst"));
    BatchOutput out{value.data(), abserr.data(), ier.data(), neval.data()};

    /* The loops the items will use: mirrored sums on the whole line (QAGI, no weight or
       break points), plain values anywhere else. */
    const bool weighted = !weight.is_none() || !points.is_none();
    bool plain = weighted, mirrored = false;
    if (!weighted)
        for (std::size_t i = 0; i < n && !(plain && mirrored); ++i)
            (doubly_infinite(a.data()[i * a_stride], b.data()[i * b_stride]) ? mirrored : plain) = true;
    IntegrandArg integrand = integrand_arg(func, nargs, "quad_batch", {}, plain, mirrored);
    const std::optional<NativeIntegrand> &native = integrand.native;
    /* A Python integrand runs on this thread with the GIL; foreign native code
       on one thread unless the user asks for more. */
    const int threads = native ? resolve_workers(workers, native->thread_safe) : 1;

    /* Each item's sampler holds xx = [x, the item's row], filled once for all the
       item's rules; in place for the usual few parameters (no allocation per item). */
    constexpr std::size_t kInlineArgs = 31;
    struct NativeItem {
        /* Copies the item's row; only xx[0, count) is ever read, so the inline
           buffer is left uninitialised beyond it (zeroing it cost more than the copy). */
        NativeItem(const NativeIntegrand *integrand, const double *row, std::size_t nargs)
            : f(integrand), count(static_cast<int>(nargs + 1)) {
            if (nargs > kInlineArgs) heap_xx.resize(nargs + 1);
            double *xx = data();
            xx[0] = 0.0;
            std::copy(row, row + nargs, xx + 1);
        }
        double *data() { return heap_xx.empty() ? inline_xx.data() : heap_xx.data(); }
        void operator()(const double *x, double *fx, std::size_t m) { f->sample(x, fx, m, data(), count); }
        bool has_mirrored_sum() const { return f->mirrored_sum != nullptr; }
        void mirrored_sum(const double *x, double *fx, std::size_t m) {
            f->run_loop(f->mirrored_sum, x, fx, m, data(), count);
        }

        const NativeIntegrand *f;
        int count;   // 1 + the parameters
        std::array<double, kInlineArgs + 1> inline_xx;
        std::vector<double> heap_xx;
    };
    const NativeIntegrand *native_f = native ? &*native : nullptr;
    auto bind_native = [native_f, rows, nargs](std::size_t item) {
        return NativeItem(native_f, rows + item * nargs, nargs);
    };
    /* The item's parameters as Python objects (floats, or the caller's own values),
       made once per item. */
    std::size_t cached_item = static_cast<std::size_t>(-1);
    nb::tuple item_args;
    nb::handle callable = integrand.python;
    auto python_sampler = [&](std::size_t item, const double *x, double *fx, std::size_t m) {
        if (item != cached_item) {
            if (python_rows.is_valid() && !python_rows.is_none()) {
                PyObject *row = PySequence_GetItem(python_rows.ptr(), static_cast<Py_ssize_t>(item));
                PyObject *values = row ? PySequence_Tuple(row) : nullptr;
                Py_XDECREF(row);
                if (!values) throw nb::python_error();
                item_args = nb::steal<nb::tuple>(values);
            } else {
                nb::list values;
                for (std::size_t j = 0; j < nargs; ++j) values.append(rows[item * nargs + j]);
                item_args = nb::tuple(values);
            }
            cached_item = item;
        }
        for (std::size_t i = 0; i < m; ++i) fx[i] = call_python(callable, x + i, 1, item_args);
    };

    /* With a progress callback, work in about 100 slices and report between them. */
    const bool report = progress.is_valid() && !progress.is_none();
    const std::size_t slice = report ? std::max<std::size_t>(1, n / 100) : std::max<std::size_t>(n, 1);
    for (std::size_t first = 0; first < n; first += slice) {
        const std::size_t count = std::min(slice, n - first);
        if (native) {
            python::run_native([&] {
                quad_batch_bound(bind_native, first, count, a.data(), a_stride, b.data(), b_stride, spec, threads,
                                 out);
            });
        } else {
            quad_batch(BatchIntegrand(python_sampler), first, count, a.data(), a_stride, b.data(), b_stride, spec, 1,
                       out);
        }
        if (report) progress(first + count);
    }
    /* The items that did not converge, for the caller's warning (a pass over ier
       costs less here than numpy's any() does in Python). */
    std::size_t failures = 0;
    for (std::size_t i = 0; i < n; ++i) failures += ier.data()[i] != 0;
    return failures;
}

/* The accepted integrand signatures, for messages and documentation. */
std::vector<std::string> signatures() {
    std::vector<std::string> out;
    for (const Signature &s : accepted_signatures()) out.push_back(s.c_spelling());
    return out;
}

} // namespace

NB_MODULE(_integrate, m) {
    python::register_error_translators();
    m.doc() = "QUADPACK in C++: quad, nquad and quad_batch on native or Python integrands.";
    m.def("quad", &quad_entry, nb::arg("func"), nb::arg("a"), nb::arg("b"), nb::arg("args"),
          nb::arg("full_output"), nb::arg("epsabs"), nb::arg("epsrel"), nb::arg("limit"), nb::arg("points").none(),
          nb::arg("weight").none(), nb::arg("wvar").none(), nb::arg("wopts").none(), nb::arg("maxp1"),
          nb::arg("limlst"),
          "Returns (value, abserr, ier, info or None); ier as QUADPACK defines it.");
    m.def("_rethrow_pending", &rethrow_pending, "Raises the exception quad's front door caught (see QuadFront).");
    m.def("make_quad_front", &make_quad_front, nb::arg("name"), nb::arg("general"), nb::arg("warn"),
          "quad as a C function with the signature and docstring of `general`: the common call runs here, any "
          "other is handed to `general`; warn(ier, limit) reports a plain quad that did not converge.");
    m.def("nquad", &nquad_entry, nb::arg("func").none(), nb::arg("ranges"), nb::arg("args"), nb::arg("opts").none(),
          "scipy's nquad with `args` a tuple; returns (value, abserr, neval, first_failure_ier, the failed level's "
          "opts dict or None, routine).");
    m.def("quad_batch", &quad_batch_entry, nb::arg("func"), nb::arg("a"), nb::arg("b"), nb::arg("args").none(),
          nb::arg("python_rows").none(), nb::arg("epsabs"), nb::arg("epsrel"), nb::arg("limit"),
          nb::arg("points").none(), nb::arg("weight").none(), nb::arg("wvar").none(), nb::arg("maxp1"), nb::arg("limlst"), nb::arg("workers"),
          nb::arg("progress").none(), nb::arg("value"), nb::arg("abserr"), nb::arg("ier"), nb::arg("neval"),
          "Fills value, abserr, ier and neval; returns how many items have ier != 0.");
    m.def("signatures", &signatures, "The C signatures a native integrand may have.");
}
