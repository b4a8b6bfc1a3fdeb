// ORC JIT engine (ExecutionSession + JITLink): one JIT per process, host-CPU O1-class pipeline emitting object code (vectorised loop entries at O2 with libmvec), explicit libm/helper symbols, one JITDylib per function; cached object code goes to the direct loader first.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/JITLink/EHFrameSupport.h>
#include <llvm/ExecutionEngine/Orc/ExecutorProcessControl.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/PassManager.h>
#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SimpleLoopUnswitch.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/xxhash.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/ADT/StringMap.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define NATIVECALL_HOST_CPUID 1
#endif

#include "../codegen/llvm_module.h"
#include "../codegen/vector_math.h"
#include "engine.h"
#include "object_loader.h"
#include "runtime_symbols.h"
#include "negation_hoisting.h"
#include "store_speculation.h"
#include "nativecall/errors.h"
#include "nativecall/jit/compiler.h"

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

/* Defines the runtime symbols an object file asks for when it is linked, and only those:
   defining all of them up front cost a process's first load more than linking the
   object itself (a cached function calls a handful). */
class RuntimeSymbolGenerator : public llvm::orc::DefinitionGenerator {
public:
    llvm::Error tryToGenerate(llvm::orc::LookupState &, llvm::orc::LookupKind, llvm::orc::JITDylib &dylib,
                              llvm::orc::JITDylibLookupFlags, const llvm::orc::SymbolLookupSet &wanted) override {
        llvm::orc::SymbolMap found;
        for (const auto &[name, flags] : wanted) {
            if (void *address = find_runtime_symbol((*name).str()))
                found[name] = {llvm::orc::ExecutorAddr::fromPtr(address),
                               llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
        }
        return found.empty() ? llvm::Error::success() : dylib.define(llvm::orc::absoluteSymbols(std::move(found)));
    }
};

/* The process's own symbols, searched only when an object file names one that is neither a
   runtime symbol nor an import (a compiler-rt helper): most never do, and opening the
   process's symbol table costs a first load tens of microseconds. */
class ProcessSymbolGenerator : public llvm::orc::DefinitionGenerator {
public:
    llvm::Error tryToGenerate(llvm::orc::LookupState &state, llvm::orc::LookupKind kind, llvm::orc::JITDylib &dylib,
                              llvm::orc::JITDylibLookupFlags flags, const llvm::orc::SymbolLookupSet &wanted) override {
        if (!search_) {
            auto search = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess('\0');
            if (!search)
                return search.takeError();
            search_ = std::move(*search);
        }
        return search_->tryToGenerate(state, kind, dylib, flags, wanted);
    }

private:
    std::unique_ptr<llvm::orc::DynamicLibrarySearchGenerator> search_;
};

std::atomic<std::uint64_t> codegen_counter{0};
std::atomic<std::uint64_t> direct_loads{0}, linked_loads{0};   // object_load_stats()
std::mutex last_declined_mutex;
std::string last_declined;   // under last_declined_mutex

/* The process's target triple (what host_id() names; the JIT takes it from its executor). */
const std::string &process_triple() {
    static const std::string triple = llvm::sys::getProcessTriple();
    return triple;
}

/* The host CPU as JITTargetMachineBuilder::detectHost reads it, read once: the cache key
   needs it before the JIT starts, and code generation needs it again. Features are kept
   as "+name"/"-name" in the order LLVM lists them (fixed for one LLVM build, which the
   host id also names). */
struct Host {
    std::string cpu;
    std::vector<std::string> features;

    static const Host &get() {
        static const Host host = [] {
            Host h;
            h.cpu = llvm::sys::getHostCPUName().str();
            for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
                h.features.push_back((enabled ? "+" : "-") + feature.str());
            return h;
        }();
        return host;
    }
};

/* The process-wide JIT. Optimisation and object emission share one TargetMachine, so
   they, loading and removal run under one mutex; parsing, typing and lowering (most of
   a compile) run in parallel outside it. Each function's object file is linked into a
   JITDylib of its own: object code loaded twice (a cache hit after a compile) defines
   the same symbols twice without clashing, and dropping the JITDylib frees the code. */
class Engine {
public:
    static Engine &instance() {
        static Engine engine;
        return engine;
    }

    std::unique_ptr<JitCode> compile(LlvmCodegenUnit &unit, const std::string &function_symbol,
                                     const std::string &thunk_symbol, int opt_level, bool vectorise = false);
    std::unique_ptr<JitCode> load(const std::string &object, const ImportMap &imports,
                                  const std::string &function_symbol, const std::string &thunk_symbol);

    void remove(llvm::orc::JITDylib &dylib) {
        std::lock_guard<std::recursive_mutex> lock(mutex_);
        llvm::consumeError(session_->removeJITDylib(dylib));
    }

private:
    /* Only what loading object code needs: no TargetMachine, no target registration and no
       IR layers (LLJIT builds all three, a millisecond a process that only loads cached code
       need not spend). Object files are ELF for the host, whose symbols carry no prefix, so
       names are interned as they are. JITLink with eh-frame registration is what LLJIT
       picks on ELF hosts. */
    Engine() {
        session_ = std::make_unique<llvm::orc::ExecutionSession>(
            unwrap(llvm::orc::SelfExecutorProcessControl::Create(), "creating the executor"));
        host_triple_ = session_->getExecutorProcessControl().getTargetTriple();   // the process's triple
        linker_ = std::make_unique<llvm::orc::ObjectLinkingLayer>(*session_);
        /* The code runs in this process: its eh-frames are registered with a direct call,
           not through the executor's serialised wrapper-function calls. */
        linker_->addPlugin(std::make_unique<llvm::orc::EHFrameRegistrationPlugin>(
            *session_, std::make_unique<llvm::jitlink::InProcessEHFrameRegistrar>()));
        main_ = &session_->createBareJITDylib("<main>");
        main_->addGenerator(std::make_unique<RuntimeSymbolGenerator>());
        /* Anything else object code names (compiler-rt helpers) resolves in the process. */
        process_ = &session_->createBareJITDylib("<process symbols>");
        process_->addGenerator(std::make_unique<ProcessSymbolGenerator>());
    }

    ~Engine() { llvm::consumeError(session_->endSession()); }

    /* The host as code generation sees it, made on the first compile. */
    void start_codegen() {
        if (target_machine_)
            return;
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        const Host &detected = Host::get();
        llvm::orc::JITTargetMachineBuilder host{host_triple_};
        host.setCPU(detected.cpu);
        host.addFeatures(detected.features);
        host.setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
        /* What JITLink needs of object code on ELF hosts (calls to far symbols via stubs). */
        host.setRelocationModel(llvm::Reloc::PIC_);
        host.setCodeModel(llvm::CodeModel::Small);
        cpu_ = host.getCPU();
        features_ = host.getFeatures().getString();
        target_machine_ = unwrap(host.createTargetMachine(), "creating the target machine");
        data_layout_ = target_machine_->createDataLayout().getStringRepresentation();
    }

    /* glibc's vector math library (_ZGV* entries such as _ZGVdN4v_exp), which
       vectorised loops call in place of libm. Only those names are taken from it, through
       the main JITDylib every function's JITDylib links against. Opened on the first
       vectorised compile or JITLink load of a loop entry (the direct loader, which loads
       cached code, finds them itself: resolve_object_symbol). True when it resolves. */
    bool libmvec() {
        if (libmvec_tried_)
            return libmvec_;
        libmvec_tried_ = true;
        llvm::Triple triple(host_triple_);
        if (triple.getArch() != llvm::Triple::x86_64 || !triple.isOSLinux())
            return false;
        auto generator = llvm::orc::DynamicLibrarySearchGenerator::Load(
            "libmvec.so.1", '\0',
            [](const llvm::orc::SymbolStringPtr &name) { return (*name).starts_with("_ZGV"); });
        if (!generator) {
            llvm::consumeError(generator.takeError());   // no libmvec: loops call scalar libm
            return false;
        }
        main_->addGenerator(std::move(*generator));
        libmvec_ = true;
        return true;
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
        if (vectorise && libmvec())
            library.addVectorizableFunctionsFromVecLib(llvm::TargetLibraryInfoImpl::LIBMVEC_X86,
                                                       llvm::Triple(module.getTargetTriple()));
        fam.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
        llvm::PassBuilder pb(target_machine_.get(), tuning);
        pb.registerPeepholeEPCallback([vectorise](llvm::FunctionPassManager &passes, llvm::OptimizationLevel) {
            passes.addPass(StoreSpeculationPass());
            /* A mirrored-sum loop's two copies of an even body become one (negation_hoisting.h). */
            if (vectorise) {
                passes.addPass(NegationHoistingPass());
                passes.addPass(llvm::EarlyCSEPass());
            }
        });
        /* A loop-invariant runtime check in the body (carray's NULL check on user_data)
           would keep the loop scalar: unswitch it out of vectorised loops, as O3 does. */
        if (vectorise)
            pb.registerLateLoopOptimizationsEPCallback([](llvm::LoopPassManager &loops, llvm::OptimizationLevel) {
                loops.addPass(llvm::SimpleLoopUnswitchPass(/*NonTrivial=*/true));
            });
        pb.registerModuleAnalyses(mam);
        pb.registerCGSCCAnalyses(cgam);
        pb.registerFunctionAnalyses(fam);
        pb.registerLoopAnalyses(lam);
        pb.crossRegisterProxies(lam, fam, cgam, mam);
        llvm::OptimizationLevel level = opt_level == 1   ? llvm::OptimizationLevel::O1
                                        : opt_level == 2 ? llvm::OptimizationLevel::O2
                                                         : llvm::OptimizationLevel::O3;
        pb.buildPerModuleDefaultPipeline(level).run(module, mam);
        if (vectorise)   // splat constants of the widened loops as memory operands (see vector_math.h)
            for (llvm::Function &f : module)
                load_vector_constants(f);
    }

    std::recursive_mutex mutex_;   // recursive: a failed load frees its code under it
    bool libmvec_tried_ = false, libmvec_ = false;   // libmvec() ran; its symbols resolve in the JIT
    std::string cpu_, features_, data_layout_;   // set by start_codegen
    llvm::Triple host_triple_;
    std::unique_ptr<llvm::TargetMachine> target_machine_;
    std::unique_ptr<llvm::orc::ExecutionSession> session_;   // ended by ~Engine, after the linker
    std::unique_ptr<llvm::orc::ObjectLinkingLayer> linker_;
    llvm::orc::JITDylib *main_ = nullptr;      // the runtime symbols (and libmvec's, once opened)
    llvm::orc::JITDylib *process_ = nullptr;   // the process's own symbols
    std::uint64_t dylib_counter_ = 0;
};

class LoadedCode : public JitCode {
public:
    explicit LoadedCode(llvm::orc::JITDylib &dylib) : dylib_(dylib) {}
    ~LoadedCode() override { Engine::instance().remove(dylib_); }

private:
    llvm::orc::JITDylib &dylib_;
};

std::unique_ptr<JitCode> Engine::compile(LlvmCodegenUnit &unit, const std::string &function_symbol,
                                         const std::string &thunk_symbol, int opt_level, bool vectorise) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    ++codegen_counter;
    start_codegen();
    unit.finish();
    unit.module->setDataLayout(data_layout_);
    unit.module->setTargetTriple(host_triple_.str());
    optimise(*unit.module, opt_level, vectorise);
    /* A loop entry's IR is read by nothing (CompiledFunction::llvm_ir is the scalar
       entry's), and printing its widened code cost a tenth of building it. */
    std::string ir;
    llvm::raw_string_ostream out(ir);
    if (!vectorise)
        unit.module->print(out, nullptr);
    out.flush();
    llvm::orc::SimpleCompiler emit(*target_machine_);
    std::unique_ptr<llvm::MemoryBuffer> object = unwrap(emit(*unit.module), "emitting object code");
    std::unique_ptr<JitCode> code = load(std::string(object->getBufferStart(), object->getBufferSize()),
                                         unit.imports(), function_symbol, thunk_symbol);
    code->optimized_ir = std::move(ir);
    return code;
}

std::unique_ptr<JitCode> Engine::load(const std::string &object, const ImportMap &imports,
                                      const std::string &function_symbol, const std::string &thunk_symbol) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    llvm::orc::JITDylib &dylib = session_->createBareJITDylib("nativecall_code_" + std::to_string(++dylib_counter_));
    auto code = std::make_unique<LoadedCode>(dylib);   // frees the code if anything below throws
    code->object = object;
    code->imports = imports;
    /* Parsed once, into the graph the linker works on (adding a buffer would parse it for
       its symbol table and again to link it); the graph points into the code's copy of the
       bytes. What is not an object file for this host is rejected before the linker sees it. */
    auto graph = llvm::jitlink::createLinkGraphFromObject(llvm::MemoryBufferRef(code->object, function_symbol));
    if (!graph)
        throw Error("JIT: the object code does not parse: " + llvm::toString(graph.takeError()));
    const llvm::Triple &target = (*graph)->getTargetTriple();
    if (target.getArch() != host_triple_.getArch() || !target.isOSBinFormatELF())
        throw Error("JIT: the object code was built for another target than " + host_triple_.str());
    /* A loop entry (no thunk) may call libmvec, whose names the main JITDylib serves once opened. */
    if (thunk_symbol.empty())
        libmvec();
    /* The explicit runtime symbols (the main JITDylib) win over the process's own. */
    dylib.setLinkOrder({{main_, llvm::orc::JITDylibLookupFlags::MatchExportedSymbolsOnly},
                        {process_, llvm::orc::JITDylibLookupFlags::MatchExportedSymbolsOnly}});
    if (!imports.empty()) {
        llvm::orc::SymbolMap bound;
        for (const auto &[symbol, address] : imports)
            bound[session_->intern(symbol)] = {llvm::orc::ExecutorAddr(address),
                                                    llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
        check(dylib.define(llvm::orc::absoluteSymbols(std::move(bound))), "binding the called functions");
    }
    check(linker_->add(dylib, std::move(*graph)), "adding the object code");
    /* One lookup links the object once and finds both symbols (a loop entry has no thunk). */
    llvm::orc::SymbolStringPtr function = session_->intern(function_symbol);
    llvm::orc::SymbolLookupSet wanted(function);
    if (!thunk_symbol.empty())
        wanted.add(session_->intern(thunk_symbol));
    llvm::orc::SymbolMap found = unwrap(
        session_->lookup(llvm::orc::makeJITDylibSearchOrder(&dylib, llvm::orc::JITDylibLookupFlags::MatchAllSymbols),
                         std::move(wanted)),
        "looking up the function");
    code->function = found[function].getAddress().toPtr<void *>();
    if (!thunk_symbol.empty())
        code->thunk = found[session_->intern(thunk_symbol)].getAddress().toPtr<void *>();
    return code;
}

} // namespace

std::unique_ptr<JitCode> load_into_process(std::unique_ptr<CodegenUnit> unit, const std::string &function_symbol,
                                           const std::string &thunk_symbol, int opt_level) {
    auto &llvm_unit = static_cast<LlvmCodegenUnit &>(*unit);
    return Engine::instance().compile(llvm_unit, function_symbol, thunk_symbol, opt_level);
}

std::unique_ptr<JitCode> load_vectorised(std::unique_ptr<CodegenUnit> unit, const std::string &symbol, int opt_level) {
    auto &llvm_unit = static_cast<LlvmCodegenUnit &>(*unit);
    /* O2 at least: the loop vectorizer wants the body inlined and simplified first. */
    return Engine::instance().compile(llvm_unit, symbol, "", std::max(opt_level, 2), true);
}

std::unique_ptr<JitCode> load_object(const std::string &object, const ImportMap &imports,
                                     const std::string &function_symbol, const std::string &thunk_symbol) {
    /* The engine's own objects load without LLVM (no ExecutionSession, not even the Engine:
       a process that only loads cached code never builds one); what the direct loader
       declines is linked as before. */
    std::string declined;
    auto resolve = [&imports](const std::string &name) { return resolve_object_symbol(imports, name); };
    if (std::unique_ptr<JitCode> code = load_elf_object(object, resolve, function_symbol, thunk_symbol, declined)) {
        ++direct_loads;
        code->imports = imports;
        return code;
    }
    {
        std::lock_guard<std::mutex> lock(last_declined_mutex);
        last_declined = declined;
    }
    ++linked_loads;
    return Engine::instance().load(object, imports, function_symbol, thunk_symbol);
}

ObjectLoadStats object_load_stats() {
    ObjectLoadStats stats;
    stats.direct = direct_loads.load();
    stats.linked = linked_loads.load();
    std::lock_guard<std::mutex> lock(last_declined_mutex);
    stats.last_declined = last_declined;
    return stats;
}

std::uint64_t codegen_runs() { return codegen_counter.load(); }

std::uint64_t content_checksum(const void *data, std::size_t size) {
    return llvm::xxh3_64bits(llvm::ArrayRef<std::uint8_t>(static_cast<const std::uint8_t *>(data), size));
}

std::string host_id() {
    const Host &host = Host::get();
    std::string id = "LLVM " LLVM_VERSION_STRING "; " + process_triple() + "; " + host.cpu + ";";
    for (const std::string &feature : host.features)
        id += (&feature == host.features.data() ? " " : ",") + feature;
    return id;
}

std::string host_key() {
#if defined(NATIVECALL_HOST_CPUID) && LLVM_VERSION_MAJOR == 19
    /* The leaves and subleaves LLVM 19's getHostCPUName and getHostCPUFeatures read on x86
       (vendor, family/model, feature flags, xsave, AMX/AVX10/key-locker/ptwrite leaves)
       and XCR0, the OS-enabled register state: what the CPU name and feature list are
       computed from, so the key differs wherever they could. Reading them costs about a
       tenth of what LLVM spends turning them into names. Another LLVM version takes the
       host_id() path until its list is checked here. */
    static const std::string key = [] {
        struct Leaf {
            unsigned leaf, subleaf;
        };
        static const Leaf leaves[] = {{0x0, 0},  {0x1, 0},  {0x7, 0},  {0x7, 1},          {0xd, 1},          {0x14, 0},
                                      {0x19, 0}, {0x24, 0}, {0x80000000, 0}, {0x80000001, 0}, {0x80000008, 0}};
        unsigned max_basic = __get_cpuid_max(0, nullptr), max_extended = __get_cpuid_max(0x80000000, nullptr);
        std::string words;
        unsigned leaf1_ecx = 0;
        /* Eight lower-case hex digits, as %08x (snprintf cost more than the CPUID reads). */
        auto hex = [](std::string &out, unsigned word) {
            for (int shift = 28; shift >= 0; shift -= 4)
                out += "0123456789abcdef"[(word >> shift) & 15u];
        };
        for (const Leaf &l : leaves) {
            unsigned r[4] = {0, 0, 0, 0};
            if (l.leaf <= (l.leaf >= 0x80000000 ? max_extended : max_basic))
                __cpuid_count(l.leaf, l.subleaf, r[0], r[1], r[2], r[3]);
            if (l.leaf == 0x1) {
                r[1] &= 0x00ffffffu;   // EBX bits 24-31: the APIC id of the core this thread runs on
                leaf1_ecx = r[2];
            }
            for (unsigned word : r)
                hex(words, word);
        }
        unsigned xcr0_low = 0, xcr0_high = 0;
        if (max_basic >= 1 && (leaf1_ecx & (1u << 27)))   // OSXSAVE: xgetbv is allowed
            __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
        std::string xcr0;
        hex(xcr0, xcr0_low);
        /* The triple libLLVM was configured for: getProcessTriple() normalises it, at a cost
           above the CPUID reads'. */
        return "LLVM " LLVM_VERSION_STRING "; " LLVM_HOST_TRIPLE "; cpuid " + words + "; xcr0 " + xcr0;
    }();
    return key;
#else
    return host_id();
#endif
}

} // namespace nativecall::jit
