// JIT frontend: tokenizer and recursive-descent parser for the compiled Python subset.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nativecall/jit/ast.h"

namespace nativecall::jit {

struct Token {
    enum class Kind : std::uint8_t { Name, Int, Float, String, Op, Newline, Indent, Dedent, End };
    Kind kind;
    std::string text;          // identifier, operator, number spelling, or string contents
    SourceLocation loc;
};

/* Python's tokenization of `source`: NEWLINE only at logical line ends (not inside
   brackets or after a backslash), INDENT/DEDENT from indentation, comments dropped.
   Throws CompileError on inconsistent dedents, unterminated strings, stray characters. */
std::vector<Token> tokenize(const std::shared_ptr<const SourceFile> &source);

/* Parse a whole source. Throws CompileError naming what was found and what was
   expected, or naming an unsupported construct ("lambda is not supported"). */
Module parse_module(const std::shared_ptr<const SourceFile> &source);

/* The function called `name` in `module` (or the only one, when name is empty);
   throws CompileError when it is missing or ambiguous. */
const FunctionDef &select_function(const Module &module, const std::string &name);

} // namespace nativecall::jit
