// libFuzzer target: random and mutated sources through the JIT frontend and type inference; only CompileError may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nativecall/jit/compiler.h"
#include "nativecall/jit/frontend.h"

using namespace nativecall;
using namespace nativecall::jit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    auto source = std::make_shared<SourceFile>();
    source->text.assign(reinterpret_cast<const char *>(data), size);
    source->filename = "<fuzz>";
    try {
        auto module = std::make_shared<Module>(parse_module(source));
        if (module->functions.empty())
            return 0;
        /* Type the first function as float64 of float64s, with the globals a cfunc usually sees,
           so the typing registries run on whatever the parser accepted. */
        std::string params;
        for (std::size_t i = 0; i < module->functions[0].params.size(); ++i)
            params += i ? ", double" : "double";
        Globals globals;
        globals["math"] = GlobalValue::of_module("math");
        globals["np"] = GlobalValue::of_module("numpy");
        globals["carray"] = GlobalValue::of_function("carray");
        globals["K"] = GlobalValue::of_constant(ConstantValue{std::int64_t{3}});
        infer_types(module, module->functions[0].name, parse_signature("double (" + params + ")"), globals);
    } catch (const CompileError &) {
    } catch (const SignatureSyntaxError &) {   // parameter lists too long for a signature are fine to reject
    }
    return 0;
}
