// Message memory of the engine. A std::vector<std::byte> zero-fills every byte it allocates,
// a full pass over the memory before anything is written into it; message buffers are always
// overwritten at once (by MPI, by pread, by the sender's one copy), so these types leave the
// bytes uninitialised. They are move-only: a buffer handed to the engine is never copied, and
// moving one never moves its bytes (MPI may hold a pointer into them).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "mpi_tools/wire.hpp"

namespace mpi_tools {

// An owned, fixed-size block of uninitialised bytes.
class Buffer {
  public:
    Buffer() = default;
    explicit Buffer(std::size_t n) : data_(n != 0 ? new std::byte[n] : nullptr), size_(n) {}
    Buffer(Buffer&& o) noexcept : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)) {}
    Buffer& operator=(Buffer&& o) noexcept {
        data_ = std::move(o.data_);
        size_ = std::exchange(o.size_, 0);
        return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    std::byte* data() noexcept { return data_.get(); }
    const std::byte* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::byte* begin() noexcept { return data(); }
    std::byte* end() noexcept { return data() + size_; }
    const std::byte* begin() const noexcept { return data(); }
    const std::byte* end() const noexcept { return data() + size_; }
    // Forgets the bytes past n (n <= size()); the allocation stays as it is.
    void shrink(std::size_t n) noexcept {
        if (n < size_) size_ = n;
    }

  private:
    std::unique_ptr<std::byte[]> data_;
    std::size_t size_ = 0;
};

// A message being built for Engine::send: the wire header's bytes are reserved at the front of
// the buffer and written in place at send time, so the payload is written once, by its
// producer, straight into the memory MPI sends from. No default constructor (so `{}` still
// means an empty span payload where send/reply/post are overloaded).
class OutFrame {
  public:
    static constexpr std::size_t kHeaderBytes = sizeof(wire::Header);

    // A payload of n uninitialised bytes; the caller fills payload() (and may shrink it).
    static OutFrame with_payload_size(std::size_t n) { return OutFrame(Buffer(kHeaderBytes + n)); }
    // A copy of `payload` (one pass; for messages the caller keeps, e.g. to resend).
    static OutFrame copy_of(std::span<const std::byte> payload) {
        auto f = with_payload_size(payload.size());
        if (!payload.empty()) std::memcpy(f.payload().data(), payload.data(), payload.size());
        return f;
    }

    std::span<std::byte> payload() noexcept {
        return std::span<std::byte>(buf_).subspan(kHeaderBytes);
    }
    std::size_t payload_size() const noexcept { return buf_.size() - kHeaderBytes; }
    // Cuts the payload to n bytes (n <= payload_size()).
    void shrink_payload(std::size_t n) noexcept { buf_.shrink(kHeaderBytes + n); }

    // The whole buffer, header bytes included (the engine writes the header, then owns it).
    Buffer release() && { return std::move(buf_); }

  private:
    explicit OutFrame(Buffer b) : buf_(std::move(b)) {}
    Buffer buf_;
};

// The payload of a received message, in place in the receive buffer it owns.
class InPayload {
  public:
    InPayload() = default;
    // The bytes of `buf` from `offset` on (offset <= buf.size()).
    InPayload(Buffer buf, std::size_t offset) : buf_(std::move(buf)), offset_(offset) {}

    const std::byte* data() const noexcept { return buf_.data() + offset_; }
    std::size_t size() const noexcept { return buf_.size() - offset_; }
    bool empty() const noexcept { return size() == 0; }
    const std::byte* begin() const noexcept { return data(); }
    const std::byte* end() const noexcept { return data() + size(); }

  private:
    Buffer buf_;
    std::size_t offset_ = 0;
};

}  // namespace mpi_tools
