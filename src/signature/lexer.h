// Tokens of signature text: words, punctuation and their positions, for the signature parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nativecall::signature_detail {

enum class TokenKind { Word, Number, Star, LParen, RParen, LBracket, RBracket, Comma, End };

struct Token {
    TokenKind kind;
    std::string_view text;   // a view into the signature text
    std::size_t position;    // 0-based offset of the first character
};

/* Splits `text` into tokens ending with one End token. Throws
   SignatureSyntaxError at the first character no token can start with. */
std::vector<Token> tokenize(std::string_view text);

/* "invalid signature '<text>' at position N: <what>" plus the text with a
   caret under N: the one format every signature syntax error uses. */
std::string syntax_message(std::string_view text, std::size_t position, const std::string &what);

/* How a token reads in a message: 'word', '*', or "end of text". */
std::string describe_token(const Token &token);

} // namespace nativecall::signature_detail
