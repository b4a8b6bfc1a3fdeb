// The constants of the loop entries' exp (vector_math.h) and a scalar model of the IR emit_exp builds, so tests can check both the fused and the unfused formulas on any host.
#pragma once

#include <cstdint>
#include <cstring>

namespace nativecall::jit::exp_kernel {

constexpr double kLog2e = 0x1.71547652b82fep0;   // 1/ln2 rounded
/* 1.5 * 2^52: adding it rounds to an integer and leaves that integer in the low bits. */
constexpr double kShifter = 0x1.8p52;
/* ln2 split so that n * kLn2Hi is exact for |n| < 2^21 (21 trailing zero bits), which
   keeps x - n * kLn2Hi exact with or without FMA; kLn2Lo is the rest of ln2. */
constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
/* Beyond these, exp is 0 (below 2^-1075, half the smallest subnormal, from -745.14 on)
   or +inf (above DBL_MAX, from 709.79 on): below the low one the result is set to 0
   (without scaling into an underflow), above the high one x is clamped, which keeps n
   within what the scaling handles and lets +inf take the ordinary path. NaN passes both. */
constexpr double kClampLow = -746.0;
constexpr double kClampHigh = 710.0;
/* exp(r) = 1 + r * Q(r) on |r| <= 0.34658 (ln2/2 plus what rounding n may add), Q of
   degree 10: a Chebyshev fit of expm1(r)/r in 50-digit arithmetic, rounded to doubles.
   Its relative error with these rounded coefficients is below 0.09 * 2^-53, so the
   result's error is dominated by the last roundings. Highest degree first. */
constexpr double kQ[] = {
    0x1.af4ddfbb33a59p-26, 0x1.28a2c273b03b8p-22, 0x1.71de02364614ap-19, 0x1.a019a668bb4f4p-16,
    0x1.a01a01abe683ap-13, 0x1.6c16c17f44310p-10, 0x1.11111111100dep-7,  0x1.55555555520adp-5,
    0x1.5555555555557p-3,  0x1.0000000000005p-1,  0x1.0p0,
};
constexpr int kQDegree = static_cast<int>(sizeof kQ / sizeof kQ[0]) - 1;
/* Q's 8 highest coefficients are evaluated by Estrin's scheme (pairs, then r^2 and r^4
   combine them) and the remaining 3 by Horner: the Estrin part's rounding is scaled
   by r^3 <= 0.042, so the result is as accurate as Horner's, with a shorter chain. */
constexpr int kQEstrinTerms = 8;
/* 2^n is applied as 2^(n - m) * 2^m with m = 60 for x >= 0 and -60 for x < 0: both
   factors are normal for every n the clamps allow (-1076 .. 1024), the first product
   is exact, and the second rounds once, into +inf or a subnormal when the result is one. */
constexpr int kSplit = 60;

/* The same operations as emit_exp, in the same order, on one double; `mul_add(a, m, c)`
   is a * m + c rounded once (fma) or twice. For tests: the IR's result equals this one
   bit for bit when the mul_add matches the host's. */
template <class MulAdd> double exp_model(double x, MulAdd mul_add) {
    const bool zero_result = x < kClampLow;   // computed as exp(0), then zeroed
    double xc = zero_result ? 0.0 : x;
    xc = xc > kClampHigh ? kClampHigh : xc;
    const double t = mul_add(xc, kLog2e, kShifter);
    const double n = t - kShifter;
    double r = mul_add(n, -kLn2Hi, xc);
    r = mul_add(n, -kLn2Lo, r);
    const double r2 = r * r, r4 = r2 * r2;
    double pairs[4];
    for (int k = 0; k < 4; ++k)
        pairs[k] = mul_add(kQ[2 * k], r, kQ[2 * k + 1]);
    double q = mul_add(mul_add(pairs[0], r2, pairs[1]), r4, mul_add(pairs[2], r2, pairs[3]));
    for (int k = kQEstrinTerms; k <= kQDegree; ++k)
        q = mul_add(q, r, kQ[k]);
    const double p = mul_add(q, r, 1.0);
    std::uint64_t t_bits, x_bits;
    std::memcpy(&t_bits, &t, sizeof t);
    std::memcpy(&x_bits, &xc, sizeof xc);
    const std::uint64_t bias = (x_bits >> 63) ? std::uint64_t(1023 + kSplit) << 52 : std::uint64_t(1023 - kSplit) << 52;
    const std::uint64_t first_bits = (t_bits << 52) + bias, second_bits = (std::uint64_t(2046) << 52) - bias;
    double first, second;
    std::memcpy(&first, &first_bits, sizeof first);
    std::memcpy(&second, &second_bits, sizeof second);
    return zero_result ? 0.0 : p * first * second;
}

} // namespace nativecall::jit::exp_kernel
