# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# The benchmark kernels as a Cython user writes them for scipy: `cdef api` functions read through __pyx_capi__.
from libc.math cimport exp, cos, INFINITY
from libc.stdint cimport intptr_t


# quad on [1, inf): scipy's `double (double)` integrand.
cdef api double exp_over_t2(double t) noexcept nogil:
    return exp(-t) / (t * t)


# The seed 001 Gaussians: quad's `double (int, double *)` form, xx = (x, a).
cdef api double gaussian(int n, double *xx) noexcept nogil:
    return exp(-xx[1] * xx[0] * xx[0])


# The 3-D nquad integrand, same form: xx = (x, y, z).
cdef api double cube(int n, double *xx) noexcept nogil:
    cdef double x = xx[0], y = xx[1], z = xx[2]
    return exp(-(x * x + y * y + z * z)) * cos(x * y * z)


# The seed 002 generic_filter kernel: the minimum of the footprint's values.
cdef api int nbmin(double *values, intptr_t n, double *result, void *user_data) noexcept nogil:
    cdef double m = INFINITY
    cdef intptr_t i
    for i in range(n):
        if values[i] < m:
            m = values[i]
    result[0] = m
    return 1


# The seed 002 geometric_transform mapping: shift every axis by *user_data.
cdef api int shift_mapping(intptr_t *output_coordinates, double *input_coordinates, int output_rank,
                           int input_rank, void *user_data) noexcept nogil:
    cdef double shift = (<double *>user_data)[0]
    cdef int i
    for i in range(input_rank):
        input_coordinates[i] = output_coordinates[i] - shift
    return 1
