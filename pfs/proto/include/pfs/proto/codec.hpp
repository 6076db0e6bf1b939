// Bounded little-endian wire codec. Writer appends fixed-width integers, raw bytes and
// length-prefixed strings; Reader consumes them from a span and can never read past its end.
// Both record the FIRST error and turn every later call into a no-op returning zero values, so
// decoders can read a whole struct and check once at the end (no UB on hostile input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pfs::proto {

enum class CodecError : std::uint8_t {
    none = 0,
    truncated,  // input ended before the field did
    too_long,   // a length or count exceeded its limit
    bad_value,  // an enum, bool or errno field held an impossible value
    overflow,   // Writer: the caller's fixed buffer is too small
    trailing,   // bytes left over after a complete message
    bad_type,   // frame carries a different (or unknown) message type
};

const char* to_string(CodecError e) noexcept;
// The errno a failed decode is reported as (EBADMSG, or EMSGSIZE for too_long / overflow).
int to_errno(CodecError e) noexcept;

class Writer {
  public:
    // Appends to `out` (growing it).
    explicit Writer(std::vector<std::byte>& out) noexcept : vec_(&out) {}
    // Writes into a caller-owned buffer; running out of room records CodecError::overflow.
    explicit Writer(std::span<std::byte> buf) noexcept : buf_(buf) {}

    void u8(std::uint8_t v) { put_le(v, 1); }
    void u16(std::uint16_t v) { put_le(v, 2); }
    void u32(std::uint32_t v) { put_le(v, 4); }
    void u64(std::uint64_t v) { put_le(v, 8); }
    void i32(std::int32_t v) { put_le(static_cast<std::uint32_t>(v), 4); }
    void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v), 8); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    // Raw bytes, no length prefix (payloads whose length travelled in a header).
    void bytes(std::span<const std::byte> b);
    // u32 length prefix + bytes.
    void str(std::string_view s);
    void blob(std::span<const std::byte> b);

    bool ok() const noexcept { return err_ == CodecError::none; }
    CodecError error() const noexcept { return err_; }
    // Bytes written by this Writer (not counting what `out` held before).
    std::size_t size() const noexcept { return written_; }

  private:
    void put_le(std::uint64_t v, int n);
    void append(const std::byte* p, std::size_t n);

    std::vector<std::byte>* vec_ = nullptr;
    std::span<std::byte> buf_{};
    std::size_t written_ = 0;
    CodecError err_ = CodecError::none;
};

class Reader {
  public:
    explicit Reader(std::span<const std::byte> in) noexcept : in_(in) {}

    std::uint8_t u8() { return static_cast<std::uint8_t>(get_le(1)); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(get_le(2)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(get_le(4)); }
    std::uint64_t u64() { return get_le(8); }
    std::int32_t i32() { return static_cast<std::int32_t>(static_cast<std::uint32_t>(get_le(4))); }
    std::int64_t i64() { return static_cast<std::int64_t>(get_le(8)); }
    // Only 0 and 1 are booleans; anything else is bad_value (canonical encoding).
    bool boolean();
    // `n` raw bytes as a view into the input (empty span on error).
    std::span<const std::byte> bytes(std::size_t n);
    // u32 length prefix; a length above `max` is too_long (checked before any allocation).
    std::string str(std::size_t max);
    std::span<const std::byte> blob(std::size_t max);
    // A u32 element count for a sequence, bounded by `max` and by the bytes left, given that
    // each element needs at least `min_elem_size` bytes (stops huge reserve() on garbage).
    std::uint32_t count(std::size_t max, std::size_t min_elem_size);

    void fail(CodecError e) noexcept {
        if (err_ == CodecError::none) err_ = e;
    }
    bool ok() const noexcept { return err_ == CodecError::none; }
    CodecError error() const noexcept { return err_; }
    std::size_t remaining() const noexcept { return in_.size() - pos_; }
    std::size_t position() const noexcept { return pos_; }
    std::span<const std::byte> rest() const noexcept { return in_.subspan(pos_); }

  private:
    std::uint64_t get_le(int n);

    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
    CodecError err_ = CodecError::none;
};

}  // namespace pfs::proto
