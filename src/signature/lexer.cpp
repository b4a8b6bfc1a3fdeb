// Splits signature text into tokens and formats syntax errors with a caret under the fault.
#include "signature/lexer.h"

#include "nativecall/errors.h"

namespace nativecall::signature_detail {

namespace {
bool is_word_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_word_char(char c) { return is_word_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Printable form of one character for messages, so control bytes from fuzzed
   or binary input never reach a terminal raw. */
std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static const char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}
} // namespace

std::string syntax_message(std::string_view text, std::size_t position, const std::string &what) {
    /* Long or binary text is shown clipped and sanitised: the message must stay readable. */
    constexpr std::size_t shown_limit = 200;
    std::string shown;
    for (std::size_t i = 0; i < text.size() && i < shown_limit; ++i) {
        unsigned char u = static_cast<unsigned char>(text[i]);
        shown += (u >= 0x20 && u < 0x7f) ? text[i] : '?';
    }
    if (text.size() > shown_limit) shown += "...";
    std::string message = "invalid signature '" + shown + "' at position " + std::to_string(position) +
                          ": " + what + "\n  " + shown + "\n  ";
    message.append(std::min(position, shown.size()), ' ');
    message += '^';
    return message;
}

std::string describe_token(const Token &token) {
    if (token.kind == TokenKind::End) return "end of text";
    return "'" + std::string(token.text) + "'";
}

std::vector<Token> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (is_space(c)) {
            ++i;
            continue;
        }
        if (is_word_start(c)) {
            std::size_t start = i;
            while (i < text.size() && is_word_char(text[i])) ++i;
            tokens.push_back({TokenKind::Word, text.substr(start, i - start), start});
            continue;
        }
        if (c >= '0' && c <= '9') {  // only array sizes: "double x[10]"
            std::size_t start = i;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
            tokens.push_back({TokenKind::Number, text.substr(start, i - start), start});
            continue;
        }
        TokenKind kind;
        switch (c) {
        case '*': kind = TokenKind::Star; break;
        case '(': kind = TokenKind::LParen; break;
        case ')': kind = TokenKind::RParen; break;
        case '[': kind = TokenKind::LBracket; break;
        case ']': kind = TokenKind::RBracket; break;
        case ',': kind = TokenKind::Comma; break;
        default:
            throw SignatureSyntaxError(
                syntax_message(text, i, "unexpected character " + printable(c)), i);
        }
        tokens.push_back({kind, text.substr(i, 1), i});
        ++i;
    }
    tokens.push_back({TokenKind::End, text.substr(text.size()), text.size()});
    return tokens;
}

} // namespace nativecall::signature_detail
