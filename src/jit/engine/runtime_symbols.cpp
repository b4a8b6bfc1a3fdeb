// The runtime symbol table compiled code links against, shared by the JITLink engine and the direct object loader.
#include <cmath>
#include <cstring>

#include <dlfcn.h>

#include "runtime_symbols.h"
#include "nativecall/runtime/error_record.h"

/* Python's int ** int with 64-bit wrapping; negative exponents record an error (see compiler.h). */
extern "C" std::int64_t nativecall_jit_ipow(std::int64_t base, std::int64_t exponent) {
    if (exponent < 0) {
        nativecall::record_runtime_error(nativecall::RuntimeErrorCode::NegativePower);
        return 0;
    }
    std::uint64_t result = 1, b = static_cast<std::uint64_t>(base);
    auto e = static_cast<std::uint64_t>(exponent);
    while (e) {
        if (e & 1)
            result *= b;
        b *= b;
        e >>= 1;
    }
    return static_cast<std::int64_t>(result);
}

/* lgamma writes the global `signgam`; the reentrant form keeps compiled code thread-safe. */
extern "C" double nativecall_jit_lgamma(double x) {
    int sign = 0;
    return lgamma_r(x, &sign);
}

namespace nativecall::jit {

const std::vector<RuntimeSymbol> &runtime_symbols() {
    using D = double (*)(double);
    using DD = double (*)(double, double);
    using F = float (*)(float);
    using FF = float (*)(float, float);
    static const std::vector<RuntimeSymbol> entries = {
        {"exp", reinterpret_cast<void *>(static_cast<D>(std::exp))},
        {"expm1", reinterpret_cast<void *>(static_cast<D>(std::expm1))},
        {"exp2", reinterpret_cast<void *>(static_cast<D>(std::exp2))},
        {"log", reinterpret_cast<void *>(static_cast<D>(std::log))},
        {"log1p", reinterpret_cast<void *>(static_cast<D>(std::log1p))},
        {"log10", reinterpret_cast<void *>(static_cast<D>(std::log10))},
        {"log2", reinterpret_cast<void *>(static_cast<D>(std::log2))},
        {"sqrt", reinterpret_cast<void *>(static_cast<D>(std::sqrt))},
        {"sin", reinterpret_cast<void *>(static_cast<D>(std::sin))},
        {"cos", reinterpret_cast<void *>(static_cast<D>(std::cos))},
        {"tan", reinterpret_cast<void *>(static_cast<D>(std::tan))},
        {"asin", reinterpret_cast<void *>(static_cast<D>(std::asin))},
        {"acos", reinterpret_cast<void *>(static_cast<D>(std::acos))},
        {"atan", reinterpret_cast<void *>(static_cast<D>(std::atan))},
        {"atan2", reinterpret_cast<void *>(static_cast<DD>(std::atan2))},
        {"sinh", reinterpret_cast<void *>(static_cast<D>(std::sinh))},
        {"cosh", reinterpret_cast<void *>(static_cast<D>(std::cosh))},
        {"tanh", reinterpret_cast<void *>(static_cast<D>(std::tanh))},
        {"asinh", reinterpret_cast<void *>(static_cast<D>(std::asinh))},
        {"acosh", reinterpret_cast<void *>(static_cast<D>(std::acosh))},
        {"atanh", reinterpret_cast<void *>(static_cast<D>(std::atanh))},
        {"erf", reinterpret_cast<void *>(static_cast<D>(std::erf))},
        {"erfc", reinterpret_cast<void *>(static_cast<D>(std::erfc))},
        {"tgamma", reinterpret_cast<void *>(static_cast<D>(std::tgamma))},
        {"hypot", reinterpret_cast<void *>(static_cast<DD>(std::hypot))},
        {"pow", reinterpret_cast<void *>(static_cast<DD>(std::pow))},
        {"fmod", reinterpret_cast<void *>(static_cast<DD>(std::fmod))},
        {"floor", reinterpret_cast<void *>(static_cast<D>(std::floor))},
        {"ceil", reinterpret_cast<void *>(static_cast<D>(std::ceil))},
        {"trunc", reinterpret_cast<void *>(static_cast<D>(std::trunc))},
        {"rint", reinterpret_cast<void *>(static_cast<D>(std::rint))},
        {"fabs", reinterpret_cast<void *>(static_cast<D>(std::fabs))},
        {"copysign", reinterpret_cast<void *>(static_cast<DD>(std::copysign))},
        {"floorf", reinterpret_cast<void *>(static_cast<F>(std::floor))},
        {"ceilf", reinterpret_cast<void *>(static_cast<F>(std::ceil))},
        {"truncf", reinterpret_cast<void *>(static_cast<F>(std::trunc))},
        {"rintf", reinterpret_cast<void *>(static_cast<F>(std::rint))},
        {"fmodf", reinterpret_cast<void *>(static_cast<FF>(std::fmod))},
        {"powf", reinterpret_cast<void *>(static_cast<FF>(std::pow))},
        /* What LLVM may turn intrinsics and libcalls into: float variants, and sin+cos → sincos. */
        {"expf", reinterpret_cast<void *>(static_cast<F>(std::exp))},
        {"exp2f", reinterpret_cast<void *>(static_cast<F>(std::exp2))},
        {"logf", reinterpret_cast<void *>(static_cast<F>(std::log))},
        {"log2f", reinterpret_cast<void *>(static_cast<F>(std::log2))},
        {"log10f", reinterpret_cast<void *>(static_cast<F>(std::log10))},
        {"sinf", reinterpret_cast<void *>(static_cast<F>(std::sin))},
        {"cosf", reinterpret_cast<void *>(static_cast<F>(std::cos))},
        {"fmin", reinterpret_cast<void *>(static_cast<DD>(std::fmin))},
        {"fmax", reinterpret_cast<void *>(static_cast<DD>(std::fmax))},
        {"sincos", reinterpret_cast<void *>(&::sincos)},
        {"sincosf", reinterpret_cast<void *>(&::sincosf)},
        {"memcpy", reinterpret_cast<void *>(&std::memcpy)},
        {"memmove", reinterpret_cast<void *>(&std::memmove)},
        {"memset", reinterpret_cast<void *>(&std::memset)},
        {"nativecall_record_runtime_error", reinterpret_cast<void *>(&nativecall_record_runtime_error)},
        {"nativecall_jit_ipow", reinterpret_cast<void *>(&nativecall_jit_ipow)},
        {"nativecall_jit_lgamma", reinterpret_cast<void *>(&nativecall_jit_lgamma)},
    };
    return entries;
}

void *find_runtime_symbol(const std::string &name) {
    for (const RuntimeSymbol &entry : runtime_symbols())
        if (name == entry.name)
            return entry.address;
    return nullptr;
}

void *find_process_symbol(const std::string &name) {
    /* The global scope, as a process's own symbol search sees it (dlopen(NULL)): the
       executable and what it loaded with RTLD_GLOBAL, which is where compiler-rt's and
       libgcc's helpers live. */
    return dlsym(RTLD_DEFAULT, name.c_str());
}

/* glibc's vector math library, whose _ZGV* entries (_ZGVdN4v_sin) a vectorised loop entry
   may call: opened on the first such name a loaded object asks for (the engine opens it
   for its own compiles), so code that calls none never loads it. */
static void *find_vector_math_symbol(const std::string &name) {
    static void *const library = dlopen("libmvec.so.1", RTLD_LAZY | RTLD_LOCAL);
    return library ? dlsym(library, name.c_str()) : nullptr;
}

void *resolve_object_symbol(const ImportMap &imports, const std::string &name) {
    auto import = imports.find(name);
    if (import != imports.end())
        return reinterpret_cast<void *>(import->second);
    if (void *runtime = find_runtime_symbol(name))
        return runtime;
    if (name.rfind("_ZGV", 0) == 0)
        if (void *vector_math = find_vector_math_symbol(name))
            return vector_math;
    return find_process_symbol(name);
}

} // namespace nativecall::jit
