// Python tokenizer for the JIT subset: logical lines, INDENT/DEDENT, numbers, names, operators, strings.
#include <array>
#include <cctype>
#include <cstring>

#include "nativecall/jit/frontend.h"

namespace nativecall::jit {
namespace {

/* Longest operators first so "**=" wins over "**" and "*". */
constexpr std::array<const char *, 47> kOperators = {
    "**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", ":=", "+", "-", "*", "/", "%",
    "&", "|", "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "@", "="};

bool is_name_start(unsigned char c) { return c == '_' || std::isalpha(c) || c >= 0x80; }
bool is_name_char(unsigned char c) { return is_name_start(c) || std::isdigit(c); }

class Tokenizer {
public:
    explicit Tokenizer(const std::shared_ptr<const SourceFile> &source)
        : file_(*source), text_(source->text) {}

    std::vector<Token> run() {
        indents_.push_back(0);
        while (pos_ < text_.size()) {
            if (at_line_start_ && depth_ == 0) {
                if (!read_indentation())
                    continue;   // blank or comment-only line
            }
            at_line_start_ = false;
            scan_token();
        }
        if (!tokens_.empty() && tokens_.back().kind != Token::Kind::Newline &&
            tokens_.back().kind != Token::Kind::Dedent)
            push(Token::Kind::Newline, "", here());
        while (indents_.size() > 1) {
            indents_.pop_back();
            push(Token::Kind::Dedent, "", here());
        }
        push(Token::Kind::End, "", here());
        return std::move(tokens_);
    }

private:
    SourceLocation here() const { return {line_, static_cast<int>(pos_ - line_start_) + 1}; }

    [[noreturn]] void fail(SourceLocation where, const std::string &message) const {
        throw CompileError(file_, where, message);
    }

    void push(Token::Kind kind, std::string text, SourceLocation where) {
        tokens_.push_back(Token{kind, std::move(text), where});
    }

    void new_line() {
        ++line_;
        line_start_ = pos_;
        at_line_start_ = true;
    }

    /* Measures the indentation of a new logical line and emits INDENT/DEDENT.
       Returns false (having consumed the line) for blank and comment-only lines. */
    bool read_indentation() {
        int width = 0;
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\f')) {
            width = text_[pos_] == '\t' ? (width / 8 + 1) * 8 : width + 1;
            ++pos_;
        }
        if (pos_ >= text_.size())
            return false;
        char c = text_[pos_];
        if (c == '#' ) {
            while (pos_ < text_.size() && text_[pos_] != '\n')
                ++pos_;
        }
        if (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
            if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')
                ++pos_;
            ++pos_;
            new_line();
            return false;
        }
        if (pos_ >= text_.size())
            return false;
        if (width > indents_.back()) {
            indents_.push_back(width);
            push(Token::Kind::Indent, "", here());
        } else {
            while (width < indents_.back()) {
                indents_.pop_back();
                push(Token::Kind::Dedent, "", here());
            }
            if (width != indents_.back())
                fail(here(), "unindent does not match any outer indentation level");
        }
        return true;
    }

    void scan_token() {
        char c = text_[pos_];
        SourceLocation start = here();
        if (c == ' ' || c == '\t' || c == '\f') {
            ++pos_;
        } else if (c == '#') {
            while (pos_ < text_.size() && text_[pos_] != '\n')
                ++pos_;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')
                ++pos_;
            ++pos_;
            if (depth_ == 0 && !tokens_.empty() && tokens_.back().kind != Token::Kind::Newline &&
                tokens_.back().kind != Token::Kind::Indent && tokens_.back().kind != Token::Kind::Dedent)
                push(Token::Kind::Newline, "", start);
            new_line();
            if (depth_ > 0)
                at_line_start_ = false;
        } else if (c == '\\') {
            ++pos_;
            if (pos_ < text_.size() && text_[pos_] == '\r')
                ++pos_;
            if (pos_ >= text_.size() || text_[pos_] != '\n')
                fail(start, "unexpected character after line continuation character");
            ++pos_;
            new_line();
            at_line_start_ = false;   // a continued line keeps its logical line's indentation
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
            scan_number(start);
        } else if (is_name_start(static_cast<unsigned char>(c))) {
            std::size_t begin = pos_;
            while (pos_ < text_.size() && is_name_char(static_cast<unsigned char>(text_[pos_])))
                ++pos_;
            std::string word = text_.substr(begin, pos_ - begin);
            if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'') && is_string_prefix(word)) {
                if (word.find_first_of("fF") != std::string::npos)
                    fail(start, "f-strings are not supported");
                scan_string(start);
            } else {
                push(Token::Kind::Name, std::move(word), start);
            }
        } else if (c == '"' || c == '\'') {
            scan_string(start);
        } else {
            scan_operator(start);
        }
    }

    static bool is_string_prefix(const std::string &word) {
        if (word.size() > 2)
            return false;
        for (char ch : word)
            if (!std::strchr("rRbBuUfF", ch))
                return false;
        return true;
    }

    void scan_operator(SourceLocation start) {
        for (const char *op : kOperators) {
            std::size_t len = std::strlen(op);
            if (text_.compare(pos_, len, op) == 0) {
                pos_ += len;
                if (len == 1 && std::strchr("([{", *op))
                    ++depth_;
                if (len == 1 && std::strchr(")]}", *op) && depth_ > 0)
                    --depth_;
                push(Token::Kind::Op, op, start);
                return;
            }
        }
        unsigned char c = static_cast<unsigned char>(text_[pos_]);
        std::string shown = std::isprint(c) ? std::string("'") + text_[pos_] + "'"
                                            : "byte 0x" + std::to_string(static_cast<int>(c));
        fail(start, "invalid character " + shown + " in source");
    }

    void scan_number(SourceLocation start) {
        std::size_t begin = pos_;
        bool is_float = false;
        auto digits = [&](auto accept) {
            while (pos_ < text_.size() && (accept(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
                ++pos_;
        };
        auto is_dec = [](unsigned char ch) { return std::isdigit(ch) != 0; };
        if (text_[pos_] == '0' && pos_ + 1 < text_.size() && std::strchr("xXoObB", text_[pos_ + 1]) &&
            text_[pos_ + 1] != '\0') {
            pos_ += 2;
            digits([](unsigned char ch) { return std::isxdigit(ch) != 0; });
        } else {
            digits(is_dec);
            if (pos_ < text_.size() && text_[pos_] == '.') {
                is_float = true;
                ++pos_;
                digits(is_dec);
            }
            if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
                std::size_t save = pos_;
                ++pos_;
                if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
                    ++pos_;
                if (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
                    is_float = true;
                    digits(is_dec);
                } else {
                    pos_ = save;
                }
            }
        }
        if (pos_ < text_.size() && (text_[pos_] == 'j' || text_[pos_] == 'J'))
            fail(start, "complex numbers are not supported");
        if (pos_ < text_.size() && is_name_char(static_cast<unsigned char>(text_[pos_])))
            fail(here(), "invalid number literal '" + text_.substr(begin, pos_ - begin + 1) + "'");
        push(is_float ? Token::Kind::Float : Token::Kind::Int, text_.substr(begin, pos_ - begin), start);
    }

    void scan_string(SourceLocation start) {
        char quote = text_[pos_];
        bool triple = text_.compare(pos_, 3, std::string(3, quote)) == 0;
        pos_ += triple ? 3 : 1;
        std::string contents;
        while (true) {
            if (pos_ >= text_.size())
                fail(start, "unterminated string literal");
            char c = text_[pos_];
            if (c == '\\' && pos_ + 1 < text_.size()) {
                contents += text_.substr(pos_, 2);
                if (text_[pos_ + 1] == '\n') {
                    pos_ += 2;
                    new_line();
                    at_line_start_ = false;
                    continue;
                }
                pos_ += 2;
                continue;
            }
            if (c == quote && (!triple || text_.compare(pos_, 3, std::string(3, quote)) == 0)) {
                pos_ += triple ? 3 : 1;
                break;
            }
            if (c == '\n') {
                if (!triple)
                    fail(start, "unterminated string literal");
                contents += c;
                ++pos_;
                new_line();
                at_line_start_ = false;
                continue;
            }
            contents += c;
            ++pos_;
        }
        push(Token::Kind::String, std::move(contents), start);
    }

    const SourceFile &file_;
    const std::string &text_;
    std::size_t pos_ = 0;
    std::size_t line_start_ = 0;
    int line_ = 1;
    int depth_ = 0;   // bracket nesting: newlines inside brackets do not end a line
    bool at_line_start_ = true;
    std::vector<int> indents_;
    std::vector<Token> tokens_;
};

} // namespace

std::vector<Token> tokenize(const std::shared_ptr<const SourceFile> &source) {
    return Tokenizer(source).run();
}

} // namespace nativecall::jit
