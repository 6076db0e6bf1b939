// pfs-client-test: the PFS integration test application (a compute program run by the scripts
// in this directory through pfs-run). `--case NAME` runs one case; every check failure aborts
// the job with code 1 and a "PFS-TEST <case> FAIL" line; on success app rank 0 prints
// "PFS-TEST <case> PASS". Cases: namespace, io, concurrent, persist-write, persist-verify,
// enospc, malformed.
#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/transport.hpp"
#include "pfs/client/client.hpp"
#include "pfs/common/config.hpp"
#include "pfs/proto/messages.hpp"

namespace {

using pfs::Attr;
using pfs::FileType;
using pfs::client::Client;

mpi_tools::Job* g_job = nullptr;
std::string g_case;
std::string g_marker;  // case wait: the file whose appearance ends the job
int g_rank = 0, g_size = 1;
MPI_Comm g_app = MPI_COMM_NULL;

[[noreturn]] void fail_at(int line, const std::string& what) {
    const std::string msg = "PFS-TEST " + g_case + " FAIL (app rank " + std::to_string(g_rank) +
                            ", line " + std::to_string(line) + "): " + what;
    std::fprintf(stderr, "%s\n", msg.c_str());
    std::fflush(stderr);
    g_job->abort(1, msg);
}

std::string err_name(int e) {
    return e == 0 ? std::string("success") : std::string(strerrorname_np(e));
}

#define CHECK(cond)                                             \
    do {                                                        \
        if (!(cond)) fail_at(__LINE__, "check failed: " #cond); \
    } while (0)
// Evaluates a pfs::Result expression, fails on error, yields the Result (V) or nothing (OK).
#define OK(expr)                                                                             \
    do {                                                                                     \
        auto r_ = (expr);                                                                    \
        if (!r_) fail_at(__LINE__, std::string(#expr) + " failed: " + err_name(r_.error())); \
    } while (0)
#define V(expr)                                                                              \
    ([&]() {                                                                                 \
        auto r_ = (expr);                                                                    \
        if (!r_) fail_at(__LINE__, std::string(#expr) + " failed: " + err_name(r_.error())); \
        return r_;                                                                           \
    }())
#define ERR(expr, e)                                                                             \
    do {                                                                                         \
        auto r_ = (expr);                                                                        \
        if (r_.error() != (e))                                                                   \
            fail_at(__LINE__, std::string(#expr) + ": got " + err_name(r_.error()) + ", want " + \
                                  err_name(e));                                                  \
    } while (0)

void barrier() {
    MPI_Barrier(g_app);
}

// Byte of a test pattern at a file offset (with a per-file seed).
std::byte pat(std::uint64_t off, std::uint64_t seed) {
    std::uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    return static_cast<std::byte>(x ^ (x >> 8));
}

std::vector<std::byte> pattern(std::uint64_t off, std::size_t n, std::uint64_t seed) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = pat(off + i, seed);
    return v;
}

std::vector<std::byte> bytes_of(const std::string& s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

// Writes `data` at `off` through a fresh descriptor (creating the file).
void put(Client& c, const std::string& path, std::uint64_t off,
         const std::vector<std::byte>& data) {
    int fd = *V(c.open(path, O_CREAT | O_WRONLY, 0644));
    auto n = V(c.pwrite(fd, data.data(), data.size(), static_cast<std::int64_t>(off)));
    CHECK(*n == data.size());
    OK(c.close(fd));
}

std::vector<std::byte> get(Client& c, const std::string& path, std::uint64_t off, std::size_t n) {
    int fd = *V(c.open(path, O_RDONLY));
    std::vector<std::byte> v(n);
    auto got = V(c.pread(fd, v.data(), n, static_cast<std::int64_t>(off)));
    v.resize(*got);
    OK(c.close(fd));
    return v;
}

std::set<std::string> names(Client& c, const std::string& dir) {
    std::set<std::string> s;
    auto entries = V(c.readdir(dir));
    for (const auto& e : *entries) s.insert(e.name);
    return s;
}

// A second client in this process that sends every byte through the data servers.
std::unique_ptr<Client> server_path_client() {
    pfs::client::ClientOptions so = pfs::client::ClientOptions::from_env();
    so.direct_io = false;
    so.dm_events = false;  // a second client in this process
    auto s = std::make_unique<Client>(*g_job, so);
    CHECK(s->connect_error() == 0);
    return s;
}

// ---- namespace --------------------------------------------------------------------------------

void case_namespace(Client& c) {
    if (g_rank != 0) return;
    // mkdir / stat / errnos of path resolution
    OK(c.mkdir("/a", 0750));
    ERR(c.mkdir("/a"), EEXIST);
    ERR(c.mkdir("/"), EEXIST);
    ERR(c.mkdir("/nope/x"), ENOENT);
    ERR(c.mkdir("relative"), EINVAL);
    ERR(c.stat(""), ENOENT);
    ERR(c.mkdir("/a/" + std::string(256, 'n')), ENAMETOOLONG);
    ERR(c.stat("/" + std::string(255, 'p') + "/" + std::string(4000, 'q')), ENAMETOOLONG);
    auto da = V(c.stat("/a"));
    CHECK(da->type == FileType::dir && da->mode == 0750 && da->nlink == 2);
    CHECK(da->uid == ::getuid());
    OK(c.mkdir("/a/sub/"));  // a trailing slash is fine for mkdir
    CHECK(V(c.stat("/a"))->nlink == 3);

    // create / open
    int fd = *V(c.open("/a/f", O_CREAT | O_EXCL | O_RDWR, 0640));
    ERR(c.open("/a/f", O_CREAT | O_EXCL | O_RDWR, 0640), EEXIST);
    int fd2 = *V(c.open("/a/f", O_CREAT | O_RDWR));  // exists, no O_EXCL: opened
    CHECK(fd2 != fd);
    OK(c.close(fd2));
    auto fa = V(c.stat("/a/f"));
    CHECK(fa->type == FileType::file && fa->mode == 0640 && fa->nlink == 1 && fa->size == 0);
    CHECK(V(c.fstat(fd))->ino == fa->ino);
    CHECK(fa->layout.stripe_count == c.data_servers());
    ERR(c.mkdir("/a/f/x"), ENOTDIR);
    ERR(c.open("/a/f/x", O_CREAT | O_RDWR), ENOTDIR);
    ERR(c.stat("/a/f/x"), ENOTDIR);
    ERR(c.stat("/a/f/"), ENOTDIR);
    ERR(c.open("/a/new/", O_CREAT | O_RDWR), EISDIR);
    ERR(c.open("/a/f/", O_CREAT | O_RDWR), EISDIR);
    ERR(c.open("/a/missing", O_RDONLY), ENOENT);
    ERR(c.open("/a/f", O_RDWR | O_WRONLY | O_RDONLY | 3), EINVAL);
    ERR(c.open("/a/f", O_RDONLY | O_PATH), EINVAL);
    ERR(c.open("/a", O_WRONLY), EISDIR);
    ERR(c.open("/a", O_RDWR | O_CREAT), EISDIR);
    ERR(c.open("/a/f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    int dfd = *V(c.open("/a", O_RDONLY | O_DIRECTORY));
    char b[4];
    ERR(c.pread(dfd, b, 4, 0), EISDIR);
    OK(c.close(dfd));
    ERR(c.close(dfd), EBADF);
    ERR(c.pread(12345, b, 4, 0), EBADF);
    ERR(c.pwrite(-1, b, 4, 0), EBADF);
    ERR(c.fstat(dfd), EBADF);
    ERR(c.fsync(dfd), EBADF);
    OK(c.close(fd));

    // per-file layout hint
    pfs::LayoutHint h;
    h.stripe_size = 8192;
    h.stripe_count = 1;
    int lfd = *V(c.open("/a/laid", O_CREAT | O_EXCL | O_WRONLY, 0644, h));
    OK(c.close(lfd));
    auto la = V(c.stat("/a/laid"));
    CHECK(la->layout.stripe_size == 8192 && la->layout.stripe_count == 1);
    h.stripe_size = 1000;  // not a page multiple
    ERR(c.open("/a/badlayout", O_CREAT | O_EXCL | O_WRONLY, 0644, h), EINVAL);
    OK(c.unlink("/a/laid"));

    // readdir
    CHECK((names(c, "/a") == std::set<std::string>{".", "..", "f", "sub"}));
    ERR(c.readdir("/a/f"), ENOTDIR);
    ERR(c.readdir("/zz"), ENOENT);
    auto root_entries = V(c.readdir("/"));
    CHECK((*root_entries)[0].name == "." && (*root_entries)[1].name == "..");
    CHECK((*root_entries)[1].ino == (*root_entries)[0].ino);  // the root is its own parent
    OK(c.mkdir("/many"));
    for (int i = 0; i < 300; ++i) OK(c.mkdir("/many/d" + std::to_string(i)));  // > one page
    auto many = V(c.readdir("/many"));
    CHECK(many->size() == 302);
    CHECK((*many)[2].name == "d0" && (*many)[301].name == "d299");  // creation order

    // rmdir / unlink errnos
    ERR(c.rmdir("/a"), ENOTEMPTY);
    ERR(c.rmdir("/a/f"), ENOTDIR);
    ERR(c.rmdir("/"), EBUSY);
    ERR(c.rmdir("/a/nothing"), ENOENT);
    ERR(c.unlink("/a"), EISDIR);
    ERR(c.unlink("/a/sub/"), EISDIR);
    ERR(c.unlink("/a/f/"), ENOTDIR);
    ERR(c.unlink("/"), EISDIR);
    ERR(c.unlink("/a/nothing"), ENOENT);
    for (int i = 0; i < 300; ++i) OK(c.rmdir("/many/d" + std::to_string(i)));
    OK(c.rmdir("/many"));
    ERR(c.stat("/many"), ENOENT);

    // rename
    const Attr f0 = *V(c.stat("/a/f"));
    OK(c.rename("/a/f", "/a/g"));
    ERR(c.stat("/a/f"), ENOENT);
    CHECK(V(c.stat("/a/g"))->ino == f0.ino);
    put(c, "/a/h", 0, bytes_of("old contents of h"));
    put(c, "/a/g", 0, bytes_of("new"));
    OK(c.rename("/a/g", "/a/h"));  // replaces h atomically
    CHECK(V(c.stat("/a/h"))->ino == f0.ino);
    CHECK(get(c, "/a/h", 0, 100) == bytes_of("new"));
    ERR(c.rename("/a/sub", "/a/h"), ENOTDIR);
    ERR(c.rename("/a/h", "/a/sub"), EISDIR);
    ERR(c.rename("/a", "/a/sub/inside"), EINVAL);
    ERR(c.rename("/nope", "/x"), ENOENT);
    ERR(c.rename("/a/h", "/nodir/x"), ENOENT);
    ERR(c.rename("/a/h/", "/a/h2"), ENOTDIR);
    ERR(c.rename("/", "/x"), EBUSY);
    OK(c.mkdir("/b"));
    OK(c.rename("/a/sub", "/b/sub2"));  // a directory across parents
    CHECK(V(c.stat("/a"))->nlink == 2 && V(c.stat("/b"))->nlink == 3);
    OK(c.rename("/b/sub2", "/a/sub"));

    // hard links
    OK(c.link("/a/h", "/a/h2"));
    CHECK(V(c.stat("/a/h"))->nlink == 2);
    ERR(c.link("/a/h", "/a/h2"), EEXIST);
    ERR(c.link("/a/sub", "/a/sublink"), EPERM);
    ERR(c.link("/a/nothing", "/a/x"), ENOENT);
    OK(c.unlink("/a/h"));
    auto h2 = V(c.stat("/a/h2"));
    CHECK(h2->nlink == 1 && h2->ino == f0.ino);
    CHECK(get(c, "/a/h2", 0, 100) == bytes_of("new"));

    // symlinks
    OK(c.symlink("/a/h2", "/a/s"));
    CHECK(*V(c.readlink("/a/s")) == "/a/h2");
    CHECK(V(c.stat("/a/s"))->ino == f0.ino);
    CHECK(V(c.lstat("/a/s"))->type == FileType::symlink);
    CHECK(get(c, "/a/s", 0, 100) == bytes_of("new"));
    ERR(c.readlink("/a/h2"), EINVAL);
    ERR(c.symlink("/x", "/a/s"), EEXIST);
    ERR(c.symlink("", "/a/empty"), ENOENT);
    ERR(c.open("/a/s", O_RDONLY | O_NOFOLLOW), ELOOP);
    OK(c.symlink("h2", "/a/rel"));  // relative to the link's directory
    CHECK(V(c.stat("/a/rel"))->ino == f0.ino);
    OK(c.symlink("/a/loop2", "/a/loop1"));
    OK(c.symlink("/a/loop1", "/a/loop2"));
    ERR(c.stat("/a/loop1"), ELOOP);
    OK(c.symlink("/a/sub", "/a/dirlink"));
    OK(c.mkdir("/a/dirlink/through"));  // intermediate symlinks are followed
    OK(c.stat("/a/sub/through"));
    OK(c.rmdir("/a/sub/through"));

    // attributes
    OK(c.chmod("/a/h2", 0600));
    CHECK(V(c.stat("/a/h2"))->mode == 0600);
    OK(c.chown("/a/h2", 1234, 5678));
    auto ch = V(c.stat("/a/h2"));
    CHECK(ch->uid == 1234 && ch->gid == 5678);
    OK(c.chown("/a/h2", static_cast<std::uint32_t>(-1), 42));
    ch = V(c.stat("/a/h2"));
    CHECK(ch->uid == 1234 && ch->gid == 42);
    OK(c.utimes("/a/h2", 1'000'000'000'123, 2'000'000'000'456));
    ch = V(c.stat("/a/h2"));
    CHECK(ch->atime_ns == 1'000'000'000'123 && ch->mtime_ns == 2'000'000'000'456);
    ERR(c.chmod("/a/nothing", 0600), ENOENT);

    // volumes
    auto vols = V(c.statfs());
    CHECK(vols->size() == c.data_servers());
    for (const auto& v : *vols)
        CHECK(v.stat.total_bytes > 0 && v.stat.free_bytes <= v.stat.total_bytes);
    CHECK(V(c.statfs_total())->total_bytes > 0);

    // clean up everything: the tree is empty again
    for (const char* p : {"/a/h2", "/a/s", "/a/rel", "/a/loop1", "/a/loop2", "/a/dirlink"})
        OK(c.unlink(p));
    OK(c.rmdir("/a/sub"));
    OK(c.rmdir("/a"));
    OK(c.rmdir("/b"));
    CHECK((names(c, "/") == std::set<std::string>{".", ".."}));
}

// ---- io ---------------------------------------------------------------------------------------

// Where the objects of a file live on the data volumes (pfs::data::ObjectStore's naming).
std::vector<std::filesystem::path> object_paths(Client& c, const Attr& a) {
    std::vector<std::filesystem::path> v;
    char sub[8];
    std::snprintf(sub, sizeof sub, "%02x", static_cast<unsigned>(a.ino & 0xff));
    for (std::uint32_t s = 0; s < c.data_servers(); ++s)
        v.push_back(std::filesystem::path(g_job->root()) / ("data-" + std::to_string(s)) /
                    "objects" / sub / (std::to_string(a.ino) + "." + std::to_string(a.gen)));
    return v;
}

void case_io(Client& c) {
    if (g_rank != 0) return;
    OK(c.mkdir("/io"));
    const std::uint64_t stripe = V(c.stat("/"))->layout.stripe_size;  // unused for dirs
    (void)stripe;
    int probe = *V(c.open("/io/probe", O_CREAT | O_RDWR));
    const std::uint64_t S = V(c.fstat(probe))->layout.stripe_size;
    OK(c.close(probe));
    OK(c.unlink("/io/probe"));

    // sizes across stripe boundaries, at aligned and unaligned offsets, more than one chunk
    const std::uint64_t sizes[] = {
        1, 4095, S - 1, S, S + 1, 3 * S + 7, (1u << 20) + 123, (9u << 20) + 5};
    const std::uint64_t offs[] = {0, S - 3, 2 * S + 1};
    int n = 0;
    for (auto sz : sizes)
        for (auto off : offs) {
            const std::string p = "/io/f" + std::to_string(n++);
            const auto data = pattern(off, sz, n);
            put(c, p, off, data);
            CHECK(V(c.stat(p))->size == off + sz);
            CHECK(get(c, p, off, sz) == data);
            // the unwritten head is a hole: zeros
            if (off > 0) CHECK(get(c, p, 0, off) == std::vector<std::byte>(off));
            // reads past EOF: short at the end, 0 at or beyond it
            CHECK(get(c, p, off + sz - 1, 100).size() == 1);
            CHECK(get(c, p, off + sz, 100).empty());
            CHECK(get(c, p, off + sz + 5 * S, 100).empty());
            OK(c.unlink(p));
        }

    // holes inside a file and a sparse file far out
    {
        const std::string p = "/io/holes";
        put(c, p, 0, pattern(0, 100, 7));
        put(c, p, (1 << 20) + 5, pattern((1 << 20) + 5, 10, 7));
        CHECK(V(c.stat(p))->size == (1 << 20) + 15);
        auto all = get(c, p, 0, (1 << 20) + 100);
        CHECK(all.size() == (1 << 20) + 15);
        for (std::size_t i = 0; i < all.size(); ++i) {
            const bool data = i < 100 || i >= (1 << 20) + 5;
            if (all[i] != (data ? pat(i, 7) : std::byte{0}))
                fail_at(__LINE__, "hole byte " + std::to_string(i));
        }
        const std::uint64_t far = 200ull << 30;  // 200 GiB: sparse, costs nothing
        put(c, "/io/sparse", far, bytes_of("end"));
        CHECK(V(c.stat("/io/sparse"))->size == far + 3);
        CHECK(get(c, "/io/sparse", 100ull << 30, 4096) == std::vector<std::byte>(4096));
        CHECK(get(c, "/io/sparse", far - 2, 10) ==
              (std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{'e'}, std::byte{'n'},
                                      std::byte{'d'}}));
        OK(c.unlink("/io/sparse"));
        OK(c.unlink(p));
    }

    // truncate down and up: old bytes never come back
    {
        const std::string p = "/io/trunc";
        const std::uint64_t len = 5 * S + 300;
        put(c, p, 0, pattern(0, len, 9));
        int fd = *V(c.open(p, O_RDWR));
        OK(c.ftruncate(fd, static_cast<std::int64_t>(2 * S + 10)));
        CHECK(V(c.fstat(fd))->size == 2 * S + 10);
        CHECK(get(c, p, 0, len) == pattern(0, 2 * S + 10, 9));
        OK(c.ftruncate(fd, static_cast<std::int64_t>(len)));
        auto back = get(c, p, 0, len);
        CHECK(back.size() == len);
        CHECK(std::equal(back.begin(), back.begin() + static_cast<long>(2 * S + 10),
                         pattern(0, 2 * S + 10, 9).begin()));
        CHECK(std::all_of(back.begin() + static_cast<long>(2 * S + 10), back.end(),
                          [](std::byte x) { return x == std::byte{0}; }));
        OK(c.truncate(p, 1));
        CHECK(V(c.stat(p))->size == 1);
        CHECK(get(c, p, 0, 10) == pattern(0, 1, 9));
        OK(c.truncate(p, 0));
        CHECK(get(c, p, 0, 10).empty());
        ERR(c.ftruncate(fd, -1), EINVAL);
        ERR(c.truncate(p, -5), EINVAL);
        ERR(c.truncate("/io", 0), EISDIR);
        ERR(c.truncate("/io/nothing", 0), ENOENT);
        OK(c.close(fd));
        int rfd = *V(c.open(p, O_RDONLY));
        ERR(c.ftruncate(rfd, 0), EINVAL);
        OK(c.close(rfd));
        OK(c.unlink(p));
    }

    // 0-byte operations, bad offsets and modes
    {
        const std::string p = "/io/zero";
        put(c, p, 0, bytes_of("abc"));
        int fd = *V(c.open(p, O_RDWR));
        char buf[8] = {};
        CHECK(*V(c.pwrite(fd, buf, 0, 1000)) == 0);
        CHECK(V(c.fstat(fd))->size == 3);
        CHECK(*V(c.pread(fd, buf, 0, 0)) == 0);
        ERR(c.pread(fd, buf, 1, -1), EINVAL);
        ERR(c.pwrite(fd, buf, 1, -1), EINVAL);
        ERR(c.lseek(fd, -1, SEEK_SET), EINVAL);
        ERR(c.lseek(fd, 0, 42), EINVAL);
        OK(c.close(fd));
        int ro = *V(c.open(p, O_RDONLY));
        ERR(c.pwrite(ro, buf, 1, 0), EBADF);
        ERR(c.write(ro, buf, 1), EBADF);
        OK(c.close(ro));
        int wo = *V(c.open(p, O_WRONLY));
        ERR(c.pread(wo, buf, 1, 0), EBADF);
        OK(c.fsync(wo));
        OK(c.close(wo));
        OK(c.unlink(p));
    }

    // sequential read/write, lseek, O_APPEND, O_TRUNC
    {
        const std::string p = "/io/seq";
        int fd = *V(c.open(p, O_CREAT | O_RDWR | O_TRUNC));
        CHECK(*V(c.write(fd, "hello ", 6)) == 6);
        CHECK(*V(c.write(fd, "world", 5)) == 5);
        CHECK(*V(c.lseek(fd, 0, SEEK_CUR)) == 11);
        CHECK(*V(c.lseek(fd, -5, SEEK_END)) == 6);
        char buf[32] = {};
        CHECK(*V(c.read(fd, buf, sizeof buf)) == 5);
        CHECK(std::string(buf, 5) == "world");
        CHECK(*V(c.read(fd, buf, sizeof buf)) == 0);
        OK(c.close(fd));
        int ap = *V(c.open(p, O_WRONLY | O_APPEND));
        CHECK(*V(c.write(ap, "!", 1)) == 1);
        CHECK(*V(c.write(ap, "?", 1)) == 1);
        CHECK(*V(c.pwrite(ap, "H", 1, 0)) == 1);  // pwrite honours the offset (POSIX)
        OK(c.close(ap));
        CHECK(get(c, p, 0, 100) == bytes_of("Hello world!?"));
        int tr = *V(c.open(p, O_WRONLY | O_TRUNC));
        CHECK(V(c.fstat(tr))->size == 0);
        OK(c.close(tr));
        CHECK(get(c, p, 0, 100).empty());
        int rt = *V(c.open(p, O_RDONLY | O_TRUNC));  // O_TRUNC without write access: no-op
        OK(c.close(rt));
        int sy = *V(c.open(p, O_WRONLY | O_SYNC));
        CHECK(*V(c.pwrite(sy, "sync", 4, 0)) == 4);
        OK(c.close(sy));
        CHECK(get(c, p, 0, 100) == bytes_of("sync"));
        OK(c.unlink(p));
    }

    // the last unlink deletes the objects on the data servers; the volume space comes back
    {
        const std::string p = "/io/objects";
        put(c, p, 0, pattern(0, 4 * S, 3));
        int fd = *V(c.open(p, O_RDONLY));
        OK(c.fsync(fd));
        const Attr a = *V(c.fstat(fd));
        OK(c.close(fd));
        auto paths = object_paths(c, a);
        for (std::uint32_t s = 0; s < std::min<std::uint32_t>(c.data_servers(), 4); ++s)
            CHECK(std::filesystem::exists(paths[s]));
        OK(c.link(p, "/io/objects2"));
        OK(c.unlink(p));  // not the last link: objects stay
        CHECK(std::filesystem::exists(paths[0]));
        OK(c.unlink("/io/objects2"));
        // unlink sent the removals without waiting for them; finish_removals() collects them
        c.finish_removals();
        for (const auto& q : paths) CHECK(!std::filesystem::exists(q));
        // a file replaced by rename loses its objects too
        put(c, "/io/victim", 0, pattern(0, 2 * S, 4));
        const Attr v = *V(c.stat("/io/victim"));
        put(c, "/io/winner", 0, bytes_of("w"));
        OK(c.rename("/io/winner", "/io/victim"));
        c.finish_removals();
        for (const auto& q : object_paths(c, v)) CHECK(!std::filesystem::exists(q));
        OK(c.unlink("/io/victim"));
    }

    // More removals than a client leaves unanswered (config::kClientPendingRemovals): every
    // object goes, and statfs, which collects them first, counts the space as free again.
    {
        c.finish_removals();
        const std::uint64_t before = V(c.statfs_total())->used_bytes;
        std::vector<std::filesystem::path> objs;
        const int files = static_cast<int>(3 * pfs::config::kClientPendingRemovals);
        for (int i = 0; i < files; ++i) {
            const std::string p = "/io/many." + std::to_string(i);
            put(c, p, 0, pattern(static_cast<std::uint64_t>(i), 2 * S, 5));
            for (auto& q : object_paths(c, *V(c.stat(p)))) objs.push_back(std::move(q));
        }
        CHECK(V(c.statfs_total())->used_bytes >=
              before + static_cast<std::uint64_t>(files) * 2 * S);
        for (int i = 0; i < files; ++i) OK(c.unlink("/io/many." + std::to_string(i)));
        CHECK(V(c.statfs_total())->used_bytes <= before);
        for (const auto& q : objs) CHECK(!std::filesystem::exists(q));
    }
    OK(c.rmdir("/io"));
}

// ---- concurrent writers
// ---------------------------------------------------------------------------

void case_concurrent(Client& c) {
    const std::string p = "/shared";
    const std::uint64_t block = (96 << 10) + 100;  // not stripe aligned
    const int rounds = 16;
    const std::uint64_t blocks = static_cast<std::uint64_t>(rounds) * g_size;
    const std::uint64_t total = blocks * block;
    if (g_rank == 0) OK(c.mkdir("/cdir"));
    barrier();
    // every rank creates the shared file (one wins, the others open it) and its own names
    int fd = *V(c.open(p, O_CREAT | O_RDWR, 0644));
    for (int i = 0; i < 25; ++i)
        OK(c.mkdir("/cdir/r" + std::to_string(g_rank) + "-" + std::to_string(i)));
    // interleaved regions, the highest block first on odd ranks so that extends race
    std::vector<std::uint64_t> mine;
    for (std::uint64_t b = static_cast<std::uint64_t>(g_rank); b < blocks;
         b += static_cast<std::uint64_t>(g_size))
        mine.push_back(b);
    if (g_rank % 2 == 1) std::reverse(mine.begin(), mine.end());
    for (auto b : mine) {
        const auto data = pattern(b * block, block, 0x5eed);
        CHECK(*V(c.pwrite(fd, data.data(), data.size(), static_cast<std::int64_t>(b * block))) ==
              block);
    }
    OK(c.fsync(fd));
    barrier();
    CHECK(V(c.fstat(fd))->size == total);
    std::vector<std::byte> all(total + 100);
    CHECK(*V(c.pread(fd, all.data(), all.size(), 0)) == total);
    all.resize(total);
    for (std::uint64_t i = 0; i < total; ++i)
        if (all[i] != pat(i, 0x5eed))
            fail_at(__LINE__, "shared file byte " + std::to_string(i) + " wrong");
    CHECK(V(c.readdir("/cdir"))->size() == static_cast<std::size_t>(25 * g_size + 2));
    OK(c.close(fd));
    barrier();
}

// ---- the direct path (src/direct_volumes.hpp)
// ----------------------------------------------------------------------

// Every rank: a client with the direct path (c) and one through the servers (s). Each rank's
// writes, through either, read back the same through both; striped, unaligned, sparse and
// truncated ranges; statfs counts what the direct writes allocated; and other ranks' direct
// writes to one shared file are seen by everyone.
void case_direct(Client& c) {
    auto sp = server_path_client();
    Client& s = *sp;
    CHECK(c.direct_volumes() == c.data_servers());
    CHECK(s.direct_volumes() == 0);
    const std::uint64_t S = c.fs_info().default_stripe_size;
    CHECK(S == (64u << 10));
    auto used = [&] {
        const auto vols = V(s.statfs());  // named: a range over *V(...) would dangle
        std::uint64_t u = 0;
        for (const auto& v : *vols) u += v.stat.used_bytes;
        return u;
    };
    if (g_rank == 0) OK(c.mkdir("/dio"));
    barrier();
    const std::string mine = "/dio/r" + std::to_string(g_rank);
    const std::uint64_t used0 = used();
    barrier();  // before any rank allocates
    // 1. Direct writes, across stripes and the chunk size, read back through both clients.
    const std::uint64_t big = 5 * S * c.data_servers() + 777;
    const auto a = pattern(S / 3, big, 11 + g_rank);
    put(c, mine, S / 3, a);
    CHECK(get(s, mine, S / 3, big) == a);
    CHECK(get(c, mine, S / 3, big) == a);
    CHECK(get(c, mine, 0, S / 3) == std::vector<std::byte>(S / 3));  // the hole before
    CHECK(V(s.stat(mine))->size == S / 3 + big);
    // 2. Server writes over part of it, read directly.
    const auto b = pattern(S - 10, 2 * S, 99 + g_rank);
    put(s, mine, S - 10, b);
    auto both = a;
    std::copy(b.begin(), b.end(), both.begin() + static_cast<long>(S - 10 - S / 3));
    CHECK(get(c, mine, S / 3, big) == both);
    // 3. Sparse: a far write leaves objects with holes; the gap reads as zeros both ways.
    const std::uint64_t far = 40 * S + 5;
    const auto f = pattern(far, 300, 7);
    put(c, mine, far, f);
    CHECK(get(c, mine, far - 1000, 1300) == [&] {
        std::vector<std::byte> v(1000);
        v.insert(v.end(), f.begin(), f.end());
        return v;
    }());
    CHECK(get(s, mine, S / 3 + big, 4096) == std::vector<std::byte>(4096));
    // 4. The direct writes' allocation reached the servers' count (statfs folds the counter):
    // every rank's file holds at least big + 300 bytes now.
    barrier();
    const std::uint64_t used1 = used();
    CHECK(used1 >= used0 + static_cast<std::uint64_t>(g_size) * (big + 300));
    barrier();
    // 5. Truncate (the servers cut the objects, measuring what they free) and a read past the
    // new end; the count drops by what the cut freed.
    OK(c.truncate(mine, static_cast<std::int64_t>(S + 3)));
    const auto cut = get(c, mine, 0, 4 * S);
    CHECK(cut.size() == S + 3);
    CHECK(std::equal(cut.begin() + static_cast<long>(S / 3), cut.end(), both.begin()));
    barrier();
    CHECK(used() + static_cast<std::uint64_t>(g_size) * (big - 2 * S) <= used1);
    // 6. One shared file, interleaved 1000-byte records from every rank, read by all.
    if (g_rank == 0) {
        const int cfd = *V(c.open("/dio/shared", O_CREAT | O_RDWR, 0644));
        OK(c.close(cfd));
    }
    barrier();
    const int rounds = 40;
    const int fd = *V(c.open("/dio/shared", O_RDWR));
    for (int r = 0; r < rounds; ++r) {
        const std::uint64_t off = (static_cast<std::uint64_t>(r) * g_size + g_rank) * 1000;
        const auto rec = pattern(off, 1000, 5);
        CHECK(*V(c.pwrite(fd, rec.data(), rec.size(), static_cast<std::int64_t>(off))) == 1000);
    }
    barrier();
    const std::uint64_t total = static_cast<std::uint64_t>(rounds) * g_size * 1000;
    CHECK(get(c, "/dio/shared", 0, total) == pattern(0, total, 5));
    CHECK(get(s, "/dio/shared", 0, total) == pattern(0, total, 5));
    OK(c.close(fd));
    barrier();
}

// ---- reads below the size a descriptor last saw (Client::do_pread)
// ----------------------------------------------------------------------

// Every rank holds descriptors, direct (c) and through the servers (s), opened while the file
// was large; rank 0 then cuts it, extends it over a hole and grows it through other
// descriptors. Reads on the old descriptors must see each change as a fresh size request
// would: a short read past the cut (not zeros), zeros in the hole, the new bytes past it.
void case_read_size(Client& c) {
    auto sp = server_path_client();
    Client& s = *sp;
    const std::uint64_t S = c.fs_info().default_stripe_size;
    const std::string path = "/read-size.dat";
    const std::uint64_t big = 4 * S + 100;
    if (g_rank == 0) put(c, path, 0, pattern(0, big, 3));
    barrier();
    const int fds[2] = {*V(c.open(path, O_RDONLY)), *V(s.open(path, O_RDONLY))};
    Client* clients[2] = {&c, &s};
    auto read_at = [&](int i, std::uint64_t off, std::size_t n) {
        std::vector<std::byte> v(n);
        auto got = V(clients[i]->pread(fds[i], v.data(), n, static_cast<std::int64_t>(off)));
        v.resize(*got);
        return v;
    };
    for (int i = 0; i < 2; ++i) CHECK(read_at(i, 0, big) == pattern(0, big, 3));
    barrier();
    // The cut: everything past S + 7 is gone.
    if (g_rank == 0) OK(c.truncate(path, static_cast<std::int64_t>(S + 7)));
    barrier();
    for (int i = 0; i < 2; ++i) {
        CHECK(read_at(i, 2 * S, 1000).empty());
        CHECK(read_at(i, S, 100) == pattern(S, 7, 3));
        CHECK(read_at(i, 0, S) == pattern(0, S, 3));
    }
    barrier();
    // Extended over a hole: [S + 7, 3S) reads as zeros, then 10 new bytes.
    if (g_rank == 0) put(c, path, 3 * S, pattern(3 * S, 10, 9));
    barrier();
    for (int i = 0; i < 2; ++i) {
        CHECK(read_at(i, 2 * S, 100) == std::vector<std::byte>(100));
        CHECK(read_at(i, 3 * S, 100) == pattern(3 * S, 10, 9));
    }
    barrier();
    // Cut again below what the descriptors saw last (3S + 10), then rewritten shorter.
    if (g_rank == 0) {
        OK(c.truncate(path, 0));
        put(c, path, 0, pattern(0, S / 2, 5));
    }
    barrier();
    for (int i = 0; i < 2; ++i) {
        CHECK(read_at(i, 0, S) == pattern(0, S / 2, 5));
        CHECK(read_at(i, 3 * S, 10).empty());
    }
    for (int i = 0; i < 2; ++i) OK(clients[i]->close(fds[i]));
    barrier();
}

// ---- attribute leases --------------------------------------------------------------------------

// Ranks 1 and 2 hold paths in their attribute caches (leased stats, and rank 1's leased
// creates); rank 0 changes them: once its call returned (the barrier), their stats must show
// the change, because the metadata server recalled the leases first (attr_leases.hpp). Without
// the recall every check after a barrier reads the cached state (the lease lasts 1 s).
void case_attr_leases(Client& c) {
    CHECK(g_size >= 3);
    const bool holder = g_rank != 0;
    auto st = [&](const std::string& p) { return c.stat(p); };
    if (g_rank == 0) {
        OK(c.mkdir("/d1", 0755));
        OK(c.mkdir("/d1/sub", 0755));
        OK(c.mkdir("/d3", 0755));
        put(c, "/d1/sub/f", 0, pattern(0, 100, 1));
        put(c, "/d3/f", 0, pattern(0, 7, 2));
        put(c, "/a", 0, pattern(0, 10, 3));
        OK(c.symlink("/d1/sub", "/ln"));
    }
    barrier();
    // Leases taken, and a second stat answered from the cache (no change in between).
    Attr a0{}, f0{}, d0{}, l0{};
    if (holder) {
        a0 = *V(st("/a"));
        f0 = *V(st("/d1/sub/f"));
        d0 = *V(st("/d1"));
        l0 = *V(st("/ln/f"));
        CHECK(l0.ino == f0.ino);
        CHECK(c.attr_cache_entries() >= 4);
        CHECK(V(st("/a"))->mode == a0.mode);
    }
    barrier();
    // 1. chmod
    if (g_rank == 0) OK(c.chmod("/a", 0600));
    barrier();
    if (holder) CHECK(V(st("/a"))->mode == 0600);
    barrier();
    // 2. truncate up, and 3. an extending write through another rank's descriptor
    if (g_rank == 0) OK(c.truncate("/a", 5000));
    barrier();
    if (holder) CHECK(V(st("/a"))->size == 5000);
    barrier();
    if (g_rank == 0) put(c, "/a", 9000, pattern(9000, 10, 3));
    barrier();
    if (holder) CHECK(V(st("/a"))->size == 9010);
    barrier();
    // 4. a name added to a cached directory: its link count (mkdir) and times change
    if (g_rank == 0) OK(c.mkdir("/d1/new", 0755));
    barrier();
    if (holder) {
        auto d = V(st("/d1"));
        CHECK(d->nlink == d0.nlink + 1);
        CHECK(d->mtime_ns >= d0.mtime_ns);
        CHECK(V(st("/d1/sub/f"))->ino == f0.ino);  // a path through it is still right
    }
    barrier();
    // 5. a hard link: the file's link count
    if (g_rank == 0) OK(c.link("/d1/sub/f", "/d3/g"));
    barrier();
    if (holder) CHECK(V(st("/d1/sub/f"))->nlink == 2);
    barrier();
    // 6. a directory of the path renamed: the old path is gone, the new one found
    if (g_rank == 0) OK(c.rename("/d1", "/d2"));
    barrier();
    if (holder) {
        ERR(st("/d1/sub/f"), ENOENT);
        ERR(st("/d1"), ENOENT);
        CHECK(V(st("/d2/sub/f"))->ino == f0.ino);
    }
    barrier();
    // 7. a symlink of the path replaced: the same path names another file now
    if (holder) ERR(st("/ln/f"), ENOENT);  // /ln -> /d1/sub, gone with the rename
    barrier();
    if (g_rank == 0) {
        OK(c.unlink("/ln"));
        OK(c.symlink("/d3", "/ln"));
    }
    barrier();
    if (holder) CHECK(V(st("/ln/f"))->ino == V(st("/d3/f"))->ino);
    barrier();
    if (g_rank == 0) {
        OK(c.unlink("/ln"));
        OK(c.symlink("/d2/sub", "/ln"));
    }
    barrier();
    if (holder) CHECK(V(st("/ln/f"))->ino == f0.ino);
    barrier();
    // 8. unlink and rename of cached files
    if (g_rank == 0) {
        OK(c.unlink("/d3/g"));
        OK(c.rename("/a", "/b"));
    }
    barrier();
    if (holder) {
        CHECK(V(st("/d2/sub/f"))->nlink == 1);
        ERR(st("/a"), ENOENT);
        CHECK(V(st("/b"))->ino == a0.ino);
    }
    barrier();
    // 9. rank 1's own creates (leased) and own changes: no recall is sent to the rank that
    // changed something, its client drops what the change affects.
    if (g_rank == 1) {
        OK(c.mkdir("/own", 0755));
        auto d = *V(st("/own"));
        for (int i = 0; i < 20; ++i) {
            const std::string p = "/own/f" + std::to_string(i);
            int fd = *V(c.open(p, O_CREAT | O_EXCL | O_WRONLY, 0644));
            OK(c.close(fd));
        }
        CHECK(V(st("/own/f3"))->size == 0);
        OK(c.chmod("/own/f3", 0640));
        CHECK(V(st("/own/f3"))->mode == 0640);
        int fd = *V(c.open("/own/f4", O_WRONLY));
        const auto data = pattern(0, 33, 4);
        CHECK(*V(c.pwrite(fd, data.data(), data.size(), 100)) == data.size());
        OK(c.close(fd));
        CHECK(V(st("/own/f4"))->size == 133);
        OK(c.mkdir("/own/sub", 0755));
        CHECK(V(st("/own"))->nlink == d.nlink + 1);
        OK(c.unlink("/own/f5"));
        ERR(st("/own/f5"), ENOENT);
        OK(c.rename("/own/f6", "/own/f7"));
        ERR(st("/own/f6"), ENOENT);
    }
    barrier();
    // 10. ... and rank 0 changes rank 1's created files, never stat'ed by rank 1 before
    if (g_rank == 0) {
        OK(c.chmod("/own/f8", 0604));
        OK(c.unlink("/own/f9"));
        OK(c.truncate("/own/f10", 77));
    }
    barrier();
    if (g_rank == 1) {
        CHECK(V(st("/own/f8"))->mode == 0604);
        ERR(st("/own/f9"), ENOENT);
        CHECK(V(st("/own/f10"))->size == 77);
    }
    barrier();
}

// A leaseholder that never answers recalls (world rank given by PFS_TEST_IGNORE_RECALLS, here
// app rank 1): rank 0's chmod must still return (the server waits for the lease to run out,
// at most config::kAttrLease), and rank 1 must then see the new mode: its cache stops trusting
// the lease no later than the server does. Without the server's wait, rank 1 reads the old
// mode from its cache.
void case_attr_lease_silent_holder(Client& c) {
    CHECK(g_size >= 2);
    if (g_rank == 0) put(c, "/s", 0, pattern(0, 10, 1));
    barrier();
    if (g_rank == 1) CHECK(V(c.stat("/s"))->mode == 0644);
    barrier();
    if (g_rank == 0) {
        const auto t0 = std::chrono::steady_clock::now();
        OK(c.chmod("/s", 0600));
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
        std::printf("PFS-TEST attr_lease_silent_holder: chmod returned after %.3f s\n",
                    took.count());
        std::fflush(stdout);
    }
    barrier();
    if (g_rank == 1) CHECK(V(c.stat("/s"))->mode == 0600);
    barrier();
}

// ---- persistence across jobs
// ----------------------------------------------------------------------

const std::uint64_t kBig = (3u << 20) + 5;

// Directory delegations (docs/pfs.md): a directory rank 1 made is handed to it, and its
// creates, stats and unlinks there are answered from its memory and sent in batches. Every
// other rank must still see exactly what rank 1 did as soon as rank 1's call returned: the
// server recalls the directory (rank 1 sends what it has and gives it back) before it answers
// them. Fails without the recall (the others see an empty directory), without the guard, or if
// a batch is lost or applied twice (pool refill: more files than one inode pool).
// An empty file made with O_EXCL.
void make(Client& c, const std::string& path, std::uint32_t mode) {
    const int fd = *V(c.open(path, O_CREAT | O_EXCL | O_WRONLY, mode));
    OK(c.close(fd));
}

void case_writeback(Client& c) {
    CHECK(g_size >= 3);
    constexpr int kFiles = 1500;  // > config::kDelegationPool: a refill; > 5 full batches
    constexpr int kGone = 100;    // unlinked again: f0 .. f99
    auto name = [](int i) { return "/w/f" + std::to_string(i); };
    std::uint64_t ino500 = 0;
    if (g_rank == 1) {
        OK(c.mkdir("/w", 0755));
        CHECK(c.writeback_stats().held == 1);
        const auto before = c.writeback_stats().local_ops;
        for (int i = 0; i < kFiles; ++i) make(c, name(i), 0640);
        ERR(c.open(name(7), O_CREAT | O_EXCL | O_WRONLY, 0640), EEXIST);
        auto a = V(c.stat(name(500)));
        CHECK(a->type == FileType::file && a->mode == 0640 && a->size == 0 && a->nlink == 1);
        ino500 = a->ino;
        ERR(c.stat("/w/nope"), ENOENT);
        for (int i = 0; i < kGone; ++i) OK(c.unlink(name(i)));
        ERR(c.unlink(name(0)), ENOENT);
        ERR(c.stat(name(0)), ENOENT);
        const auto st = c.writeback_stats();
        CHECK(st.held == 1);
        CHECK(st.local_ops - before >= kFiles + kGone + 3);  // none of them asked the server
        CHECK(st.lost == 0);
    }
    MPI_Bcast(&ino500, 1, MPI_UINT64_T, 1, g_app);
    barrier();
    if (g_rank != 1) {
        std::set<std::string> want{".", ".."};
        for (int i = kGone; i < kFiles; ++i) want.insert("f" + std::to_string(i));
        CHECK(names(c, "/w") == want);
        auto a = V(c.stat(name(500)));
        CHECK(a->ino == ino500 && a->mode == 0640 && a->size == 0 && a->nlink == 1);
        ERR(c.stat(name(3)), ENOENT);
    }
    barrier();
    // Given back on the recall: rank 1's requests in /w are plain ones now.
    if (g_rank == 1) {
        CHECK(c.writeback_stats().held == 0);
        ERR(c.open(name(100), O_CREAT | O_EXCL | O_WRONLY, 0640), EEXIST);
        make(c, "/w/new", 0600);
        CHECK(c.writeback_stats().lost == 0);
    }
    barrier();
    // Another rank's create in a held directory; rank 1's own change request gives back.
    if (g_rank == 1) {
        OK(c.mkdir("/w3", 0755));
        make(c, "/w3/x", 0644);
        OK(c.mkdir("/w2", 0755));  // a change: /w3 is given back first
        CHECK(c.writeback_stats().held == 1);
        make(c, "/w2/a", 0644);
        OK(c.chmod("/w2/a", 0600));
        CHECK(c.writeback_stats().held == 0);
        CHECK(V(c.stat("/w2/a"))->mode == 0600);
        OK(c.mkdir("/w4", 0755));
        make(c, "/w4/x", 0644);
        CHECK(c.writeback_stats().held == 1);
    }
    barrier();
    if (g_rank == 2) {
        ERR(c.open("/w4/x", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
        make(c, "/w4/y", 0644);
        CHECK((names(c, "/w3") == std::set<std::string>{".", "..", "x"}));
    }
    barrier();
    if (g_rank == 1) {
        CHECK(c.writeback_stats().held == 0);
        CHECK((names(c, "/w4") == std::set<std::string>{".", "..", "x", "y"}));
        // Data in a file made in memory: the write's size change gives the directory back.
        OK(c.mkdir("/w5", 0755));
        put(c, "/w5/d", 0, pattern(0, 5000, 9));
    }
    barrier();
    if (g_rank == 0) CHECK(get(c, "/w5/d", 0, 5000) == pattern(0, 5000, 9));
    // A second client of the same rank without write-back: the server cannot tell it from the
    // holder, so its requests pass the process's write-back too (its change gives /w6 back).
    if (g_rank == 1) {
        OK(c.mkdir("/w6", 0755));
        make(c, "/w6/a", 0644);
        pfs::client::ClientOptions so = pfs::client::ClientOptions::from_env();
        so.writeback = false;
        so.dm_events = false;
        Client other(*g_job, so);
        CHECK(other.connect_error() == 0);
        CHECK(V(other.stat("/w6/a"))->mode == 0644);
        make(other, "/w6/b", 0600);
        CHECK(c.writeback_stats().held == 0);
        ERR(c.open("/w6/b", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
        CHECK(V(c.stat("/w6/b"))->mode == 0600);
    }
    barrier();
}

// The metadata rank dies (tests/chaos/meta_rank_dies_during_writeback.sh: SIGKILL right after
// it committed the holder's second batch, before answering it) while app rank 1 creates and
// unlinks in a delegated directory: the holder sends the unanswered batch again to the
// adopter, which recognises it (nothing applied twice: a create would be refused EEXIST and
// counted lost), and goes on; every acknowledged change is there afterwards.
void case_writeback_meta_dies(Client& c) {
    CHECK(g_size >= 2);
    constexpr int kFiles = 900, kGone = 50;
    auto name = [](int i) { return "/wm/f" + std::to_string(i); };
    if (g_rank == 1) {
        OK(c.mkdir("/wm", 0755));
        CHECK(c.writeback_stats().held == 1);
        for (int i = 0; i < kFiles; ++i) {
            make(c, name(i), 0644);
            if (i % 64 == 63) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        for (int i = 0; i < kGone; ++i) OK(c.unlink(name(i)));
        OK(c.sync_namespace());
        CHECK(c.writeback_stats().lost == 0);
    }
    barrier();
    if (g_rank == 0) {
        std::set<std::string> want{".", ".."};
        for (int i = kGone; i < kFiles; ++i) want.insert("f" + std::to_string(i));
        CHECK(names(c, "/wm") == want);
    }
}

void case_persist_write(Client& c) {
    if (g_rank != 0) return;
    OK(c.mkdir("/p"));
    OK(c.mkdir("/p/d1", 0700));
    OK(c.mkdir("/p/d1/d2"));
    put(c, "/p/d1/d2/f1", 0, pattern(0, kBig, 11));
    int e = *V(c.open("/p/empty", O_CREAT | O_EXCL | O_WRONLY, 0600));
    OK(c.close(e));
    put(c, "/p/sparse", 10u << 20, bytes_of("tail"));
    OK(c.symlink("/p/d1/d2/f1", "/p/link"));
    OK(c.link("/p/d1/d2/f1", "/p/hard"));
    for (int i = 0; i < 20; ++i) put(c, "/p/small" + std::to_string(i), 0, pattern(0, 100 + i, i));
    int fd = *V(c.open("/p/d1/d2/f1", O_RDONLY));
    OK(c.fsync(fd));
    OK(c.close(fd));
}

void case_persist_verify(Client& c) {
    if (g_rank != 0) return;
    CHECK((names(c, "/p/d1") == std::set<std::string>{".", "..", "d2"}));
    CHECK(V(c.stat("/p/d1"))->mode == 0700);
    auto f1 = V(c.stat("/p/d1/d2/f1"));
    CHECK(f1->size == kBig && f1->nlink == 2);
    CHECK(get(c, "/p/d1/d2/f1", 0, kBig + 10) == pattern(0, kBig, 11));
    CHECK(V(c.stat("/p/hard"))->ino == f1->ino);
    CHECK(*V(c.readlink("/p/link")) == "/p/d1/d2/f1");
    CHECK(get(c, "/p/link", kBig - 5, 5) == pattern(kBig - 5, 5, 11));
    auto em = V(c.stat("/p/empty"));
    CHECK(em->size == 0 && em->mode == 0600);
    CHECK(V(c.stat("/p/sparse"))->size == (10u << 20) + 4);
    CHECK(get(c, "/p/sparse", (10u << 20) - 2, 10) ==
          (std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{'t'}, std::byte{'a'},
                                  std::byte{'i'}, std::byte{'l'}}));
    for (int i = 0; i < 20; ++i)
        CHECK(get(c, "/p/small" + std::to_string(i), 0, 1000) == pattern(0, 100 + i, i));
    CHECK(names(c, "/p").size() == 2 + 5 + 20);
    // and the file system still takes changes
    put(c, "/p/after", 0, bytes_of("second job"));
    CHECK(get(c, "/p/after", 0, 100) == bytes_of("second job"));
}

// ---- ENOSPC
// ---------------------------------------------------------------------------------------

void case_enospc(Client& c) {
    if (g_rank != 0) return;
    const std::uint64_t quota = c.fs_info().quota_per_volume;
    CHECK(quota > 0);
    CHECK(c.direct_volumes() == 0);  // the servers enforce a quota: no direct path
    auto tot = V(c.statfs_total());
    CHECK(tot->total_bytes == quota * c.data_servers());
    // one write far larger than the volumes
    const auto big = pattern(0, 4 * quota * c.data_servers(), 1);
    int fd = *V(c.open("/big", O_CREAT | O_RDWR));
    ERR(c.pwrite(fd, big.data(), big.size(), 0), ENOSPC);
    OK(c.close(fd));
    OK(c.unlink("/big"));
    // fill with small writes until the volumes say no
    fd = *V(c.open("/fill", O_CREAT | O_RDWR));
    const std::size_t step = 64 << 10;
    std::uint64_t off = 0;
    int err = 0;
    while (err == 0 && off + step <= big.size()) {
        auto r = c.pwrite(fd, big.data() + off, step, static_cast<std::int64_t>(off));
        if (r)
            off += step;
        else
            err = r.error();
    }
    CHECK(err == ENOSPC);
    CHECK(off > 0 && off <= quota * c.data_servers());
    CHECK(V(c.statfs_total())->free_bytes < tot->total_bytes);
    // what was written is intact; removing it gives the space back
    CHECK(get(c, "/fill", 0, off) ==
          std::vector<std::byte>(big.begin(), big.begin() + static_cast<long>(off)));
    OK(c.close(fd));
    OK(c.unlink("/fill"));
    put(c, "/again", 0, pattern(0, quota / 2, 2));
    CHECK(get(c, "/again", 0, quota) == pattern(0, quota / 2, 2));
}

// ---- malformed requests -------------------------------------------------------------------------

int raw_err(Client& c, int dest, std::uint16_t type, const std::vector<std::byte>& payload) {
    auto r =
        c.transport().call(dest, type, payload, mpi_tools::ft::after(std::chrono::seconds(20)));
    if (r.err != 0)
        fail_at(__LINE__,
                "transport error " + err_name(r.err) + " for type " + std::to_string(type));
    if (r.payload.size() < 6) fail_at(__LINE__, "reply too short");
    std::int32_t e = 0;
    std::memcpy(&e, r.payload.data() + 2, 4);
    return e;
}

void case_malformed(Client& c) {
    if (g_rank != 0) return;
    using namespace pfs::proto;
    const int meta = c.meta_rank(), data = c.data_rank(0);
    auto T = [](MsgType t) { return static_cast<std::uint16_t>(t); };
    std::vector<std::byte> garbage(100);
    for (std::size_t i = 0; i < garbage.size(); ++i)
        garbage[i] = static_cast<std::byte>(i * 37 + 11);

    CHECK(raw_err(c, meta, T(MsgType::lookup_req), garbage) == EBADMSG);
    CHECK(raw_err(c, meta, T(MsgType::lookup_req), {}) == EBADMSG);
    // a valid frame of another type, and one with trailing bytes
    CHECK(raw_err(c, meta, T(MsgType::lookup_req), encode(StatReq{1})) == EBADMSG);
    auto trailing = encode(StatReq{1});
    trailing.push_back(std::byte{0});
    CHECK(raw_err(c, meta, T(MsgType::stat_req), trailing) == EBADMSG);
    // a name longer than NAME_MAX on the wire: refused before allocation
    auto longname = encode(LookupReq{1, std::string(255, 'x')});
    longname[2 + 8] = std::byte{0xff};  // u32 length after u16 type and u64 parent
    longname[2 + 8 + 1] = std::byte{0xff};
    const int ln = raw_err(c, meta, T(MsgType::lookup_req), longname);
    CHECK(ln == EMSGSIZE || ln == EBADMSG);
    // every request type with garbage, to both services
    for (std::uint16_t t = 1000; t <= 1020; ++t) CHECK(raw_err(c, meta, t, garbage) != 0);
    for (std::uint16_t t = 1200; t <= 1208; ++t) CHECK(raw_err(c, data, t, garbage) != 0);
    // a write whose header claims more payload than it carries
    auto w = encode(WriteReq{5, 1, 0, 100});
    w.resize(w.size() + 10);
    CHECK(raw_err(c, data, T(MsgType::write_req), w) == EBADMSG);
    // a read larger than the limit
    auto rd = encode(ReadReq{5, 1, 0, 1});
    const std::uint64_t huge = 1ull << 40;
    std::memcpy(rd.data() + rd.size() - 12, &huge, 8);  // length, before volume (u32)
    const int re = raw_err(c, data, T(MsgType::read_req), rd);
    CHECK(re == EMSGSIZE || re == EBADMSG);
    // a read within the codec's limit whose reply would not fit one message
    CHECK(raw_err(c, data, T(MsgType::read_req), encode(ReadReq{5, 1, 0, 64ull << 20})) ==
          EMSGSIZE);
    // requests to the wrong service, unknown types, response types sent as requests
    CHECK(raw_err(c, data, T(MsgType::stat_req), encode(StatReq{1})) == EOPNOTSUPP);
    CHECK(raw_err(c, meta, T(MsgType::statfs_req), encode(StatfsReq{})) == EOPNOTSUPP);
    CHECK(raw_err(c, meta, 1350, garbage) == ENOSYS);
    // standby meta ranks (meta index > 0) refuse every PFS request but answer health checks
    const auto& L = g_job->layout();
    for (int m = 1; m < L.count_of(mpi_tools::Role::meta); ++m) {
        const int standby = L.first_rank(mpi_tools::Role::meta) + m;
        CHECK(raw_err(c, standby, T(MsgType::stat_req), encode(StatReq{1})) == EOPNOTSUPP);
        CHECK(raw_err(c, standby, T(MsgType::statfs_req), encode(StatfsReq{})) == EOPNOTSUPP);
        CHECK(g_job->ping(standby, mpi_tools::ft::after(std::chrono::seconds(10))) >= 0);
    }
    CHECK(raw_err(c, meta, T(MsgType::attr_resp), encode(AttrResp{})) == ENOSYS);
    // a burst of junk in flight at once: every one answered
    std::vector<std::shared_ptr<mpi_tools::PendingCall>> pcs;
    for (int i = 0; i < 300; ++i)
        pcs.push_back(c.transport().post(
            i % 2 ? meta : data, static_cast<std::uint16_t>(i % 2 ? 1000 + i % 20 : 1200 + i % 8),
            garbage));
    for (auto& pc : pcs) {
        auto r = c.transport().await(pc, mpi_tools::ft::after(std::chrono::seconds(30)));
        CHECK(r.err == 0 && r.payload.size() >= 6);
    }
    // the servers still serve
    OK(c.mkdir("/still"));
    put(c, "/still/ok", 0, pattern(0, 300000, 5));
    CHECK(get(c, "/still/ok", 0, 300000) == pattern(0, 300000, 5));
}

// The client's event generation against the test sink (pfs::client::LoggingSink, every type
// disposed, no DM application): which operation raises which events, in order, with which
// fields; a sink's errno fails the operation. Rank 0 only.
void case_event_sink(Client& c) {
    if (g_rank != 0) return;
    namespace ev = pfs::client::ev;
    auto sink = std::make_shared<pfs::client::LoggingSink>();
    pfs::client::set_event_sink(sink);
    auto types = [&] {
        std::vector<int> t;
        for (const auto& e : sink->events()) t.push_back(e.type);
        return t;
    };
    using Types = std::vector<int>;
    OK(c.mkdir("/ev"));
    CHECK(types() == (Types{ev::kCreate, ev::kPostcreate}));
    CHECK(sink->events()[0].name1 == "ev" && sink->events()[0].handle1.ino == 1);
    const auto dir = c.handle_of(c.stat("/ev").value());
    sink->clear();
    auto fd = c.open("/ev/f", O_CREAT | O_RDWR, 0600);
    CHECK(fd.ok());
    CHECK(types() == (Types{ev::kCreate, ev::kPostcreate}));
    CHECK(sink->events()[1].handle1 == dir && sink->events()[1].handle2.ino != 0);
    const auto f = sink->events()[1].handle2;
    sink->clear();
    OK(c.pwrite(*fd, "0123456789", 10, 0));
    CHECK(types().empty());  // no managed region
    // A region set by handle reaches this rank's cache (the meta server invalidates it here).
    pfs::client::DmChange ch;
    ch.op = pfs::client::DmChange::Op::set_regions;
    ch.regions = {{4, 0, ev::kRegionWrite}};
    OK(c.dm_update(f, ch));
    OK(c.pwrite(*fd, "ab", 2, 0));  // before the region
    CHECK(types().empty());
    OK(c.pwrite(*fd, "ab", 2, 8));
    CHECK(types() == (Types{ev::kWrite}));
    CHECK(sink->events()[0].offset == 8 && sink->events()[0].length == 2 &&
          sink->events()[0].handle1 == f);
    sink->clear();
    sink->abort_with(ev::kWrite, EDQUOT);
    CHECK(c.pwrite(*fd, "ab", 2, 100).error() == EDQUOT);
    sink->abort_with(ev::kWrite, 0);
    sink->clear();
    OK(c.close(*fd));
    CHECK(types() == (Types{ev::kClose}));
    sink->clear();
    OK(c.chmod("/ev/f", 0644));
    CHECK(types() == (Types{ev::kAttribute}));
    sink->clear();
    OK(c.rename("/ev/f", "/ev/g"));
    CHECK(types() == (Types{ev::kRename, ev::kPostrename}));
    CHECK(sink->events()[0].name1 == "f" && sink->events()[0].name2 == "g");
    sink->clear();
    OK(c.link("/ev/g", "/ev/h"));
    CHECK(types() == (Types{ev::kLink, ev::kPostlink}));
    sink->clear();
    OK(c.symlink("g", "/ev/s"));
    CHECK(types() == (Types{ev::kSymlink, ev::kPostsymlink}));
    sink->clear();
    OK(c.unlink("/ev/h"));
    CHECK(types() == (Types{ev::kRemove, ev::kPostremove}));
    sink->clear();
    OK(c.unlink("/ev/g"));  // the last link
    CHECK(types() == (Types{ev::kRemove, ev::kPostremove, ev::kDestroy}));
    CHECK(sink->events()[2].handle1 == f);
    sink->clear();
    sink->abort_with(ev::kRemove, EBUSY);
    CHECK(c.unlink("/ev/s").error() == EBUSY);
    CHECK(types() == (Types{ev::kRemove}));  // aborted: no post-event, nothing removed
    CHECK(c.lstat("/ev/s").ok());
}

// A job that only keeps the PFS up for a test outside it (the pfs command, tests/integration/
// pfs/cli.sh): every compute rank waits for --marker to exist, at most 300 s (the test's
// watchdog ends the job long before).
void case_wait(Client&) {
    CHECK(!g_marker.empty());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    while (!std::filesystem::exists(g_marker)) {
        CHECK(std::chrono::steady_clock::now() < until);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    dmapi::events::start(job);
    g_job = &job;
    g_app = job.app_comm();
    MPI_Comm_rank(g_app, &g_rank);
    MPI_Comm_size(g_app, &g_size);
    CLI::App cli{"pfs-client-test: PFS integration test cases"};
    cli.add_option("--case", g_case, "case to run")->required();
    cli.add_option("--marker", g_marker, "case wait: end when this file exists");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (g_rank == 0) cli.exit(e);
        job.finish(2);
    }
    const std::map<std::string, std::function<void(Client&)>> cases = {
        {"namespace", case_namespace},
        {"io", case_io},
        {"concurrent", case_concurrent},
        {"direct", case_direct},
        {"read_size", case_read_size},
        {"attr_leases", case_attr_leases},
        {"attr_lease_silent_holder", case_attr_lease_silent_holder},
        {"writeback", case_writeback},
        {"writeback_meta_dies", case_writeback_meta_dies},
        {"persist-write", case_persist_write},
        {"persist-verify", case_persist_verify},
        {"enospc", case_enospc},
        {"malformed", case_malformed},
        {"event_sink", case_event_sink},
        {"wait", case_wait},
    };
    auto it = cases.find(g_case);
    if (it == cases.end()) {
        if (g_rank == 0)
            std::fprintf(stderr, "pfs-client-test: unknown case '%s'\n", g_case.c_str());
        job.finish(2);
    }
    const double t0 = MPI_Wtime();
    Client c(job);
    if (c.connect_error() != 0)
        fail_at(__LINE__, "servers not reachable: " + err_name(c.connect_error()));
    const double t1 = MPI_Wtime();
    it->second(c);
    barrier();
    if (g_rank == 0) {
        std::printf("PFS-TEST %s PASS (connect %.2f s, case %.2f s)\n", g_case.c_str(), t1 - t0,
                    MPI_Wtime() - t1);
        std::fflush(stdout);
    }
    job.finish(0);
}
