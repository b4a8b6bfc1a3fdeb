// CompileError formatting: "File ..., line ..., column ...: message" plus the source line and a caret.
#include "nativecall/jit/diagnostics.h"

namespace nativecall::jit {

std::string_view SourceFile::line_text(int line) const {
    std::string_view all(text);
    std::size_t start = 0;
    for (int current = 1; current < line; ++current) {
        std::size_t newline = all.find('\n', start);
        if (newline == std::string_view::npos)
            return {};
        start = newline + 1;
    }
    std::size_t end = all.find('\n', start);
    std::string_view result = all.substr(start, end == std::string_view::npos ? all.npos : end - start);
    if (!result.empty() && result.back() == '\r')
        result.remove_suffix(1);
    return result;
}

namespace {
std::string format_report(const SourceFile &file, SourceLocation where, const std::string &message) {
    std::string report = "File \"" + file.filename + "\", line " +
                         std::to_string(where.line + file.first_line - 1) + ", column " +
                         std::to_string(where.column + file.column_offset) + ": " + message;
    std::string_view line = file.line_text(where.line);
    if (line.empty())
        return report;
    /* Tabs stay tabs under the caret so it lines up whatever the tab width. */
    std::string marker;
    for (int i = 0; i + 1 < where.column && i < static_cast<int>(line.size()); ++i)
        marker += line[i] == '\t' ? '\t' : ' ';
    report += "\n    " + std::string(line) + "\n    " + marker + "^";
    return report;
}
} // namespace

CompileError::CompileError(const SourceFile &file, SourceLocation where, const std::string &message)
    : Error(format_report(file, where, message)), message_(message), filename_(file.filename),
      line_(where.line + file.first_line - 1), column_(where.column + file.column_offset) {}

} // namespace nativecall::jit
