// Recursive-descent parser: tokens → nativecall AST, with Python's precedence and clear errors for the rest of Python.
#include <cerrno>
#include <cstdlib>
#include <unordered_map>

#include "nativecall/jit/frontend.h"

namespace nativecall::jit {
namespace {

/* Syntax Python has and the JIT does not, by the keyword that introduces it. */
const std::unordered_map<std::string, std::string> kUnsupportedStatements = {
    {"class", "class definitions"},        {"with", "'with' statements"},
    {"try", "'try' statements"},           {"async", "async functions"},
    {"global", "'global' declarations"},   {"nonlocal", "'nonlocal' declarations"},
    {"del", "'del' statements"},           {"assert", "'assert' statements"},
    {"raise", "'raise' statements"},       {"import", "imports inside a function"},
    {"from", "imports inside a function"}, {"yield", "generators ('yield')"},
    {"def", "nested functions"},
};

constexpr int kMaxNesting = 200;   // deeper expressions are rejected rather than overflow the stack

class Parser {
public:
    explicit Parser(const std::shared_ptr<const SourceFile> &source)
        : source_(source), tokens_(tokenize(source)) {}

    Module parse() {
        Module module;
        module.source = source_;
        while (!at(Token::Kind::End)) {
            if (accept(Token::Kind::Newline))
                continue;
            /* Decorators, imports and other module-level statements run in Python,
               which hands their results over as globals; skip them here. */
            if (is_keyword("def"))
                module.functions.push_back(parse_function());
            else
                skip_statement();
        }
        return module;
    }

private:
    // ---- token access -------------------------------------------------------------
    const Token &peek(std::size_t ahead = 0) const {
        return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
    }
    bool at(Token::Kind kind) const { return peek().kind == kind; }
    bool at_op(const char *op) const { return peek().kind == Token::Kind::Op && peek().text == op; }
    bool is_keyword(const char *word) const { return peek().kind == Token::Kind::Name && peek().text == word; }
    Token next() {
        Token t = peek();
        if (index_ < tokens_.size() - 1)
            ++index_;
        return t;
    }
    bool accept(Token::Kind kind) {
        if (!at(kind))
            return false;
        next();
        return true;
    }
    bool accept_op(const char *op) {
        if (!at_op(op))
            return false;
        next();
        return true;
    }
    bool accept_keyword(const char *word) {
        if (!is_keyword(word))
            return false;
        next();
        return true;
    }

    static std::string describe(const Token &t) {
        switch (t.kind) {
        case Token::Kind::Name: return "'" + t.text + "'";
        case Token::Kind::Int:
        case Token::Kind::Float: return "number " + t.text;
        case Token::Kind::String: return "a string";
        case Token::Kind::Op: return "'" + t.text + "'";
        case Token::Kind::Newline: return "end of line";
        case Token::Kind::Indent: return "an indented block";
        case Token::Kind::Dedent: return "the end of an indented block";
        case Token::Kind::End: return "end of input";
        }
        return "?";
    }

    [[noreturn]] void fail(SourceLocation where, const std::string &message) const {
        throw CompileError(*source_, where, message);
    }
    [[noreturn]] void expected(const std::string &what) const {
        fail(peek().loc, "expected " + what + ", found " + describe(peek()));
    }
    void expect_op(const char *op, const char *context = nullptr) {
        if (!accept_op(op))
            expected(std::string("'") + op + "'" + (context ? std::string(" ") + context : ""));
    }
    std::string expect_name(const char *what) {
        if (!at(Token::Kind::Name) || is_reserved(peek().text))
            expected(what);
        return next().text;
    }
    static bool is_reserved(const std::string &word) {
        static const char *const words[] = {"False", "None", "True", "and", "as", "assert", "async",
                                            "await", "break", "class", "continue", "def", "del", "elif",
                                            "else", "except", "finally", "for", "from", "global", "if",
                                            "import", "in", "is", "lambda", "nonlocal", "not", "or",
                                            "pass", "raise", "return", "try", "while", "with", "yield"};
        for (const char *w : words)
            if (word == w)
                return true;
        return false;
    }

    struct DepthGuard {
        Parser &parser;
        explicit DepthGuard(Parser &p) : parser(p) {
            if (++parser.depth_ > kMaxNesting)
                parser.fail(parser.peek().loc, "expression or block nested too deeply");
        }
        ~DepthGuard() { --parser.depth_; }
    };

    /* Skips one top-level statement, including an indented block that follows it. */
    void skip_statement() {
        while (!at(Token::Kind::Newline) && !at(Token::Kind::End))
            next();
        accept(Token::Kind::Newline);
        if (at(Token::Kind::Indent)) {
            int level = 0;
            do {
                if (at(Token::Kind::Indent))
                    ++level;
                else if (at(Token::Kind::Dedent))
                    --level;
                next();
            } while (level > 0 && !at(Token::Kind::End));
        }
    }

    // ---- functions and statements -------------------------------------------------
    FunctionDef parse_function() {
        FunctionDef fn;
        fn.loc = next().loc;   // 'def'
        fn.name = expect_name("a function name after 'def'");
        expect_op("(", "after the function name");
        while (!at_op(")")) {
            if (at_op("*") || at_op("**") || at_op("/"))
                fail(peek().loc, "'" + peek().text + "' in a parameter list is not supported");
            SourceLocation where = peek().loc;
            std::string name = expect_name("a parameter name");
            if (accept_op(":"))
                parse_test();   // annotations are ignored: the signature gives the types
            if (at_op("="))
                fail(peek().loc, "default parameter values are not supported (the signature fixes every argument)");
            fn.params.push_back(name);
            fn.param_locs.push_back(where);
            if (!accept_op(","))
                break;
        }
        expect_op(")", "to close the parameter list");
        if (accept_op("->"))
            parse_test();
        expect_op(":", "after the function header");
        fn.body = parse_suite();
        return fn;
    }

    Block parse_suite() {
        DepthGuard guard(*this);
        Block block;
        if (accept(Token::Kind::Newline)) {
            if (!accept(Token::Kind::Indent))
                expected("an indented block");
            while (!accept(Token::Kind::Dedent) && !at(Token::Kind::End))
                parse_statement(block);
        } else {
            parse_simple_statements(block);
        }
        return block;
    }

    void parse_statement(Block &block) {
        if (is_keyword("if"))
            block.push_back(parse_if());
        else if (is_keyword("while"))
            block.push_back(parse_while());
        else if (is_keyword("for"))
            block.push_back(parse_for());
        else if (at_op("@"))
            fail(peek().loc, "decorated nested functions are not supported");
        else
            parse_simple_statements(block);
    }

    void parse_simple_statements(Block &block) {
        do {
            if (at(Token::Kind::Newline))
                break;
            block.push_back(parse_small_statement());
        } while (accept_op(";"));
        if (!accept(Token::Kind::Newline) && !at(Token::Kind::End))
            expected("end of line");
    }

    StmtPtr parse_small_statement() {
        SourceLocation where = peek().loc;
        if (peek().kind == Token::Kind::Name && kUnsupportedStatements.count(peek().text))
            fail(where, kUnsupportedStatements.at(peek().text) + " are not supported");
        if (accept_keyword("pass"))
            return std::make_unique<Stmt>(Stmt::Kind::Pass, where);
        if (accept_keyword("break"))
            return std::make_unique<Stmt>(Stmt::Kind::Break, where);
        if (accept_keyword("continue"))
            return std::make_unique<Stmt>(Stmt::Kind::Continue, where);
        if (accept_keyword("return")) {
            auto stmt = std::make_unique<Stmt>(Stmt::Kind::Return, where);
            if (!at(Token::Kind::Newline) && !at_op(";") && !at(Token::Kind::End))
                stmt->value = parse_testlist();
            return stmt;
        }
        ExprPtr first = parse_testlist();
        if (at(Token::Kind::Op) && peek().text.size() >= 2 && peek().text.back() == '=' &&
            peek().text != "==" && peek().text != "<=" && peek().text != ">=" && peek().text != "!=") {
            Token op = next();
            if (op.text == ":=")
                fail(op.loc, "assignment expressions (':=') are not supported");
            check_target(*first, false);
            auto stmt = std::make_unique<Stmt>(Stmt::Kind::AugAssign, where);
            stmt->text = op.text.substr(0, op.text.size() - 1);
            if (stmt->text == "@")
                fail(op.loc, "matrix multiplication ('@') is not supported");
            stmt->targets.push_back(std::move(first));
            stmt->value = parse_testlist();
            return stmt;
        }
        if (accept_op(":")) {   // annotated assignment: the annotation is ignored
            check_target(*first, false);
            parse_test();
            auto stmt = std::make_unique<Stmt>(Stmt::Kind::Assign, where);
            if (!accept_op("="))
                fail(where, "a bare annotation without a value is not supported");
            stmt->targets.push_back(std::move(first));
            stmt->value = parse_testlist();
            return stmt;
        }
        if (at_op("=")) {
            auto stmt = std::make_unique<Stmt>(Stmt::Kind::Assign, where);
            ExprPtr value = std::move(first);
            while (accept_op("=")) {
                check_target(*value, true);
                stmt->targets.push_back(std::move(value));
                value = parse_testlist();
            }
            stmt->value = std::move(value);
            return stmt;
        }
        auto stmt = std::make_unique<Stmt>(Stmt::Kind::ExprStmt, where);
        stmt->value = std::move(first);
        return stmt;
    }

    /* Rejects assignment to anything but names, subscripts and (unpacked) tuples of those. */
    void check_target(const Expr &target, bool allow_tuple) {
        switch (target.kind) {
        case Expr::Kind::Name:
        case Expr::Kind::Subscript:
        case Expr::Kind::Attribute:   // typed by the "setattr" registry entries (record fields)
            return;
        case Expr::Kind::Tuple:
            if (!allow_tuple)
                fail(target.loc, "augmented assignment to a tuple is not possible");
            for (const auto &member : target.operands)
                check_target(*member, true);
            return;
        default:
            fail(target.loc, "cannot assign to this expression");
        }
    }

    StmtPtr parse_if() {
        auto stmt = std::make_unique<Stmt>(Stmt::Kind::If, next().loc);
        stmt->value = parse_named_test();
        expect_op(":", "after the 'if' condition");
        stmt->body = parse_suite();
        if (is_keyword("elif")) {
            stmt->orelse.push_back(parse_if());
        } else if (accept_keyword("else")) {
            expect_op(":", "after 'else'");
            stmt->orelse = parse_suite();
        }
        return stmt;
    }

    StmtPtr parse_while() {
        auto stmt = std::make_unique<Stmt>(Stmt::Kind::While, next().loc);
        stmt->value = parse_named_test();
        expect_op(":", "after the 'while' condition");
        stmt->body = parse_suite();
        reject_loop_else();
        return stmt;
    }

    StmtPtr parse_for() {
        auto stmt = std::make_unique<Stmt>(Stmt::Kind::For, next().loc);
        ExprPtr target = parse_target_list();
        check_target(*target, true);
        stmt->targets.push_back(std::move(target));
        if (!accept_keyword("in"))
            expected("'in' after the loop variable");
        stmt->value = parse_testlist();
        expect_op(":", "after the 'for' header");
        stmt->body = parse_suite();
        reject_loop_else();
        return stmt;
    }

    void reject_loop_else() {
        if (is_keyword("else"))
            fail(peek().loc, "'else' clauses on loops are not supported");
    }

    /* for-loop targets: a comma list of primaries (not full expressions, or 'in' would be parsed as a comparison). */
    ExprPtr parse_target_list() {
        SourceLocation where = peek().loc;
        std::vector<ExprPtr> items;
        items.push_back(parse_bitor());
        bool tuple = false;
        while (accept_op(",")) {
            tuple = true;
            if (is_keyword("in"))
                break;
            items.push_back(parse_bitor());
        }
        if (!tuple)
            return std::move(items.front());
        auto t = std::make_unique<Expr>(Expr::Kind::Tuple, where);
        t->operands = std::move(items);
        return t;
    }

    // ---- expressions, by increasing precedence ------------------------------------
    ExprPtr parse_testlist() {
        SourceLocation where = peek().loc;
        ExprPtr first = parse_test();
        if (!at_op(","))
            return first;
        auto t = std::make_unique<Expr>(Expr::Kind::Tuple, where);
        t->operands.push_back(std::move(first));
        while (accept_op(",")) {
            if (!starts_expression())
                break;
            t->operands.push_back(parse_test());
        }
        return t;
    }

    bool starts_expression() const {
        const Token &t = peek();
        switch (t.kind) {
        case Token::Kind::Name:
            return !is_reserved(t.text) || t.text == "not" || t.text == "True" || t.text == "False" ||
                   t.text == "None" || t.text == "lambda" || t.text == "await" || t.text == "yield";
        case Token::Kind::Int:
        case Token::Kind::Float:
        case Token::Kind::String:
            return true;
        case Token::Kind::Op:
            return t.text == "(" || t.text == "[" || t.text == "{" || t.text == "-" || t.text == "+" ||
                   t.text == "~" || t.text == "*" || t.text == "...";
        default:
            return false;
        }
    }

    ExprPtr parse_named_test() {
        ExprPtr e = parse_test();
        if (at_op(":="))
            fail(peek().loc, "assignment expressions (':=') are not supported");
        return e;
    }

    ExprPtr parse_test() {
        DepthGuard guard(*this);
        if (is_keyword("lambda"))
            fail(peek().loc, "lambda expressions are not supported");
        if (is_keyword("yield"))
            fail(peek().loc, "generators ('yield') are not supported");
        ExprPtr body = parse_or();
        if (!is_keyword("if"))
            return body;
        SourceLocation where = next().loc;
        auto e = std::make_unique<Expr>(Expr::Kind::IfExp, body->loc);
        ExprPtr condition = parse_or();
        if (!accept_keyword("else"))
            expected("'else' in the conditional expression started at column " + std::to_string(where.column));
        ExprPtr orelse = parse_test();
        e->operands.push_back(std::move(condition));
        e->operands.push_back(std::move(body));
        e->operands.push_back(std::move(orelse));
        return e;
    }

    ExprPtr parse_bool_op(const char *word, ExprPtr (Parser::*operand)()) {
        ExprPtr first = (this->*operand)();
        if (!is_keyword(word))
            return first;
        auto e = std::make_unique<Expr>(Expr::Kind::BoolOp, first->loc);
        e->text = word;
        e->operands.push_back(std::move(first));
        while (accept_keyword(word))
            e->operands.push_back((this->*operand)());
        return e;
    }
    ExprPtr parse_or() { return parse_bool_op("or", &Parser::parse_and); }
    ExprPtr parse_and() { return parse_bool_op("and", &Parser::parse_not); }

    ExprPtr parse_not() {
        if (!is_keyword("not"))
            return parse_comparison();
        DepthGuard guard(*this);
        auto e = std::make_unique<Expr>(Expr::Kind::UnaryOp, next().loc);
        e->text = "not";
        e->operands.push_back(parse_not());
        return e;
    }

    ExprPtr parse_comparison() {
        ExprPtr first = parse_bitor();
        std::unique_ptr<Expr> compare;
        while (true) {
            std::string op;
            if (at(Token::Kind::Op) && (peek().text == "<" || peek().text == ">" || peek().text == "==" ||
                                         peek().text == "<=" || peek().text == ">=" || peek().text == "!=")) {
                op = peek().text;
            } else if (is_keyword("in") || is_keyword("is") || (is_keyword("not") && peek(1).text == "in")) {
                fail(peek().loc, "'" + peek().text + "' comparisons are not supported");
            } else {
                break;
            }
            next();
            if (!compare) {
                compare = std::make_unique<Expr>(Expr::Kind::Compare, first->loc);
                compare->operands.push_back(std::move(first));
            }
            compare->compare_ops.push_back(op);
            compare->operands.push_back(parse_bitor());
        }
        return compare ? std::move(compare) : std::move(first);
    }

    /* One left-associative binary level: operand (op operand)*. */
    ExprPtr parse_binary_level(std::initializer_list<const char *> ops, ExprPtr (Parser::*operand)()) {
        ExprPtr left = (this->*operand)();
        while (true) {
            const char *matched = nullptr;
            for (const char *op : ops)
                if (at_op(op))
                    matched = op;
            if (!matched)
                return left;
            Token op = next();
            if (op.text == "@")
                fail(op.loc, "matrix multiplication ('@') is not supported");
            auto e = std::make_unique<Expr>(Expr::Kind::BinOp, left->loc);
            e->text = op.text;
            e->operands.push_back(std::move(left));
            e->operands.push_back((this->*operand)());
            left = std::move(e);
        }
    }
    ExprPtr parse_bitor() { return parse_binary_level({"|"}, &Parser::parse_xor); }
    ExprPtr parse_xor() { return parse_binary_level({"^"}, &Parser::parse_bitand); }
    ExprPtr parse_bitand() { return parse_binary_level({"&"}, &Parser::parse_shift); }
    ExprPtr parse_shift() { return parse_binary_level({"<<", ">>"}, &Parser::parse_arith); }
    ExprPtr parse_arith() { return parse_binary_level({"+", "-"}, &Parser::parse_term); }
    ExprPtr parse_term() { return parse_binary_level({"*", "/", "//", "%", "@"}, &Parser::parse_factor); }

    ExprPtr parse_factor() {
        if (at_op("-") || at_op("+") || at_op("~")) {
            DepthGuard guard(*this);
            Token op = next();
            ExprPtr operand = parse_factor();
            /* Fold the sign into a literal so -9223372036854775808 is representable
               (negation wraps, as int64 arithmetic does). */
            if (op.text == "-" && operand->kind == Expr::Kind::Int) {
                operand->int_value = static_cast<std::int64_t>(0ULL - static_cast<std::uint64_t>(operand->int_value));
                operand->loc = op.loc;
                return operand;
            }
            if (op.text == "-" && operand->kind == Expr::Kind::Float) {
                operand->float_value = -operand->float_value;
                operand->loc = op.loc;
                return operand;
            }
            auto e = std::make_unique<Expr>(Expr::Kind::UnaryOp, op.loc);
            e->text = op.text;
            e->operands.push_back(std::move(operand));
            return e;
        }
        return parse_power();
    }

    ExprPtr parse_power() {
        if (is_keyword("await"))
            fail(peek().loc, "'await' is not supported");
        ExprPtr base = parse_primary();
        if (!at_op("**"))
            return base;
        DepthGuard guard(*this);
        next();
        auto e = std::make_unique<Expr>(Expr::Kind::BinOp, base->loc);
        e->text = "**";
        e->operands.push_back(std::move(base));
        e->operands.push_back(parse_factor());   // right-associative, binds tighter than unary minus on its left
        return e;
    }

    ExprPtr parse_primary() {
        ExprPtr e = parse_atom();
        int trailers = 0;
        while (true) {
            if (++trailers > kMaxNesting)
                fail(peek().loc, "expression nested too deeply");
            if (at_op("(")) {
                e = parse_call(std::move(e));
            } else if (at_op("[")) {
                SourceLocation where = next().loc;
                auto sub = std::make_unique<Expr>(Expr::Kind::Subscript, e->loc);
                sub->operands.push_back(std::move(e));
                sub->operands.push_back(parse_subscript_index(where));
                expect_op("]", "to close the subscript");
                e = std::move(sub);
            } else if (at_op(".")) {
                next();
                auto attr = std::make_unique<Expr>(Expr::Kind::Attribute, e->loc);
                attr->text = expect_name("an attribute name after '.'");
                attr->operands.push_back(std::move(e));
                e = std::move(attr);
            } else {
                return e;
            }
        }
    }

    ExprPtr parse_subscript_index(SourceLocation bracket) {
        if (at_op("]"))
            expected("an index");
        std::vector<ExprPtr> items;
        bool saw_comma = false;
        while (true) {
            if (at_op(":"))
                fail(peek().loc, "slicing is not supported");
            items.push_back(parse_test());
            if (at_op(":"))
                fail(peek().loc, "slicing is not supported");
            if (!accept_op(","))
                break;
            saw_comma = true;
            if (at_op("]"))
                break;
        }
        if (items.size() == 1 && !saw_comma)
            return std::move(items.front());
        auto t = std::make_unique<Expr>(Expr::Kind::Tuple, bracket);
        t->operands = std::move(items);
        return t;
    }

    ExprPtr parse_call(ExprPtr callee) {
        DepthGuard guard(*this);
        next();   // '('
        auto call = std::make_unique<Expr>(Expr::Kind::Call, callee->loc);
        call->operands.push_back(std::move(callee));
        while (!at_op(")")) {
            if (at_op("*") || at_op("**"))
                fail(peek().loc, "argument unpacking ('" + peek().text + "') is not supported");
            if (peek().kind == Token::Kind::Name && peek(1).kind == Token::Kind::Op && peek(1).text == "=") {
                std::string name = next().text;
                next();
                call->keywords.emplace_back(name, parse_test());
            } else {
                if (!call->keywords.empty())
                    fail(peek().loc, "positional argument follows keyword argument");
                call->operands.push_back(parse_test());
            }
            if (is_keyword("for"))
                fail(peek().loc, "generator expressions are not supported");
            if (!accept_op(","))
                break;
        }
        expect_op(")", "to close the argument list");
        return call;
    }

    ExprPtr parse_atom() {
        const Token &t = peek();
        SourceLocation where = t.loc;
        switch (t.kind) {
        case Token::Kind::Int: {
            Token tok = next();
            auto e = std::make_unique<Expr>(Expr::Kind::Int, where);
            e->int_value = parse_int_literal(tok);
            return e;
        }
        case Token::Kind::Float: {
            Token tok = next();
            auto e = std::make_unique<Expr>(Expr::Kind::Float, where);
            std::string digits;
            for (char c : tok.text)
                if (c != '_')
                    digits += c;
            e->float_value = std::strtod(digits.c_str(), nullptr);
            return e;
        }
        case Token::Kind::String: {
            auto e = std::make_unique<Expr>(Expr::Kind::String, where);
            while (at(Token::Kind::String))
                e->text += next().text;   // adjacent literals concatenate
            return e;
        }
        case Token::Kind::Name: {
            if (t.text == "True" || t.text == "False") {
                auto e = std::make_unique<Expr>(Expr::Kind::Bool, where);
                e->int_value = t.text == "True";
                next();
                return e;
            }
            if (t.text == "None") {
                next();
                return std::make_unique<Expr>(Expr::Kind::NoneLit, where);
            }
            if (t.text == "lambda")
                fail(where, "lambda expressions are not supported");
            if (is_reserved(t.text))
                expected("an expression");
            auto e = std::make_unique<Expr>(Expr::Kind::Name, where);
            e->text = next().text;
            return e;
        }
        case Token::Kind::Op:
            if (t.text == "(") {
                DepthGuard guard(*this);
                next();
                if (accept_op(")")) {
                    auto e = std::make_unique<Expr>(Expr::Kind::Tuple, where);
                    return e;
                }
                ExprPtr first = parse_named_test();
                if (is_keyword("for"))
                    fail(peek().loc, "generator expressions are not supported");
                if (!at_op(",")) {
                    expect_op(")", "to close the parenthesis");
                    return first;
                }
                auto e = std::make_unique<Expr>(Expr::Kind::Tuple, where);
                e->operands.push_back(std::move(first));
                while (accept_op(",") && !at_op(")"))
                    e->operands.push_back(parse_test());
                expect_op(")", "to close the tuple");
                return e;
            }
            if (t.text == "[")
                fail(where, "lists are not supported (use a tuple, or carray over a pointer)");
            if (t.text == "{")
                fail(where, "dicts and sets are not supported");
            if (t.text == "...")
                fail(where, "Ellipsis is not supported");
            if (t.text == "*")
                fail(where, "starred expressions are not supported");
            break;
        default:
            break;
        }
        expected("an expression");
    }

    std::int64_t parse_int_literal(const Token &tok) {
        std::string digits;
        for (char c : tok.text)
            if (c != '_')
                digits += c;
        int base = 10;
        std::size_t start = 0;
        if (digits.size() > 1 && digits[0] == '0' && std::isalpha(static_cast<unsigned char>(digits[1]))) {
            char b = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
            base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
            start = 2;
        } else if (digits.size() > 1 && digits[0] == '0' && digits.find_first_not_of('0') != std::string::npos) {
            fail(tok.loc, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal");
        }
        if (start == digits.size())
            fail(tok.loc, "invalid integer literal '" + tok.text + "'");
        errno = 0;
        char *end = nullptr;
        unsigned long long value = std::strtoull(digits.c_str() + start, &end, base);
        if (errno == ERANGE || *end != '\0' || value > 9223372036854775808ULL)
            fail(tok.loc, "integer literal '" + tok.text + "' does not fit in int64");
        if (value == 9223372036854775808ULL && !(index_ >= 2 && tokens_[index_ - 2].text == "-"))
            fail(tok.loc, "integer literal '" + tok.text + "' does not fit in int64");
        return static_cast<std::int64_t>(value);
    }

    std::shared_ptr<const SourceFile> source_;
    std::vector<Token> tokens_;
    std::size_t index_ = 0;
    int depth_ = 0;
};

} // namespace

Module parse_module(const std::shared_ptr<const SourceFile> &source) { return Parser(source).parse(); }

const FunctionDef &select_function(const Module &module, const std::string &name) {
    const FunctionDef *found = nullptr;
    for (const auto &fn : module.functions) {
        if (!name.empty() && fn.name != name)
            continue;
        if (found && name.empty())
            throw CompileError(*module.source, fn.loc,
                               "the source defines several functions; name the one to compile");
        found = &fn;
    }
    if (!found)
        throw CompileError(*module.source, {1, 1},
                           name.empty() ? "the source defines no function"
                                        : "the source defines no function named '" + name + "'");
    return *found;
}

} // namespace nativecall::jit
