// ObjectStore: sparse objects, short reads, holes, punch, truncate, allocation maps, quota,
// fd cache bounds, zero-copy maps and concurrent use.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <random>
#include <thread>

#include "pfs/data/direct_access.hpp"
#include "pfs/data/object_store.hpp"
#include "test_util.hpp"

namespace pfs::test {
namespace {

using data::ObjectStore;

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::byte((i * 131 + seed * 7 + (i >> 9)) & 0xff);
    return v;
}

class ObjectStoreTest : public ::testing::Test {
  protected:
    void SetUp() override { open_store({}); }
    void open_store(data::ObjectStoreOptions o) {
        store_.reset();
        auto s = ObjectStore::open(dir_.path(), o);
        ASSERT_TRUE(s.ok()) << strerrorname_np(s.error());
        store_ = std::move(*s);
    }
    ObjectStore& s() { return *store_; }
    static constexpr ObjectId kObj{0x1234, 7};
    TempDir dir_;
    std::unique_ptr<ObjectStore> store_;
};

TEST(ObjectStoreOpen, RequiresAnExistingDirectory) {
    TempDir d;
    EXPECT_ERRNO(ObjectStore::open(d.path() / "missing"), ENOENT);
    std::FILE* f = std::fopen((d.path() / "file").c_str(), "w");
    std::fclose(f);
    EXPECT_ERRNO(ObjectStore::open(d.path() / "file"), ENOTDIR);
    EXPECT_ERRNO(ObjectStore::open(d.path(), {0, 0}), EINVAL);
    ASSERT_OK(ObjectStore::open(d.path()));
    EXPECT_TRUE(std::filesystem::is_directory(d.path() / "objects"));
}

TEST_F(ObjectStoreTest, ObjectPathLayout) {
    EXPECT_EQ(s().object_path(kObj), dir_.path() / "objects" / "34" / "4660.7");
    const auto data = pattern(10, 1);
    ASSERT_OK(s().pwrite(kObj, data, 0));
    EXPECT_TRUE(std::filesystem::exists(s().object_path(kObj)));
}

// The scrub's listing: one fan-out directory in (ino, gen) order, paged by the last entry;
// foreign names skipped; a directory no object made yet is empty.
TEST_F(ObjectStoreTest, ListsAShardInOrderByPages) {
    const auto data = pattern(10, 3);
    // shard 0x34: inodes 0x34, 0x134, 0x234 (two generations of 0x134); shard 0x35: one
    for (ObjectId id : {ObjectId{0x234, 1}, ObjectId{0x34, 9}, ObjectId{0x134, 2},
                        ObjectId{0x134, 1}, ObjectId{0x35, 1}})
        ASSERT_OK(s().pwrite(id, data, 0));
    std::fclose(std::fopen((dir_.path() / "objects" / "34" / "not-an-object").c_str(), "w"));
    std::fclose(std::fopen((dir_.path() / "objects" / "34" / "12.x").c_str(), "w"));
    bool done = false;
    auto all = s().list(0x34, ObjectId{}, 100, &done);
    ASSERT_OK(all);
    EXPECT_TRUE(done);
    const std::vector<ObjectId> want{{0x34, 9}, {0x134, 1}, {0x134, 2}, {0x234, 1}};
    EXPECT_EQ(*all, want);
    auto first = s().list(0x34, ObjectId{}, 2, &done);
    ASSERT_OK(first);
    EXPECT_FALSE(done);
    EXPECT_EQ(*first, std::vector<ObjectId>(want.begin(), want.begin() + 2));
    auto rest = s().list(0x34, first->back(), 2, &done);
    ASSERT_OK(rest);
    EXPECT_TRUE(done);
    EXPECT_EQ(*rest, std::vector<ObjectId>(want.begin() + 2, want.end()));
    auto none = s().list(0x77, ObjectId{}, 10, &done);
    ASSERT_OK(none);
    EXPECT_TRUE(none->empty());
    EXPECT_TRUE(done);
    EXPECT_ERRNO(s().list(config::kObjectShards, ObjectId{}, 10, &done), EINVAL);
    EXPECT_ERRNO(s().list(0, ObjectId{}, 0, &done), EINVAL);
}

TEST_F(ObjectStoreTest, WriteReadHolesAndShortCounts) {
    const auto a = pattern(5000, 1);
    auto w = s().pwrite(kObj, a, 10000);
    ASSERT_OK(w);
    EXPECT_EQ(*w, a.size());
    EXPECT_EQ(*s().size(kObj), 15000u);

    std::vector<std::byte> buf(20000, std::byte{0xee});
    auto r = s().pread(kObj, buf, 0);
    ASSERT_OK(r);
    EXPECT_EQ(*r, 15000u);  // short: EOF at 15000
    for (std::size_t i = 0; i < 10000; ++i) ASSERT_EQ(buf[i], std::byte{0}) << i;  // hole
    EXPECT_EQ(std::memcmp(buf.data() + 10000, a.data(), a.size()), 0);
    EXPECT_EQ(buf[15000], std::byte{0xee});  // untouched past the short count

    EXPECT_EQ(*s().pread(kObj, buf, 15000), 0u);
    EXPECT_EQ(*s().pread(kObj, buf, 1 << 30), 0u);
    EXPECT_EQ(*s().pread(ObjectId{99, 1}, buf, 0), 0u);  // missing object reads as empty
    EXPECT_EQ(*s().size(ObjectId{99, 1}), 0u);
    EXPECT_FALSE(std::filesystem::exists(s().object_path(ObjectId{99, 1})));

    EXPECT_ERRNO(s().pwrite(kObj, a, config::kMaxFileSize), EFBIG);
    EXPECT_ERRNO(s().pread(kObj, buf, config::kMaxFileSize), EINVAL);
    EXPECT_EQ(*s().pwrite(kObj, std::span<const std::byte>{}, 0), 0u);
}

TEST_F(ObjectStoreTest, GenerationsAreDistinctObjects) {
    const auto a = pattern(100, 1), b = pattern(100, 2);
    ASSERT_OK(s().pwrite(ObjectId{5, 1}, a, 0));
    ASSERT_OK(s().pwrite(ObjectId{5, 2}, b, 0));
    std::vector<std::byte> buf(100);
    ASSERT_OK(s().pread(ObjectId{5, 1}, buf, 0));
    EXPECT_EQ(buf, a);
    ASSERT_OK(s().pread(ObjectId{5, 2}, buf, 0));
    EXPECT_EQ(buf, b);
}

TEST_F(ObjectStoreTest, VectoredIo) {
    const auto a = pattern(3000, 3), b = pattern(7000, 4);
    std::vector<std::span<const std::byte>> out{a, {}, b};
    auto w = s().pwritev(kObj, out, 4096);
    ASSERT_OK(w);
    EXPECT_EQ(*w, 10000u);
    std::vector<std::byte> x(1000), y(20000);
    std::vector<std::span<std::byte>> in{x, y};
    auto r = s().preadv(kObj, in, 4096);
    ASSERT_OK(r);
    EXPECT_EQ(*r, 10000u);  // short: EOF
    EXPECT_EQ(std::memcmp(x.data(), a.data(), 1000), 0);
    EXPECT_EQ(std::memcmp(y.data(), a.data() + 1000, 2000), 0);
    EXPECT_EQ(std::memcmp(y.data() + 2000, b.data(), b.size()), 0);
    std::vector<std::span<const std::byte>> too_many(IOV_MAX + 1, std::span<const std::byte>(a));
    EXPECT_ERRNO(s().pwritev(kObj, too_many, 0), EINVAL);
    EXPECT_EQ(*s().preadv(ObjectId{77, 1}, in, 0), 0u);
}

TEST_F(ObjectStoreTest, PunchHoleKeepsSizeAndReadsZeros) {
    const auto a = pattern(64 * 1024, 5);
    ASSERT_OK(s().pwrite(kObj, a, 0));
    ASSERT_OK(s().fsync(kObj));
    ASSERT_OK(s().punch_hole(kObj, 16 * 1024, 32 * 1024));
    EXPECT_EQ(*s().size(kObj), a.size());
    std::vector<std::byte> buf(a.size());
    ASSERT_EQ(*s().pread(kObj, buf, 0), a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const bool hole = i >= 16 * 1024 && i < 48 * 1024;
        ASSERT_EQ(buf[i], hole ? std::byte{0} : a[i]) << i;
    }
    auto map = s().alloc_map(kObj, 0, ~0ull >> 2);
    ASSERT_OK(map);
    const std::vector<Extent> want{{0, 16384, true}, {16384, 32768, false}, {49152, 16384, true}};
    EXPECT_EQ(*map, want);
    EXPECT_ERRNO(s().punch_hole(kObj, 0, 0), EINVAL);
    ASSERT_OK(s().punch_hole(ObjectId{404, 1}, 0, 4096));  // missing: nothing to punch
}

TEST_F(ObjectStoreTest, AllocMapOfSparseObjectAndSubranges) {
    const auto blk = pattern(4096, 6);
    ASSERT_OK(s().pwrite(kObj, blk, 8192));               // data [8K, 12K)
    ASSERT_OK(s().pwrite(kObj, blk, 1 << 20));            // data [1M, 1M+4K)
    ASSERT_OK(s().truncate(kObj, (1 << 20) + 3 * 4096));  // trailing hole
    auto m = s().alloc_map(kObj, 0, 10ull << 20);
    ASSERT_OK(m);
    const std::vector<Extent> want{{0, 8192, false},
                                   {8192, 4096, true},
                                   {12288, (1 << 20) - 12288, false},
                                   {1 << 20, 4096, true},
                                   {(1 << 20) + 4096, 8192, false}};
    EXPECT_EQ(*m, want);
    auto sub = s().alloc_map(kObj, 10000, 4000);
    ASSERT_OK(sub);
    EXPECT_EQ(*sub, (std::vector<Extent>{{10000, 2288, true}, {12288, 1712, false}}));
    EXPECT_TRUE(s().alloc_map(kObj, 5ull << 20, 100)->empty());  // beyond EOF
    EXPECT_TRUE(s().alloc_map(ObjectId{1, 1}, 0, 100)->empty());
    EXPECT_ERRNO(s().alloc_map(kObj, config::kMaxFileSize, 2), EINVAL);
}

TEST_F(ObjectStoreTest, TruncateAndRemove) {
    ASSERT_OK(s().truncate(ObjectId{8, 1}, 0));  // missing + 0: nothing created
    EXPECT_FALSE(std::filesystem::exists(s().object_path(ObjectId{8, 1})));
    ASSERT_OK(s().truncate(kObj, 100000));
    EXPECT_EQ(*s().size(kObj), 100000u);
    const auto a = pattern(10000, 8);
    ASSERT_OK(s().pwrite(kObj, a, 0));
    ASSERT_OK(s().truncate(kObj, 5000));
    std::vector<std::byte> buf(10000);
    EXPECT_EQ(*s().pread(kObj, buf, 0), 5000u);
    ASSERT_OK(s().truncate(kObj, 8000));  // re-extension reads zeros, not old data
    EXPECT_EQ(*s().pread(kObj, buf, 0), 8000u);
    for (std::size_t i = 5000; i < 8000; ++i) ASSERT_EQ(buf[i], std::byte{0});
    EXPECT_ERRNO(s().truncate(kObj, config::kMaxFileSize + 1), EFBIG);
    EXPECT_EQ(*s().remove(kObj), true);
    EXPECT_EQ(*s().remove(kObj), false);
    EXPECT_FALSE(std::filesystem::exists(s().object_path(kObj)));
    EXPECT_EQ(*s().pread(kObj, buf, 0), 0u);
}

TEST_F(ObjectStoreTest, FsyncOfMissingAndExistingObjects) {
    ASSERT_OK(s().fsync(ObjectId{42, 42}));
    ASSERT_OK(s().pwrite(kObj, pattern(10, 1), 0));
    ASSERT_OK(s().fsync(kObj));
    ASSERT_OK(s().fsync(kObj));
}

TEST_F(ObjectStoreTest, QuotaReturnsEnospcBeforeWriting) {
    open_store({256 * 1024, 16});
    const auto blk = pattern(64 * 1024, 9);
    for (int i = 0; i < 4; ++i) ASSERT_OK(s().pwrite(ObjectId{1, 1}, blk, i * blk.size()));
    auto st = s().statfs();
    ASSERT_OK(st);
    EXPECT_EQ(st->total_bytes, 256u * 1024);
    EXPECT_EQ(st->used_bytes, 256u * 1024);
    EXPECT_EQ(st->free_bytes, 0u);
    EXPECT_ERRNO(s().pwrite(ObjectId{2, 1}, std::span(blk).first(1), 0), ENOSPC);
    EXPECT_FALSE(std::filesystem::exists(s().object_path(ObjectId{2, 1})));  // not created
    EXPECT_ERRNO(s().pwrite(ObjectId{1, 1}, blk, 256 * 1024), ENOSPC);       // extension
    EXPECT_EQ(*s().size(ObjectId{1, 1}), 256u * 1024);                       // nothing written
    // Overwriting allocated blocks needs no new space.
    ASSERT_OK(s().pwrite(ObjectId{1, 1}, blk, 0));
    // Punching frees space again, and the accounting sees it.
    ASSERT_OK(s().punch_hole(ObjectId{1, 1}, 0, 128 * 1024));
    EXPECT_EQ(s().statfs()->used_bytes, 128u * 1024);
    ASSERT_OK(s().pwrite(ObjectId{2, 1}, blk, 0));
    ASSERT_OK(s().remove(ObjectId{1, 1}));
    EXPECT_EQ(s().statfs()->used_bytes, 64u * 1024);
    // Usage is rebuilt from the objects on reopen.
    open_store({256 * 1024, 16});
    EXPECT_EQ(s().statfs()->used_bytes, 64u * 1024);
    // Writable maps are charged up front too.
    EXPECT_ERRNO(s().map_range(ObjectId{3, 1}, 0, 512 * 1024, true), ENOSPC);
    EXPECT_ERRNO(s().map_range(ObjectId{2, 1}, 64 * 1024, 512 * 1024, true), ENOSPC);
    EXPECT_EQ(*s().size(ObjectId{2, 1}), 64u * 1024);  // a failed writable map does not extend
}

TEST_F(ObjectStoreTest, StatfsWithoutQuotaReportsTheVolume) {
    auto st = s().statfs();
    ASSERT_OK(st);
    EXPECT_GT(st->total_bytes, 0u);
    EXPECT_LE(st->free_bytes, st->total_bytes);
    EXPECT_EQ(st->used_bytes, 0u);
}

// A client of the server's host writes an object itself and adds what it allocated to the
// volume's direct-usage counter: statfs and the next measured operation count it, a removal
// gives it back, and a reopened store rescans and restarts the counter.
TEST_F(ObjectStoreTest, DirectUsageIsFoldedIntoTheCount) {
    EXPECT_ERRNO(data::DirectUsage::open(dir_.path() / "nowhere", false), ENOENT);
    auto u = data::DirectUsage::open(dir_.path(), false);  // made by the store's open
    ASSERT_OK(u);
    EXPECT_EQ(dir_.path() / data::object_relpath(kObj), s().object_path(kObj));
    ASSERT_OK(s().pwrite(kObj, pattern(1, 1), 0));  // the server creates the object (one block)
    const auto base = s().statfs()->used_bytes;
    EXPECT_EQ(base, 4096u);
    // The client's write of 64 KiB at 64 KiB, straight into the object file.
    const int fd = ::open(s().object_path(kObj).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    auto holes = data::unallocated_in(fd, 65536, 65536);
    ASSERT_OK(holes);
    EXPECT_EQ(*holes, 65536u);
    const auto d = pattern(65536, 3);
    ASSERT_EQ(::pwrite(fd, d.data(), d.size(), 65536), 65536);
    EXPECT_EQ(*data::unallocated_in(fd, 65536, 65536), 0u);  // an overwrite allocates nothing
    ::close(fd);
    (*u)->add(*holes);
    EXPECT_EQ(s().statfs()->used_bytes, base + 65536);
    EXPECT_EQ((*u)->take(), 0u);  // folded
    ASSERT_OK(s().remove(kObj));  // the removal measures the whole object
    EXPECT_EQ(s().statfs()->used_bytes, 0u);
    (*u)->add(12345);
    open_store({});
    EXPECT_EQ(s().statfs()->used_bytes, 0u);  // the rescan is the truth; the counter restarts
}

TEST_F(ObjectStoreTest, FdCacheIsBounded) {
    open_store({0, 4});
    const auto a = pattern(10, 1);
    for (Ino i = 1; i <= 20; ++i) ASSERT_OK(s().pwrite(ObjectId{i, 1}, a, 0));
    EXPECT_EQ(s().cached_fds(), 4u);
    std::vector<std::byte> buf(10);
    for (Ino i = 1; i <= 20; ++i) {  // evicted objects reopen transparently
        ASSERT_EQ(*s().pread(ObjectId{i, 1}, buf, 0), 10u);
        ASSERT_EQ(buf, a);
    }
    EXPECT_EQ(s().cached_fds(), 4u);
}

TEST_F(ObjectStoreTest, WritableMapExtendsAndLandsInTheObject) {
    const std::uint64_t off = 5000, len = 10000;  // deliberately not page aligned
    {
        auto m = s().map_range(kObj, off, len, true);
        ASSERT_OK(m);
        ASSERT_EQ(m->data().size(), len);
        const auto p = pattern(len, 11);
        std::memcpy(m->data().data(), p.data(), len);  // "network receive"
        ASSERT_OK(m->sync());
    }
    EXPECT_EQ(*s().size(kObj), off + len);
    std::vector<std::byte> buf(off + len);
    ASSERT_EQ(*s().pread(kObj, buf, 0), off + len);
    EXPECT_EQ(std::memcmp(buf.data() + off, pattern(len, 11).data(), len), 0);
    for (std::size_t i = 0; i < off; ++i) ASSERT_EQ(buf[i], std::byte{0});
    // A smaller writable map inside does not shrink the object.
    ASSERT_OK(s().map_range(kObj, 0, 10, true));
    EXPECT_EQ(*s().size(kObj), off + len);
}

TEST_F(ObjectStoreTest, ReadOnlyMapIsClippedAtEof) {
    const auto a = pattern(6000, 12);
    ASSERT_OK(s().pwrite(kObj, a, 0));
    auto m = s().map_range(kObj, 4000, 100000, false);
    ASSERT_OK(m);
    ASSERT_EQ(m->data().size(), 2000u);
    EXPECT_FALSE(m->writable());
    EXPECT_EQ(std::memcmp(m->data().data(), a.data() + 4000, 2000), 0);
    EXPECT_TRUE(s().map_range(kObj, 6000, 10, false)->data().empty());
    EXPECT_TRUE(s().map_range(ObjectId{9, 9}, 0, 10, false)->data().empty());
    EXPECT_ERRNO(s().map_range(kObj, 0, 0, false), EINVAL);
    EXPECT_ERRNO(s().map_range(kObj, config::kMaxFileSize, 10, true), EINVAL);
    // A mapping keeps its object readable even after the cache dropped the fd.
    data::Mapping moved = std::move(*m);
    EXPECT_EQ(moved.data().size(), 2000u);
}

TEST_F(ObjectStoreTest, ConcurrentWritersAndReaders) {
    open_store({0, 3});  // small cache: eviction races with use
    constexpr int kThreads = 4, kObjs = 6, kIters = 150;
    std::vector<std::thread> ts;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&, t] {
            std::mt19937 rng(t);
            std::vector<std::byte> buf(4096);
            for (int i = 0; i < kIters; ++i) {
                const ObjectId id{static_cast<Ino>(rng() % kObjs + 1), 1};
                // Each thread owns its own 4 KiB slot in every object.
                const auto data = pattern(4096, static_cast<unsigned>(t * 1000 + i));
                if (!s().pwrite(id, data, static_cast<std::uint64_t>(t) * 4096)) ++failures;
                auto r = s().pread(id, buf, static_cast<std::uint64_t>(t) * 4096);
                if (!r || *r != 4096 || buf != data) ++failures;
            }
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_LE(s().cached_fds(), 3u);
}

}  // namespace
}  // namespace pfs::test
