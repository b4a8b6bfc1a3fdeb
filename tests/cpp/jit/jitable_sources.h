// Test support: a jitable helper declared from source text, as the Python side declares one.
#pragma once

#include <memory>
#include <string>

#include "nativecall/jit/compiler.h"

namespace nativecall::jit::test_support {

inline std::shared_ptr<JitableSource> jitable_source(const std::string &name, const std::string &text,
                                                     Globals globals = {}) {
    auto source = std::make_shared<SourceFile>();
    source->text = text;
    source->filename = "helper.py";
    auto helper = std::make_shared<JitableSource>();
    helper->name = name;
    helper->source = std::move(source);
    helper->globals = std::move(globals);
    return helper;
}

} // namespace nativecall::jit::test_support
