#include "mpi_tools/wire.hpp"

namespace mpi_tools::wire {

const char* to_string(DecodeError e) {
    switch (e) {
        case DecodeError::ok:
            return "ok";
        case DecodeError::too_short:
            return "shorter than the header";
        case DecodeError::bad_magic:
            return "bad magic";
        case DecodeError::bad_length:
            return "length field does not match the message size";
        case DecodeError::bad_flags:
            return "invalid flags";
        case DecodeError::bad_source:
            return "source field does not match the sender";
    }
    return "unknown";
}

DecodeError decode_header(std::span<const std::byte> buf, int mpi_source_world, Header* h) {
    if (buf.size() < sizeof(Header)) return DecodeError::too_short;
    std::memcpy(h, buf.data(), sizeof(Header));
    if (h->magic != kMagic) return DecodeError::bad_magic;
    if (h->len > kMaxPayload || h->len != buf.size() - sizeof(Header))
        return DecodeError::bad_length;
    if ((h->flags & ~(kRequest | kResponse)) || ((h->flags & kRequest) && (h->flags & kResponse)))
        return DecodeError::bad_flags;
    if (h->src != mpi_source_world) return DecodeError::bad_source;
    return DecodeError::ok;
}

void put_header(const Header& h, std::span<std::byte> frame) {
    Header hh = h;
    hh.magic = kMagic;
    hh.len = static_cast<std::uint32_t>(frame.size() - sizeof(Header));
    std::memcpy(frame.data(), &hh, sizeof(Header));
}

}  // namespace mpi_tools::wire
