// The exception types the C++ core throws; bindings map each to one Python exception.
#pragma once

#include <stdexcept>
#include <string>

namespace nativecall {

/* Base of every error the library raises on purpose. Never thrown for a bug:
   a bug must not masquerade as a user error. */
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/* An argument has a value the routine cannot accept (Python: ValueError). */
class InvalidArgument : public Error {
public:
    using Error::Error;
};

/* Signature text that does not parse (Python: ValueError). `position` is the
   0-based offset in the text where parsing stopped. */
class SignatureSyntaxError : public Error {
public:
    SignatureSyntaxError(const std::string &message, std::size_t position)
        : Error(message), position_(position) {}
    std::size_t position() const { return position_; }

private:
    std::size_t position_;
};

/* A callback whose signature matches none the routine accepts (Python: ValueError,
   as scipy raises for LowLevelCallable mismatches). */
class SignatureMismatch : public Error {
public:
    using Error::Error;
};

/* A callback reported failure (returned 0) with no exception of its own
   (Python: RuntimeError). */
class CallbackFailed : public Error {
public:
    using Error::Error;
};

} // namespace nativecall
