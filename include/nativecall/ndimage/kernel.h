// Kernel: a user callback as ndimage routines call it (C function pointer + user_data), and wrappers for C++ callables.
#pragma once

#include <cstdint>
#include <string>

namespace nativecall::ndimage {

/* scipy's generic_filter callback: reads `filter_size` values (the footprint's
   elements in C order), writes one result; returns 0 on failure, nonzero on success. */
using FilterFunction = int(double *buffer, std::intptr_t filter_size, double *return_value, void *user_data);

/* scipy's generic_filter1d callback: the input line carries filter_size-1 extra
   samples of boundary extension; returns 0 on failure. */
using Filter1DFunction = int(double *input_line, std::intptr_t input_length, double *output_line,
                             std::intptr_t output_length, void *user_data);

/* scipy's geometric_transform callback: output coordinates in, input
   coordinates out; returns 0 on failure. */
using MappingFunction = int(std::intptr_t *output_coordinates, double *input_coordinates, int output_rank,
                            int input_rank, void *user_data);

/* A kernel: a C function pointer and its user_data, plus a name for messages
   and whether it may run on several threads at once. */
template <class Fn> struct Kernel {
    Fn *function = nullptr;
    void *user_data = nullptr;
    std::string name = "callback";
    bool thread_safe = false;
};
using FilterKernel = Kernel<FilterFunction>;
using Filter1DKernel = Kernel<Filter1DFunction>;

/* Wraps a C++ callable (a lambda returning bool or int) as a kernel. The
   callable must outlive the kernel. Exceptions it throws propagate out of the
   routine unchanged. */
template <class F> FilterKernel filter_kernel(F &callable, bool thread_safe = true) {
    FilterKernel k;
    k.function = [](double *buffer, std::intptr_t size, double *result, void *data) -> int {
        return (*static_cast<F *>(data))(buffer, size, result) ? 1 : 0;
    };
    k.user_data = &callable;
    k.name = "C++ callable";
    k.thread_safe = thread_safe;
    return k;
}
template <class F> Filter1DKernel filter1d_kernel(F &callable, bool thread_safe = true) {
    Filter1DKernel k;
    k.function = [](double *in, std::intptr_t in_length, double *out, std::intptr_t out_length, void *data) -> int {
        return (*static_cast<F *>(data))(in, in_length, out, out_length) ? 1 : 0;
    };
    k.user_data = &callable;
    k.name = "C++ callable";
    k.thread_safe = thread_safe;
    return k;
}

template <class F> Kernel<MappingFunction> mapping_kernel(F &callable, bool thread_safe = true) {
    Kernel<MappingFunction> k;
    k.function = [](std::intptr_t *out, double *in, int out_rank, int in_rank, void *data) -> int {
        return (*static_cast<F *>(data))(out, in, out_rank, in_rank) ? 1 : 0;
    };
    k.user_data = &callable;
    k.name = "C++ callable";
    k.thread_safe = thread_safe;
    return k;
}
using MappingKernel = Kernel<MappingFunction>;

} // namespace nativecall::ndimage
