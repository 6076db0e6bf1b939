// Unit tests of the HSM's pieces that need no job: the state record, archive ids and the
// directory backend (no escape from the root), the policy file, the command text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "archive_backend.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "state_record.hpp"

using namespace pfs::hsm;

TEST(HsmRecord, RoundTrip) {
    StateRecord r;
    r.state = FileState::migrated;
    r.phase = Phase::releasing;
    r.archive_id = make_archive_id(0x1234, 77, 3, 0xabc);
    r.size = 9 << 20;
    r.checksum = 0xdeadbeefcafef00dull;
    r.archived_at = 1700000000;
    r.path = "/a dir/with%odd\nname";
    StateRecord d;
    std::string err;
    ASSERT_TRUE(decode(encode(r), &d, &err)) << err;
    EXPECT_EQ(d.state, r.state);
    EXPECT_EQ(d.phase, r.phase);
    EXPECT_EQ(d.archive_id, r.archive_id);
    EXPECT_EQ(d.size, r.size);
    EXPECT_EQ(d.checksum, r.checksum);
    EXPECT_EQ(d.archived_at, r.archived_at);
    EXPECT_EQ(d.path, r.path);
}

TEST(HsmRecord, RejectsGarbage) {
    StateRecord d;
    std::string err;
    EXPECT_FALSE(decode("", &d, &err));
    EXPECT_FALSE(decode("pfshsm 2\nstate=resident\n", &d, &err));
    EXPECT_FALSE(decode("pfshsm 1\nstate=flying\n", &d, &err));
    EXPECT_FALSE(decode("pfshsm 1\nstate=resident\nsize=x\n", &d, &err));
    EXPECT_FALSE(decode("pfshsm 1\nphase=none\n", &d, &err));    // no state
    EXPECT_FALSE(decode("pfshsm 1\nstate=resident", &d, &err));  // unterminated
}

TEST(HsmArchiveId, OnlyOurShape) {
    EXPECT_TRUE(valid_archive_id(make_archive_id(1, 2, 3, 4)));
    for (const char* bad :
         {"", "/abs", "../x", "a/../b", "a//b", "a/", "A", "a/b.tmp", "a b", "..", "a/./b"})
        EXPECT_FALSE(valid_archive_id(bad)) << bad;
}

TEST(HsmDirBackend, WriteCommitReadRemove) {
    char tmpl[] = "/tmp/hsm-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string root = std::string(tmpl) + "/archive";
    int err = 0;
    auto be = make_dir_backend(root, &err);
    ASSERT_TRUE(be) << err;
    const std::string id = make_archive_id(9, 300, 1, 42);
    std::unique_ptr<ArchiveWriter> w;
    ASSERT_EQ(be->create(id, &w), 0);
    std::uint64_t sz = 0;
    EXPECT_EQ(be->stat(id, &sz), ENOENT);  // nothing visible before commit
    ASSERT_EQ(w->write("hello", 5), 0);
    ASSERT_EQ(w->commit(), 0);
    ASSERT_EQ(be->stat(id, &sz), 0);
    EXPECT_EQ(sz, 5u);
    std::unique_ptr<ArchiveReader> r;
    ASSERT_EQ(be->open(id, &r), 0);
    char buf[8] = {};
    EXPECT_EQ(r->pread(buf, 8, 0), 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    r.reset();
    // An abandoned write leaves nothing.
    const std::string id2 = make_archive_id(9, 301, 1, 43);
    ASSERT_EQ(be->create(id2, &w), 0);
    ASSERT_EQ(w->write("x", 1), 0);
    w.reset();
    EXPECT_EQ(be->stat(id2, &sz), ENOENT);
    EXPECT_EQ(be->remove(id), 0);
    EXPECT_EQ(be->stat(id, &sz), ENOENT);
    EXPECT_EQ(be->remove(id), ENOENT);
    EXPECT_EQ(be->create("../escape", &w), EINVAL);
    EXPECT_EQ(be->open("/etc/passwd", &r), EINVAL);
    EXPECT_FALSE(std::filesystem::exists(std::string(tmpl) + "/escape"));
    std::filesystem::remove_all(tmpl);
}

TEST(HsmConfig, ParsesEveryKey) {
    Config c;
    std::string err;
    ASSERT_TRUE(parse_config(R"(# policy
session_name = hsm-a
archive_root = /arch
recall_workers = 8
chunk_size = 8M
recall_errno = ENODATA
keep_archive_on_destroy = yes
min_size = 1M
min_atime_age = 2h
min_mtime_age = 30m
include = /data/*
exclude = *.tmp
scan_interval = 60
high_watermark = 90%
low_watermark = 70
max_bytes_per_sec = 100M
max_files_per_run = 50
)",
                             &c, &err))
        << err;
    EXPECT_EQ(c.session_name, "hsm-a");
    EXPECT_EQ(c.recall_workers, 8u);
    EXPECT_EQ(c.chunk_bytes, 8u << 20);
    EXPECT_EQ(c.recall_errno, ENODATA);
    EXPECT_TRUE(c.keep_archive_on_destroy);
    EXPECT_EQ(c.min_size, 1u << 20);
    EXPECT_EQ(c.min_atime_age.count(), 7200);
    EXPECT_EQ(c.min_mtime_age.count(), 1800);
    EXPECT_EQ(c.include.size(), 1u);
    EXPECT_EQ(c.exclude.size(), 1u);
    EXPECT_DOUBLE_EQ(c.high_watermark, 90);
    EXPECT_EQ(c.max_bytes_per_sec, 100u << 20);
    EXPECT_EQ(c.max_files_per_run, 50u);
}

TEST(HsmConfig, ClearErrors) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_config("nonsense\n", &c, &err));
    EXPECT_EQ(err, "line 1: expected 'key = value'");
    EXPECT_FALSE(parse_config("\nfoo = 1\n", &c, &err));
    EXPECT_EQ(err, "line 2: unknown key 'foo'");
    EXPECT_FALSE(parse_config("recall_workers = 0\n", &c, &err));
    EXPECT_FALSE(parse_config("archive_root = relative\n", &c, &err));
    EXPECT_FALSE(parse_config("high_watermark = 50\nlow_watermark = 60\n", &c, &err));
}

TEST(HsmCommand, RoundTripAndErrors) {
    Command c;
    c.verb = Verb::migrate;
    c.dry_run = true;
    c.paths = {"/a b", "/c"};
    Command d;
    std::string err;
    ASSERT_TRUE(decode(encode(c), &d, &err)) << err;
    EXPECT_EQ(d.verb, Verb::migrate);
    EXPECT_TRUE(d.dry_run);
    EXPECT_EQ(d.paths, c.paths);
    EXPECT_FALSE(decode("fly\n/a\n", &d, &err));
    EXPECT_FALSE(decode("archive\n", &d, &err));            // no paths
    EXPECT_FALSE(decode("archive\nrelative\n", &d, &err));  // not absolute
    EXPECT_TRUE(decode("remove-archive-copy\n/x\n", &d, &err));
    EXPECT_EQ(d.verb, Verb::remove);
    EXPECT_TRUE(decode("stats\n", &d, &err));
}

TEST(HsmRecord, RecalledMapAndBlockSize) {
    StateRecord r;
    r.state = FileState::migrated;
    r.block_size = 1 << 20;
    r.recalled.assign(11, false);
    r.recalled[0] = r.recalled[5] = r.recalled[10] = true;
    StateRecord d;
    std::string err;
    ASSERT_TRUE(decode(encode(r), &d, &err)) << err;
    EXPECT_EQ(d.block_size, 1u << 20);
    EXPECT_EQ(d.recalled, r.recalled);
    EXPECT_FALSE(decode("pfshsm 1\nstate=migrated\nrecalled=ff/20\n", &d, &err));
    EXPECT_EQ(block_size_for(0), 1u << 20);
    EXPECT_EQ(block_size_for(2048ull << 20), 1u << 20);
    EXPECT_EQ(block_size_for((2048ull << 20) + 1), 2u << 20);
    EXPECT_LE((100ull << 30) / block_size_for(100ull << 30), kMaxBlocks);
}
