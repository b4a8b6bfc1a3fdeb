// The thread-local runtime error record shared by compiled callbacks, the thread pool and the bindings.
#include "nativecall/runtime/error_record.h"

namespace nativecall {

namespace {
thread_local RuntimeErrorCode pending = RuntimeErrorCode::None;
}

RuntimeErrorCode take_runtime_error() {
    RuntimeErrorCode code = pending;
    pending = RuntimeErrorCode::None;
    return code;
}

void record_runtime_error(RuntimeErrorCode code) {
    if (pending == RuntimeErrorCode::None) pending = code;
}

const char *runtime_error_message(RuntimeErrorCode code) {
    switch (code) {
    case RuntimeErrorCode::None: return "";
    case RuntimeErrorCode::ZeroDivision: return "integer division or modulo by zero";
    case RuntimeErrorCode::IndexOutOfBounds: return "index out of bounds";
    case RuntimeErrorCode::NegativePower: return "integers to negative integer powers are not allowed";
    case RuntimeErrorCode::ZeroStep: return "range() arg 3 must not be zero";
    case RuntimeErrorCode::NullView:
        return "carray()/farray() was given a NULL pointer (was user_data or a data pointer left out?)";
    }
    return "unknown runtime error";
}

} // namespace nativecall

extern "C" void nativecall_record_runtime_error(int code) {
    nativecall::record_runtime_error(static_cast<nativecall::RuntimeErrorCode>(code));
}
