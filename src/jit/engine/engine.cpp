// ORC LLJIT engine: one JIT per process, host-CPU O1-class pipeline, explicit libm/helper symbols, per-function trackers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include "../codegen/llvm_module.h"
#include "engine.h"
#include "nativecall/errors.h"
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
namespace {

template <class T> T unwrap(llvm::Expected<T> value, const char *what) {
    if (!value)
        throw Error(std::string("JIT: ") + what + ": " + llvm::toString(value.takeError()));
    return std::move(*value);
}
void check(llvm::Error error, const char *what) {
    if (error)
        throw Error(std::string("JIT: ") + what + ": " + llvm::toString(std::move(error)));
}

/* Every external symbol compiled code may reference, bound to this process's
   definitions rather than looked up by name (numba's llvmlite may share the process). */
llvm::orc::SymbolMap runtime_symbols(llvm::orc::LLJIT &jit) {
    using D = double (*)(double);
    using DD = double (*)(double, double);
    using F = float (*)(float);
    using FF = float (*)(float, float);
    struct Entry {
        const char *name;
        void *address;
    };
    const Entry entries[] = {
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
    llvm::orc::SymbolMap map;
    for (const Entry &e : entries)
        map[jit.mangleAndIntern(e.name)] = {llvm::orc::ExecutorAddr::fromPtr(e.address),
                                            llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
    return map;
}

/* The process-wide JIT. LLJIT's default compiler shares one TargetMachine, so
   optimisation, compilation and removal run under one mutex; parsing, typing and
   lowering (most of a compile) run in parallel outside it. */
class Engine {
public:
    static Engine &instance() {
        static Engine engine;
        return engine;
    }

    std::unique_ptr<JitCode> load(LlvmCodegenUnit &unit, const std::string &function_symbol,
                                  const std::string &thunk_symbol, int opt_level, bool vectorise = false);

    void remove(llvm::orc::ResourceTrackerSP tracker) {
        std::lock_guard<std::recursive_mutex> lock(mutex_);
        llvm::consumeError(tracker->remove());
    }

private:
    Engine() {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        auto host = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host CPU");
        host.setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
        cpu_ = host.getCPU();
        features_ = host.getFeatures().getString();
        target_machine_ = unwrap(host.createTargetMachine(), "creating the target machine");
        jit_ = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(host)).create(), "creating LLJIT");
        check(jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(runtime_symbols(*jit_))),
              "binding runtime symbols");
        add_libmvec();
    }

    /* glibc's vector math library (_ZGV* entries such as _ZGVdN4v_exp), which
       vectorised loops call in place of libm. Only those names are taken from it. */
    void add_libmvec() {
        llvm::Triple triple(jit_->getTargetTriple());
        if (triple.getArch() != llvm::Triple::x86_64 || !triple.isOSLinux())
            return;
        auto generator = llvm::orc::DynamicLibrarySearchGenerator::Load(
            "libmvec.so.1", jit_->getDataLayout().getGlobalPrefix(),
            [](const llvm::orc::SymbolStringPtr &name) { return (*name).starts_with("_ZGV"); });
        if (!generator) {
            llvm::consumeError(generator.takeError());   // no libmvec: loops call scalar libm
            return;
        }
        jit_->getMainJITDylib().addGenerator(std::move(*generator));
        libmvec_ = true;
    }

    void optimise(llvm::Module &module, int opt_level, bool vectorise) {
        for (llvm::Function &f : module) {
            if (f.isDeclaration())
                continue;
            f.addFnAttr("target-cpu", cpu_);
            f.addFnAttr("target-features", features_);
        }
        if (opt_level <= 0)
            return;
        llvm::LoopAnalysisManager lam;
        llvm::FunctionAnalysisManager fam;
        llvm::CGSCCAnalysisManager cgam;
        llvm::ModuleAnalysisManager mam;
        llvm::PipelineTuningOptions tuning;
        tuning.LoopVectorization = vectorise;
        /* Vectorised loops may call libmvec's variants of libm functions; scalar code never does. */
        llvm::TargetLibraryInfoImpl library(llvm::Triple(module.getTargetTriple()));
        if (vectorise && libmvec_)
            library.addVectorizableFunctionsFromVecLib(llvm::TargetLibraryInfoImpl::LIBMVEC_X86,
                                                       llvm::Triple(module.getTargetTriple()));
        fam.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
        llvm::PassBuilder pb(target_machine_.get(), tuning);
        pb.registerModuleAnalyses(mam);
        pb.registerCGSCCAnalyses(cgam);
        pb.registerFunctionAnalyses(fam);
        pb.registerLoopAnalyses(lam);
        pb.crossRegisterProxies(lam, fam, cgam, mam);
        llvm::OptimizationLevel level = opt_level == 1   ? llvm::OptimizationLevel::O1
                                        : opt_level == 2 ? llvm::OptimizationLevel::O2
                                                         : llvm::OptimizationLevel::O3;
        pb.buildPerModuleDefaultPipeline(level).run(module, mam);
    }

    std::recursive_mutex mutex_;   // recursive: a failed load frees its code under it
    bool libmvec_ = false;         // libmvec's symbols resolve in the JIT
    std::string cpu_, features_;
    std::unique_ptr<llvm::TargetMachine> target_machine_;
    std::unique_ptr<llvm::orc::LLJIT> jit_;
};

class LoadedCode : public JitCode {
public:
    explicit LoadedCode(llvm::orc::ResourceTrackerSP tracker) : tracker_(std::move(tracker)) {}
    ~LoadedCode() override { Engine::instance().remove(tracker_); }

private:
    llvm::orc::ResourceTrackerSP tracker_;
};

std::unique_ptr<JitCode> Engine::load(LlvmCodegenUnit &unit, const std::string &function_symbol,
                                      const std::string &thunk_symbol, int opt_level, bool vectorise) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    unit.finish();
    unit.module->setDataLayout(jit_->getDataLayout());
    unit.module->setTargetTriple(jit_->getTargetTriple().str());
    optimise(*unit.module, opt_level, vectorise);
    std::string ir;
    llvm::raw_string_ostream out(ir);
    unit.module->print(out, nullptr);
    out.flush();

    llvm::orc::ResourceTrackerSP tracker = jit_->getMainJITDylib().createResourceTracker();
    check(jit_->addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(unit.module), std::move(unit.context))),
          "adding the module");
    auto code = std::make_unique<LoadedCode>(tracker);   // frees the code if a lookup below throws
    code->optimized_ir = std::move(ir);
    code->function = unwrap(jit_->lookup(function_symbol), "looking up the function").toPtr<void *>();
    if (!thunk_symbol.empty())
        code->thunk = unwrap(jit_->lookup(thunk_symbol), "looking up the thunk").toPtr<void *>();
    return code;
}

} // namespace

std::unique_ptr<JitCode> load_into_process(std::unique_ptr<CodegenUnit> unit, const std::string &function_symbol,
                                           const std::string &thunk_symbol, int opt_level) {
    auto &llvm_unit = static_cast<LlvmCodegenUnit &>(*unit);
    return Engine::instance().load(llvm_unit, function_symbol, thunk_symbol, opt_level);
}

std::unique_ptr<JitCode> load_vectorised(std::unique_ptr<CodegenUnit> unit, const std::string &symbol, int opt_level) {
    auto &llvm_unit = static_cast<LlvmCodegenUnit &>(*unit);
    /* O2 at least: the loop vectorizer wants the body inlined and simplified first. */
    return Engine::instance().load(llvm_unit, symbol, "", std::max(opt_level, 2), true);
}

} // namespace nativecall::jit
