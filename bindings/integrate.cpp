// nativecall._integrate: quad, nquad and quad_batch on native or Python integrands (GIL released for native work).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
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

    bool packed() const { return form == NativeForm::Packed || form == NativeForm::PackedWithData; }

    /* fx[i] = f(x[i]) with xx[1:] already holding the arguments. */
    void sample(const double *x, double *fx, std::size_t n, double *xx, int count) const {
        if (many) {
            const auto m = static_cast<std::int64_t>(n);
            switch (form) {
            case NativeForm::Scalar: return reinterpret_cast<ScalarLoop *>(many)(x, fx, m);
            case NativeForm::ScalarWithData: return reinterpret_cast<ScalarDataLoop *>(many)(x, fx, m, user_data);
            case NativeForm::Packed: return reinterpret_cast<PackedLoop *>(many)(x, fx, m, count, xx);
            case NativeForm::PackedWithData:
                return reinterpret_cast<PackedDataLoop *>(many)(x, fx, m, count, xx, user_data);
            }
        }
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
    if (extra_args > 0 && !f.packed())
        throw InvalidArgument(std::string(routine) + ": " + std::to_string(extra_args) +
                              " extra argument(s) given in 'args', but the integrand's signature '" +
                              cb.signature().spelling +
                              "' has no place for them; use 'double (int, double *)' (or with a trailing "
                              "'void *') to receive them in xx[1:]");
    return f;
}

/* A routine's integrand argument: a native integrand (matched) or a Python callable. */
struct IntegrandArg {
    std::optional<NativeIntegrand> native;
    nb::handle python;
};

/* The vectorised loop entry when `lowlevel` wraps a nativecall cfunc (its function
   is a nativecall.jit.CFunc with the same address and C signature), else null:
   anything unexpected on the way means the scalar entry is used. The first call
   for a cfunc builds the loop (CompiledFunction::many_address). */
void *loop_entry(nb::handle lowlevel) {
    /* Found once nativecall.jit is loaded (a cfunc cannot exist before), never
       imported here: loading the JIT costs more than many quads. Kept for the life
       of the process. */
    static PyObject *cfunc_type = nullptr;
    if (!cfunc_type) {
        nb::str name("nativecall.jit");
        PyObject *module = PyImport_GetModule(name.ptr());
        if (!module) {
            PyErr_Clear();
            return nullptr;
        }
        cfunc_type = PyObject_GetAttrString(module, "CFunc");
        Py_DECREF(module);
        if (!cfunc_type) {
            PyErr_Clear();
            return nullptr;
        }
    }
    nb::object function = lowlevel.attr("_function");
    /* isinstance, not a type check: cached callbacks hold their function through a weak proxy. */
    const int is_cfunc = PyObject_IsInstance(function.ptr(), cfunc_type);
    if (is_cfunc != 1) {
        PyErr_Clear();
        return nullptr;
    }
    nb::object compiled = nb::getattr(function, "_compiled", nb::none());
    if (!nb::hasattr(compiled, "many_address") || !function.attr("address").equal(lowlevel.attr("_address")) ||
        !function.attr("c_signature").equal(lowlevel.attr("_c_signature")))
        return nullptr;
    return reinterpret_cast<void *>(nb::cast<std::uintptr_t>(compiled.attr("many_address")));
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
   resolved and takes `extra_args` arguments; otherwise false and `arg` unchanged. */
bool recall(nb::handle key, std::size_t extra_args, IntegrandArg &arg) {
    const RememberedIntegrand &last = remembered();
    if (!last.ref || PyWeakref_GetObject(last.ref) != key.ptr() || (extra_args > 0 && !last.native.packed()))
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
   it (see remembered()). The cache is only touched with the GIL held. */
IntegrandArg integrand_arg(nb::handle obj, std::size_t extra_args, const char *routine, nb::handle key = {}) {
    static std::unordered_map<std::string, NativeForm> forms;
    if (!key.is_valid()) key = obj;
    IntegrandArg arg;
    if (python::is_lowlevel(obj)) {
        if (recall(key, extra_args, arg)) return arg;
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
        arg.native->many = loop_entry(obj);
        remember(key, *arg.native);
        return arg;
    }
    python::CallbackArg cb = python::callback_arg(obj, "func");
    arg.python = cb.python;
    return arg;
}

/* Workspaces for quad calls on this thread, reused across calls. A stack,
   because a Python integrand may call quad again while one is in use. */
class PooledWorkspace {
public:
    PooledWorkspace() {
        auto &pool = free_list();
        if (pool.empty()) {
            work_ = std::make_unique<Workspace>();
        } else {
            work_ = std::move(pool.back());
            pool.pop_back();
        }
    }
    ~PooledWorkspace() {
        auto &pool = free_list();
        if (pool.size() < 8) pool.push_back(std::move(work_));
    }
    Workspace &operator*() { return *work_; }

private:
    static std::vector<std::unique_ptr<Workspace>> &free_list() {
        thread_local std::vector<std::unique_ptr<Workspace>> pool;
        return pool;
    }
    std::unique_ptr<Workspace> work_;
};

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

/* A real-valued option from any Python number (0-d arrays included); TypeError
   naming the option otherwise. */
double float_option(nb::handle value, const char *name) {
    double x = PyFloat_AsDouble(value.ptr());
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
    if (points.is_valid() && !points.is_none())
        for (nb::handle p : points) spec.points.push_back(float_option(p, "each break point in 'points'"));
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

/* A per-level option dict as scipy's nquad passes to quad(**opts). */
QuadSpec spec_from_dict(nb::handle opts, const QuadSpec &defaults) {
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
               limlst = get("limlst");
    return spec_from(epsabs.is_valid() ? float_option(epsabs, "epsabs") : defaults.options.epsabs,
                     epsrel.is_valid() ? float_option(epsrel, "epsrel") : defaults.options.epsrel,
                     limit.is_valid() ? int_option(limit, "limit") : defaults.options.limit, get("points"),
                     get("weight"), get("wvar"), maxp1.is_valid() ? int_option(maxp1, "maxp1") : defaults.maxp1,
                     limlst.is_valid() ? int_option(limlst, "limlst") : defaults.limlst);
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
        auto sampler = [&](const double *x, double *fx, std::size_t n) {
            f.sample(x, fx, n, xx, static_cast<int>(count));
        };
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

/* An integration limit from any Python number; NaN and non-numbers are errors. */
double limit_value(nb::handle value, const char *name) {
    double x = PyFloat_AsDouble(value.ptr());
    if (x == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        throw nb::type_error(("quad: the integration limit " + std::string(name) +
                              " must be a real number or +-inf, got " + nb::cast<std::string>(nb::repr(value)))
                                 .c_str());
    }
    if (std::isnan(x))
        throw InvalidArgument("quad: the integration limit " + std::string(name) + " is nan; expected a number or +-inf");
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

/* The common quad call (no weight, break points, wopts or full_output) with
   the argument handling done here, so the Python wrapper is a few comparisons:
   for a native integrand the call overhead is a large part of a whole quad.
   Returns (value, abserr) when ier == 0, else (value, abserr, ier). */
nb::tuple quad_plain_entry(nb::handle func, nb::handle a_obj, nb::handle b_obj, nb::handle args_obj,
                           nb::handle epsabs_obj, nb::handle epsrel_obj, nb::handle limit_obj) {
    const double a = limit_value(a_obj, "a"), b = limit_value(b_obj, "b");
    const double epsabs = float_option(epsabs_obj, "epsabs"), epsrel = float_option(epsrel_obj, "epsrel");
    const int limit = int_option(limit_obj, "limit");
    check_tolerances(epsabs, epsrel);
    nb::tuple args = PyTuple_Check(args_obj.ptr()) ? nb::borrow<nb::tuple>(args_obj) : nb::make_tuple(args_obj);
    if (a == b) return nb::make_tuple(0.0, 0.0);  // scipy's shortcut, improper "intervals" included
    /* A cfunc seen last time skips routine_callback's Python call too. */
    IntegrandArg integrand;
    nb::object callback;
    if (!recall(func, nb::len(args), integrand)) {
        callback = routine_callback(func);
        integrand = integrand_arg(callback, nb::len(args), "quad", func);
    }
    QuadSpec spec;
    spec.options = Options{epsabs, epsrel, limit};
    PooledWorkspace pooled;
    QuadOutcome outcome = run_quad(integrand, a, b, args, spec, *pooled);
    /* A converged result is already quad's return value, so the wrapper hands it on untouched. */
    if (outcome.result.ier == 0) return nb::make_tuple(outcome.result.value, outcome.result.abserr);
    return nb::make_tuple(outcome.result.value, outcome.result.abserr, outcome.result.ier);
}

/* ---------------------------------------------------------------- quad */

/* wopts = (momcom, chebmo) as scipy's full_output returned them; the Python
   layer has checked chebmo's shape (25, maxp1) and passes it flattened by level. */
nb::tuple quad_entry(nb::handle func, double a, double b, nb::tuple args, bool full_output, nb::handle epsabs,
                     nb::handle epsrel, nb::handle limit_obj, nb::handle points, nb::handle weight, nb::handle wvar,
                     std::optional<std::pair<nb::handle, std::vector<double>>> wopts, nb::handle maxp1_obj,
                     nb::handle limlst_obj) {
    const int limit = int_option(limit_obj, "limit"), maxp1 = int_option(maxp1_obj, "maxp1");
    IntegrandArg integrand = integrand_arg(func, nb::len(args), "quad");
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

/* levels: one (lo, hi, range_callable_or_None, opts_dict_or_None, opts_callable_or_None)
   per dimension, innermost first. */
nb::tuple nquad_entry(nb::handle func, nb::list levels_in, nb::tuple args) {
    const std::size_t dims = nb::len(levels_in);
    /* Every coordinate but the innermost, and the arguments, are extra values. */
    IntegrandArg integrand_in = integrand_arg(func, nb::len(args) + dims - 1, "nquad");
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
        nb::tuple level = nb::borrow<nb::tuple>(levels_in[i]);
        NquadLevel &l = levels[i];
        if (!level[2].is_none()) {
            nb::object fn = nb::borrow(level[2]);
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
            l.lo = nb::cast<double>(level[0]);
            l.hi = nb::cast<double>(level[1]);
        }
        if (!level[4].is_none()) {
            nb::object fn = nb::borrow(level[4]);
            l.spec_at = [fn, call_outer](const double *outer, std::size_t count) {
                nb::gil_scoped_acquire gil;
                return spec_from_dict(call_outer(fn, outer, count), QuadSpec{});
            };
        } else if (!level[3].is_none()) {
            l.spec = spec_from_dict(level[3], QuadSpec{});
        }
    }
    NquadResult result;
    if (native) {
        const NativeIntegrand f = *native;
        /* The packed forms get the coordinates and arguments array itself as xx. */
        auto sampler = [&f](double *x, std::size_t count, const double *t, double *ft, std::size_t n) {
            f.sample(t, ft, n, x, static_cast<int>(count));
        };
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
    return nb::make_tuple(result.value, result.abserr, result.neval, result.first_failure_ier,
                          result.first_failure_level, routine_name(result.first_failure_routine));
}

/* ---------------------------------------------------------------- quad_batch */

using Doubles = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using Rows = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using DoublesOut = nb::ndarray<double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using IntsOut = nb::ndarray<int, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

void quad_batch_entry(nb::handle func, Doubles a, Doubles b, std::optional<Rows> args, nb::handle epsabs,
                      nb::handle epsrel, nb::handle limit, nb::handle points, nb::handle weight, nb::handle wvar,
                      nb::handle maxp1, nb::handle limlst, nb::handle workers_obj, nb::handle progress,
                      DoublesOut value, DoublesOut abserr, IntsOut ier, IntsOut neval) {
    const int workers = int_option(workers_obj, "workers");
    const std::size_t n = value.shape(0);
    const std::size_t a_stride = a.shape(0) == 1 ? 0 : 1, b_stride = b.shape(0) == 1 ? 0 : 1;
    const std::size_t nargs = args ? args->shape(1) : 0;
    const double *rows = args ? args->data() : nullptr;
    QuadSpec spec = spec_from(float_option(epsabs, "epsabs"), float_option(epsrel, "epsrel"),
                              int_option(limit, "limit"), points, weight, wvar, int_option(maxp1, "maxp1"),
                              int_option(limlst, "limlst"));
    BatchOutput out{value.data(), abserr.data(), ier.data(), neval.data()};

    IntegrandArg integrand = integrand_arg(func, nargs, "quad_batch");
    const std::optional<NativeIntegrand> &native = integrand.native;
    /* A Python integrand runs on this thread with the GIL; foreign native code
       on one thread unless the user asks for more. */
    const int threads = native ? resolve_workers(workers, native->thread_safe) : 1;

    /* xx = [x, the item's row]; on the stack for the usual few parameters (the
       sampler runs once per rule, so it stays free of allocation). */
    constexpr std::size_t kStackArgs = 32;
    const NativeIntegrand *native_f = native ? &*native : nullptr;
    auto native_sampler = [native_f, rows, nargs](std::size_t item, const double *x, double *fx, std::size_t m) {
        const double *row = rows + item * nargs;
        if (nargs < kStackArgs) {
            double xx[kStackArgs];
            std::copy(row, row + nargs, xx + 1);
            native_f->sample(x, fx, m, xx, static_cast<int>(nargs + 1));
        } else {
            std::vector<double> xx(nargs + 1);
            std::copy(row, row + nargs, xx.begin() + 1);
            native_f->sample(x, fx, m, xx.data(), static_cast<int>(nargs + 1));
        }
    };
    /* The item's parameters as Python floats, made once per item. */
    std::size_t cached_item = static_cast<std::size_t>(-1);
    nb::tuple item_args;
    nb::handle callable = integrand.python;
    auto python_sampler = [&](std::size_t item, const double *x, double *fx, std::size_t m) {
        if (item != cached_item) {
            nb::list values;
            for (std::size_t j = 0; j < nargs; ++j) values.append(rows[item * nargs + j]);
            item_args = nb::tuple(values);
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
                quad_batch(BatchIntegrand(native_sampler), first, count, a.data(), a_stride, b.data(), b_stride,
                           spec, threads, out);
            });
        } else {
            quad_batch(BatchIntegrand(python_sampler), first, count, a.data(), a_stride, b.data(), b_stride, spec, 1,
                       out);
        }
        if (report) progress(first + count);
    }
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
    m.def("quad_plain", &quad_plain_entry, nb::arg("func"), nb::arg("a"), nb::arg("b"), nb::arg("args"),
          nb::arg("epsabs"), nb::arg("epsrel"), nb::arg("limit"),
          "quad without weight, points, wopts or full_output; returns (value, abserr), or (value, abserr, ier) "
          "when ier != 0.");
    m.def("nquad", &nquad_entry, nb::arg("func"), nb::arg("levels"), nb::arg("args"),
          "Returns (value, abserr, neval, first_failure_ier, failure_level, routine).");
    m.def("quad_batch", &quad_batch_entry, nb::arg("func"), nb::arg("a"), nb::arg("b"), nb::arg("args").none(),
          nb::arg("epsabs"), nb::arg("epsrel"), nb::arg("limit"), nb::arg("points").none(), nb::arg("weight").none(),
          nb::arg("wvar").none(), nb::arg("maxp1"), nb::arg("limlst"), nb::arg("workers"),
          nb::arg("progress").none(), nb::arg("value"), nb::arg("abserr"), nb::arg("ier"), nb::arg("neval"));
    m.def("signatures", &signatures, "The C signatures a native integrand may have.");
}
