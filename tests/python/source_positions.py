"""Where text stands in a function's source, for tests that check compile errors' line and column."""
import inspect


def line_of(fn, text):
    """(file line, 1-based column) of the first source line of `fn` containing `text`."""
    lines, first = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if text in line:
            return first + offset, line.index(text) + 1
    raise AssertionError(f"{text!r} is not in the source of {fn.__name__}")
