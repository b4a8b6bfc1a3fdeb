// Callback's out-of-line parts: naming for messages, signature selection, and a generic libffi call.
#include "nativecall/callback.h"

#include <ffi.h>

#include <cstring>

namespace nativecall {

std::string Callback::display_name() const {
    if (!name_.empty()) return "callback '" + name_ + "'";
    return "callback with signature '" + signature_.spelling + "'";
}

std::size_t Callback::select(const std::vector<Signature> &accepted, std::string_view what) const {
    std::string role = what.empty() ? display_name() : std::string(what);
    return select_signature(signature_, accepted, role);
}

namespace {

ffi_type *ffi_type_of(const CType &t) {
    switch (t.kind) {
    case TypeKind::Void: return &ffi_type_void;
    case TypeKind::Bool: return &ffi_type_uint8;
    case TypeKind::Pointer: return &ffi_type_pointer;
    case TypeKind::Float:
        if (t.size == 4) return &ffi_type_float;
        if (t.size == 8) return &ffi_type_double;
        return &ffi_type_longdouble;
    case TypeKind::Int:
        switch (t.size) {
        case 1: return t.is_signed ? &ffi_type_sint8 : &ffi_type_uint8;
        case 2: return t.is_signed ? &ffi_type_sint16 : &ffi_type_uint16;
        case 4: return t.is_signed ? &ffi_type_sint32 : &ffi_type_uint32;
        default: return t.is_signed ? &ffi_type_sint64 : &ffi_type_uint64;
        }
    }
    return &ffi_type_void;
}

/* Narrow a CallValue to the bytes the parameter type occupies; libffi reads
   exactly sizeof(type) bytes from each argument slot. */
struct ArgSlot {
    alignas(16) unsigned char bytes[16];
};
ArgSlot narrow(const CType &t, const CallValue &v) {
    ArgSlot slot{};
    auto put = [&](auto x) { std::memcpy(slot.bytes, &x, sizeof(x)); };
    switch (t.kind) {
    case TypeKind::Void: break;
    case TypeKind::Bool: put(static_cast<std::uint8_t>(v.i != 0)); break;
    case TypeKind::Pointer: put(v.p); break;
    case TypeKind::Float:
        if (t.size == 4) put(static_cast<float>(v.d));
        else if (t.size == 8) put(v.d);
        else put(static_cast<long double>(v.d));
        break;
    case TypeKind::Int:
        switch (t.size) {
        case 1: put(static_cast<std::int8_t>(v.i)); break;
        case 2: put(static_cast<std::int16_t>(v.i)); break;
        case 4: put(static_cast<std::int32_t>(v.i)); break;
        default: put(v.i); break;
        }
    }
    return slot;
}

/* Widen a returned value back into a CallValue (ints sign- or zero-extended,
   floats as double). libffi widens integer returns to a full register. */
CallValue widen(const CType &t, const ArgSlot &ret) {
    CallValue v{};
    switch (t.kind) {
    case TypeKind::Void: break;
    case TypeKind::Bool: {
        ffi_arg r;
        std::memcpy(&r, ret.bytes, sizeof r);
        v.i = (r & 0xff) != 0;
        break;
    }
    case TypeKind::Pointer: std::memcpy(&v.p, ret.bytes, sizeof v.p); break;
    case TypeKind::Float:
        if (t.size == 4) {
            float f;
            std::memcpy(&f, ret.bytes, sizeof f);
            v.d = f;
        } else if (t.size == 8) {
            std::memcpy(&v.d, ret.bytes, sizeof v.d);
        } else {
            long double ld;
            std::memcpy(&ld, ret.bytes, sizeof ld);
            v.d = static_cast<double>(ld);
        }
        break;
    case TypeKind::Int: {
        ffi_arg r;
        std::memcpy(&r, ret.bytes, sizeof r);
        unsigned bits = t.size * 8;
        std::uint64_t u = static_cast<std::uint64_t>(r);
        if (bits < 64) u &= (std::uint64_t{1} << bits) - 1;
        if (t.is_signed && bits < 64 && (u >> (bits - 1)) & 1) u |= ~((std::uint64_t{1} << bits) - 1);
        v.u = u;
        break;
    }
    }
    return v;
}

} // namespace

CallValue Callback::invoke(const std::vector<CallValue> &args) const {
    if (!function_) throw InvalidArgument(display_name() + " has a null function pointer");
    if (args.size() != signature_.params.size())
        throw InvalidArgument(display_name() + " takes " + std::to_string(signature_.params.size()) +
                              " argument(s), got " + std::to_string(args.size()));
    std::vector<ffi_type *> types;
    std::vector<ArgSlot> slots;
    std::vector<void *> pointers;
    types.reserve(args.size());
    slots.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        types.push_back(ffi_type_of(signature_.params[i]));
        slots.push_back(narrow(signature_.params[i], args[i]));
    }
    for (auto &slot : slots) pointers.push_back(slot.bytes);
    ffi_cif cif;
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, static_cast<unsigned>(args.size()),
                     ffi_type_of(signature_.result), types.data()) != FFI_OK)
        throw InvalidArgument("cannot prepare a call for signature '" + signature_.spelling + "'");
    ArgSlot ret{};
    ffi_call(&cif, reinterpret_cast<void (*)()>(function_), ret.bytes, pointers.data());
    return widen(signature_.result, ret);
}

} // namespace nativecall
