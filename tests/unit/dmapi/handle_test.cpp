// The handle utilities: layout of the handles made, every accessor, every error case.
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "dmapi_test_util.hpp"

namespace pfs::dmapi::test {
namespace {

constexpr dm_fsid_t kFsid = 0x0123456789abcdefULL;
constexpr dm_ino_t kIno = 0xfedcba9876543210ULL;
constexpr dm_igen_t kGen = 0xdeadbeefU;

// A well-formed file handle in a caller-owned buffer, for corrupting.
dm_handle_t file_handle(dm_fsid_t fsid, dm_ino_t ino, dm_igen_t gen) {
    dm_handle_t h;
    std::memset(&h, 0, sizeof h);
    h.ha_fsid = fsid;
    h.ha_fid.dm_fid_len = 14;
    h.ha_fid.dm_fid_gen = gen;
    h.ha_fid.dm_fid_ino = ino;
    return h;
}

TEST(DmapiHandle, MakeHandleHasTheSgiLayout) {
    OwnedHandle h;
    make_file(h, kFsid, kIno, kGen);
    ASSERT_EQ(h.hlen, sizeof(dm_handle_t));
    ASSERT_EQ(h.hlen, 24u);
    dm_handle_t raw;
    std::memcpy(&raw, h.hanp, sizeof raw);
    EXPECT_EQ(raw.ha_fsid, kFsid);
    EXPECT_EQ(raw.ha_fid.dm_fid_len, 14);
    EXPECT_EQ(raw.ha_fid.dm_fid_pad, 0);
    EXPECT_EQ(raw.ha_fid.dm_fid_gen, kGen);
    EXPECT_EQ(raw.ha_fid.dm_fid_ino, kIno);
    EXPECT_EQ(static_cast<std::size_t>(DM_HSIZE(raw)), h.hlen);
    // LTP checks that a handle starts with its fsid.
    EXPECT_EQ(std::memcmp(h.hanp, &kFsid, sizeof kFsid), 0);
    EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), static_cast<dm_boolean_t>(DM_TRUE));
}

TEST(DmapiHandle, MakeHandleRoundTripsThroughTheAccessors) {
    const std::array<std::array<std::uint64_t, 3>, 4> cases{
        {{1, 0, 0}, {kFsid, kIno, kGen}, {~0ULL, ~0ULL, 0xffffffffULL}, {42, 1, 7}}};
    for (const auto& c : cases) {
        OwnedHandle h;
        make_file(h, c[0], c[1], static_cast<dm_igen_t>(c[2]));
        dm_fsid_t fsid = 0;
        dm_ino_t ino = 0;
        dm_igen_t igen = 0;
        ASSERT_EQ(dm_handle_to_fsid(h.hanp, h.hlen, &fsid), 0);
        ASSERT_EQ(dm_handle_to_ino(h.hanp, h.hlen, &ino), 0);
        ASSERT_EQ(dm_handle_to_igen(h.hanp, h.hlen, &igen), 0);
        EXPECT_EQ(fsid, c[0]);
        EXPECT_EQ(ino, c[1]);
        EXPECT_EQ(igen, static_cast<dm_igen_t>(c[2]));
        // ... and back: the same bytes.
        OwnedHandle again;
        make_file(again, fsid, ino, igen);
        EXPECT_EQ(dm_handle_cmp(h.hanp, h.hlen, again.hanp, again.hlen), 0);
    }
}

TEST(DmapiHandle, MakeHandleNullArgumentsAreEfault) {
    dm_fsid_t fsid = kFsid;
    dm_ino_t ino = kIno;
    dm_igen_t igen = kGen;
    void* hanp = reinterpret_cast<void*>(0x1234);
    std::size_t hlen = 99;
    EXPECT_DM_FAILS(dm_make_handle(nullptr, &ino, &igen, &hanp, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_handle(&fsid, nullptr, &igen, &hanp, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_handle(&fsid, &ino, nullptr, &hanp, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_handle(&fsid, &ino, &igen, nullptr, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_handle(&fsid, &ino, &igen, &hanp, nullptr), EFAULT);
    EXPECT_EQ(hanp, reinterpret_cast<void*>(0x1234)) << "outputs untouched on failure";
    EXPECT_EQ(hlen, 99u);
}

TEST(DmapiHandle, MakeHandleRejectsFsidZero) {
    dm_fsid_t fsid = 0;
    dm_ino_t ino = kIno;
    dm_igen_t igen = kGen;
    void* hanp = nullptr;
    std::size_t hlen = 0;
    EXPECT_DM_FAILS(dm_make_handle(&fsid, &ino, &igen, &hanp, &hlen), EINVAL);
    EXPECT_EQ(hanp, nullptr);
}

TEST(DmapiHandle, MakeFshandle) {
    OwnedHandle h;
    make_fs(h, kFsid);
    ASSERT_EQ(h.hlen, sizeof(dm_fsid_t));
    EXPECT_EQ(h.hlen, static_cast<std::size_t>(DM_FSHSIZE));
    EXPECT_EQ(std::memcmp(h.hanp, &kFsid, sizeof kFsid), 0);
    EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), static_cast<dm_boolean_t>(DM_TRUE));
    dm_fsid_t fsid = 0;
    ASSERT_EQ(dm_handle_to_fsid(h.hanp, h.hlen, &fsid), 0);
    EXPECT_EQ(fsid, kFsid);

    dm_fsid_t zero = 0;
    dm_fsid_t ok = kFsid;
    void* hanp = nullptr;
    std::size_t hlen = 0;
    EXPECT_DM_FAILS(dm_make_fshandle(&zero, &hanp, &hlen), EINVAL);
    EXPECT_DM_FAILS(dm_make_fshandle(nullptr, &hanp, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_fshandle(&ok, nullptr, &hlen), EFAULT);
    EXPECT_DM_FAILS(dm_make_fshandle(&ok, &hanp, nullptr), EFAULT);
    EXPECT_EQ(hanp, nullptr);
}

TEST(DmapiHandle, GlobalHandleIsValidAndNeverDereferenced) {
    EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, DM_GLOBAL_HLEN),
              static_cast<dm_boolean_t>(DM_TRUE));
    EXPECT_EQ(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
    EXPECT_EQ(dm_handle_hash(DM_GLOBAL_HANP, DM_GLOBAL_HLEN),
              dm_handle_hash(DM_GLOBAL_HANP, DM_GLOBAL_HLEN));
    dm_handle_free(DM_GLOBAL_HANP, DM_GLOBAL_HLEN);  // must not free (void*)1
    // With any other length it is a malformed handle, still not dereferenced.
    EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, 8), static_cast<dm_boolean_t>(DM_FALSE));
    EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, 24), static_cast<dm_boolean_t>(DM_FALSE));
    dm_fsid_t fsid;
    EXPECT_DM_FAILS(dm_handle_to_fsid(DM_GLOBAL_HANP, 24, &fsid), EINVAL);
}

TEST(DmapiHandle, GlobalHandleHasNoFileSystemOrInode) {
    // The errnos LTP's handle.c expects for the global handle.
    dm_fsid_t fsid;
    dm_ino_t ino;
    dm_igen_t igen;
    void* fshanp = nullptr;
    std::size_t fshlen = 0;
    EXPECT_DM_FAILS(dm_handle_to_fsid(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &fsid), EBADF);
    EXPECT_DM_FAILS(dm_handle_to_ino(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &ino), EBADF);
    EXPECT_DM_FAILS(dm_handle_to_igen(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &igen), EBADF);
    EXPECT_DM_FAILS(dm_handle_to_fshandle(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &fshanp, &fshlen), EBADF);
    EXPECT_EQ(fshanp, nullptr);
}

TEST(DmapiHandle, FsHandleHasNoInode) {
    OwnedHandle fs;
    make_fs(fs, kFsid);
    dm_ino_t ino;
    dm_igen_t igen;
    EXPECT_DM_FAILS(dm_handle_to_ino(fs.hanp, fs.hlen, &ino), EBADF);
    EXPECT_DM_FAILS(dm_handle_to_igen(fs.hanp, fs.hlen, &igen), EBADF);
}

TEST(DmapiHandle, HandleToFshandle) {
    OwnedHandle file;
    make_file(file, kFsid, kIno, kGen);
    OwnedHandle expected;
    make_fs(expected, kFsid);

    OwnedHandle from_file;
    ASSERT_EQ(dm_handle_to_fshandle(file.hanp, file.hlen, &from_file.hanp, &from_file.hlen), 0);
    EXPECT_EQ(dm_handle_cmp(from_file.hanp, from_file.hlen, expected.hanp, expected.hlen), 0);

    OwnedHandle from_fs;
    ASSERT_EQ(dm_handle_to_fshandle(expected.hanp, expected.hlen, &from_fs.hanp, &from_fs.hlen), 0);
    EXPECT_EQ(dm_handle_cmp(from_fs.hanp, from_fs.hlen, expected.hanp, expected.hlen), 0);
    EXPECT_NE(from_fs.hanp, expected.hanp) << "a fresh copy";

    void* out = nullptr;
    std::size_t outlen = 0;
    EXPECT_DM_FAILS(dm_handle_to_fshandle(file.hanp, file.hlen, nullptr, &outlen), EFAULT);
    EXPECT_DM_FAILS(dm_handle_to_fshandle(file.hanp, file.hlen, &out, nullptr), EFAULT);
    EXPECT_DM_FAILS(dm_handle_to_fshandle(file.hanp, file.hlen - 1, &out, &outlen), EINVAL);
    EXPECT_EQ(out, nullptr);
}

TEST(DmapiHandle, AccessorsRejectNullOutputs) {
    OwnedHandle h;
    make_file(h, kFsid, kIno, kGen);
    EXPECT_DM_FAILS(dm_handle_to_fsid(h.hanp, h.hlen, nullptr), EFAULT);
    EXPECT_DM_FAILS(dm_handle_to_ino(h.hanp, h.hlen, nullptr), EFAULT);
    EXPECT_DM_FAILS(dm_handle_to_igen(h.hanp, h.hlen, nullptr), EFAULT);
}

// Every accessor, on one malformed handle, must fail with `err` and leave outputs alone.
void expect_malformed(void* hanp, std::size_t hlen, int err, const char* what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(dm_handle_is_valid(hanp, hlen), static_cast<dm_boolean_t>(DM_FALSE));
    dm_fsid_t fsid = 7;
    dm_ino_t ino = 7;
    dm_igen_t igen = 7;
    void* fshanp = nullptr;
    std::size_t fshlen = 0;
    EXPECT_DM_FAILS(dm_handle_to_fsid(hanp, hlen, &fsid), err);
    EXPECT_DM_FAILS(dm_handle_to_ino(hanp, hlen, &ino), err);
    EXPECT_DM_FAILS(dm_handle_to_igen(hanp, hlen, &igen), err);
    EXPECT_DM_FAILS(dm_handle_to_fshandle(hanp, hlen, &fshanp, &fshlen), err);
    EXPECT_EQ(fsid, 7u);
    EXPECT_EQ(ino, 7u);
    EXPECT_EQ(igen, 7u);
    EXPECT_EQ(fshanp, nullptr);
}

TEST(DmapiHandle, MalformedHandlesAreEinval) {
    dm_handle_t good = file_handle(kFsid, kIno, kGen);
    ASSERT_EQ(dm_handle_is_valid(&good, sizeof good), static_cast<dm_boolean_t>(DM_TRUE));

    expect_malformed(DM_INVALID_HANP, DM_INVALID_HLEN, EINVAL, "DM_INVALID_HANP/HLEN");
    expect_malformed(&good, 0, EINVAL, "length 0");
    expect_malformed(&good, 1, EINVAL, "length 1, not the global handle");
    expect_malformed(&good, sizeof good - 1, EINVAL, "file handle, hlen too small");
    expect_malformed(&good, 16, EINVAL, "fsid + half a fid");
    expect_malformed(&good, sizeof(dm_fsid_t) - 1, EINVAL, "fs handle, hlen too small");
    std::array<unsigned char, 64> big{};
    std::memcpy(big.data(), &good, sizeof good);
    expect_malformed(big.data(), sizeof good + 1, EINVAL, "file handle, hlen too big");
    expect_malformed(big.data(), sizeof(dm_fsid_t) + 1, EINVAL, "fs handle, hlen too big");
    expect_malformed(big.data(), DM_MAX_HANDLE_SIZE, EINVAL, "DM_MAX_HANDLE_SIZE bytes");

    dm_handle_t zero;
    std::memset(&zero, 0, sizeof zero);
    expect_malformed(&zero, sizeof zero, EINVAL, "zeroed file handle");
    expect_malformed(&zero, sizeof(dm_fsid_t), EINVAL, "zeroed fs handle");

    dm_handle_t bad = good;
    bad.ha_fsid = 0;
    expect_malformed(&bad, sizeof bad, EINVAL, "fsid 0");
    bad = good;
    bad.ha_fid.dm_fid_len = 16;
    expect_malformed(&bad, sizeof bad, EINVAL, "fid_len 16");
    bad = good;
    bad.ha_fid.dm_fid_len = 0;
    expect_malformed(&bad, sizeof bad, EINVAL, "fid_len 0");
    bad = good;
    bad.ha_fid.dm_fid_pad = 1;
    expect_malformed(&bad, sizeof bad, EINVAL, "fid_pad 1");
}

TEST(DmapiHandle, NullHandleWithALengthIsEfault) {
    expect_malformed(nullptr, sizeof(dm_handle_t), EFAULT, "NULL, 24");
    expect_malformed(nullptr, sizeof(dm_fsid_t), EFAULT, "NULL, 8");
}

TEST(DmapiHandle, GarbageIsRejectedUnlessItIsWellFormed) {
    // Random 24-byte buffers: valid exactly when they happen to have the structure of a handle.
    std::mt19937_64 rng(20240601);
    int valid = 0;
    for (int i = 0; i < 20000; ++i) {
        std::array<std::uint64_t, 3> buf{rng(), rng(), rng()};
        if (i % 4 == 0) {  // make a quarter pass the length/pad check to exercise fsid/ino paths
            dm_handle_t h;
            std::memcpy(&h, buf.data(), sizeof h);
            h.ha_fid.dm_fid_len = 14;
            h.ha_fid.dm_fid_pad = 0;
            if (i % 8 == 0) h.ha_fsid = 0;
            std::memcpy(buf.data(), &h, sizeof h);
        }
        dm_handle_t h;
        std::memcpy(&h, buf.data(), sizeof h);
        const bool expect = h.ha_fsid != 0 && h.ha_fid.dm_fid_len == 14 && h.ha_fid.dm_fid_pad == 0;
        ASSERT_EQ(dm_handle_is_valid(buf.data(), sizeof h) == DM_TRUE, expect) << i;
        dm_ino_t ino = 0;
        if (expect) {
            ++valid;
            ASSERT_EQ(dm_handle_to_ino(buf.data(), sizeof h, &ino), 0);
            ASSERT_EQ(ino, h.ha_fid.dm_fid_ino);
        } else {
            errno = 0;
            ASSERT_EQ(dm_handle_to_ino(buf.data(), sizeof h, &ino), -1);
            ASSERT_EQ(errno, EINVAL);
        }
    }
    EXPECT_GT(valid, 2000);  // about 1/8 of the buffers
}

TEST(DmapiHandle, CmpOrdersByLengthThenBytes) {
    OwnedHandle a, a2, b, fs;
    make_file(a, kFsid, 10, 1);
    make_file(a2, kFsid, 10, 1);
    make_file(b, kFsid, 11, 1);
    make_fs(fs, kFsid);
    EXPECT_EQ(dm_handle_cmp(a.hanp, a.hlen, a.hanp, a.hlen), 0);
    EXPECT_EQ(dm_handle_cmp(a.hanp, a.hlen, a2.hanp, a2.hlen), 0);
    const int ab = dm_handle_cmp(a.hanp, a.hlen, b.hanp, b.hlen);
    const int ba = dm_handle_cmp(b.hanp, b.hlen, a.hanp, a.hlen);
    EXPECT_NE(ab, 0);
    EXPECT_EQ(ab, -ba);
    // Different lengths: never equal; shorter first.
    EXPECT_LT(dm_handle_cmp(fs.hanp, fs.hlen, a.hanp, a.hlen), 0);
    EXPECT_GT(dm_handle_cmp(a.hanp, a.hlen, fs.hanp, fs.hlen), 0);
    // Same fsid as the file handle's first 8 bytes, still a different handle.
    EXPECT_NE(dm_handle_cmp(fs.hanp, fs.hlen, a.hanp, sizeof(dm_fsid_t) + 1), 0);
    // Global versus anything else.
    EXPECT_NE(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, a.hanp, a.hlen), 0);
    EXPECT_NE(dm_handle_cmp(a.hanp, a.hlen, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
    unsigned char one = 1;
    EXPECT_LT(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &one, 1), 0);
    EXPECT_GT(dm_handle_cmp(&one, 1, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
    // Null pointers are ordered, not dereferenced.
    EXPECT_EQ(dm_handle_cmp(nullptr, 0, nullptr, 0), 0);
    EXPECT_EQ(dm_handle_cmp(nullptr, 24, nullptr, 24), 0);
    EXPECT_LT(dm_handle_cmp(nullptr, a.hlen, a.hanp, a.hlen), 0);
    EXPECT_GT(dm_handle_cmp(a.hanp, a.hlen, nullptr, a.hlen), 0);
}

TEST(DmapiHandle, HashIsConsistentWithCmp) {
    // A pool with duplicates (equal content, different buffers) of file, fs and global handles.
    std::vector<std::unique_ptr<OwnedHandle>> pool;
    for (int copy = 0; copy < 2; ++copy) {
        for (dm_ino_t ino = 1; ino <= 40; ++ino) {
            pool.push_back(std::make_unique<OwnedHandle>());
            make_file(*pool.back(), kFsid + (ino % 3), ino, static_cast<dm_igen_t>(ino % 5));
        }
        for (dm_fsid_t fsid = 1; fsid <= 5; ++fsid) {
            pool.push_back(std::make_unique<OwnedHandle>());
            make_fs(*pool.back(), fsid);
        }
    }
    struct Ref {
        void* hanp;
        std::size_t hlen;
    };
    std::vector<Ref> refs;
    for (const auto& h : pool) refs.push_back({h->hanp, h->hlen});
    refs.push_back({DM_GLOBAL_HANP, DM_GLOBAL_HLEN});
    refs.push_back({DM_GLOBAL_HANP, DM_GLOBAL_HLEN});
    int equal_pairs = 0;
    int distinct_pairs = 0;
    int distinct_collisions = 0;
    for (const auto& x : refs) {
        for (const auto& y : refs) {
            const int c = dm_handle_cmp(x.hanp, x.hlen, y.hanp, y.hlen);
            ASSERT_EQ(c, -dm_handle_cmp(y.hanp, y.hlen, x.hanp, x.hlen));
            const bool same_hash = dm_handle_hash(x.hanp, x.hlen) == dm_handle_hash(y.hanp, y.hlen);
            if (c == 0) {
                ++equal_pairs;
                ASSERT_TRUE(same_hash);
            } else {
                ++distinct_pairs;
                if (same_hash) ++distinct_collisions;
            }
        }
    }
    EXPECT_GT(equal_pairs, static_cast<int>(refs.size()));  // the duplicates were found equal
    EXPECT_EQ(distinct_collisions, 0) << "of " << distinct_pairs;  // FNV-1a on this small pool
}

TEST(DmapiHandle, HashOfNullIsDefined) {
    EXPECT_EQ(dm_handle_hash(nullptr, 0), dm_handle_hash(nullptr, 24));
}

TEST(DmapiHandle, FreeAcceptsNullAndGlobal) {
    dm_handle_free(nullptr, 0);
    dm_handle_free(nullptr, 24);
    dm_handle_free(DM_GLOBAL_HANP, DM_GLOBAL_HLEN);
    dm_handle_free(DM_GLOBAL_HANP, 24);
    OwnedHandle h;  // and a real one, freed by the destructor (leak-checked under ASan)
    make_file(h, kFsid, kIno, kGen);
}

}  // namespace
}  // namespace pfs::dmapi::test
