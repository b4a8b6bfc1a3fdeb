// Source positions and the compile error every JIT stage raises: file, line, column, marked source line.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "nativecall/errors.h"

namespace nativecall::jit {

/* The text being compiled and where it came from, shared by every AST node's
   location so an error anywhere can quote the offending line. */
struct SourceFile {
    std::string text;        // the function's source (dedented)
    std::string filename;    // "<string>", a path, or an IPython cell name
    int first_line = 1;      // line number of text's first line in `filename`
    int column_offset = 0;   // indentation removed from every line before compiling (nested defs)

    /* The 1-based line `line` of `text` (relative to text, not the file), without its newline. */
    std::string_view line_text(int line) const;
};

/* A position in a SourceFile: 1-based line within the text, 1-based column. */
struct SourceLocation {
    int line = 0;
    int column = 0;
};

/* A program the JIT cannot compile: bad syntax, unsupported construct or a typing
   error. what() is the full report:
       File "f.py", line 12, column 9: cannot add float64 and CPointer(float64)
           return x + p
                  ^
   (Python: nativecall.CompileError). */
class CompileError : public Error {
public:
    CompileError(const SourceFile &file, SourceLocation where, const std::string &message);

    const std::string &message() const { return message_; }   // the bare message
    const std::string &filename() const { return filename_; }
    int line() const { return line_; }       // line number in the file (first_line applied)
    int column() const { return column_; }   // 1-based, in the file (column_offset applied)

private:
    std::string message_;
    std::string filename_;
    int line_;
    int column_;
};

} // namespace nativecall::jit
