// libFuzzer target: any bytes into the signature parser must parse or raise SignatureSyntaxError, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nativecall/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char *>(data), size);
    try {
        nativecall::Signature s = nativecall::parse_signature(text);
        /* Whatever parses must round-trip through both canonical spellings to the same ABI. */
        nativecall::Signature c = nativecall::parse_signature(s.c_spelling());
        nativecall::Signature n = nativecall::parse_signature(s.numba_spelling());
        if (!c.same_abi(s) || !n.same_abi(s)) __builtin_trap();
        (void)s.first_difference(c);
    } catch (const nativecall::SignatureSyntaxError &e) {
        if (e.position() > size) __builtin_trap();  // a position must point into the text
    }
    return 0;
}
