// pfs: ls, stat, cp, rm, rmdir, mkdir, df and scrub on the PFS of a running job, from a shell. It
// is no MPI program: it connects to the UNIX socket that the job's first meta rank serves in
// the job's run dir (<run dir>/pfs/pfs.sock, owner only; pfs/server/cli_protocol.hpp), and
// that rank does the operations with its PFS client. docs/pfs.md "The pfs command".
//
// Exit codes: 0 success, 1 the operation failed (the errno's name and text on stderr), 2 bad
// arguments or no job reachable.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_protocol.hpp"
#include "cli_socket_io.hpp"

namespace {

using json = nlohmann::json;
using namespace pfs::cli;

constexpr int kExitFailed = 1, kExitUsage = 2;
constexpr const char* kPrefix = "pfs:";

std::string g_run_dir;

// "ENOENT (No such file or directory)".
std::string errno_text(int e) {
    const char* name = strerrorname_np(e);
    return std::string(name ? name : "E?") + " (" + std::strerror(e) + ")";
}

[[noreturn]] void die(int code, const std::string& msg) {
    std::fprintf(stderr, "pfs: %s\n", msg.c_str());
    std::exit(code);
}

bool has_prefix(const std::string& s) {
    return s.rfind(kPrefix, 0) == 0;
}

// A PFS path: "pfs:/a/b" or "/a/b"; relative paths have no meaning (no current directory).
std::string pfs_path(const std::string& arg) {
    std::string p = has_prefix(arg) ? arg.substr(std::strlen(kPrefix)) : arg;
    if (p.empty() || p[0] != '/')
        die(kExitUsage, "'" + arg + "': PFS paths are absolute (pfs:/dir/file or /dir/file)");
    return p;
}

std::string base_name(const std::string& p) {
    std::string s = p;
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    const auto slash = s.rfind('/');
    return slash == std::string::npos ? s : s.substr(slash + 1);
}

// A connection to the job; exits 2 when there is none.
class Connection {
  public:
    Connection() {
        if (g_run_dir.empty())
            die(kExitUsage,
                "no job given: use --run-dir DIR or set PFS_RUN_DIR (the job's run "
                "dir, pfs-run --run-dir)");
        const std::string path = socket_path(g_run_dir);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        if (path.size() >= sizeof sa.sun_path) die(kExitUsage, path + ": path too long");
        std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) die(kExitUsage, std::string("socket: ") + std::strerror(errno));
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            const int e = errno;
            die(kExitUsage, "cannot reach the job at " + path + ": " + errno_text(e) +
                                (e == ENOENT || e == ECONNREFUSED
                                     ? " (is the job running, and is this its run dir?)"
                                     : ""));
        }
        set_timeouts(fd_, kCliReadTimeout);
        in_ = std::make_unique<Reader>(fd_);
    }
    ~Connection() { ::close(fd_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void send(const json& q) {
        if (int e = write_line(fd_, q.dump()))
            die(kExitUsage, "sending the request: " + errno_text(e));
    }
    json receive() {
        std::string line;
        if (int e = in_->read_line(&line, kMaxLine))
            die(kExitFailed, "no answer from the job: " + errno_text(e));
        try {
            return json::parse(line);
        } catch (const json::exception& e) {
            die(kExitFailed, std::string("bad answer from the job: ") + e.what());
        }
    }
    int fd() const { return fd_; }
    Reader& in() { return *in_; }

  private:
    int fd_ = -1;
    std::unique_ptr<Reader> in_;
};

// Exits 1 with "pfs: WHAT: ENAME (text)" when the reply carries an error.
void check(const json& r, const std::string& what) {
    const int e = r.value("err", EIO);
    if (e == 0) return;
    std::string msg = r.value("msg", std::string{});
    std::string text = what + ": " + errno_text(e);
    // The server's message names the component that failed (mkdir -p, cp into a directory).
    if (!msg.empty() && msg != std::strerror(e)) text += ": " + msg;
    die(kExitFailed, text);
}

json request(const json& q, const std::string& what) {
    Connection c;
    c.send(q);
    json r = c.receive();
    check(r, what);
    return r;
}

std::string mode_string(const json& a) {
    const std::string t = a.value("type", "file");
    std::string s(1, t == "dir" ? 'd' : t == "symlink" ? 'l' : '-');
    const auto m = a.value("mode", 0u);
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) s += (m >> (8 - i)) & 1u ? rwx[i] : '-';
    return s;
}

std::string time_string(std::int64_t ns) {
    const std::time_t t = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

std::string human(std::uint64_t b) {
    const char* units = "BKMGTPE";
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%" PRIu64, b);
    else
        std::snprintf(buf, sizeof buf, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
    return buf;
}

int cmd_ls(const std::string& arg, bool long_format) {
    const std::string path = pfs_path(arg);
    json r = request({{"op", "ls"}, {"path", path}, {"long", long_format}}, "ls " + arg);
    for (const auto& e : r["entries"]) {
        const std::string name = e.value("name", "");
        if (!long_format) {
            std::printf("%s\n", name.c_str());
            continue;
        }
        const json& a = e["attr"];
        std::printf("%s %3u %5u %5u %12" PRIu64 " %s %s\n", mode_string(a).c_str(),
                    a.value("nlink", 0u), a.value("uid", 0u), a.value("gid", 0u),
                    a.value("size", std::uint64_t{0}),
                    time_string(a.value("mtime_ns", std::int64_t{0})).c_str(), name.c_str());
    }
    return 0;
}

int cmd_stat(const std::string& arg) {
    const std::string path = pfs_path(arg);
    json r = request({{"op", "stat"}, {"path", path}}, "stat " + arg);
    const json& a = r["attr"];
    std::printf("  File: %s\n", path.c_str());
    std::printf("  Type: %s\n", a.value("type", "").c_str());
    std::printf("  Size: %" PRIu64 "\n", a.value("size", std::uint64_t{0}));
    std::printf(" Inode: %" PRIu64 " (generation %" PRIu64 ")  Links: %u\n",
                a.value("ino", std::uint64_t{0}), a.value("gen", std::uint64_t{0}),
                a.value("nlink", 0u));
    std::printf("Access: (%04o/%s)  Uid: %u  Gid: %u\n", a.value("mode", 0u),
                mode_string(a).c_str(), a.value("uid", 0u), a.value("gid", 0u));
    std::printf("Modify: %s\n", time_string(a.value("mtime_ns", std::int64_t{0})).c_str());
    std::printf("Change: %s\n", time_string(a.value("ctime_ns", std::int64_t{0})).c_str());
    if (a.contains("layout")) {
        const json& l = a["layout"];
        std::printf("Layout: stripe size %" PRIu64 ", stripe count %u, first server %u\n",
                    l.value("stripe_size", std::uint64_t{0}), l.value("stripe_count", 0u),
                    l.value("first_server", 0u));
    }
    return 0;
}

int cmd_simple(const std::string& op, const std::string& arg, bool parents = false) {
    json q{{"op", op}, {"path", pfs_path(arg)}};
    if (op == "mkdir") q["parents"] = parents;
    request(q, op + " " + arg);
    return 0;
}

int cmd_df() {
    json r = request({{"op", "df"}}, "df");
    const auto quota = r.value("quota_per_volume", std::uint64_t{0});
    std::printf("%-8s %5s %8s %8s %8s %5s\n", "Volume", "Rank", "Size", "Used", "Avail", "Use%");
    for (const auto& v : r["volumes"]) {
        const auto total = v.value("total", std::uint64_t{0});
        const auto used = v.value("used", std::uint64_t{0});
        const auto avail = v.value("free", std::uint64_t{0});
        const unsigned pct = total ? static_cast<unsigned>((used * 100 + total - 1) / total) : 0u;
        std::printf("data-%-3u %5d %8s %8s %8s %4u%%\n", v.value("index", 0u), v.value("rank", -1),
                    human(total).c_str(), human(used).c_str(), human(avail).c_str(), pct);
    }
    if (quota) std::printf("(quota per volume: %s)\n", human(quota).c_str());
    return 0;
}

int cmd_scrub(bool dry_run) {
    json r = request({{"op", "scrub"}, {"dry_run", dry_run}}, "scrub");
    std::printf("%llu objects, %llu orphans, %llu removed%s\n",
                static_cast<unsigned long long>(r.value("objects", std::uint64_t{0})),
                static_cast<unsigned long long>(r.value("orphans", std::uint64_t{0})),
                static_cast<unsigned long long>(r.value("removed", std::uint64_t{0})),
                dry_run ? " (dry run)" : "");
    return 0;
}

int cp_in(const std::string& local, const std::string& dst_arg) {
    const std::string dst = pfs_path(dst_arg);
    const int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(kExitFailed, "cp: " + local + ": " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) die(kExitFailed, "cp: " + local + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) die(kExitFailed, "cp: " + local + ": not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    Connection c;
    c.send({{"op", "put"},
            {"path", dst},
            {"size", size},
            {"name", base_name(local)},
            {"mode", static_cast<unsigned>(st.st_mode & 0777)}});
    json ready = c.receive();
    check(ready, "cp " + local + " " + dst_arg);
    std::vector<char> buf(kCopyChunk);
    std::uint64_t done = 0;
    while (done < size) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size - done, buf.size()));
        const ssize_t r = ::pread(fd, buf.data(), n, static_cast<off_t>(done));
        if (r <= 0)  // the local file shrank or failed: the server removes its partial copy
            die(kExitFailed, "cp: reading " + local + ": " +
                                 (r < 0 ? errno_text(errno) : std::string("file got shorter")));
        if (int e = write_all(c.fd(), buf.data(), static_cast<std::size_t>(r)))
            die(kExitFailed, "cp: sending " + local + ": " + errno_text(e));
        done += static_cast<std::uint64_t>(r);
    }
    ::close(fd);
    check(c.receive(), "cp " + local + " " + dst_arg);
    return 0;
}

int cp_out(const std::string& src_arg, std::string local) {
    const std::string src = pfs_path(src_arg);
    struct stat lst {};
    if (::stat(local.c_str(), &lst) == 0 && S_ISDIR(lst.st_mode)) local += "/" + base_name(src);
    Connection c;
    c.send({{"op", "get"}, {"path", src}});
    json head = c.receive();
    check(head, "cp " + src_arg + " " + local);
    const auto size = head.value("size", std::uint64_t{0});
    const int fd = ::open(local.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC,
                          head.value("mode", 0644u) & 0777u);
    if (fd < 0) die(kExitFailed, "cp: " + local + ": " + errno_text(errno));
    auto fail = [&](const std::string& why) {
        ::close(fd);
        ::unlink(local.c_str());  // a partial copy is no copy
        die(kExitFailed, "cp " + src_arg + " " + local + ": " + why);
    };
    std::vector<char> buf(kCopyChunk);
    std::uint64_t done = 0;
    while (done < size) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size - done, buf.size()));
        if (int e = c.in().read_exact(buf.data(), n))
            fail("the job ended the copy after " + std::to_string(done) + " of " +
                 std::to_string(size) + " bytes: " + errno_text(e == ECONNRESET ? EIO : e));
        const char* p = buf.data();
        std::size_t left = n;
        while (left > 0) {
            const ssize_t w = ::write(fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) fail(local + ": " + errno_text(errno));
            p += w;
            left -= static_cast<std::size_t>(w);
        }
        done += n;
    }
    json tail = c.receive();
    if (tail.value("err", EIO) != 0) fail(errno_text(tail.value("err", EIO)));
    if (::close(fd) != 0) {
        ::unlink(local.c_str());
        die(kExitFailed, "cp: " + local + ": " + errno_text(errno));
    }
    return 0;
}

int cmd_cp(const std::string& src, const std::string& dst) {
    const bool from_pfs = has_prefix(src), to_pfs = has_prefix(dst);
    if (from_pfs == to_pfs)
        die(kExitUsage,
            "cp copies between a local file and the PFS: mark the PFS side with "
            "'pfs:' (pfs cp ./f pfs:/dir/f, pfs cp pfs:/dir/f ./f)");
    return to_pfs ? cp_in(src, dst) : cp_out(src, dst);
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);  // a job that went away is an EPIPE, reported as such
    CLI::App app{"pfs: file operations on the PFS of a running job (docs/pfs.md)"};
    app.require_subcommand(1);
    if (const char* env = std::getenv("PFS_RUN_DIR")) g_run_dir = env;
    app.add_option("--run-dir", g_run_dir,
                   "the job's run dir (pfs-run --run-dir; default $PFS_RUN_DIR)");

    std::string path, src, dst;
    bool long_format = false, parents = false;
    auto* ls = app.add_subcommand("ls", "list a directory (or name a file)");
    ls->add_flag("-l", long_format, "long format: mode, links, uid, gid, size, mtime");
    ls->add_option("path", path, "PFS path (pfs:/dir or /dir)")->required();
    auto* st = app.add_subcommand("stat", "attributes of a file, directory or symlink");
    st->add_option("path", path, "PFS path")->required();
    auto* cp = app.add_subcommand("cp", "copy a file into (pfs:DST) or out of (pfs:SRC) the PFS");
    cp->add_option("src", src, "source: a local file or pfs:/path")->required();
    cp->add_option("dst", dst, "destination: pfs:/path or a local path (a directory: same name)")
        ->required();
    auto* rm = app.add_subcommand("rm", "remove a file or symlink");
    rm->add_option("path", path, "PFS path")->required();
    auto* rmdir = app.add_subcommand("rmdir", "remove an empty directory");
    rmdir->add_option("path", path, "PFS path")->required();
    auto* mkdir = app.add_subcommand("mkdir", "make a directory");
    mkdir->add_flag("-p", parents, "make missing parents; an existing directory is no error");
    mkdir->add_option("path", path, "PFS path")->required();
    auto* df = app.add_subcommand("df", "capacity and use of every data volume");
    bool dry_run = false;
    auto* scrub = app.add_subcommand(
        "scrub", "remove orphan objects (objects of files that no longer exist) from the volumes");
    scrub->add_flag("-n,--dry-run", dry_run, "count the orphans, remove nothing");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitUsage;
    }
    if (ls->parsed()) return cmd_ls(path, long_format);
    if (st->parsed()) return cmd_stat(path);
    if (cp->parsed()) return cmd_cp(src, dst);
    if (rm->parsed()) return cmd_simple("rm", path);
    if (rmdir->parsed()) return cmd_simple("rmdir", path);
    if (mkdir->parsed()) return cmd_simple("mkdir", path, parents);
    if (df->parsed()) return cmd_df();
    if (scrub->parsed()) return cmd_scrub(dry_run);
    return kExitUsage;
}
