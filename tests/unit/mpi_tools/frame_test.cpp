// The engine's message memory (mpi_tools/buffer.hpp) and the in-place header of an OutFrame:
// what put_header writes is what decode_header accepts, and the decoder still rejects a frame
// whose header does not match it.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "mpi_tools/buffer.hpp"
#include "mpi_tools/wire.hpp"

namespace {

using mpi_tools::Buffer;
using mpi_tools::InPayload;
using mpi_tools::OutFrame;
namespace wire = mpi_tools::wire;

std::vector<std::byte> bytes(std::size_t n) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(i * 7 + 1);
    return v;
}

}  // namespace

TEST(Buffer, MovingKeepsTheBytesWhereTheyAre) {
    Buffer a(100);
    std::byte* p = a.data();
    Buffer b(std::move(a));
    EXPECT_EQ(b.data(), p);
    EXPECT_EQ(b.size(), 100u);
    EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
    std::vector<Buffer> v;
    v.push_back(std::move(b));
    for (int i = 0; i < 10; ++i) v.emplace_back(8);  // reallocates the vector, not the bytes
    EXPECT_EQ(v[0].data(), p);
    v[0].shrink(40);
    EXPECT_EQ(v[0].size(), 40u);
    EXPECT_EQ(v[0].data(), p);
}

TEST(OutFrame, HeaderWrittenInPlaceDecodes) {
    const auto body = bytes(1000);
    auto f = OutFrame::with_payload_size(body.size());
    ASSERT_EQ(f.payload_size(), body.size());
    std::memcpy(f.payload().data(), body.data(), body.size());
    f.shrink_payload(600);
    Buffer buf = std::move(f).release();
    ASSERT_EQ(buf.size(), sizeof(wire::Header) + 600);
    wire::Header h;
    h.type = 1234;
    h.flags = wire::kRequest;
    h.id = 99;
    h.src = 3;
    h.len = 7;  // put_header sets it from the frame
    wire::put_header(h, buf);
    wire::Header got;
    ASSERT_EQ(wire::decode_header(buf, 3, &got), wire::DecodeError::ok);
    EXPECT_EQ(got.type, 1234);
    EXPECT_EQ(got.id, 99u);
    EXPECT_EQ(got.len, 600u);
    EXPECT_EQ(got.magic, wire::kMagic);
    InPayload p(std::move(buf), sizeof(wire::Header));
    ASSERT_EQ(p.size(), 600u);
    EXPECT_EQ(std::memcmp(p.data(), body.data(), 600), 0);
    std::span<const std::byte> s = p;  // what the decoders take
    EXPECT_EQ(s.data(), p.data());
}

TEST(OutFrame, CopyOfAndEmptyPayload) {
    const auto body = bytes(5);
    auto f = OutFrame::copy_of(body);
    ASSERT_EQ(f.payload_size(), 5u);
    EXPECT_EQ(std::memcmp(f.payload().data(), body.data(), 5), 0);
    auto e = OutFrame::copy_of({});
    Buffer buf = std::move(e).release();
    wire::Header h;
    h.src = 0;
    wire::put_header(h, buf);
    wire::Header got;
    EXPECT_EQ(wire::decode_header(buf, 0, &got), wire::DecodeError::ok);
    EXPECT_EQ(got.len, 0u);
    EXPECT_TRUE(InPayload(std::move(buf), sizeof(wire::Header)).empty());
    EXPECT_TRUE(InPayload().empty());
}

TEST(OutFrame, DecoderStillRejectsMismatches) {
    auto f = OutFrame::with_payload_size(16);
    std::memset(f.payload().data(), 0, 16);
    Buffer buf = std::move(f).release();
    wire::Header h;
    h.src = 2;
    wire::put_header(h, buf);
    wire::Header got;
    EXPECT_EQ(wire::decode_header(buf, 1, &got), wire::DecodeError::bad_source);
    // A frame cut short after its header was written: the length no longer matches.
    EXPECT_EQ(wire::decode_header(std::span<const std::byte>(buf).first(sizeof(wire::Header) + 8),
                                  2, &got),
              wire::DecodeError::bad_length);
    EXPECT_EQ(wire::decode_header(std::span<const std::byte>(buf).first(10), 2, &got),
              wire::DecodeError::too_short);
    buf.data()[0] = std::byte{0};  // the magic
    EXPECT_EQ(wire::decode_header(buf, 2, &got), wire::DecodeError::bad_magic);
    h.flags = wire::kRequest | wire::kResponse;
    wire::put_header(h, buf);
    EXPECT_EQ(wire::decode_header(buf, 2, &got), wire::DecodeError::bad_flags);
}
