// nativecall._ndimage: numpy arrays and callbacks in, nativecall::ndimage calls out (GIL released for native work).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <optional>

#include "callback_arg.h"
#include "errors.h"
#include "nativecall/ndimage/filters.h"
#include "nativecall/ndimage/interpolation.h"
#include "nativecall/ndimage/splines.h"
#include "nativecall/runtime/thread_pool.h"

namespace nb = nanobind;
using namespace nativecall;
using namespace nativecall::ndimage;

namespace {

/* A view of a numpy array through its __array_interface__, so every dtype,
   stride and rank reaches the core without a copy. The Python layer keeps the
   array alive for the duration of the call. */
ArrayView view_of_array(nb::handle array, const char *what, bool writable) {
    nb::dict info = nb::cast<nb::dict>(array.attr("__array_interface__"));
    nb::tuple data = nb::cast<nb::tuple>(info["data"]);
    if (writable && nb::cast<bool>(data[1]))
        throw InvalidArgument(std::string(what) + " array is read-only");
    ArrayView view;
    view.data = reinterpret_cast<char *>(nb::cast<std::uintptr_t>(data[0]));
    view.dtype = dtype_from_typestr(nb::cast<std::string>(info["typestr"]));
    for (nb::handle s : nb::cast<nb::tuple>(info["shape"])) view.shape.push_back(nb::cast<std::ptrdiff_t>(s));
    nb::object strides = info.contains("strides") ? nb::borrow(info["strides"]) : nb::none();
    if (strides.is_none()) {
        view.strides.assign(view.shape.size(), 0);
        std::ptrdiff_t stride = static_cast<std::ptrdiff_t>(dtype_size(view.dtype));
        for (int d = view.rank() - 1; d >= 0; --d) {
            view.strides[d] = stride;
            stride *= view.shape[d];
        }
    } else {
        for (nb::handle s : nb::cast<nb::tuple>(strides)) view.strides.push_back(nb::cast<std::ptrdiff_t>(s));
    }
    return view;
}

/* workers= for resolve_workers, as nativecall.lowlevel.workers_value gave it
   (0 = decide), capped to the int range by nativecall.ndimage. */
int workers_from(nb::handle workers) { return workers.is_none() ? 0 : nb::cast<int>(workers); }

/* A native callback matched against the one signature the routine accepts. */
template <class Fn> Kernel<Fn> native_kernel(const Callback &cb, const char *role) {
    cb.select({signature_of<Fn>()}, role);
    Kernel<Fn> k;
    k.function = cb.get<Fn>();
    k.user_data = cb.user_data();
    k.name = cb.display_name();
    k.thread_safe = cb.thread_safe();
    return k;
}

/* How a routine runs its work: the one path every entry point takes.
   Native work (a native callback, or no callback at all) runs through
   python::run_native, with the GIL released on the resolved number of threads,
   so a compiled callback's recorded runtime error becomes its Python exception.
   A Python callback runs on this thread with the GIL held, so its exceptions
   propagate as they were raised. `work(threads)` does the routine. */
enum class Runs { Native, NativeThreadSafe, Python };

template <class Work> void run_routine(Runs runs, nb::handle workers, Work &&work) {
    if (runs == Runs::Python) {
        work(1);
        return;
    }
    const int threads = resolve_workers(workers_from(workers), runs == Runs::NativeThreadSafe);
    python::run_native([&] { work(threads); });
}

template <class Fn> Runs runs_for(const Kernel<Fn> &kernel) {
    return kernel.thread_safe ? Runs::NativeThreadSafe : Runs::Native;
}

/* Calls function(*args, **kwargs); a Python exception leaves as nb::python_error, unchanged. */
nb::object call_python(nb::handle function, nb::handle args, nb::handle kwargs) {
    PyObject *result = PyObject_Call(function.ptr(), args.ptr(), kwargs.is_none() ? nullptr : kwargs.ptr());
    if (!result) throw nb::python_error();
    return nb::steal(result);
}

double *buffer_of(nb::handle array) {
    return reinterpret_cast<double *>(view_of_array(array, "buffer", true).data);
}

void py_generic_filter(nb::handle input, nb::handle function, nb::handle python_args, nb::handle python_kwargs,
                       std::vector<std::ptrdiff_t> footprint_shape, nb::bytes footprint_mask, nb::handle output,
                       const std::string &mode, double cval, std::vector<std::ptrdiff_t> origins,
                       nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    Footprint fp;
    fp.shape = std::move(footprint_shape);
    const auto *mask = reinterpret_cast<const std::uint8_t *>(footprint_mask.c_str());
    fp.mask.assign(mask, mask + footprint_mask.size());
    const BoundaryMode m = parse_boundary_mode(mode);
    python::CallbackArg cb = python::callback_arg(function, "function");
    if (cb.is_native()) {
        FilterKernel k = native_kernel<FilterFunction>(*cb.native, "the function of generic_filter");
        run_routine(runs_for(k), workers, [&](int n) { generic_filter(in, k, fp, out, m, cval, origins, n); });
        return;
    }
    // python_args is (buffer, *extra_arguments): the buffer array is reused for every call, as scipy's is.
    double *values = buffer_of(nb::borrow<nb::tuple>(python_args)[0]);
    auto call = [&](double *v, std::intptr_t size, double *result) {
        std::memcpy(values, v, static_cast<std::size_t>(size) * sizeof(double));
        nb::object r = call_python(cb.python, python_args, python_kwargs);
        double x = PyFloat_AsDouble(r.ptr());
        if (x == -1.0 && PyErr_Occurred()) throw nb::python_error();
        *result = x;
        return true;
    };
    FilterKernel k = filter_kernel(call, false);
    k.name = "Python function";
    run_routine(Runs::Python, workers, [&](int n) { generic_filter(in, k, fp, out, m, cval, origins, n); });
}

void py_generic_filter1d(nb::handle input, nb::handle function, nb::handle python_args, nb::handle python_kwargs,
                         std::ptrdiff_t filter_size, int axis, nb::handle output,
                         const std::string &mode, double cval, std::ptrdiff_t origin, nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    const BoundaryMode m = parse_boundary_mode(mode);
    python::CallbackArg cb = python::callback_arg(function, "function");
    if (cb.is_native()) {
        Filter1DKernel k = native_kernel<Filter1DFunction>(*cb.native, "the function of generic_filter1d");
        run_routine(runs_for(k), workers,
                    [&](int n) { generic_filter1d(in, k, filter_size, axis, out, m, cval, origin, n); });
        return;
    }
    // python_args is (input_line, output_line, *extra_arguments).
    nb::tuple args = nb::borrow<nb::tuple>(python_args);
    double *in_line = buffer_of(args[0]);
    double *out_line = buffer_of(args[1]);
    auto call = [&](double *line, std::intptr_t in_length, double *result, std::intptr_t out_length) {
        std::memcpy(in_line, line, static_cast<std::size_t>(in_length) * sizeof(double));
        call_python(cb.python, python_args, python_kwargs);
        std::memcpy(result, out_line, static_cast<std::size_t>(out_length) * sizeof(double));
        return true;
    };
    Filter1DKernel k = filter1d_kernel(call, false);
    k.name = "Python function";
    run_routine(Runs::Python, workers,
                [&](int n) { generic_filter1d(in, k, filter_size, axis, out, m, cval, origin, n); });
}

InterpolationOptions options_from(int order, const std::string &mode, double cval, bool prefilter) {
    InterpolationOptions o;
    check_spline_order(order);
    o.order = order;
    o.mode = parse_boundary_mode(mode);
    o.cval = cval;
    o.prefilter = prefilter;
    return o;
}

void py_geometric_transform(nb::handle input, nb::handle mapping, nb::handle python_args, nb::handle python_kwargs,
                            nb::handle output, int order, const std::string &mode, double cval, bool prefilter,
                            nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    InterpolationOptions o = options_from(order, mode, cval, prefilter);
    python::CallbackArg cb = python::callback_arg(mapping, "mapping");
    if (cb.is_native()) {
        MappingKernel k = native_kernel<MappingFunction>(*cb.native, "the mapping of geometric_transform");
        run_routine(runs_for(k), workers, [&](int n) {
            o.workers = n;
            geometric_transform(in, k, out, o);
        });
        return;
    }
    // As scipy: mapping(output coordinates as a tuple of ints, *extra_arguments, **extra_keywords)
    // returns a sequence of at least input-rank numbers.
    nb::tuple extra = nb::borrow<nb::tuple>(python_args);
    const Py_ssize_t extra_count = static_cast<Py_ssize_t>(extra.size());
    auto call = [&](std::intptr_t *oc, double *ic, int out_rank, int in_rank) {
        nb::object coordinates = nb::steal(PyTuple_New(out_rank));
        if (!coordinates) throw nb::python_error();
        for (int d = 0; d < out_rank; ++d) {
            PyObject *value = PyLong_FromSsize_t(oc[d]);
            if (!value) throw nb::python_error();
            PyTuple_SET_ITEM(coordinates.ptr(), d, value);
        }
        nb::object args = nb::steal(PyTuple_New(1 + extra_count));
        if (!args) throw nb::python_error();
        PyTuple_SET_ITEM(args.ptr(), 0, coordinates.release().ptr());
        for (Py_ssize_t i = 0; i < extra_count; ++i)
            PyTuple_SET_ITEM(args.ptr(), 1 + i, nb::object(extra[i]).release().ptr());
        nb::object result = call_python(cb.python, args, python_kwargs);
        nb::object sequence = nb::steal(PySequence_Fast(result.ptr(), ""));
        if (!sequence || PySequence_Fast_GET_SIZE(sequence.ptr()) < in_rank) {
            PyErr_Clear();
            std::string got = sequence ? std::to_string(PySequence_Fast_GET_SIZE(sequence.ptr())) + " coordinates"
                                       : "a " + nb::cast<std::string>(nb::type_name(result.type()));
            throw nb::type_error(("geometric_transform: the mapping must return a sequence of " +
                                  std::to_string(in_rank) + " input coordinates, got " + got)
                                     .c_str());
        }
        PyObject **items = PySequence_Fast_ITEMS(sequence.ptr());
        for (int d = 0; d < in_rank; ++d) {
            ic[d] = PyFloat_AsDouble(items[d]);
            if (ic[d] == -1.0 && PyErr_Occurred()) throw nb::python_error();
        }
        return true;
    };
    MappingKernel k = mapping_kernel(call, false);
    k.name = "Python mapping";
    run_routine(Runs::Python, workers, [&](int n) {
        o.workers = n;
        geometric_transform(in, k, out, o);
    });
}

/* The routines without a callback: native work that may use every core. */
template <class Work> void run_without_callback(nb::handle workers, InterpolationOptions &o, Work &&work) {
    run_routine(Runs::NativeThreadSafe, workers, [&](int n) {
        o.workers = n;
        work();
    });
}

void py_map_coordinates(nb::handle input, nb::handle coordinates, nb::handle output, int order,
                        const std::string &mode, double cval, bool prefilter, nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView coords = view_of_array(coordinates, "coordinates", false);
    const ArrayView out = view_of_array(output, "output", true);
    InterpolationOptions o = options_from(order, mode, cval, prefilter);
    run_without_callback(workers, o, [&] { map_coordinates(in, coords, out, o); });
}

void py_affine_transform(nb::handle input, std::vector<double> matrix, std::vector<double> offset, nb::handle output,
                         int order, const std::string &mode, double cval, bool prefilter, nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    InterpolationOptions o = options_from(order, mode, cval, prefilter);
    run_without_callback(workers, o, [&] { affine_transform(in, matrix, offset, out, o); });
}

void py_zoom_shift(nb::handle input, std::vector<double> zoom, std::vector<double> shift, bool grid_mode,
                   nb::handle output, int order, const std::string &mode, double cval, bool prefilter,
                   nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    InterpolationOptions o = options_from(order, mode, cval, prefilter);
    run_without_callback(workers, o, [&] { zoom_shift(in, zoom, shift, grid_mode, out, o); });
}

void py_spline_filter1d(nb::handle input, int order, int axis, nb::handle output, const std::string &mode,
                        nb::handle workers) {
    const ArrayView in = view_of_array(input, "input", false);
    const ArrayView out = view_of_array(output, "output", true);
    InterpolationOptions o = options_from(order, mode, 0.0, true);
    run_without_callback(workers, o, [&] { spline_filter1d(in, order, axis, out, o.mode, o.workers); });
}

} // namespace

NB_MODULE(_ndimage, m) {
    m.doc() = "nativecall.ndimage's native layer; use nativecall.ndimage.";
    python::register_error_translators();
    m.def("generic_filter", &py_generic_filter, nb::arg("input"), nb::arg("function"),
          nb::arg("python_args").none(), nb::arg("python_kwargs").none(), nb::arg("footprint_shape"), nb::arg("footprint_mask"), nb::arg("output"),
          nb::arg("mode"), nb::arg("cval"), nb::arg("origins"), nb::arg("workers").none());
    m.def("generic_filter1d", &py_generic_filter1d, nb::arg("input"), nb::arg("function"),
          nb::arg("python_args").none(), nb::arg("python_kwargs").none(), nb::arg("filter_size"),
          nb::arg("axis"), nb::arg("output"), nb::arg("mode"), nb::arg("cval"), nb::arg("origin"),
          nb::arg("workers").none());
    m.def("geometric_transform", &py_geometric_transform, nb::arg("input"), nb::arg("mapping"),
          nb::arg("python_args").none(), nb::arg("python_kwargs").none(), nb::arg("output"),
          nb::arg("order"), nb::arg("mode"), nb::arg("cval"), nb::arg("prefilter"), nb::arg("workers").none());
    m.def("map_coordinates", &py_map_coordinates, nb::arg("input"), nb::arg("coordinates"), nb::arg("output"),
          nb::arg("order"), nb::arg("mode"), nb::arg("cval"), nb::arg("prefilter"), nb::arg("workers").none());
    m.def("affine_transform", &py_affine_transform, nb::arg("input"), nb::arg("matrix"), nb::arg("offset"),
          nb::arg("output"), nb::arg("order"), nb::arg("mode"), nb::arg("cval"), nb::arg("prefilter"),
          nb::arg("workers").none());
    m.def("zoom_shift", &py_zoom_shift, nb::arg("input"), nb::arg("zoom"), nb::arg("shift"), nb::arg("grid_mode"),
          nb::arg("output"), nb::arg("order"), nb::arg("mode"), nb::arg("cval"), nb::arg("prefilter"),
          nb::arg("workers").none());
    m.def("spline_filter1d", &py_spline_filter1d, nb::arg("input"), nb::arg("order"), nb::arg("axis"),
          nb::arg("output"), nb::arg("mode"), nb::arg("workers").none());
    m.def("hardware_workers", &hardware_workers);
}
