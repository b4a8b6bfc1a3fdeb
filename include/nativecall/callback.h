// Callback: a native function pointer, its user_data and its parsed Signature, as every routine takes it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nativecall/signature.h"

namespace nativecall {

/* A value passed to or returned from Callback::invoke: wide enough for any
   scalar or pointer a signature may name. */
union CallValue {
    std::int64_t i;
    std::uint64_t u;
    double d;
    void *p;
};

class Callback {
public:
    Callback() = default;
    /* `thread_safe` says the routine may call the function from several threads
       at once (true for nativecall's JIT output, unknown for foreign code). */
    Callback(void *function, void *user_data, Signature signature, bool thread_safe = false,
             std::string name = {})
        : function_(function), user_data_(user_data), signature_(std::move(signature)),
          thread_safe_(thread_safe), name_(std::move(name)) {}

    void *address() const { return function_; }
    void *user_data() const { return user_data_; }
    const Signature &signature() const { return signature_; }
    bool thread_safe() const { return thread_safe_; }
    /* How messages name this callback ("callback 'nbmin'" or its signature). */
    std::string display_name() const;

    /* True when the signature matches the C++ function type Fn by ABI. */
    template <class Fn> bool matches() const { return signature_.same_abi(signature_of<Fn>()); }

    /* The function pointer typed as Fn; throws SignatureMismatch unless the
       signature matches Fn by ABI. Routines call this only after matching. */
    template <class Fn> Fn *get() const {
        Signature expected = signature_of<Fn>();
        if (!signature_.same_abi(expected))
            select_signature(signature_, {expected}, display_name());
        return reinterpret_cast<Fn *>(function_);
    }

    /* Index into `accepted` of the matching signature (see select_signature). */
    std::size_t select(const std::vector<Signature> &accepted, std::string_view what = {}) const;

    /* Call through a generic ABI bridge (libffi) with one value per parameter.
       Slow; for tests and tools, never for routines' inner loops. */
    CallValue invoke(const std::vector<CallValue> &args) const;

private:
    void *function_ = nullptr;
    void *user_data_ = nullptr;
    Signature signature_;
    bool thread_safe_ = false;
    std::string name_;
};

} // namespace nativecall
