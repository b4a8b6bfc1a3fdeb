// Frontend tests: tokenization (indentation, numbers, strings), parsing with Python precedence, and error reports.
#include <gtest/gtest.h>

#include <algorithm>

#include "nativecall/jit/frontend.h"

namespace nativecall::jit {
namespace {

std::shared_ptr<const SourceFile> source(const std::string &text) {
    auto file = std::make_shared<SourceFile>();
    file->text = text;
    file->filename = "test.py";
    file->first_line = 10;
    return file;
}

std::vector<Token::Kind> kinds(const std::string &text) {
    std::vector<Token::Kind> out;
    for (const Token &t : tokenize(source(text)))
        out.push_back(t.kind);
    return out;
}

/* A compact rendering of an expression tree, to compare parses against Python's grouping. */
std::string show(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Name: return e.text;
    case Expr::Kind::Int: return std::to_string(e.int_value);
    case Expr::Kind::Float: return std::to_string(e.float_value);
    case Expr::Kind::Bool: return e.int_value ? "True" : "False";
    case Expr::Kind::NoneLit: return "None";
    case Expr::Kind::String: return "'" + e.text + "'";
    case Expr::Kind::BinOp: return "(" + show(*e.operands[0]) + " " + e.text + " " + show(*e.operands[1]) + ")";
    case Expr::Kind::UnaryOp: return "(" + e.text + " " + show(*e.operands[0]) + ")";
    case Expr::Kind::BoolOp: {
        std::string s = "(" + show(*e.operands[0]);
        for (std::size_t i = 1; i < e.operands.size(); ++i)
            s += " " + e.text + " " + show(*e.operands[i]);
        return s + ")";
    }
    case Expr::Kind::Compare: {
        std::string s = "(" + show(*e.operands[0]);
        for (std::size_t i = 0; i < e.compare_ops.size(); ++i)
            s += " " + e.compare_ops[i] + " " + show(*e.operands[i + 1]);
        return s + ")";
    }
    case Expr::Kind::Call: {
        std::string s = show(*e.operands[0]) + "(";
        for (std::size_t i = 1; i < e.operands.size(); ++i)
            s += (i > 1 ? ", " : "") + show(*e.operands[i]);
        for (const auto &[k, v] : e.keywords)
            s += ", " + k + "=" + show(*v);
        return s + ")";
    }
    case Expr::Kind::Attribute: return show(*e.operands[0]) + "." + e.text;
    case Expr::Kind::Subscript: return show(*e.operands[0]) + "[" + show(*e.operands[1]) + "]";
    case Expr::Kind::Tuple: {
        std::string s = "(";
        for (const auto &m : e.operands)
            s += show(*m) + ",";
        return s + ")";
    }
    case Expr::Kind::IfExp:
        return "(" + show(*e.operands[1]) + " if " + show(*e.operands[0]) + " else " + show(*e.operands[2]) + ")";
    }
    return "?";
}

std::string parse_expression(const std::string &expr) {
    Module m = parse_module(source("def f():\n    return " + expr + "\n"));
    return show(*m.functions.at(0).body.at(0)->value);
}

TEST(Tokenizer, IndentDedentAndLogicalLines) {
    using K = Token::Kind;
    auto k = kinds("def f(x,\n      y):\n    if x:\n        return 1\n    # comment\n\n    return 2\n");
    std::vector<K> expected = {K::Name, K::Name, K::Op,      K::Name,    K::Op,   K::Name,   K::Op,   K::Op,
                               K::Newline, K::Indent, K::Name, K::Name, K::Op,   K::Newline, K::Indent, K::Name,
                               K::Int,  K::Newline, K::Dedent, K::Name, K::Int,   K::Newline, K::Dedent, K::End};
    EXPECT_EQ(k, expected);
}

TEST(Tokenizer, NumbersAndStrings) {
    auto tokens = tokenize(source("x = 1_000 + 0x1F + .5e-3 + 2. \"\"\"doc\nstring\"\"\" r'a\\'b'\n"));
    EXPECT_EQ(tokens[2].text, "1_000");
    EXPECT_EQ(tokens[4].text, "0x1F");
    EXPECT_EQ(tokens[6].kind, Token::Kind::Float);
    EXPECT_EQ(tokens[8].kind, Token::Kind::Float);
    EXPECT_EQ(tokens[9].kind, Token::Kind::String);
    EXPECT_EQ(tokens[9].text, "doc\nstring");
    EXPECT_EQ(tokens[10].kind, Token::Kind::String);
}

TEST(Tokenizer, BackslashContinuationKeepsOneLogicalLine) {
    auto k = kinds("x = 1 + \\\n    2\n");
    EXPECT_EQ(std::count(k.begin(), k.end(), Token::Kind::Newline), 1);
    EXPECT_EQ(std::count(k.begin(), k.end(), Token::Kind::Indent), 0);
}

TEST(Parser, PythonPrecedence) {
    EXPECT_EQ(parse_expression("a + b * c ** -d"), "(a + (b * (c ** (- d))))");
    EXPECT_EQ(parse_expression("-a ** 2"), "(- (a ** 2))");
    EXPECT_EQ(parse_expression("a ** b ** c"), "(a ** (b ** c))");
    EXPECT_EQ(parse_expression("a - b - c"), "((a - b) - c)");
    EXPECT_EQ(parse_expression("not a < b and c or d"), "(((not (a < b)) and c) or d)");
    EXPECT_EQ(parse_expression("a < b <= c != d"), "(a < b <= c != d)");
    EXPECT_EQ(parse_expression("a | b ^ c & d << 1"), "(a | (b ^ (c & (d << 1))))");
    EXPECT_EQ(parse_expression("x if c else y if d else z"), "(x if c else (y if d else z))");
    EXPECT_EQ(parse_expression("math.exp(-t) / t[i, j]"), "(math.exp((- t)) / t[(i,j,)])");
    EXPECT_EQ(parse_expression("carray(p, (n,), dtype=float64)"), "carray(p, (n,), dtype=float64)");
    EXPECT_EQ(parse_expression("-9223372036854775808"), "-9223372036854775808");
    EXPECT_EQ(parse_expression("1, 2"), "(1,2,)");
}

TEST(Parser, StatementsAndDecoratorsAndImports) {
    Module m = parse_module(source("import math\n@cfunc('float64(float64)')\ndef f(x: float) -> float:\n"
                                   "    '''doc'''\n    a, b = x, 2\n    a += 1; b -= 1\n"
                                   "    for i in range(3):\n        if i: continue\n        elif a: break\n"
                                   "        else: pass\n    while a > 0:\n        a = a - 1\n    return a\n"));
    ASSERT_EQ(m.functions.size(), 1u);
    const FunctionDef &f = m.functions[0];
    EXPECT_EQ(f.name, "f");
    EXPECT_EQ(f.params, std::vector<std::string>{"x"});
    ASSERT_EQ(f.body.size(), 7u);
    EXPECT_EQ(f.body[1]->kind, Stmt::Kind::Assign);
    EXPECT_EQ(f.body[1]->targets[0]->kind, Expr::Kind::Tuple);
    EXPECT_EQ(f.body[2]->kind, Stmt::Kind::AugAssign);
    EXPECT_EQ(f.body[2]->text, "+");
    EXPECT_EQ(f.body[4]->kind, Stmt::Kind::For);
    EXPECT_EQ(f.body[4]->body[0]->orelse[0]->kind, Stmt::Kind::If);   // elif nests
    EXPECT_EQ(f.body[6]->kind, Stmt::Kind::Return);
}

struct ErrorCase {
    const char *source;
    int line;     // in the file (first_line = 10)
    int column;
    const char *message_part;
};

class FrontendErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(FrontendErrors, NameTheProblemAndItsPlace) {
    const ErrorCase &c = GetParam();
    try {
        parse_module(source(c.source));
        FAIL() << "expected a CompileError for: " << c.source;
    } catch (const CompileError &e) {
        EXPECT_EQ(e.filename(), "test.py");
        EXPECT_EQ(e.line(), c.line) << e.what();
        EXPECT_EQ(e.column(), c.column) << e.what();
        EXPECT_NE(e.message().find(c.message_part), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("^"), std::string::npos);   // the marker line
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FrontendErrors,
    ::testing::Values(ErrorCase{"def f(x):\n    return x +\n", 11, 15, "expected an expression, found end of line"},
                      ErrorCase{"def f(x):\n    return lambda: x\n", 11, 12, "lambda expressions are not supported"},
                      ErrorCase{"def f(x):\n    class A: pass\n", 11, 5, "class definitions are not supported"},
                      ErrorCase{"def f(x):\n    try:\n        pass\n", 11, 5, "'try' statements are not supported"},
                      ErrorCase{"def f(x):\n    with x: pass\n", 11, 5, "'with' statements are not supported"},
                      ErrorCase{"def f(x):\n    return [1]\n", 11, 12, "lists are not supported"},
                      ErrorCase{"def f(x):\n    return {1: 2}\n", 11, 12, "dicts and sets are not supported"},
                      ErrorCase{"def f(x):\n    return x[1:2]\n", 11, 15, "slicing is not supported"},
                      ErrorCase{"def f(x):\n    return x in y\n", 11, 14, "'in' comparisons are not supported"},
                      ErrorCase{"def f(x=1):\n    return x\n", 10, 8, "default parameter values are not supported"},
                      ErrorCase{"def f(x):\n    return 1j\n", 11, 12, "complex numbers are not supported"},
                      ErrorCase{"def f(x):\n    return 99999999999999999999\n", 11, 12, "does not fit in int64"},
                      ErrorCase{"def f(x):\n    return 'abc\n", 11, 12, "unterminated string"},
                      ErrorCase{"def f(x):\n        a = 1\n    b = 2\n", 12, 5, "unindent does not match"},
                      ErrorCase{"def f(x):\n    return x $ 1\n", 11, 14, "invalid character '$'"},
                      ErrorCase{"def f(x):\n    yield x\n", 11, 5, "generators"},
                      ErrorCase{"def f(x):\n    (x := 1)\n", 11, 8, "assignment expressions"},
                      ErrorCase{"def f(x):\n    f(x) = 1\n", 11, 5, "cannot assign to this expression"}));

TEST(Parser, SelectFunction) {
    Module m = parse_module(source("def a():\n    pass\ndef b():\n    pass\n"));
    EXPECT_EQ(select_function(m, "b").name, "b");
    EXPECT_THROW(select_function(m, ""), CompileError);
    EXPECT_THROW(select_function(m, "c"), CompileError);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
    std::string deep = "def f():\n    return " + std::string(5000, '(') + "1" + std::string(5000, ')') + "\n";
    EXPECT_THROW(parse_module(source(deep)), CompileError);
    std::string minus = "def f():\n    return " + std::string(5000, '-') + "1\n";
    EXPECT_THROW(parse_module(source(minus)), CompileError);
}

} // namespace
} // namespace nativecall::jit
