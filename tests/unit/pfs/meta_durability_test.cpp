// Durability: an acknowledged change survives SIGKILL of the process that made it, and a process
// killed at an arbitrary point leaves a consistent store (LMDB commit = durability point).
#include <lmdb.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "pfs/meta/meta_store.hpp"
#include "test_util.hpp"

namespace pfs::test {
namespace {

using meta::MetaStore;

void format(const std::filesystem::path& p) {
    meta::FormatOptions fo;
    fo.fsid = 99;
    fo.data_servers = 2;
    ASSERT_OK(MetaStore::format(p, fo));
}

// Runs `body` in a forked child that SIGKILLs itself as soon as body returns (no destructors,
// no atexit, no env close), and checks that it really died that way.
template <class Body>
void in_child_then_sigkill(Body&& body) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        body();
        ::raise(SIGKILL);
        ::_exit(3);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with status " << status;
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
}

// Both commit modes (config::MetaSync): without fsync the acknowledged state is in the page
// cache, which outlives the process just as well.
void acknowledged_changes_survive_sigkill(config::MetaSync sync) {
    TempDir d;
    const auto p = d.path() / "meta";
    format(p);
    in_child_then_sigkill([&] {
        meta::OpenOptions o;
        o.sync = sync;
        auto s = MetaStore::open(p, o);
        if (!s) ::_exit(10);
        auto& m = **s;
        auto dir = m.mkdir(MetaStore::root(), "dir", 0755, 0, 0);
        if (!dir) ::_exit(11);
        auto f = m.create(dir->ino, "file", {});
        if (!f || !m.extend_size(f->ino, 4096) || !m.set_dm_attr(f->ino, "hsm", "v1") ||
            !m.rename(dir->ino, "file", MetaStore::root(), "moved"))
            ::_exit(12);
        // The last acknowledged call; the kill follows immediately.
        if (!m.set_event_set(f->ino, 0xabc)) ::_exit(13);
    });
    auto s = MetaStore::open(p);
    ASSERT_OK(s);
    auto f = (*s)->resolve("/moved");
    ASSERT_OK(f);
    EXPECT_EQ(f->size, 4096u);
    auto dm = (*s)->get_dm(f->ino);
    ASSERT_OK(dm);
    EXPECT_EQ(dm->attrs.at("hsm"), "v1");
    EXPECT_EQ(dm->event_set, 0xabcu);
    EXPECT_ERRNO((*s)->resolve("/dir/file"), ENOENT);
}

TEST(MetaDurability, AcknowledgedChangesSurviveSigkill) {
    acknowledged_changes_survive_sigkill(config::MetaSync::full);
}

TEST(MetaDurability, AcknowledgedChangesSurviveSigkillWithoutCommitSync) {
    acknowledged_changes_survive_sigkill(config::MetaSync::process);
}

// Both commit modes: with PFS_META_SYNC=process the map is written in place (MDB_WRITEMAP), so
// the kill may land between any two stores of a commit.
void kill_at_arbitrary_point_leaves_consistent_store(config::MetaSync sync) {
    TempDir d;
    const auto p = d.path() / "meta";
    format(p);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(fds[0]);
        meta::OpenOptions o;
        o.sync = sync;
        auto s = MetaStore::open(p, o);
        if (!s) ::_exit(10);
        for (int i = 0;; ++i) {
            const auto name = "f" + std::to_string(i);
            auto f = (*s)->create(MetaStore::root(), name, {});
            if (!f) ::_exit(11);
            if (i % 2 == 1) (void)(*s)->rename(MetaStore::root(), name, MetaStore::root(), "r");
            // Report progress only after the call returned (= acknowledged).
            if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(12);
        }
    }
    ::close(fds[1]);
    int acked = -1, v = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < deadline && ::read(fds[0], &v, sizeof v) == sizeof v)
        acked = v;
    ::kill(pid, SIGKILL);
    while (::read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // drain what was acknowledged
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_GE(acked, 2);

    auto s = MetaStore::open(p);
    ASSERT_OK(s);
    auto& m = **s;
    // Every acknowledged create is there (even-numbered names were never renamed away).
    for (int i = 0; i <= acked; i += 2)
        EXPECT_TRUE(m.lookup(MetaStore::root(), "f" + std::to_string(i)).ok()) << i;
    // Every entry points at a live inode of the right type; link counts add up.
    std::uint64_t cookie = 0;
    std::size_t entries = 0;
    for (;;) {
        auto page = m.readdir(MetaStore::root(), cookie, 100);
        ASSERT_OK(page);
        for (const auto& e : page->entries) {
            auto a = m.stat(e.ino);
            ASSERT_OK(a);
            EXPECT_EQ(a->type, e.type);
            EXPECT_EQ(a->nlink, 1u);
            ++entries;
        }
        cookie = page->next_cookie;
        if (page->eof) break;
    }
    EXPECT_GE(entries, static_cast<std::size_t>(acked / 2 + 1));
    // The store is still writable after the crash.
    ASSERT_OK(m.create(MetaStore::root(), "after-crash", {}));
}

TEST(MetaDurability, KillAtArbitraryPointLeavesConsistentStore) {
    kill_at_arbitrary_point_leaves_consistent_store(config::MetaSync::full);
}

TEST(MetaDurability, KillAtArbitraryPointLeavesConsistentStoreWrittenInPlace) {
    kill_at_arbitrary_point_leaves_consistent_store(config::MetaSync::process);
}

// A map written in place faults (SIGBUS) on a page the file system cannot back, so the file
// must stay allocated ahead of the pages LMDB uses: checked after the store grew by a few MiB.
TEST(MetaDurability, WrittenInPlaceMapStaysAllocatedAheadOfUse) {
    ::setenv("TMPDIR", "/dev/shm", 1);  // tmpfs: the file system where a hole costs a SIGBUS
    TempDir d;
    ::unsetenv("TMPDIR");
    const auto p = d.path() / "meta";
    format(p);
    {
        meta::OpenOptions o;
        o.sync = config::MetaSync::process;
        auto s = MetaStore::open(p, o);
        ASSERT_OK(s);
        const std::string value(16 * 1024, 'v');
        for (int i = 0; i < 400; ++i) {
            auto f = (*s)->create(MetaStore::root(), "f" + std::to_string(i), {});
            ASSERT_OK(f);
            for (const char* n : {"a", "b", "c"}) ASSERT_OK((*s)->set_dm_attr(f->ino, n, value));
        }
    }
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_mapsize(env, config::kLmdbMapSize), 0);
    ASSERT_EQ(mdb_env_open(env, p.c_str(), MDB_RDONLY, 0600), 0);
    MDB_envinfo info{};
    MDB_stat st{};
    ASSERT_EQ(mdb_env_info(env, &info), 0);
    ASSERT_EQ(mdb_env_stat(env, &st), 0);
    mdb_env_close(env);
    const std::uint64_t in_use = (info.me_last_pgno + 1) * std::uint64_t{st.ms_psize};
    struct stat fst {};
    ASSERT_EQ(::stat((p / "data.mdb").c_str(), &fst), 0);
    const std::uint64_t allocated = static_cast<std::uint64_t>(fst.st_blocks) * 512;
    EXPECT_GE(in_use, 16u << 20) << "the store did not grow as the test meant";
    // The last transaction may have used part of the headroom after it was checked.
    EXPECT_GE(allocated, in_use + config::kLmdbWriteMapHeadroom / 2)
        << "in use " << in_use << ", allocated " << allocated;
}

}  // namespace
}  // namespace pfs::test
