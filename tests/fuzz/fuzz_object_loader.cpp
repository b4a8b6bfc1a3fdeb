// libFuzzer target: forged and mutated object files through the direct object loader; only nativecall::Error may escape, and loaded code is never run.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/object_loader.h"
#include "engine/runtime_symbols.h"
#include "nativecall/errors.h"

using namespace nativecall;
using namespace nativecall::jit;

namespace {

/* What a cached function's imports would point at; never called. */
extern "C" double fuzz_import_target(double x) { return x; }

/* The bytes up to the next newline (consumed), for the symbol names that open an input. */
std::string take_line(const std::uint8_t *&data, std::size_t &size) {
    const void *end = std::memchr(data, '\n', size);
    std::size_t length = end ? static_cast<const std::uint8_t *>(end) - data : size;
    std::string line(reinterpret_cast<const char *>(data), length);
    std::size_t taken = end ? length + 1 : length;
    data += taken;
    size -= taken;
    return line;
}

} // namespace

/* An input is "<function symbol>\n<thunk symbol>\n<object file>" (tests/fuzz/corpus/fuzz_object_loader
   holds real cache objects in that form). */
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string function_symbol = take_line(data, size);
    std::string thunk_symbol = take_line(data, size);
    std::string object(reinterpret_cast<const char *>(data), size);
    ObjectSymbolResolver resolve = [](const std::string &name) -> void * {
        if (name.rfind("nativecall_import_", 0) == 0)
            return reinterpret_cast<void *>(&fuzz_import_target);
        return resolve_object_symbol(ImportMap{}, name);
    };
    for (bool direct : {true, false}) {   // calls patched direct, then every one through its stub
        ObjectLoaderOptions options;
        options.direct_external_calls = direct;
        std::string declined;
        try {
            std::unique_ptr<JitCode> code = load_elf_object(object, resolve, function_symbol, thunk_symbol, declined, options);
            if (!code && declined.empty())
                __builtin_trap();   // a decline must say why
            if (code && (!code->function || (!thunk_symbol.empty() && !code->thunk)))
                __builtin_trap();   // loaded code has the symbols it was asked for
        } catch (const Error &) {
        }
    }
    return 0;
}
