#include "pfs/proto/codec.hpp"

#include <cerrno>
#include <cstring>

namespace pfs::proto {

const char* to_string(CodecError e) noexcept {
    switch (e) {
        case CodecError::none:
            return "none";
        case CodecError::truncated:
            return "truncated";
        case CodecError::too_long:
            return "length over limit";
        case CodecError::bad_value:
            return "bad value";
        case CodecError::overflow:
            return "buffer overflow";
        case CodecError::trailing:
            return "trailing bytes";
        case CodecError::bad_type:
            return "unexpected message type";
    }
    return "unknown";
}

int to_errno(CodecError e) noexcept {
    switch (e) {
        case CodecError::none:
            return 0;
        case CodecError::too_long:
        case CodecError::overflow:
            return EMSGSIZE;
        default:
            return EBADMSG;
    }
}

void Writer::append(const std::byte* p, std::size_t n) {
    if (!ok() || n == 0) return;
    if (vec_ != nullptr) {
        vec_->insert(vec_->end(), p, p + n);
    } else {
        if (buf_.size() - written_ < n) {
            err_ = CodecError::overflow;
            return;
        }
        std::memcpy(buf_.data() + written_, p, n);
    }
    written_ += n;
}

void Writer::put_le(std::uint64_t v, int n) {
    // Explicit byte order: the wire format must not depend on the host.
    std::byte tmp[8];
    for (int i = 0; i < n; ++i) tmp[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
    append(tmp, static_cast<std::size_t>(n));
}

void Writer::bytes(std::span<const std::byte> b) {
    append(b.data(), b.size());
}

void Writer::str(std::string_view s) {
    blob(std::as_bytes(std::span<const char>(s.data(), s.size())));
}

void Writer::blob(std::span<const std::byte> b) {
    if (b.size() > UINT32_MAX) {
        err_ = err_ == CodecError::none ? CodecError::too_long : err_;
        return;
    }
    u32(static_cast<std::uint32_t>(b.size()));
    bytes(b);
}

std::uint64_t Reader::get_le(int n) {
    if (!ok()) return 0;
    if (remaining() < static_cast<std::size_t>(n)) {
        fail(CodecError::truncated);
        return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
        v |= static_cast<std::uint64_t>(in_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return v;
}

bool Reader::boolean() {
    const auto v = u8();
    if (v > 1) fail(CodecError::bad_value);
    return ok() && v == 1;
}

std::span<const std::byte> Reader::bytes(std::size_t n) {
    if (!ok()) return {};
    if (remaining() < n) {
        fail(CodecError::truncated);
        return {};
    }
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
}

std::span<const std::byte> Reader::blob(std::size_t max) {
    const std::uint32_t n = u32();
    if (!ok()) return {};
    if (n > max) {
        fail(CodecError::too_long);
        return {};
    }
    return bytes(n);
}

std::string Reader::str(std::size_t max) {
    auto b = blob(max);
    if (!ok()) return {};
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::uint32_t Reader::count(std::size_t max, std::size_t min_elem_size) {
    const std::uint32_t n = u32();
    if (!ok()) return 0;
    if (n > max) {
        fail(CodecError::too_long);
        return 0;
    }
    if (min_elem_size != 0 && n > remaining() / min_elem_size) {
        fail(CodecError::truncated);
        return 0;
    }
    return n;
}

}  // namespace pfs::proto
