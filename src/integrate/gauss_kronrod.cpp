// Gauss-Kronrod 15- and 21-point rules: nodes, weights and QUADPACK's error estimate.
#include "gauss_kronrod.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace nativecall::integrate::detail {

namespace {

/* Inlined into each machine-specific copy of the infinite-range rule, so each is
   compiled for its target, and the error estimate into the rules. */
#if defined(__GNUC__)
#define NATIVECALL_RULE_INLINE inline __attribute__((always_inline))
#else
#define NATIVECALL_RULE_INLINE inline
#endif

/* A symmetric Kronrod rule on [-1, 1]: positive nodes in decreasing order
   (odd positions are the embedded Gauss nodes), then the centre. */
template <int M> struct KronrodRule {
    double node[M];         // positive Kronrod nodes; node[1], node[3], ... are Gauss nodes
    double weight[M + 1];   // Kronrod weights; weight[M] belongs to the centre
    double gauss[M / 2];    // Gauss weights of node[1], node[3], ...
    double gauss_centre;    // Gauss weight of the centre (0 when the Gauss rule has no centre node)
};

constexpr KronrodRule<10> kRule21 = {
    {0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
     0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
     0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
     0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
     0.294392862701460198131126603103866, 0.148874338981631210884826001129720},
    {0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
     0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
     0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
     0.123491976262065851077208980235290, 0.134709217311473325928054001771707,
     0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
     0.149445554002916905664936468389821},
    {0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
     0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
     0.295524224714752870173892994651338},
    0.0,
};

constexpr KronrodRule<7> kRule15 = {
    {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
     0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
     0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
     0.207784955007898467600689403773245},
    {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
     0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
     0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
     0.204432940075298892414161999234649, 0.209482141084727828012999174891714},
    {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
     0.381830050505118944950369775488975},
    0.417959183673469387755102040816327,
};

/* The 15-point rule with the 16-digit constants QUADPACK's weighted rule
   (qk15w) uses; kept distinct so weighted results round as QUADPACK's do. */
constexpr KronrodRule<7> kRule15Weighted = {
    {0.9914553711208126, 0.9491079123427585, 0.8648644233597691, 0.7415311855993944, 0.5860872354676911,
     0.4058451513773972, 0.2077849550078985},
    {0.2293532201052922e-01, 0.6309209262997855e-01, 0.1047900103222502, 0.1406532597155259,
     0.1690047266392679, 0.1903505780647854, 0.2044329400752989, 0.2094821410847278},
    {0.1294849661688697, 0.2797053914892767, 0.3818300505051189},
    0.4179591836734694,
};

/* Summation order of the node pairs: QUADPACK's finite-range rules add the
   Gauss nodes first, its infinite-range rule adds the nodes in order. Kept so
   results agree with QUADPACK's to the last bit. */
enum class Order { GaussFirst, Natural };

/* Abscissae of a rule on [centre - half, centre + half] in the order
   centre, then (centre - half*node[j], centre + half*node[j]) for each j. */
template <int M>
NATIVECALL_RULE_INLINE void place_nodes(const KronrodRule<M> &rule, double centre, double half, double *x) {
    x[0] = centre;
    for (int j = 0; j < M; ++j) {
        double offset = half * rule.node[j];
        x[1 + 2 * j] = centre - offset;
        x[2 + 2 * j] = centre + offset;
    }
}

/* Combines values laid out as place_nodes lays out abscissae. */
template <int M>
NATIVECALL_RULE_INLINE RuleResult combine(const KronrodRule<M> &rule, const double *fx, double half,
                                          Order order = Order::GaussFirst) {
    double centre_value = fx[0];
    double kronrod = rule.weight[M] * centre_value;
    double gauss = rule.gauss_centre * centre_value;
    double resabs = std::fabs(kronrod);
    auto add_pair = [&](int j) {
        double left = fx[1 + 2 * j], right = fx[2 + 2 * j];
        if (j % 2 == 1) gauss += rule.gauss[j / 2] * (left + right);
        kronrod += rule.weight[j] * (left + right);
        resabs += rule.weight[j] * (std::fabs(left) + std::fabs(right));
    };
    if (order == Order::Natural) {
        for (int j = 0; j < M; ++j) add_pair(j);
    } else {
        for (int j = 1; j < M; j += 2) add_pair(j);
        for (int j = 0; j < M; j += 2) add_pair(j);
    }
    double mean = kronrod * 0.5;
    double resasc = rule.weight[M] * std::fabs(centre_value - mean);
    for (int j = 0; j < M; ++j)
        resasc += rule.weight[j] * (std::fabs(fx[1 + 2 * j] - mean) + std::fabs(fx[2 + 2 * j] - mean));
    return kronrod_estimate(kronrod, gauss, resabs, resasc, half);
}

/* The rule on K intervals [ends[k], ends[k + 1]] with one integrand call for all
   their nodes (fewer, fuller calls for a vectorised integrand); each interval's
   result is what a call of its own gives. */
template <int M, int K>
void apply(const KronrodRule<M> &rule, const Integrand &f, const double (&ends)[K + 1], RuleResult (&out)[K]) {
    constexpr int n = 2 * M + 1;
    double x[K * n], fx[K * n], half[K];
    for (int k = 0; k < K; ++k) {
        half[k] = 0.5 * (ends[k + 1] - ends[k]);
        place_nodes(rule, 0.5 * (ends[k] + ends[k + 1]), half[k], x + k * n);
    }
    f(x, fx, K * n);
    for (int k = 0; k < K; ++k) out[k] = combine(rule, fx + k * n, half[k]);
}

template <int M> RuleResult apply(const KronrodRule<M> &rule, const Integrand &f, double a, double b) {
    double x[2 * M + 1], fx[2 * M + 1];
    const double half = 0.5 * (b - a);
    place_nodes(rule, 0.5 * (a + b), half, x);
    f(x, fx, 2 * M + 1);
    return combine(rule, fx, half);
}

} // namespace

/* With FMA in hardware the fma calls become single instructions (a contracted
   product there only makes the estimate of q^1.5 more accurate). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(NATIVECALL_NO_TARGET_CLONES)
__attribute__((target_clones("fma", "default")))
#endif
double pow_three_halves(double q) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
    /* glibc's pow (2.28 on) is within 0.54 ulp of x^y. q^1.5 = q sqrt(q) is formed
       here to about 2^-100 relative; when it lies within 0.45 ulp of a double whose
       neighbours are therefore more than 0.54 ulp away, that double is the only
       value pow can return, and it is returned without calling pow (0.45 leaves a
       margin of 0.01 ulp, far above the 2^-100 of the estimate). */
    if (q >= 0x1p-500 && q < 1.0) {
        const double s = std::sqrt(q);
        /* q - s^2 is a double when s is the correctly rounded square root, so one
           fused operation gives it exactly (a shorter chain than q - s s in two parts). */
        const double residual = std::fma(-s, s, q);
        const double h = q * s;
        /* q^1.5 = h + tail: the rounding of q s, plus q times sqrt(q) - s ≈ residual / 2s,
           i.e. residual s / 2 (q / s^2 = 1 + O(2^-52) and residual = O(2^-53 q), so the
           relative difference is O(2^-105); no division on this path, which ends every rule). */
        const double tail = std::fma(q, s, -h) + residual * (0.5 * s);
        const double y = h + tail;
        const double distance = (h - y) + tail;   // q^1.5 - y
        std::uint64_t bits;
        std::memcpy(&bits, &y, sizeof bits);
        constexpr std::uint64_t exponent_bits = 0x7ff0000000000000ull, mantissa_bits = 0x000fffffffffffffull;
        if ((bits & mantissa_bits) != 0) {   // not a power of two: the same spacing on both sides
            const std::uint64_t ulp_bits = (bits & exponent_bits) - (std::uint64_t{52} << 52);   // y >= 2^-750
            double ulp;
            std::memcpy(&ulp, &ulp_bits, sizeof ulp);
            if (std::fabs(distance) <= 0.45 * ulp) return y;
        }
    }
#endif
    return std::pow(q, 1.5);
}

namespace {

NATIVECALL_RULE_INLINE RuleResult estimate(double kronrod, double gauss, double resabs, double resasc,
                                           double half_length) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    constexpr double uflow = std::numeric_limits<double>::min();
    double scale = std::fabs(half_length);
    RuleResult r;
    r.result = kronrod * half_length;
    r.resabs = resabs * scale;
    r.resasc = resasc * scale;
    r.abserr = std::fabs((kronrod - gauss) * half_length);
    /* QUADPACK's empirical scaling: the raw Kronrod-Gauss difference is very
       pessimistic for smooth integrands, so it is mapped through (200 e / asc)^1.5. */
    if (r.resasc != 0.0 && r.abserr != 0.0) {
        /* pow(q, 1.5) >= 1 when q >= 1, and min(1, pow(NaN, 1.5)) is 1: pow is
           needed only below 1, which keeps it off the early, coarse rules. */
        const double q = 200.0 * r.abserr / r.resasc;
        r.abserr = r.resasc * (q < 1.0 ? std::min(1.0, pow_three_halves(q)) : 1.0);
    }
    /* Never claim more accuracy than the arithmetic supports. */
    if (r.resabs > uflow / (50.0 * epmach)) r.abserr = std::max(epmach * 50.0 * r.resabs, r.abserr);
    return r;
}

} // namespace

RuleResult kronrod_estimate(double kronrod, double gauss, double resabs, double resasc, double half_length) {
    return estimate(kronrod, gauss, resabs, resasc, half_length);
}

RuleResult gauss_kronrod_21(const Integrand &f, double a, double b) { return apply(kRule21, f, a, b); }

void gauss_kronrod_21_halves(const Integrand &f, double a, double middle, double b, RuleResult &left,
                             RuleResult &right) {
    RuleResult out[2];
    apply(kRule21, f, {a, middle, b}, out);
    left = out[0];
    right = out[1];
}

RuleResult gauss_kronrod_15(const Integrand &f, double a, double b) { return apply(kRule15, f, a, b); }

namespace {

/* The integrand at x[0, n): f(x), or for a `Summed` rule f(x) + f(-x) (Integrand::mirrored_sum). */
template <bool Summed>
NATIVECALL_RULE_INLINE void sample(const Integrand &f, const double *x, double *fx, std::size_t n) {
    if (Summed)
        f.mirrored_sum(x, fx, n);
    else
        f(x, fx, n);
}

/* A rule's weights with each repeated K times (node-major, as the K-interval
   rule lays out its nodes), so products with them run as one flat loop. */
template <int M, int K> struct RepeatedWeights {
    double weight[M * K];
    constexpr explicit RepeatedWeights(const KronrodRule<M> &rule) : weight() {
        for (int i = 0; i < M * K; ++i) weight[i] = rule.weight[i / K];
    }
};

/* QUADPACK's qk15i on K intervals [ends[k], ends[k + 1]] at once, with one
   integrand call for all their nodes. The nodes are laid out node-major: [the K
   centres, left node 0 of each interval, left node 1 of each, ..., then the right
   nodes likewise], so the transform, the folding of f(x) + f(-x), the pair sums and
   the products with the weights are flat loops the compiler vectorises, and the
   running sums of the K intervals advance together, one vector add per node. Each
   interval's sums still add in QUADPACK's order, so every value rounds as QUADPACK's
   does. `Inf` is QUADPACK's inf; 2 samples the mirrored points in the same call as
   the points themselves, or with `Summed` asks the integrand for f(x) + f(-x)
   (Integrand::mirrored_sum), the same values. */
template <int Inf, int K, bool Summed = false>
NATIVECALL_RULE_INLINE void kronrod_15_infinite(const Integrand &f, double bound, const double (&ends)[K + 1],
                                                RuleResult (&out)[K]) {
    constexpr bool mirrored = Inf == 2 && !Summed;
    constexpr int n = kGaussKronrod15Points, m = 7, all = K * n, sides = K * m;
    const KronrodRule<m> &rule = kRule15;
    static constexpr RepeatedWeights<m, K> repeated(kRule15);
    const double *weight = repeated.weight;
    const double sign = Inf == -1 ? -1.0 : 1.0;
    double t[all], x[2 * all], fx[2 * all], g[all], half[K], centre[K];
    double *left_t = t + K, *right_t = t + K + sides;
    for (int k = 0; k < K; ++k) {
        centre[k] = 0.5 * (ends[k] + ends[k + 1]);
        half[k] = 0.5 * (ends[k + 1] - ends[k]);
        t[k] = centre[k];
    }
    for (int j = 0; j < m; ++j)
        for (int k = 0; k < K; ++k) {
            const double offset = half[k] * rule.node[j];
            left_t[j * K + k] = centre[k] - offset;
            right_t[j * K + k] = centre[k] + offset;
        }
    for (int i = 0; i < all; ++i) x[i] = bound + sign * (1.0 - t[i]) / t[i];
    if (mirrored)
        for (int i = 0; i < all; ++i) x[all + i] = -x[i];
    sample<Summed>(f, x, fx, mirrored ? 2 * all : all);
    /* dx = dt / t^2 on the mapped range; the two halves of the real line fold together. */
    if (mirrored)
        for (int i = 0; i < all; ++i) g[i] = (fx[i] + fx[all + i]) / t[i] / t[i];
    else
        for (int i = 0; i < all; ++i) g[i] = fx[i] / t[i] / t[i];

    const double *left = g + K, *right = g + K + sides;
    double pair[sides], kronrod_term[sides], abs_term[sides];
    for (int i = 0; i < sides; ++i) {
        pair[i] = left[i] + right[i];
        kronrod_term[i] = weight[i] * pair[i];
        abs_term[i] = weight[i] * (std::fabs(left[i]) + std::fabs(right[i]));
    }
    double kronrod[K], gauss[K], resabs[K];
    for (int k = 0; k < K; ++k) {
        kronrod[k] = rule.weight[m] * g[k];
        gauss[k] = rule.gauss_centre * g[k];
        resabs[k] = std::fabs(kronrod[k]);
    }
    for (int j = 0; j < m; ++j)   // qk15i adds the pairs in node order
        for (int k = 0; k < K; ++k) {
            kronrod[k] += kronrod_term[j * K + k];
            resabs[k] += abs_term[j * K + k];
        }
    for (int j = 1; j < m; j += 2)
        for (int k = 0; k < K; ++k) gauss[k] += rule.gauss[j / 2] * pair[j * K + k];
    double mean[sides], deviation_term[sides], resasc[K];
    for (int i = 0; i < sides; ++i) mean[i] = kronrod[i % K] * 0.5;
    for (int i = 0; i < sides; ++i)
        deviation_term[i] = weight[i] * (std::fabs(left[i] - mean[i]) + std::fabs(right[i] - mean[i]));
    for (int k = 0; k < K; ++k) resasc[k] = rule.weight[m] * std::fabs(g[k] - mean[k]);
    for (int j = 0; j < m; ++j)
        for (int k = 0; k < K; ++k) resasc[k] += deviation_term[j * K + k];
    for (int k = 0; k < K; ++k) out[k] = estimate(kronrod[k], gauss[k], resabs[k], resasc[k], half[k]);
}

/* The infinite-range rules in vector types where the compiler has them (GCC 12 and
   Clang); the loops above otherwise, and in the test build that checks those loops
   bit for bit too (NATIVECALL_NO_VECTOR_RULES). */
#if defined(__has_builtin) && !defined(NATIVECALL_NO_VECTOR_RULES)
#if __has_builtin(__builtin_shufflevector)
#define NATIVECALL_PAIR_RULE_IN_VECTORS 1
#endif
#endif

#ifdef NATIVECALL_PAIR_RULE_IN_VECTORS
/* Two intervals in one register: lane k of a Pair belongs to interval k, and a
   Quad holds one node's left points of both intervals, then its right points. */
typedef double Pair __attribute__((vector_size(16)));
typedef double Quad __attribute__((vector_size(32)));
typedef long long QuadBits __attribute__((vector_size(32)));

NATIVECALL_RULE_INLINE Quad magnitude(Quad v) {
    return (Quad)((QuadBits)v & QuadBits{0x7fffffffffffffffll, 0x7fffffffffffffffll, 0x7fffffffffffffffll,
                                         0x7fffffffffffffffll});
}
NATIVECALL_RULE_INLINE Pair magnitude(Pair v) { return Pair{std::fabs(v[0]), std::fabs(v[1])}; }
NATIVECALL_RULE_INLINE Pair left_points(Quad v) { return __builtin_shufflevector(v, v, 0, 1); }
NATIVECALL_RULE_INLINE Pair right_points(Quad v) { return __builtin_shufflevector(v, v, 2, 3); }
NATIVECALL_RULE_INLINE Quad both_sides(Pair v) { return __builtin_shufflevector(v, v, 0, 1, 0, 1); }

/* A quad of nodes t mapped onto the range, x = bound + sign (1 - t) / t, stored at `x`
   and, for inf = 2 unless the integrand sums the mirrors itself (`Summed`), its
   mirror -x stored `mirror_at` entries further on. */
template <int Inf, bool Summed>
NATIVECALL_RULE_INLINE void place_quad(double bound, Quad t, double *x, int mirror_at) {
    const double sign = Inf == -1 ? -1.0 : 1.0;
    const Quad mapped = bound + sign * (1.0 - t) / t;
    std::memcpy(x, &mapped, sizeof mapped);
    if (Inf == 2 && !Summed) {
        const Quad mirrored = -mapped;
        std::memcpy(x + mirror_at, &mirrored, sizeof mirrored);
    }
}

/* The transformed integrand at those nodes from the values placed as place_quad
   placed the points: dx = dt / t^2, and for inf = 2 the two halves of the real
   line fold together, f(x) + f(-x) (already summed by a `Summed` integrand). */
template <int Inf, bool Summed>
NATIVECALL_RULE_INLINE Quad folded_quad(const double *fx, int mirror_at, Quad t) {
    Quad values;
    std::memcpy(&values, fx, sizeof values);
    if (Inf == 2 && !Summed) {
        Quad mirrored;
        std::memcpy(&mirrored, fx + mirror_at, sizeof mirrored);
        values = values + mirrored;
    }
    return values / t / t;
}

/* kronrod_15_infinite<Inf, 2> written in vectors: the same operations on the same
   values in the same order (so the same bits), with each node's four points (left
   and right, both intervals) in one register from the transform to the sums. The
   compiler's own vectorisation of the flat loops shuffled between pair and quad
   layouts through the stack (~500 instructions a call).
   The integrand sees the points in the order of the registers: for each node its
   quad [left of interval 0, left of 1, right of 0, right of 1], for inf = 2 followed
   by the quad's mirror, and the two centres (and their mirrors) last. Every quad then
   lies where a 4-wide integrand (the JIT's loop entry) loads and stores one, so its
   loads are forwarded from these stores and the folded values load in one piece. */
template <int Inf, bool Summed>
NATIVECALL_RULE_INLINE void kronrod_15_infinite_pair(const Integrand &f, double bound, const double (&ends)[3],
                                                     RuleResult (&out)[2]) {
    constexpr bool mirrored = Inf == 2 && !Summed;
    constexpr int m = 7, stride = mirrored ? 8 : 4, centres_at = m * stride, count = centres_at + stride / 2;
    const KronrodRule<m> &rule = kRule15;
    const double sign = Inf == -1 ? -1.0 : 1.0;
    const Pair centre = {0.5 * (ends[0] + ends[1]), 0.5 * (ends[1] + ends[2])};
    const Pair half = {0.5 * (ends[1] - ends[0]), 0.5 * (ends[2] - ends[1])};
    const Quad centre4 = both_sides(centre), half4 = both_sides(half);
    Quad t[m];
    double x[count], fx[count];
    /* centre - half node on the left, centre + half node on the right: half (-node)
       is -(half node) exactly, so the sum rounds as the difference does. */
    for (int j = 0; j < m; ++j) t[j] = centre4 + half4 * Quad{-rule.node[j], -rule.node[j], rule.node[j], rule.node[j]};
    for (int j = 0; j < m; ++j) place_quad<Inf, Summed>(bound, t[j], x + j * stride, 4);
    const Pair centre_x = bound + sign * (1.0 - centre) / centre;
    if (mirrored) {
        const Quad both = __builtin_shufflevector(centre_x, -centre_x, 0, 1, 2, 3);
        std::memcpy(x + centres_at, &both, sizeof both);
    } else {
        std::memcpy(x + centres_at, &centre_x, sizeof centre_x);
    }
    sample<Summed>(f, x, fx, count);

    /* dx = dt / t^2 on the mapped range; the two halves of the real line fold together. */
    Pair g_centre;
    std::memcpy(&g_centre, fx + centres_at, sizeof g_centre);
    if (mirrored) {
        Pair mirrored;
        std::memcpy(&mirrored, fx + centres_at + 2, sizeof mirrored);
        g_centre = g_centre + mirrored;
    }
    g_centre = g_centre / centre / centre;
    Quad g[m];
    for (int j = 0; j < m; ++j) g[j] = folded_quad<Inf, Summed>(fx + j * stride, 4, t[j]);

    Pair kronrod = rule.weight[m] * g_centre;
    Pair gauss = rule.gauss_centre * g_centre;
    Pair resabs = magnitude(kronrod);
    for (int j = 0; j < m; ++j) {   // qk15i adds the pairs in node order
        const Pair pair = left_points(g[j]) + right_points(g[j]);
        const Quad size = magnitude(g[j]);
        kronrod += rule.weight[j] * pair;
        resabs += rule.weight[j] * (left_points(size) + right_points(size));
        if (j % 2 == 1) gauss += rule.gauss[j / 2] * pair;
    }
    const Pair mean = kronrod * 0.5;
    const Quad mean4 = both_sides(mean);
    Pair resasc = rule.weight[m] * magnitude(g_centre - mean);
    for (int j = 0; j < m; ++j) {
        const Quad deviation = magnitude(g[j] - mean4);
        resasc += rule.weight[j] * (left_points(deviation) + right_points(deviation));
    }
    for (int k = 0; k < 2; ++k) out[k] = estimate(kronrod[k], gauss[k], resabs[k], resasc[k], half[k]);
}
/* kronrod_15_infinite<Inf, 1> in vectors, on the same plan as the two-interval rule:
   quad i holds nodes 2i and 2i + 1, [left 2i, left 2i + 1, right 2i, right 2i + 1],
   and the last one node 6 and the centre, [left 6, centre, right 6, centre] (the
   centre's offset is half * 0, so the lane is the centre exactly). The integrand
   sees each quad (and for inf = 2 its mirror) in turn, the last with its repeated
   centre left out: 15 or 30 points, as the rule evaluates them. */
template <int Inf, bool Summed>
NATIVECALL_RULE_INLINE RuleResult kronrod_15_infinite_one(const Integrand &f, double bound, double a, double b) {
    constexpr bool mirrored = Inf == 2 && !Summed;
    constexpr int m = 7, quads = 4, stride = mirrored ? 8 : 4;
    constexpr int count = mirrored ? 2 * kGaussKronrod15Points : kGaussKronrod15Points;
    const KronrodRule<m> &rule = kRule15;
    const double centre = 0.5 * (a + b), half = 0.5 * (b - a);
    Quad t[quads];
    for (int i = 0; i + 1 < quads; ++i) {
        const double near = rule.node[2 * i], far = rule.node[2 * i + 1];
        t[i] = centre + half * Quad{-near, -far, near, far};
    }
    t[quads - 1] = centre + half * Quad{-rule.node[m - 1], 0.0, rule.node[m - 1], 0.0};
    /* Room for the last quad's fourth lane (and its mirror's), which the integrand
       neither sees nor fills. */
    double x[count + 1], fx[count + 1];
    /* The last quad's mirror overwrites its repeated centre. */
    auto mirror_at = [](int i) { return i + 1 < quads ? 4 : 3; };
    for (int i = 0; i < quads; ++i) place_quad<Inf, Summed>(bound, t[i], x + i * stride, mirror_at(i));
    fx[count] = 0.0;
    sample<Summed>(f, x, fx, count);

    Quad g[quads];
    for (int i = 0; i < quads; ++i) g[i] = folded_quad<Inf, Summed>(fx + i * stride, mirror_at(i), t[i]);

    /* The sums in qk15i's order: node by node, the centre first. */
    const Quad &edge = g[quads - 1];
    const double g_centre = edge[1];
    double kronrod = rule.weight[m] * g_centre;
    double gauss = rule.gauss_centre * g_centre;
    double resabs = std::fabs(kronrod);
    for (int i = 0; i + 1 < quads; ++i) {
        const Pair weight = {rule.weight[2 * i], rule.weight[2 * i + 1]};
        const Pair pair = left_points(g[i]) + right_points(g[i]);
        const Quad size = magnitude(g[i]);
        const Pair kronrod_term = weight * pair, abs_term = weight * (left_points(size) + right_points(size));
        kronrod += kronrod_term[0];
        kronrod += kronrod_term[1];
        resabs += abs_term[0];
        resabs += abs_term[1];
        gauss += rule.gauss[i] * pair[1];   // node 2i + 1 is the Gauss rule's node i
    }
    kronrod += rule.weight[m - 1] * (edge[0] + edge[2]);
    resabs += rule.weight[m - 1] * (std::fabs(edge[0]) + std::fabs(edge[2]));
    const double mean = kronrod * 0.5;
    double resasc = rule.weight[m] * std::fabs(g_centre - mean);
    for (int i = 0; i + 1 < quads; ++i) {
        const Pair weight = {rule.weight[2 * i], rule.weight[2 * i + 1]};
        const Quad deviation = magnitude(g[i] - mean);
        const Pair deviation_term = weight * (left_points(deviation) + right_points(deviation));
        resasc += deviation_term[0];
        resasc += deviation_term[1];
    }
    resasc += rule.weight[m - 1] * (std::fabs(edge[0] - mean) + std::fabs(edge[2] - mean));
    return estimate(kronrod, gauss, resabs, resasc, half);
}
#endif

template <int K>
NATIVECALL_RULE_INLINE void kronrod_15_infinite(const Integrand &f, double bound, int inf,
                                                const double (&ends)[K + 1], RuleResult (&out)[K]) {
    const bool summed = inf == 2 && f.has_mirrored_sum();
#ifdef NATIVECALL_PAIR_RULE_IN_VECTORS
    if constexpr (K == 1) {
        if (summed) out[0] = kronrod_15_infinite_one<2, true>(f, bound, ends[0], ends[1]);
        else if (inf == 2) out[0] = kronrod_15_infinite_one<2, false>(f, bound, ends[0], ends[1]);
        else if (inf == -1) out[0] = kronrod_15_infinite_one<-1, false>(f, bound, ends[0], ends[1]);
        else out[0] = kronrod_15_infinite_one<1, false>(f, bound, ends[0], ends[1]);
        return;
    }
    if constexpr (K == 2) {
        if (summed) return kronrod_15_infinite_pair<2, true>(f, bound, ends, out);
        if (inf == 2) return kronrod_15_infinite_pair<2, false>(f, bound, ends, out);
        if (inf == -1) return kronrod_15_infinite_pair<-1, false>(f, bound, ends, out);
        return kronrod_15_infinite_pair<1, false>(f, bound, ends, out);
    }
#endif
    if (summed) return kronrod_15_infinite<2, K, true>(f, bound, ends, out);
    if (inf == 2) return kronrod_15_infinite<2, K>(f, bound, ends, out);
    if (inf == -1) return kronrod_15_infinite<-1, K>(f, bound, ends, out);
    return kronrod_15_infinite<1, K>(f, bound, ends, out);
}

} // namespace

/* The whole-array loops above run twice as wide with AVX (both entry points): where the compiler and
   the loader support it, a copy of the rule for AVX machines is picked once at load
   time. Only plain IEEE operations are widened (no fused multiply-add, which would
   round differently), so both copies give identical results. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(NATIVECALL_NO_TARGET_CLONES)
__attribute__((target_clones("avx", "default")))
#endif
RuleResult gauss_kronrod_15_infinite(const Integrand &f, double bound, int inf, double a, double b) {
    RuleResult out[1];
    kronrod_15_infinite<1>(f, bound, inf, {a, b}, out);
    return out[0];
}

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(NATIVECALL_NO_TARGET_CLONES)
__attribute__((target_clones("avx", "default")))
#endif
void gauss_kronrod_15_infinite_halves(const Integrand &f, double bound, int inf, double a, double middle, double b,
                                      RuleResult &left, RuleResult &right) {
    RuleResult out[2];
    kronrod_15_infinite<2>(f, bound, inf, {a, middle, b}, out);
    left = out[0];
    right = out[1];
}

RuleResult gauss_kronrod_15_weighted(const Integrand &f, double (*weight)(double x, const double *params),
                                     const double *params, double a, double b) {
    constexpr int n = kGaussKronrod15Points;
    double x[n], fx[n], wfx[n];
    double centre = 0.5 * (a + b), half = 0.5 * (b - a);
    place_nodes(kRule15Weighted, centre, half, x);
    f(x, fx, n);
    for (int i = 0; i < n; ++i) wfx[i] = fx[i] * weight(x[i], params);
    /* The Kronrod and Gauss sums use w*f; QUADPACK's qk15w measures resasc
       against the weighted mean too, which `combine` does. */
    return combine(kRule15Weighted, wfx, half);
}

} // namespace nativecall::integrate::detail
