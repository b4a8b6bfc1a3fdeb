// QNG: non-adaptive Gauss-Kronrod-Patterson quadrature (10, 21, 43 and 87 points), for smooth integrands.
#include <algorithm>
#include <cmath>
#include <limits>

#include "subdivision.h"

namespace nativecall::integrate {

namespace {

/* The nested Patterson rules on [-1, 1], each reusing every node of the one
   before (Piessens et al., QUADPACK; computed to 101 digits by L. W. Fullerton).
   Nodes are the positive abscissae; each is used at +x and -x. */
/* Nodes of the 10-point Gauss rule, shared by all four rules. */
constexpr double kNodes10[5] = {
    0.973906528517171720077964012084452, 0.865063366688984510732096688423493, 0.679409568299024406234327365114874,
    0.433395394129247190799265943165784, 0.148874338981631210884826001129720};
/* 10-point Gauss weights. */
constexpr double kWeights10[5] = {
    0.066671344308688137593568809893332, 0.149451349150580593145776339657697, 0.219086362515982043995534934228163,
    0.269266719309996355091226921569469, 0.295524224714752870173892994651338};
/* Nodes added by the 21-point Kronrod rule. */
constexpr double kNodes21[5] = {
    0.995657163025808080735527280689003, 0.930157491355708226001207180059508, 0.780817726586416897063717578345042,
    0.562757134668604683339000099272694, 0.294392862701460198131126603103866};
/* 21-point weights of kNodes10. */
constexpr double kWeights21Old[5] = {
    0.032558162307964727478818972459390, 0.075039674810919952767043140916190, 0.109387158802297641899210590325805,
    0.134709217311473325928054001771707, 0.147739104901338491374841515972068};
/* 21-point weights of kNodes21, then of the centre. */
constexpr double kWeights21New[6] = {
    0.011694638867371874278064396062192, 0.054755896574351996031381300244580, 0.093125454583697605535065465083366,
    0.123491976262065851077958109831074, 0.142775938577060080797094273138717, 0.149445554002916905664936468389821};
/* Nodes added by the 43-point rule. */
constexpr double kNodes43[11] = {
    0.999333360901932081394099323919911, 0.987433402908088869795961478381209, 0.954807934814266299257919200290473,
    0.900148695748328293625099494069092, 0.825198314983114150847066732588520, 0.732148388989304982612354848755461,
    0.622847970537725238641159120344323, 0.499479574071056499952214885499755, 0.364901661346580768043989548502644,
    0.222254919776601296498260928066212, 0.074650617461383322043914435796506};
/* 43-point weights of kNodes10 and kNodes21. */
constexpr double kWeights43Old[10] = {
    0.016296734289666564924281974617663, 0.037522876120869501461613795898115, 0.054694902058255442147212685465005,
    0.067355414609478086075553166302174, 0.073870199632393953432140695251367, 0.005768556059769796184184327908655,
    0.027371890593248842081276069289151, 0.046560826910428830743339154433824, 0.061744995201442564496240336030883,
    0.071387267268693397768559114425516};
/* 43-point weights of kNodes43, then of the centre. */
constexpr double kWeights43New[12] = {
    0.001844477640212414100389106552965, 0.010798689585891651740465406741293, 0.021895363867795428102523123075149,
    0.032597463975345689443882222526137, 0.042163137935191811847627924327955, 0.050741939600184577780189020092084,
    0.058379395542619248375475369330206, 0.064746404951445885544689259517511, 0.069566197912356484528633315038405,
    0.072824441471833208150939535192842, 0.074507751014175118273571813842889, 0.074722147517403005594425168280423};
/* Nodes added by the 87-point rule. */
constexpr double kNodes87[22] = {
    0.999902977262729234490529830591582, 0.997989895986678745427496322365960, 0.992175497860687222808523352251425,
    0.981358163572712773571916941623894, 0.965057623858384619128284110607926, 0.943167613133670596816416634507426,
    0.915806414685507209591826430720050, 0.883221657771316501372117548744163, 0.845710748462415666605902011504855,
    0.803557658035230982788739474980964, 0.757005730685495558328942793432020, 0.706273209787321819824094274740840,
    0.651589466501177922534422205016736, 0.593223374057961088875273770349144, 0.531493605970831932285268948562671,
    0.466763623042022844871966781659270, 0.399424847859218804732101665817923, 0.329874877106188288265053371824597,
    0.258503559202161551802280975429025, 0.185695396568346652015917141167606, 0.111842213179907468172398359241362,
    0.037352123394619870814998165437704};
/* 87-point weights of kNodes10, kNodes21 and kNodes43. */
constexpr double kWeights87Old[21] = {
    0.008148377384149172900002878448190, 0.018761438201562822243935059003794, 0.027347451050052286161582829741283,
    0.033677707311637930046581056957588, 0.036935099820427907614589586742499, 0.002884872430211530501334156248695,
    0.013685946022712701888950035273128, 0.023280413502888311123409291030404, 0.030872497611713358675466394126442,
    0.035693633639418770719351355457044, 0.000915283345202241360843392549948, 0.005399280219300471367738743391053,
    0.010947679601118931134327826856808, 0.016298731696787335262665703223280, 0.021081568889203835112433060188190,
    0.025370969769253827243467999831710, 0.029189697756475752501446154084920, 0.032373202467202789685788194889595,
    0.034783098950365142750781997949596, 0.036412220731351787562801163687577, 0.037253875503047708539592001191226};
/* 87-point weights of kNodes87, then of the centre. */
constexpr double kWeights87New[23] = {
    0.000274145563762072350016527092881, 0.001807124155057942948341311753254, 0.004096869282759164864458070683480,
    0.006758290051847378699816577897424, 0.009549957672201646536053581325377, 0.012329447652244853694626639963780,
    0.015010447346388952376697286041943, 0.017548967986243191099665352925900, 0.019938037786440888202278192730714,
    0.022194935961012286796332102959499, 0.024339147126000805470360647041454, 0.026374505414839207241503786552615,
    0.028286910788771200659968002987960, 0.030052581128092695322521110347341, 0.031646751371439929404586051078883,
    0.033050413419978503290785944862689, 0.034255099704226061787082821046821, 0.035262412660156681033782717998428,
    0.036076989622888701185500318003895, 0.036698604498456094498018047441094, 0.037120549269832576114119958413599,
    0.037334228751935040321235449094698, 0.037361073762679023410321241766599};

/* f(centre + h x) + f(centre - h x) for each node x: one call of the integrand for all of them. */
template <std::size_t N>
void sample_pairs(const Integrand &f, double centre, double half, const double (&nodes)[N], double *right,
                  double *left) {
    double x[2 * N], fx[2 * N];
    for (std::size_t k = 0; k < N; ++k) {
        x[k] = centre + half * nodes[k];
        x[N + k] = centre - half * nodes[k];
    }
    f(x, fx, 2 * N);
    for (std::size_t k = 0; k < N; ++k) {
        right[k] = fx[k];
        left[k] = fx[N + k];
    }
}

} // namespace

Result qng(const Integrand &f, double a, double b, const Options &options) {
    constexpr double epmach = std::numeric_limits<double>::epsilon();
    constexpr double uflow = std::numeric_limits<double>::min();
    Result out;
    if (detail::tolerances_invalid(options.epsabs, options.epsrel)) {
        out.ier = InvalidInput;
        return out;
    }
    const double half = 0.5 * (b - a), abs_half = std::fabs(half), centre = 0.5 * (b + a);
    const auto tolerance = [&](double value) { return std::max(options.epsabs, options.epsrel * std::fabs(value)); };

    /* Stage 1: the 21 points of the Kronrod rule, which contain the 10-point Gauss rule. */
    double centre_value;
    f(&centre, &centre_value, 1);
    double r10[5], l10[5], r21[5], l21[5];
    sample_pairs(f, centre, half, kNodes10, r10, l10);
    sample_pairs(f, centre, half, kNodes21, r21, l21);
    double pairs[21];  // f(c + h x) + f(c - h x) over the nodes used so far, in rule order
    double res10 = 0.0, res21 = kWeights21New[5] * centre_value, resabs = kWeights21New[5] * std::fabs(centre_value);
    for (int k = 0; k < 5; ++k) {
        pairs[k] = r10[k] + l10[k];
        pairs[5 + k] = r21[k] + l21[k];
        res10 += kWeights10[k] * pairs[k];
        res21 += kWeights21Old[k] * pairs[k] + kWeights21New[k] * pairs[5 + k];
        resabs += kWeights21Old[k] * (std::fabs(r10[k]) + std::fabs(l10[k])) +
                  kWeights21New[k] * (std::fabs(r21[k]) + std::fabs(l21[k]));
    }
    /* resasc: the rule applied to |f - mean f|, the scale of the error estimate. */
    const double mean = 0.5 * res21;
    double resasc = kWeights21New[5] * std::fabs(centre_value - mean);
    for (int k = 0; k < 5; ++k)
        resasc += kWeights21Old[k] * (std::fabs(r10[k] - mean) + std::fabs(l10[k] - mean)) +
                  kWeights21New[k] * (std::fabs(r21[k] - mean) + std::fabs(l21[k] - mean));
    resabs *= abs_half;
    resasc *= abs_half;

    /* QUADPACK's error estimate from the difference of two consecutive rules. */
    const auto estimate = [&](double finer, double coarser) {
        double err = std::fabs((finer - coarser) * half);
        if (resasc != 0.0 && err != 0.0) err = resasc * std::min(1.0, std::pow(200.0 * err / resasc, 1.5));
        if (resabs > uflow / (50.0 * epmach)) err = std::max(50.0 * epmach * resabs, err);
        return err;
    };
    out.neval = 21;
    out.value = res21 * half;
    out.abserr = estimate(res21, res10);
    if (out.abserr <= tolerance(out.value)) return out;

    /* Stage 2: 22 more points for the 43-point rule. */
    double r43[11], l43[11];
    sample_pairs(f, centre, half, kNodes43, r43, l43);
    double res43 = kWeights43New[11] * centre_value;
    for (int k = 0; k < 10; ++k) res43 += kWeights43Old[k] * pairs[k];
    for (int k = 0; k < 11; ++k) {
        pairs[10 + k] = r43[k] + l43[k];
        res43 += kWeights43New[k] * pairs[10 + k];
    }
    out.neval = 43;
    out.value = res43 * half;
    out.abserr = estimate(res43, res21);
    if (out.abserr <= tolerance(out.value)) return out;

    /* Stage 3: 44 more points for the 87-point rule. */
    double r87[22], l87[22];
    sample_pairs(f, centre, half, kNodes87, r87, l87);
    double res87 = kWeights87New[22] * centre_value;
    for (int k = 0; k < 21; ++k) res87 += kWeights87Old[k] * pairs[k];
    for (int k = 0; k < 22; ++k) res87 += kWeights87New[k] * (r87[k] + l87[k]);
    out.neval = 87;
    out.value = res87 * half;
    out.abserr = estimate(res87, res43);
    /* QUADPACK's "no convergence" for QNG, from its test as written (abserr <= tolerance),
       so a NaN error is not taken for convergence. */
    if (!(out.abserr <= tolerance(out.value))) out.ier = SubdivisionLimit;
    return out;
}

} // namespace nativecall::integrate
