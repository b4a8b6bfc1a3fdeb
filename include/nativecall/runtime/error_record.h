// Per-thread record of errors raised inside compiled callbacks, which routines report after the call.
#pragma once

namespace nativecall {

/* What went wrong inside a callback that cannot throw (compiled code returns 0
   and records the error instead of crashing). Python names in comments. */
enum class RuntimeErrorCode : int {
    None = 0,
    ZeroDivision = 1,       // ZeroDivisionError: integer division or modulo by zero
    IndexOutOfBounds = 2,   // IndexError (bounds checks are on with debug=True)
    NegativePower = 3,      // ValueError: integer to a negative integer power
    ZeroStep = 4,           // ValueError: range() with step 0
    NullView = 5,           // ValueError: carray/farray over a NULL pointer
};

/* The calling thread's first error since it was last taken, cleared. */
RuntimeErrorCode take_runtime_error();

/* Record `code` on the calling thread unless an earlier error is pending. */
void record_runtime_error(RuntimeErrorCode code);

/* The message Python gives for the same error ("integer division or modulo by zero"). */
const char *runtime_error_message(RuntimeErrorCode code);

} // namespace nativecall

/* The entry point compiled code calls; the JIT binds it by name. */
extern "C" void nativecall_record_runtime_error(int code);
