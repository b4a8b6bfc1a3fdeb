// The JIT's syntax tree for the Python subset it compiles; type inference annotates it in place.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nativecall/jit/diagnostics.h"
#include "nativecall/jit/types.h"

namespace nativecall::jit {

/* Expressions share one node shape: the kind says which fields mean what.
   Operators keep their Python spelling ("+", "//", "<") in `text`: that spelling
   is the key the typing and lowering registries look operators up by. */
struct Expr {
    enum class Kind : std::uint8_t {
        Name,       // text = identifier
        Int,        // int_value
        Float,      // float_value
        Bool,       // int_value 0/1
        NoneLit,
        String,     // text = contents (only meaningful as a docstring)
        BinOp,      // text = operator, operands = {left, right}
        UnaryOp,    // text = "-", "+", "~", "not"; operands = {operand}
        BoolOp,     // text = "and"/"or"; operands = 2 or more
        Compare,    // operands = n+1 values, compare_ops = n operators (a < b <= c)
        Call,       // operands = {callee, positional args...}; keywords = named args
        Attribute,  // text = attribute name, operands = {object}
        Subscript,  // operands = {object, index}
        Tuple,      // operands = elements
        IfExp,      // operands = {condition, then, else}
    };

    Kind kind;
    SourceLocation loc;
    std::string text;
    std::int64_t int_value = 0;
    double float_value = 0.0;
    std::vector<std::unique_ptr<Expr>> operands;
    std::vector<std::string> compare_ops;
    std::vector<std::pair<std::string, std::unique_ptr<Expr>>> keywords;

    /* Filled by type inference. */
    TypeRef type = nullptr;

    Expr(Kind k, SourceLocation where) : kind(k), loc(where) {}
};
using ExprPtr = std::unique_ptr<Expr>;

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind : std::uint8_t {
        Assign,     // targets (a = b = value: several), value
        AugAssign,  // targets[0] op= value; text = operator without '=' ("+")
        ExprStmt,   // value
        If,         // value = condition, body, orelse (elif is a nested If in orelse)
        While,      // value = condition, body
        For,        // targets[0] = loop variable(s), value = iterable, body
        Return,     // value (may be null)
        Break,
        Continue,
        Pass,
    };

    Kind kind;
    SourceLocation loc;
    std::string text;
    std::vector<ExprPtr> targets;
    ExprPtr value;
    Block body;
    Block orelse;

    Stmt(Kind k, SourceLocation where) : kind(k), loc(where) {}
};

struct FunctionDef {
    std::string name;
    SourceLocation loc;
    std::vector<std::string> params;
    std::vector<SourceLocation> param_locs;
    Block body;
};

/* A parsed source: its top-level functions (imports and decorators are accepted
   and ignored: their effect reaches the compiler through the globals snapshot). */
struct Module {
    std::shared_ptr<const SourceFile> source;
    std::vector<FunctionDef> functions;
};

} // namespace nativecall::jit
