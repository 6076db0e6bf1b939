// pfs-hsm: the HSM of the PFS (docs/hsm.md). One program, three ways to run:
//
//   on a dm rank of a job (pfs-run --dm K --dm-app pfs-hsm), no arguments: the daemon;
//   on a compute rank of the job:   pfs-hsm CMD [--dry-run] PATH...  (a DMAPI user message
//                                   to the daemon's session; waits for its answer);
//   anywhere else (a login shell):  pfs-hsm --run-dir DIR CMD [--dry-run] PATH...  (the
//                                   daemon's UNIX socket <run dir>/hsm/hsm.sock).
//
// CMD: archive | release | migrate | recall | remove (remove-archive-copy) | state | policy |
// stats. Exit: 0 all done, 1 some file failed, 2 bad usage, 3 the daemon is unreachable.
#include <dmapi.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "config.hpp"
#include "daemon.hpp"
#include "in_job.hpp"
#include "log.hpp"
#include "mpi_tools/job.hpp"

namespace {

using namespace pfs::hsm;

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: pfs-hsm [--run-dir DIR | --socket PATH] [--files LIST] [--quiet]\n"
                 "               [--timeout S]\n"
                 "               CMD [--dry-run] PATH...\n"
                 "  CMD: archive (premigrate) | release | migrate | recall |\n"
                 "       remove (remove-archive-copy) | state | policy | stats\n"
                 "  --files LIST  read more PFS paths from LIST, one per line\n"
                 "  --timeout S   give up after S s without a line from the daemon (600; 0 none)\n"
                 "  Without arguments on a dm rank of a pfs-run job: the HSM daemon\n"
                 "  (configuration: PFS_HSM_CONFIG=FILE, docs/hsm.md).\n");
}

const char* env_or(const char* n, const char* d) {
    const char* v = std::getenv(n);
    return v && *v ? v : d;
}

Config load_config_or_exit() {
    Config cfg;
    if (const char* p = std::getenv("PFS_HSM_CONFIG"); p && *p) {
        std::string err;
        if (!load_config(p, &cfg, &err)) {
            std::fprintf(stderr, "pfs-hsm: %s\n", err.c_str());
            std::exit(2);
        }
    }
    if (const char* n = std::getenv("PFS_HSM_SESSION_NAME"); n && *n) cfg.session_name = n;
    return cfg;
}

[[noreturn]] void daemon_main() {
    Config cfg = load_config_or_exit();
    auto& job = mpi_tools::Job::get();
    Daemon d(cfg, job.run_dir(), job.root());
    const int rc = d.run();
    std::fprintf(stderr, "pfs-hsm: daemon ended (%d)\n", rc);
    std::exit(rc == 0 ? 1 : rc);
}

// A progress bar on stderr when it is a terminal, else one line per 10%.
class Bar {
  public:
    explicit Bar(bool quiet) : quiet_(quiet), tty_(::isatty(2)) {}
    void update(std::size_t done, std::size_t total, std::uint64_t bytes) {
        if (quiet_ || total == 0) return;
        const int pct = static_cast<int>(100 * done / total);
        if (tty_) {
            const int w = 30, fill = w * pct / 100;
            std::fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu files %.1f MiB", fill,
                         "##############################", w - fill, "", pct, done, total,
                         static_cast<double>(bytes) / (1 << 20));
            if (done == total) std::fprintf(stderr, "\n");
        } else if (pct / 10 != last_ / 10 || done == total) {
            std::fprintf(stderr, "pfs-hsm: %3d%% %zu/%zu files\n", pct, done, total);
        }
        last_ = pct;
    }

  private:
    bool quiet_, tty_;
    int last_ = -1;
};

int socket_client(const std::string& sock, const Command& cmd, bool quiet, int timeout_s) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (sock.size() >= sizeof sa.sun_path) {
        std::fprintf(stderr, "pfs-hsm: socket path too long: %s\n", sock.c_str());
        return 2;
    }
    std::memcpy(sa.sun_path, sock.c_str(), sock.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // The daemon may be moving to a standby: retry for a few seconds.
    int rc = -1;
    for (int i = 0; i < 50 && rc != 0; ++i) {
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        if (rc != 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (rc != 0) {
        std::fprintf(stderr, "pfs-hsm: cannot reach the HSM daemon at %s: %s\n", sock.c_str(),
                     std::strerror(errno));
        return 3;
    }
    const std::string req = encode(cmd) + "\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        std::fprintf(stderr, "pfs-hsm: sending the request: %s\n", std::strerror(errno));
        return 3;
    }
    ::shutdown(fd, SHUT_WR);
    // A deadline on silence, not on the whole command: the daemon sends a line per file.
    if (timeout_s > 0) {
        timeval tv{};
        tv.tv_sec = timeout_s;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    Bar bar(quiet);
    std::string pending;
    char buf[4096];
    int exit_code = 3;
    std::uint64_t bytes = 0;
    std::size_t done = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            std::fprintf(stderr, "pfs-hsm: no word from the daemon for %d s: giving up\n",
                         timeout_s);
            ::close(fd);
            return 3;
        }
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
            const std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (line.rfind("state ", 0) == 0 || line.rfind("stats ", 0) == 0) {
                std::printf("%s\n", line.c_str() + 6);
            } else if (line.rfind("file ", 0) == 0) {
                ++done;
                unsigned long long b = 0;
                char status[8] = {};
                std::sscanf(line.c_str(), "file %*u/%*u %7s %llu", status, &b);
                bytes += b;
                if (std::strcmp(status, "ok") != 0)
                    std::fprintf(stderr, "\npfs-hsm: %s\n", line.c_str() + 5);
                else if (!quiet && !::isatty(2))
                    std::printf("%s\n", line.c_str() + 5);
                bar.update(done, cmd.paths.size(), bytes);
            } else if (line.rfind("done ", 0) == 0) {
                std::printf("pfs-hsm: %s %s\n", to_string(cmd.verb), line.c_str() + 5);
            } else if (line.rfind("exit ", 0) == 0) {
                exit_code = std::atoi(line.c_str() + 5) == 0 ? 0 : 1;
            } else if (line.rfind("error ", 0) == 0) {
                std::fprintf(stderr, "pfs-hsm: %s\n", line.c_str() + 6);
                exit_code = 2;
            }
        }
    }
    ::close(fd);
    return exit_code;
}

// On a compute rank of the job: the command as a synchronous user message to the session.
[[noreturn]] void in_job_client(const Command& cmd) {
    const Config cfg = load_config_or_exit();
    const dm_sessid_t sid = find_session(cfg.session_name);  // up to 60 s for the daemon
    if (sid == DM_NO_SESSION) {
        std::fprintf(stderr, "pfs-hsm: no HSM session '%s' in this job\n",
                     cfg.session_name.c_str());
        std::exit(3);
    }
    if (int e = send_command(sid, cmd.verb, cmd.paths)) {
        std::fprintf(stderr, "pfs-hsm: %s: %s\n", to_string(cmd.verb), std::strerror(e));
        std::exit(1);
    }
    std::printf("pfs-hsm: %s done (%zu paths; details in the daemon's log)\n", to_string(cmd.verb),
                cmd.paths.size());
    std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    const bool in_job = std::getenv("PFS_LAYOUT") != nullptr;
    if (in_job && (argc == 1 || (argc == 2 && std::strcmp(argv[1], "daemon") == 0))) {
        // First: joining the job is what every rank must do (dmapi/tools/pfs_dm_responder.c).
        char* version = nullptr;
        if (dm_init_service(&version) != 0) {
            std::perror("pfs-hsm: dm_init_service");
            return 1;
        }
        if (mpi_tools::Job::get().role() == mpi_tools::Role::dm) daemon_main();
        std::fprintf(stderr, "pfs-hsm: the daemon runs on dm ranks (pfs-run --dm-app)\n");
        return 2;
    }
    std::string run_dir = env_or("PFS_RUN_DIR", ""), sock = env_or("PFS_HSM_SOCKET", "");
    std::string files;
    bool quiet = false;
    int timeout_s = 600;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        const std::string a = argv[i];
        if ((a == "--run-dir" || a == "--socket" || a == "--files") && i + 1 < argc) {
            (a == "--run-dir" ? run_dir : a == "--socket" ? sock : files) = argv[++i];
        } else if (a == "--timeout" && i + 1 < argc) {
            timeout_s = std::atoi(argv[++i]);
        } else if (a == "--quiet" || a == "-q") {
            quiet = true;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "pfs-hsm: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    std::string text = argv[i++];
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--dry-run" || a == "-n")
            text.insert(text.find('\n') == std::string::npos ? text.size() : text.find('\n'),
                        " --dry-run");
        else
            text += "\n" + a;
    }
    if (!files.empty()) {
        std::ifstream in(files);
        if (!in) {
            std::fprintf(stderr, "pfs-hsm: %s: %s\n", files.c_str(), std::strerror(errno));
            return 2;
        }
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) text += "\n" + line;
    }
    Command cmd;
    std::string err;
    if (!decode(text + "\n", &cmd, &err)) {
        std::fprintf(stderr, "pfs-hsm: %s\n", err.c_str());
        usage(stderr);
        return 2;
    }
    if (in_job && std::getenv("PFS_HSM_SOCKET") == nullptr) {
        char* version = nullptr;
        if (dm_init_service(&version) != 0) {
            std::perror("pfs-hsm: dm_init_service");
            return 3;
        }
        in_job_client(cmd);
    }
    if (sock.empty()) {
        if (run_dir.empty()) {
            std::fprintf(stderr, "pfs-hsm: give --run-dir DIR (the job's run dir) or --socket\n");
            return 2;
        }
        sock = run_dir + "/hsm/hsm.sock";
    }
    return socket_client(sock, cmd, quiet, timeout_s);
}
