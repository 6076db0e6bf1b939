// hsm-test-app: the compute side of the HSM tests (tests/hsm/*.sh). It runs on the compute
// rank of a job whose dm ranks run pfs-hsm (one holds the session, one stands by), makes file
// operations through the native client (which raise the DMAPI events the HSM answers), asks the
// HSM for work with DMAPI user messages (the same text commands as the CLI), and checks data
// and states. One case per job: --case NAME. Prints "HSM-TEST <case> PASS|FAIL ..." lines.
#include <dmapi.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "dmapi/events/events.hpp"
#include "in_job.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"
#include "state_record.hpp"

namespace {

using pfs::client::Client;
using namespace pfs::hsm;

std::string g_case;
int g_failures = 0;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            ++g_failures;                                                                   \
            std::printf("HSM-TEST %s FAIL %s:%d: %s\n", g_case.c_str(), __FILE__, __LINE__, \
                        #cond);                                                             \
            std::fflush(stdout);                                                            \
        }                                                                                   \
    } while (0)
#define CHECK_EQ(a, b)                                                                       \
    do {                                                                                     \
        const long long va_ = static_cast<long long>(a), vb_ = static_cast<long long>(b);    \
        if (va_ != vb_) {                                                                    \
            ++g_failures;                                                                    \
            std::printf("HSM-TEST %s FAIL %s:%d: %s == %s (%lld vs %lld)\n", g_case.c_str(), \
                        __FILE__, __LINE__, #a, #b, va_, vb_);                               \
            std::fflush(stdout);                                                             \
        }                                                                                    \
    } while (0)

// The byte a file made by write_file holds at `off`: depends on the offset and the file's seed,
// so a block recalled to the wrong place or from the wrong copy is caught.
char pattern(std::uint64_t off, unsigned seed) {
    return static_cast<char>(((off * 2654435761ull) >> 13) ^ (off >> 12) ^ seed);
}

dm_sessid_t g_sid = DM_NO_SESSION;

// A command to the HSM daemon (a synchronous user message); 0 or the errno it answered.
int hsm(Verb v, const std::vector<std::string>& paths) {
    return pfs::hsm::send_command(g_sid, v, paths);
}

int err_of(const pfs::Result<void>& r) {
    return r ? 0 : r.error();
}

void write_file(Client& c, const std::string& path, std::uint64_t size, unsigned seed) {
    auto fd = c.open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd.ok());
    if (!fd) return;
    std::vector<char> buf(1 << 20);
    for (std::uint64_t off = 0; off < size; off += buf.size()) {
        const std::uint64_t n = std::min<std::uint64_t>(buf.size(), size - off);
        for (std::uint64_t i = 0; i < n; ++i) buf[i] = pattern(off + i, seed);
        auto w = c.pwrite(*fd, buf.data(), n, static_cast<std::int64_t>(off));
        CHECK(w.ok() && *w == n);
        if (!w)
            std::printf("HSM-TEST %s write %s: %s\n", g_case.c_str(), path.c_str(),
                        std::strerror(w.error()));
    }
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

// Reads the whole file; returns 0 when every byte matches the pattern, else the read's errno
// or EILSEQ for wrong data.
int verify_file(Client& c, const std::string& path, std::uint64_t size, unsigned seed,
                std::uint64_t chunk = 1 << 20) {
    auto fd = c.open(path, O_RDONLY);
    if (!fd) return fd.error();
    std::vector<char> buf(chunk);
    int result = 0;
    for (std::uint64_t off = 0; off < size && result == 0; off += chunk) {
        const std::uint64_t n = std::min<std::uint64_t>(chunk, size - off);
        auto r = c.pread(*fd, buf.data(), n, static_cast<std::int64_t>(off));
        if (!r) {
            result = r.error();
            break;
        }
        if (*r != n) result = EILSEQ;
        for (std::uint64_t i = 0; i < n && result == 0; ++i)
            if (buf[i] != pattern(off + i, seed)) result = EILSEQ;
    }
    (void)c.close(*fd);
    return result;
}

StateRecord record_of(Client& c, const std::string& path, bool* has = nullptr) {
    StateRecord r;
    if (has) *has = false;
    auto a = c.stat(path);
    if (!a) return r;
    auto s = c.dm_get(c.handle_of(*a));
    if (!s) return r;
    auto it = s->dm.attrs.find(kRecordAttr);
    if (it == s->dm.attrs.end()) return r;
    std::string err;
    if (decode(it->second, &r, &err) && has) *has = true;
    return r;
}

FileState state_of(Client& c, const std::string& path) {
    return record_of(c, path).state;
}

std::uint64_t data_bytes(Client& c, const std::string& path) {
    auto a = c.stat(path);
    if (!a) return ~0ull;
    auto m = c.alloc_map(c.handle_of(*a), 0);
    if (!m) return ~0ull;
    std::uint64_t n = 0;
    for (const auto& e : *m)
        if (e.is_data) n += e.length;
    return n;
}

std::string archive_path(Client& c, const std::string& path) {
    const auto r = record_of(c, path);
    return std::string(std::getenv("PFS_ROOT")) + "/archive/" + r.archive_id;
}

#define CHECK_STATE(path, st)                                                                   \
    do {                                                                                        \
        const FileState got_ = state_of(c, path);                                               \
        if (got_ != (st)) {                                                                     \
            ++g_failures;                                                                       \
            std::printf("HSM-TEST %s FAIL %s:%d: state of %s is %s, want %s\n", g_case.c_str(), \
                        __FILE__, __LINE__, std::string(path).c_str(), to_string(got_),         \
                        to_string(st));                                                         \
            std::fflush(stdout);                                                                \
        }                                                                                       \
    } while (0)

// ---- cases ------------------------------------------------------------------------------------

// migrate, release, read/write/truncate recall with the right data, dirty, destroy.
void case_migrate_recall(Client& c) {
    const std::uint64_t big = 9ull << 20;  // not a multiple of the 4 MiB chunk
    write_file(c, "/f", big, 1);
    write_file(c, "/g", 100000, 2);
    write_file(c, "/h", 3ull << 20, 3);
    write_file(c, "/w", 2ull << 20, 4);
    CHECK_STATE("/f", FileState::resident);
    // migrate = archive + release
    CHECK_EQ(hsm(Verb::migrate, {"/f"}), 0);
    CHECK_STATE("/f", FileState::migrated);
    CHECK_EQ(data_bytes(c, "/f"), 0u);
    CHECK(std::filesystem::exists(archive_path(c, "/f")));
    // Idempotent: a second migrate changes nothing.
    CHECK_EQ(hsm(Verb::migrate, {"/f"}), 0);
    CHECK_STATE("/f", FileState::migrated);
    // A read recalls the whole file: right data, then premigrated (data online, copy valid).
    CHECK_EQ(verify_file(c, "/f", big, 1), 0);
    CHECK_STATE("/f", FileState::premigrated);
    CHECK(data_bytes(c, "/f") >= big);
    // archive then release, separately.
    CHECK_EQ(hsm(Verb::archive, {"/g"}), 0);
    CHECK_STATE("/g", FileState::premigrated);
    CHECK(data_bytes(c, "/g") > 0);
    CHECK_EQ(hsm(Verb::release, {"/g"}), 0);
    CHECK_STATE("/g", FileState::migrated);
    CHECK_EQ(verify_file(c, "/g", 100000, 2), 0);
    // Release of a file never archived is refused and loses nothing.
    CHECK_EQ(hsm(Verb::release, {"/w"}), EINVAL);
    CHECK_STATE("/w", FileState::resident);
    CHECK_EQ(verify_file(c, "/w", 2ull << 20, 4), 0);
    // A bad path: an error, nothing else happens.
    CHECK_EQ(hsm(Verb::migrate, {"/nothere"}), ENOENT);
    // A write to a premigrated file marks it dirty.
    {
        auto fd = c.open("/f", O_WRONLY);
        CHECK(fd.ok());
        if (fd) {
            const char x = 'X';
            CHECK(c.pwrite(*fd, &x, 1, 5).ok());
            (void)c.close(*fd);
        }
        CHECK_STATE("/f", FileState::dirty);
    }
    // A write to a migrated file: recall first, then the write lands, state dirty.
    CHECK_EQ(hsm(Verb::migrate, {"/w"}), 0);
    CHECK_STATE("/w", FileState::migrated);
    {
        auto fd = c.open("/w", O_WRONLY);
        CHECK(fd.ok());
        if (fd) {
            std::vector<char> x(100, 'Y');
            CHECK(c.pwrite(*fd, x.data(), x.size(), 4096).ok());
            (void)c.close(*fd);
        }
        CHECK_STATE("/w", FileState::dirty);
        auto fd2 = c.open("/w", O_RDONLY);
        std::vector<char> buf(2 << 20);
        if (fd2) {
            auto r = c.pread(*fd2, buf.data(), buf.size(), 0);
            CHECK(r.ok() && *r == buf.size());
            bool good = true;
            for (std::size_t i = 0; i < buf.size(); ++i) {
                const char want = i >= 4096 && i < 4196 ? 'Y' : pattern(i, 4);
                if (buf[i] != want) good = false;
            }
            CHECK(good);
            (void)c.close(*fd2);
        }
    }
    // A dirty file is archived again: a new copy, the stale one deleted.
    {
        const std::string old_copy = archive_path(c, "/w");
        CHECK_EQ(hsm(Verb::archive, {"/w"}), 0);
        CHECK_STATE("/w", FileState::premigrated);
        CHECK(!std::filesystem::exists(old_copy));
        CHECK(std::filesystem::exists(archive_path(c, "/w")));
    }
    // Truncate of a migrated file: recall, cut, dirty.
    CHECK_EQ(hsm(Verb::migrate, {"/h"}), 0);
    CHECK_EQ(err_of(c.truncate("/h", 1000)), 0);
    CHECK_STATE("/h", FileState::dirty);
    CHECK_EQ(verify_file(c, "/h", 1000, 3), 0);
    // Explicit recall and remove-archive-copy.
    CHECK_EQ(hsm(Verb::migrate, {"/g"}), 0);
    CHECK_EQ(hsm(Verb::recall, {"/g"}), 0);
    CHECK_STATE("/g", FileState::premigrated);
    const std::string gcopy = archive_path(c, "/g");
    CHECK_EQ(hsm(Verb::remove, {"/g"}), 0);
    CHECK_STATE("/g", FileState::resident);
    CHECK(!std::filesystem::exists(gcopy));
    CHECK_EQ(verify_file(c, "/g", 100000, 2), 0);
    // Destroy deletes the archive copy (destroy is asynchronous: wait for it, with a deadline).
    CHECK_EQ(hsm(Verb::migrate, {"/g"}), 0);
    const std::string copy = archive_path(c, "/g");
    CHECK(std::filesystem::exists(copy));
    CHECK_EQ(err_of(c.unlink("/g")), 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = !std::filesystem::exists(copy);
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(gone);
    // The state command answers for several files at once.
    CHECK_EQ(hsm(Verb::state, {"/f", "/w", "/h"}), 0);
}

// A corrupt archive copy gives EIO, never wrong bytes; a missing one too.
void case_corrupt(Client& c) {
    write_file(c, "/c", 5ull << 20, 7);
    write_file(c, "/m", 1ull << 20, 8);
    CHECK_EQ(hsm(Verb::migrate, {"/c", "/m"}), 0);
    {
        const std::string p = archive_path(c, "/c");
        std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
        CHECK(f.good());
        f.seekp(3 << 20);
        f.put('\x5a');  // one byte in the middle of the copy
    }
    std::filesystem::remove(archive_path(c, "/m"));
    CHECK_EQ(verify_file(c, "/c", 5ull << 20, 7), EIO);
    CHECK_EQ(verify_file(c, "/c", 5ull << 20, 7), EIO);  // stays refused
    CHECK_STATE("/c", FileState::lost);
    CHECK_EQ(data_bytes(c, "/c"), 0u);  // nothing of the bad copy left in the file
    CHECK_EQ(verify_file(c, "/m", 1ull << 20, 8), EIO);
    CHECK_STATE("/m", FileState::lost);
}

// Several readers of one migrated file: all get the right data, one recall (the script counts
// the daemon's "recalled" lines).
void case_concurrent(Client& c) {
    const std::uint64_t size = 24ull << 20;
    write_file(c, "/cc", size, 9);
    CHECK_EQ(hsm(Verb::migrate, {"/cc"}), 0);
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t)
        readers.emplace_back([&, t] {
            if (verify_file(c, "/cc", size, 9, (1u << 20) + t * 4096u) != 0) ++bad;
        });
    for (auto& t : readers) t.join();
    CHECK_EQ(bad.load(), 0);
    CHECK_STATE("/cc", FileState::premigrated);
    auto a = c.stat("/cc");
    if (a) std::printf("HSM-TEST %s ino %llu\n", g_case.c_str(), (unsigned long long)a->ino);
}

// The daemon is SIGKILLed during a migration (PFS_HSM_FAIL_AT in the script); the standby takes
// the session over, finishes or rolls back the journaled step, and answers the re-delivered
// command: the file ends migrated with a valid copy and reads back right.
void case_kill_migrate(Client& c) {
    const std::uint64_t size = 12ull << 20;
    write_file(c, "/k", size, 11);
    CHECK_EQ(hsm(Verb::migrate, {"/k"}), 0);
    CHECK_STATE("/k", FileState::migrated);
    const auto r = record_of(c, "/k");
    CHECK(r.phase == Phase::none);
    CHECK(std::filesystem::exists(archive_path(c, "/k")));
    // No leftover partial copy in the archive.
    std::size_t tmp = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(
             std::string(std::getenv("PFS_ROOT")) + "/archive"))
        if (e.path().extension() == ".tmp") ++tmp;
    CHECK_EQ(tmp, 0u);
    CHECK_EQ(verify_file(c, "/k", size, 11), 0);
    CHECK_STATE("/k", FileState::premigrated);
}

// The daemon is SIGKILLed in the middle of a recall triggered by a read; the blocked read
// completes with the right data after the standby's takeover.
void case_kill_recall(Client& c) {
    const std::uint64_t size = 12ull << 20;
    write_file(c, "/r", size, 12);
    CHECK_EQ(hsm(Verb::migrate, {"/r"}), 0);
    CHECK_STATE("/r", FileState::migrated);
    CHECK_EQ(verify_file(c, "/r", size, 12), 0);
    CHECK_STATE("/r", FileState::premigrated);
    CHECK(record_of(c, "/r").phase == Phase::none);
}

// A writer that hits the volume quota is blocked on the NOSPACE event while the HSM migrates
// older files, then continues and succeeds.
void case_nospace(Client& c) {
    write_file(c, "/old1", 3ull << 20, 21);
    write_file(c, "/old2", 3ull << 20, 22);
    // Make them the least recently accessed.
    CHECK_EQ(err_of(c.utimes("/old1", 1000000000ll, 1000000000ll)), 0);
    CHECK_EQ(err_of(c.utimes("/old2", 2000000000ll, 2000000000ll)), 0);
    write_file(c, "/new", 4ull << 20, 23);  // over the 8 MiB quota without the HSM
    CHECK_EQ(verify_file(c, "/new", 4ull << 20, 23), 0);
    CHECK_STATE("/old1", FileState::migrated);
    CHECK_EQ(verify_file(c, "/old1", 3ull << 20, 21), 0);
}

// Volume use above the high watermark: the HSM migrates files until it is below the low one.
void case_watermark(Client& c) {
    for (int i = 0; i < 4; ++i) write_file(c, "/wm" + std::to_string(i), 3ull << 20, 30 + i);
    // 12 of 16 MiB: 75% > high 60%; wait (deadline 60 s) for <= low 30%.
    double use = 100;
    for (int i = 0; i < 600; ++i) {
        auto v = c.statfs();
        if (v && !v->empty()) {
            use = 0;
            for (const auto& vol : *v)
                use = std::max(use, 100.0 * static_cast<double>(vol.stat.used_bytes) /
                                        static_cast<double>(vol.stat.total_bytes));
        }
        if (use <= 30) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("HSM-TEST %s volume use %.1f%%\n", g_case.c_str(), use);
    CHECK(use <= 30);
    int migrated = 0;
    for (int i = 0; i < 4; ++i)
        if (state_of(c, "/wm" + std::to_string(i)) == FileState::migrated) ++migrated;
    CHECK(migrated >= 3);
    CHECK_EQ(verify_file(c, "/wm0", 3ull << 20, 30), 0);
}

// The pfs-hsm CLI from outside the job (the script, over the daemon's UNIX socket) migrates two
// files; this rank waits for it (marker files in the run dir, deadlines), then reads them back.
void case_cli(Client& c) {
    write_file(c, "/cli/a", 2ull << 20, 41);
    write_file(c, "/cli/b", 5ull << 20, 42);
    const std::string run = std::getenv("PFS_RUN_DIR");
    std::ofstream(run + "/ready") << "ready\n";
    bool migrated = false;
    for (int i = 0; i < 600 && !migrated; ++i) {
        migrated = state_of(c, "/cli/a") == FileState::migrated &&
                   state_of(c, "/cli/b") == FileState::migrated;
        if (!migrated) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(migrated);
    // Wait for the script's "state" and dry-run calls before the reads change the states.
    for (int i = 0; i < 600 && !std::filesystem::exists(run + "/go"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_EQ(verify_file(c, "/cli/a", 2ull << 20, 41), 0);
    CHECK_EQ(verify_file(c, "/cli/b", 5ull << 20, 42), 0);
}

// recall_mode = partial: a read recalls only the blocks it touches (1 MiB blocks here), each
// verified against its own sum; a write then recalls the rest and the file turns dirty.
void case_partial(Client& c) {
    const std::uint64_t size = 40ull << 20;
    write_file(c, "/p", size, 51);
    CHECK_EQ(hsm(Verb::migrate, {"/p"}), 0);
    CHECK_EQ(data_bytes(c, "/p"), 0u);
    auto fd = c.open("/p", O_RDONLY);
    CHECK(fd.ok());
    if (!fd) return;
    auto read_check = [&](std::uint64_t off, std::uint64_t len) {
        std::vector<char> buf(len);
        auto r = c.pread(*fd, buf.data(), len, static_cast<std::int64_t>(off));
        CHECK(r.ok() && *r == len);
        bool good = true;
        for (std::uint64_t i = 0; i < len; ++i)
            if (buf[i] != pattern(off + i, 51)) good = false;
        CHECK(good);
    };
    read_check((10ull << 20) + 5, 100);  // inside block 10
    CHECK_STATE("/p", FileState::migrated);
    CHECK_EQ(data_bytes(c, "/p"), 1u << 20);
    {
        const auto r = record_of(c, "/p");
        CHECK(r.recalled.size() == 40 && r.recalled[10]);
        std::size_t on = 0;
        for (bool b : r.recalled) on += b;
        CHECK_EQ(on, 1u);
    }
    read_check((20ull << 20) - 10, 20);  // spans blocks 19 and 20
    CHECK_EQ(data_bytes(c, "/p"), 3u << 20);
    // Block 10 again: online already, no copy, and no event either (the READ region shrank
    // to the blocks still offline): the daemon marks every read event it receives before it
    // answers, so after the read returned a missing marker means none was raised.
    const std::string marker =
        std::string(std::getenv("PFS_HSM_TEST_DIR") ? std::getenv("PFS_HSM_TEST_DIR") : "") +
        "/read_event";
    CHECK(std::filesystem::exists(marker));
    std::filesystem::remove(marker);
    read_check((10ull << 20) + 500, 1000);
    CHECK_EQ(data_bytes(c, "/p"), 3u << 20);
    CHECK(!std::filesystem::exists(marker));
    read_check((30ull << 20) + 1, 10);  // an offline block still raises one (and recalls)
    CHECK(std::filesystem::exists(marker));
    CHECK_EQ(data_bytes(c, "/p"), 4u << 20);
    (void)c.close(*fd);
    CHECK_EQ(hsm(Verb::state, {"/p"}), 0);
    // A write recalls everything, then marks the file dirty.
    auto wfd = c.open("/p", O_WRONLY);
    CHECK(wfd.ok());
    if (wfd) {
        const char x = pattern(7, 51);  // the same byte: the pattern stays checkable
        CHECK(c.pwrite(*wfd, &x, 1, 7).ok());
        (void)c.close(*wfd);
    }
    CHECK_STATE("/p", FileState::dirty);
    CHECK_EQ(verify_file(c, "/p", size, 51), 0);
}

// ---- DM access rights (rights_race.sh) -------------------------------------------------------

std::string test_dir() {
    const char* d = std::getenv("PFS_HSM_TEST_DIR");
    return d ? d : "";
}

// Waits for a file the daemon creates at a pause point or on an event; the job's watchdog is
// the real bound, this one only ends a lost wait with a FAIL line instead of a hang.
bool wait_for_file(const std::string& path) {
    for (int i = 0; i < 12000; ++i) {
        if (std::filesystem::exists(path)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::printf("HSM-TEST %s FAIL never appeared: %s\n", g_case.c_str(), path.c_str());
    ++g_failures;
    return false;
}

void say_go(const std::string& point) {
    std::ofstream(test_dir() + "/" + point + ".go") << "go\n";
}

// Overwrites [off, off+len) with `fill`; 0 or the errno.
int write_fill(Client& c, const std::string& path, std::uint64_t off, std::uint64_t len,
               char fill) {
    auto fd = c.open(path, O_WRONLY);
    if (!fd) return fd.error();
    std::vector<char> b(len, fill);
    auto w = c.pwrite(*fd, b.data(), len, static_cast<std::int64_t>(off));
    (void)c.close(*fd);
    if (!w) return w.error();
    return *w == len ? 0 : EIO;
}

// Reads the whole file: every byte outside [woff, woff+wlen) is the pattern, every byte inside
// is the pattern or `fill` (a racing writer's bytes, landed or not); never a hole's zeros.
// 0, the read's errno, or EILSEQ.
int check_mixed(Client& c, const std::string& path, std::uint64_t size, unsigned seed,
                std::uint64_t woff, std::uint64_t wlen, char fill, bool want_fill) {
    auto fd = c.open(path, O_RDONLY);
    if (!fd) return fd.error();
    std::vector<char> buf(size);
    auto r = c.pread(*fd, buf.data(), size, 0);
    (void)c.close(*fd);
    if (!r) return r.error();
    if (*r != size) return EILSEQ;
    for (std::uint64_t i = 0; i < size; ++i) {
        const bool in = i >= woff && i < woff + wlen;
        const char p = pattern(i, seed);
        if (!in && buf[i] != p) return EILSEQ;
        if (in && buf[i] != fill && (want_fill || buf[i] != p)) return EILSEQ;
    }
    return 0;
}

// User I/O racing an archive (the HSM holds DM_RIGHT_SHARED) and a release (DM_RIGHT_EXCL),
// the daemon paused at each point while it holds the right (PFS_HSM_PAUSE_AT). Ordering, not
// timing: a read completes while the archive is paused (before this program says go); a write
// started during either pause completes only after the daemon left the pause (it writes
// <point>.continued before going on), and so does a read started during the release's pause
// (no go for that one: the daemon goes on after PFS_HSM_PAUSE_S); afterwards the written
// bytes are in the file, the file is dirty, the archive copy holds the data from before the
// write, and the reader that raced the release saw whole data (never the punched hole).
void case_race(Client& c) {
    const std::string dir = test_dir();
    CHECK(!dir.empty());
    if (dir.empty()) return;
    const std::uint64_t size = 8ull << 20;
    const std::uint64_t woff = (1ull << 20) + 100, wlen = 4096;

    // Archive under DM_RIGHT_SHARED.
    write_file(c, "/ra", size, 61);
    std::atomic<bool> arch_done{false};
    std::atomic<int> arch_rc{-1};
    std::thread arch([&] {
        arch_rc = hsm(Verb::archive, {"/ra"});
        arch_done = true;
    });
    if (!wait_for_file(dir + "/archive_holding_right.reached")) {
        say_go("archive_holding_right");
        arch.join();
        return;
    }
    const auto after = [&](const char* point) {
        return std::filesystem::exists(dir + "/" + point + ".continued");
    };
    // Readers are not stopped by a shared right: this read ends while the archive is paused.
    CHECK_EQ(verify_file(c, "/ra", size, 61), 0);
    CHECK(!after("archive_holding_right"));
    CHECK(!arch_done.load());
    std::atomic<bool> w_done{false}, w_after{false};
    std::atomic<int> w_rc{-1};
    std::thread writer([&] {
        w_rc = write_fill(c, "/ra", woff, wlen, 'W');
        w_after = after("archive_holding_right");
        w_done = true;
    });
    wait_for_file(dir + "/write_event");
    CHECK(!w_done.load());  // the write waits for the archive
    CHECK(!arch_done.load());
    say_go("archive_holding_right");
    arch.join();
    writer.join();
    CHECK_EQ(arch_rc.load(), 0);
    CHECK_EQ(w_rc.load(), 0);
    CHECK(w_after.load());  // the write landed after the copy
    CHECK_STATE("/ra", FileState::dirty);
    CHECK_EQ(check_mixed(c, "/ra", size, 61, woff, wlen, 'W', true), 0);
    {
        // The copy was taken before the write landed: the old bytes at the written range.
        std::ifstream in(archive_path(c, "/ra"), std::ios::binary);
        std::vector<char> old(wlen);
        in.seekg(static_cast<std::streamoff>(woff));
        in.read(old.data(), static_cast<std::streamsize>(wlen));
        CHECK(in.good());
        bool same = true;
        for (std::uint64_t i = 0; i < wlen; ++i)
            if (old[i] != pattern(woff + i, 61)) same = false;
        CHECK(same);
    }

    // Release under DM_RIGHT_EXCL.
    std::filesystem::remove(dir + "/write_event");
    write_file(c, "/rb", size, 62);
    CHECK_EQ(hsm(Verb::archive, {"/rb"}), 0);  // the archive pause point said go already
    CHECK_STATE("/rb", FileState::premigrated);
    std::atomic<bool> rel_done{false};
    std::atomic<int> rel_rc{-1};
    std::thread rel([&] {
        rel_rc = hsm(Verb::release, {"/rb"});
        rel_done = true;
    });
    if (!wait_for_file(dir + "/release_holding_right.reached")) {
        say_go("release_holding_right");
        rel.join();
        return;
    }
    std::atomic<bool> r_done{false}, r_after{false};
    std::atomic<int> r_rc{-1};
    // A reader of the premigrated file raises no event: the exclusive right holds it until the
    // release is done; it then meets the READ region, recalls, and sees whole data.
    std::thread reader([&] {
        r_rc = check_mixed(c, "/rb", size, 62, woff, wlen, 'X', false);
        r_after = after("release_holding_right");
        r_done = true;
    });
    w_done = false;
    w_after = false;
    w_rc = -1;
    std::thread writer2([&] {
        w_rc = write_fill(c, "/rb", woff, wlen, 'X');
        w_after = after("release_holding_right");
        w_done = true;
    });
    wait_for_file(dir + "/write_event");
    CHECK(!w_done.load());
    CHECK(!rel_done.load());
    // No go: the daemon leaves the pause by itself (PFS_HSM_PAUSE_S), so a reader that the
    // right failed to stop would have completed inside it.
    rel.join();
    reader.join();
    writer2.join();
    CHECK_EQ(rel_rc.load(), 0);  // released: the write had not landed when it checked
    CHECK_EQ(r_rc.load(), 0);
    CHECK_EQ(w_rc.load(), 0);
    CHECK(r_after.load());  // neither user operation ran inside the release
    CHECK(w_after.load());
    // The write recalled the file first, then landed: nothing punched away.
    CHECK_STATE("/rb", FileState::dirty);
    CHECK(record_of(c, "/rb").phase == Phase::none);
    CHECK_EQ(check_mixed(c, "/rb", size, 62, woff, wlen, 'X', true), 0);
    auto a = c.stat("/rb");
    if (a) std::printf("HSM-TEST %s ino %llu\n", g_case.c_str(), (unsigned long long)a->ino);
}

// The holder is SIGKILLed while it holds a release's exclusive right (after the READ region,
// before the punch: PFS_HSM_FAIL_AT=release_after_region) with a reader of the premigrated
// file waiting for that right. The right dies with the rank; the reader then meets the READ
// region and its event waits for the standby, which rolls the release forward and recalls:
// the reader sees whole data (never the hole), completes only after the pause, and the
// journal ends clean.
void case_race_failover(Client& c) {
    const std::string dir = test_dir();
    CHECK(!dir.empty());
    if (dir.empty()) return;
    const std::uint64_t size = 8ull << 20;
    write_file(c, "/rf", size, 71);
    CHECK_EQ(hsm(Verb::archive, {"/rf"}), 0);
    std::atomic<int> rel_rc{-1};
    std::thread rel([&] { rel_rc = hsm(Verb::release, {"/rf"}); });
    if (!wait_for_file(dir + "/release_holding_right.reached")) {
        say_go("release_holding_right");
        rel.join();
        return;
    }
    std::atomic<bool> r_after{false};
    std::atomic<int> r_rc{-1};
    std::thread reader([&] {
        r_rc = check_mixed(c, "/rf", size, 71, 0, 0, 0, false);
        r_after = std::filesystem::exists(dir + "/release_holding_right.continued");
    });
    say_go("release_holding_right");
    rel.join();
    reader.join();
    CHECK_EQ(rel_rc.load(), 0);  // the re-delivered command finds the release rolled forward
    CHECK_EQ(r_rc.load(), 0);
    CHECK(r_after.load());
    // The standby answers the reader's event and the re-delivered release command in either
    // order (a release of the recalled file releases it again): migrated or premigrated, a
    // clean journal, and the data right whichever it is.
    const auto st = state_of(c, "/rf");
    CHECK(st == FileState::premigrated || st == FileState::migrated);
    CHECK(record_of(c, "/rf").phase == Phase::none);
    CHECK_EQ(verify_file(c, "/rf", size, 71), 0);
    CHECK_STATE("/rf", FileState::premigrated);
}

// The demo (scripts/demo.sh): four files written, migrated (space released), read back through
// transparent recall with the right data (the fourth stays migrated); human-readable lines.
void case_demo(Client& c) {
    CHECK_EQ(err_of(c.mkdir("/demo", 0755)), 0);
    const std::uint64_t sizes[] = {8ull << 20, 16ull << 20, 3ull << 20, 40ull << 20};
    std::vector<std::string> paths;
    for (unsigned i = 0; i < 4; ++i) {
        paths.push_back("/demo/file" + std::to_string(i));
        write_file(c, paths.back(), sizes[i], 60 + i);
    }
    std::uint64_t before = 0, after = 0;
    for (const auto& p : paths) before += data_bytes(c, p);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_EQ(hsm(Verb::migrate, paths), 0);
    const double tm = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& p : paths) after += data_bytes(c, p);
    std::printf("HSM-DEMO migrated 4 files (%.0f MiB) in %.2f s: PFS data %.0f MiB -> %.0f MiB\n",
                (before) / 1048576.0, tm, before / 1048576.0, after / 1048576.0);
    for (unsigned i = 0; i < 3; ++i) {
        const auto t1 = std::chrono::steady_clock::now();
        const int e = verify_file(c, paths[i], sizes[i], 60 + i);
        CHECK_EQ(e, 0);
        std::printf("HSM-DEMO read %s back (transparent recall): %s in %.2f s, state %s\n",
                    paths[i].c_str(), e == 0 ? "data verified" : std::strerror(e),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(),
                    to_string(state_of(c, paths[i])));
    }
    CHECK_EQ(hsm(Verb::state, paths), 0);
    std::printf("HSM-DEMO %s\n", g_failures ? "FAILED" : "OK");
}

// Restart without a standby, job 1: the only HSM rank dies (SIGKILL) in the middle of the
// release; the command fails (the session has no standby: EIO at once). The file's journal
// says "releasing".
void case_restart_kill(Client& c) {
    write_file(c, "/rs", 6ull << 20, 71);
    CHECK(hsm(Verb::migrate, {"/rs"}) != 0);
    CHECK(record_of(c, "/rs").phase == Phase::releasing);
}

// Job 2 on the same volumes: the new daemon's journal recovery finished the release at start.
void case_restart_check(Client& c) {
    CHECK_STATE("/rs", FileState::migrated);
    CHECK(record_of(c, "/rs").phase == Phase::none);
    CHECK_EQ(data_bytes(c, "/rs"), 0u);
    CHECK_EQ(verify_file(c, "/rs", 6ull << 20, 71), 0);
    CHECK_STATE("/rs", FileState::premigrated);
}

// The periodic policy run (scan_interval = 1s) archives the candidates by itself: files under
// /per/ (include), of at least 1 KiB (min_size), not *.tmp (exclude); nothing else.
void case_periodic(Client& c) {
    CHECK_EQ(err_of(c.mkdir("/per", 0755)), 0);
    CHECK_EQ(err_of(c.mkdir("/other", 0755)), 0);
    write_file(c, "/per/a", 1ull << 20, 81);
    write_file(c, "/per/b", 3ull << 20, 82);
    write_file(c, "/per/small", 100, 83);
    write_file(c, "/per/x.tmp", 1ull << 20, 84);
    write_file(c, "/other/c", 1ull << 20, 85);
    bool done = false;
    for (int i = 0; i < 300 && !done; ++i) {  // 30 s deadline
        done = state_of(c, "/per/a") == FileState::premigrated &&
               state_of(c, "/per/b") == FileState::premigrated;
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(done);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // one more run
    CHECK_STATE("/per/small", FileState::resident);
    CHECK_STATE("/per/x.tmp", FileState::resident);
    CHECK_STATE("/other/c", FileState::resident);
    CHECK_EQ(verify_file(c, "/per/b", 3ull << 20, 82), 0);
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    char* version = nullptr;
    if (dm_init_service(&version) != 0) {
        std::perror("dm_init_service");
        return 2;
    }
    auto& job = mpi_tools::Job::init(&argc, &argv);  // the Job dm_init_service made
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--case") == 0) g_case = argv[i + 1];
    dmapi::events::start(job);
    g_sid = pfs::hsm::find_session(
        std::getenv("PFS_HSM_SESSION_NAME") ? std::getenv("PFS_HSM_SESSION_NAME") : "pfs-hsm");
    CHECK(g_sid != DM_NO_SESSION);
    {
        Client c(job);
        CHECK_EQ(c.connect_error(), 0);
        if (g_sid != DM_NO_SESSION && c.connect_error() == 0) {
            if (g_case == "migrate_recall")
                case_migrate_recall(c);
            else if (g_case == "corrupt")
                case_corrupt(c);
            else if (g_case == "concurrent")
                case_concurrent(c);
            else if (g_case == "kill_migrate")
                case_kill_migrate(c);
            else if (g_case == "kill_recall")
                case_kill_recall(c);
            else if (g_case == "nospace")
                case_nospace(c);
            else if (g_case == "watermark")
                case_watermark(c);
            else if (g_case == "restart_kill")
                case_restart_kill(c);
            else if (g_case == "restart_check")
                case_restart_check(c);
            else if (g_case == "periodic")
                case_periodic(c);
            else if (g_case == "demo")
                case_demo(c);
            else if (g_case == "partial")
                case_partial(c);
            else if (g_case == "race")
                case_race(c);
            else if (g_case == "race_failover")
                case_race_failover(c);
            else if (g_case == "cli") {
                CHECK_EQ(err_of(c.mkdir("/cli", 0755)), 0);
                case_cli(c);
            } else {
                std::printf("HSM-TEST %s FAIL unknown case\n", g_case.c_str());
                ++g_failures;
            }
        }
    }
    std::printf("HSM-TEST %s %s\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::fflush(stdout);
    job.finish(g_failures ? 1 : 0);
}
