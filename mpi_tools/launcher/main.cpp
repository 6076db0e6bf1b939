// pfs-run: starts one MPI job (mpirun --enable-recovery, MPMD blocks in role order) and exits
// with the job's TRUE exit status, read from the status file the job writes. Under
// --enable-recovery mpirun always exits 0 and may never exit at all (it also ignores SIGTERM),
// so pfs-run watches the status file, gives mpirun --shutdown-grace seconds, then SIGKILLs
// mpirun's whole process tree. Nothing here blocks: one poll loop, every ~50 ms.
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mpi_tools/launch_contract.hpp"
#include "options.hpp"

namespace {
namespace launch = mpi_tools::launch;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) {
    g_signal = sig;
}

constexpr auto kPoll = std::chrono::milliseconds(50);
// After --shutdown-grace, how much longer mpirun may take to exit when every rank has already
// exited (it is forwarding their last output, not waiting on anything that can hang).
constexpr auto kOutputDrain = std::chrono::seconds(5);

std::string quoted_line(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& w : argv) {
        if (!s.empty()) s += ' ';
        s += pfs_run::shell_quote(w);
    }
    return s;
}

// Parent pid of `pid` from /proc/<pid>/stat, or -1.
// Plain read(2): a process can exit while its /proc entry is read, and the iostream route then
// throws (basic_filebuf::underflow, ESRCH) and took pfs-run down with it.
static std::string read_proc_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

pid_t parent_of(pid_t pid) {
    std::string content = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = content.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(content.substr(close + 1));
    std::string state;
    long ppid = -1;
    rest >> state >> ppid;
    return static_cast<pid_t>(ppid);
}

// Every process below pfs-run (mpirun, its daemons and ranks, and orphans reparented to us
// because we are a child subreaper).
std::set<pid_t> descendants() {
    std::vector<std::pair<pid_t, pid_t>> procs;  // (pid, ppid)
    if (DIR* d = ::opendir("/proc")) {
        while (dirent* e = ::readdir(d)) {
            char* end = nullptr;
            long pid = std::strtol(e->d_name, &end, 10);
            if (pid <= 0 || *end != '\0') continue;
            procs.emplace_back(static_cast<pid_t>(pid), parent_of(static_cast<pid_t>(pid)));
        }
        ::closedir(d);
    }
    std::set<pid_t> out;
    std::set<pid_t> frontier{::getpid()};
    while (!frontier.empty()) {
        std::set<pid_t> next;
        for (auto [pid, ppid] : procs)
            if (frontier.count(ppid) && !out.count(pid)) next.insert(pid);
        out.insert(next.begin(), next.end());
        frontier = std::move(next);
    }
    return out;
}

struct Child {
    pid_t pid = -1;
    bool exited = false;
    int status = 0;
};

// Reaps every waitable child (mpirun and reparented orphans) without blocking.
void reap(Child* mpirun) {
    for (;;) {
        int st = 0;
        pid_t p = ::waitpid(-1, &st, WNOHANG);
        if (p <= 0) return;
        if (p == mpirun->pid) {
            mpirun->exited = true;
            mpirun->status = st;
        }
    }
}

// SIGKILLs mpirun's process group and every remaining descendant (ranks may have their own
// process groups), then reaps them; bounded to ~2 s.
void kill_everything(Child* mpirun, bool verbose) {
    if (mpirun->pid > 0 && !mpirun->exited) ::kill(-mpirun->pid, SIGKILL);
    auto deadline = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        std::set<pid_t> left = descendants();
        reap(mpirun);
        if (left.empty()) return;
        if (Clock::now() > deadline) {
            if (verbose) std::cerr << "pfs-run: " << left.size() << " processes did not die\n";
            return;
        }
        for (pid_t p : left) {
            pid_t pg = ::getpgid(p);
            if (pg > 0 && pg != ::getpgrp()) ::kill(-pg, SIGKILL);
            ::kill(p, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        reap(mpirun);
    }
}

std::string describe(int status) {
    if (WIFEXITED(status)) return std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "?";
}

bool read_file(const std::string& path, std::string* out) {
    std::ifstream f(path);
    if (!f) return false;
    out->assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return true;
}

// Prints the job's outcome and returns pfs-run's exit code for it.
int report_status(const std::string& text, const pfs_run::Options& o) {
    std::string err;
    auto st = pfs_run::parse_status(text, &err);
    if (!st) {
        std::cerr << "pfs-run: error: " << err << " (" << o.status_file << ")\n";
        return launch::kExitNoStatus;
    }
    for (std::size_t i = 0; i < st->failed_ranks.size(); ++i) {
        int r = st->failed_ranks[i];
        std::string role;
        if (i < st->failed_roles.size())
            role = st->failed_roles[i];
        else if (r >= 0 && r < o.layout.total())
            role = std::string(mpi_tools::role_name(o.layout.role_of(r)));
        else
            role = "unknown";
        std::cerr << "pfs-run: rank " << r << " (" << role << ") failed\n";
    }
    if (st->exit_code != 0)
        std::cerr << "pfs-run: job exited with code " << st->exit_code << ": "
                  << (st->reason.empty() ? "(no reason given)" : st->reason) << '\n';
    else if (o.verbose)
        std::cerr << "pfs-run: job exited with code 0: " << st->reason << '\n';
    return st->exit_code;
}

// Runs a helper program to completion with inherited stdout/stderr; returns its exit code
// (128 + signal if it was killed, 127 if it could not be started).
// True when every rank of the job has written its pid file (<run dir>/ranks/<rank>.pid: "pid role
// host"), all of them on this host, and none of those processes is alive any more. Then no rank
// can write a status file, and mpirun may never exit by itself (Open MPI 4.1.4 with a second
// daemon): pfs-run must end the job. Ranks on other hosts cannot be checked from here: false.
static bool all_ranks_gone(const pfs_run::Options& o) {
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    int seen = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(o.run_dir) / "ranks", ec)) {
        if (e.path().extension() != ".pid") continue;
        std::ifstream in(e.path());
        long pid = 0;
        std::string role, h;
        if (!(in >> pid >> role >> h) || h != host || pid <= 0) return false;
        ++seen;
        if (::kill(static_cast<pid_t>(pid), 0) == 0) {
            std::string line = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
            auto rp = line.rfind(')');
            bool zombie = rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] == 'Z';
            if (!zombie) return false;  // still running
        }
    }
    return !ec && seen == o.layout.total();
}

static int run_and_wait(const std::vector<std::string>& cmd) {
    pid_t pid = ::fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        std::vector<char*> av;
        for (const auto& a : cmd) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        ::execv(av[0], av.data());
        _exit(127);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 127;
}

int run(pfs_run::Options& o) {
    std::error_code ec;
    fs::create_directories(o.root, ec);
    if (ec) {
        std::cerr << "pfs-run: error: cannot create root '" << o.root << "': " << ec.message()
                  << '\n';
        return launch::kExitUsage;
    }
    fs::create_directories(o.run_dir, ec);
    if (ec) {
        std::cerr << "pfs-run: error: cannot create run dir '" << o.run_dir << "': " << ec.message()
                  << '\n';
        return launch::kExitUsage;
    }
    // A stale status from an earlier job in the same run dir would end this one at once.
    fs::remove(o.status_file, ec);

    if (o.mkfs && !o.layout.plain && !fs::exists(fs::path(o.root) / "superblock.json")) {
        // pfs-mkfs sits next to pfs-run; it refuses an existing file system, which we checked.
        std::string mkfs =
            (fs::path(pfs_run::current_environment().self_dir) / "pfs-mkfs").string();
        std::vector<std::string> cmd{mkfs,
                                     "--root",
                                     o.root,
                                     "--meta",
                                     std::to_string(o.layout.count_of(mpi_tools::Role::meta)),
                                     "--data",
                                     std::to_string(o.layout.count_of(mpi_tools::Role::data))};
        if (int rc = run_and_wait(cmd); rc != 0) {
            std::cerr << "pfs-run: error: pfs-mkfs failed (exit " << rc << ") for root '" << o.root
                      << "'\n";
            return launch::kExitUsage;
        }
    }

    ::setenv(launch::kEnvLayout, o.layout.to_string().c_str(), 1);
    ::setenv(launch::kEnvRoot, o.root.c_str(), 1);
    ::setenv(launch::kEnvRunDir, o.run_dir.c_str(), 1);
    ::setenv(launch::kEnvStatusFile, o.status_file.c_str(), 1);
    ::setenv(launch::kEnvFtBackend, o.ft_backend.c_str(), 1);
    for (const auto& x : o.exports)  // -x VAR=VAL: the value reaches every MPMD block this way
        if (auto eq = x.find('='); eq != std::string::npos)
            ::setenv(x.substr(0, eq).c_str(), x.substr(eq + 1).c_str(), 1);

    std::vector<std::string> argv = pfs_run::build_mpirun_argv(o);
    if (o.verbose) {
        std::cerr << "pfs-run: layout " << o.layout.to_string() << ", run dir " << o.run_dir
                  << '\n';
        std::cerr << "pfs-run: " << quoted_line(argv) << '\n';
    }

    // Orphaned ranks (their own process groups, parent mpirun killed) come back to us.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);

    std::vector<char*> cargv;
    for (auto& s : argv) cargv.push_back(s.data());
    cargv.push_back(nullptr);

    Child mp;
    const auto start = Clock::now();
    mp.pid = ::fork();
    if (mp.pid < 0) {
        std::cerr << "pfs-run: error: fork: " << std::strerror(errno) << '\n';
        return launch::kExitNoStatus;
    }
    if (mp.pid == 0) {
        ::setpgid(0, 0);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGHUP, SIG_DFL);
        ::execvp(cargv[0], cargv.data());
        std::fprintf(stderr, "pfs-run: error: cannot exec mpirun: %s\n", std::strerror(errno));
        ::_exit(127);
    }
    ::setpgid(mp.pid, mp.pid);  // also in the parent: no race with the kill below

    const bool timed = o.timeout > 0;
    auto next_liveness_check = start + std::chrono::seconds(1);
    const auto timeout_at = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o.timeout));
    for (;;) {
        if (g_signal) {
            int sig = g_signal;
            std::cerr << "pfs-run: caught signal " << sig << ", killing the job\n";
            kill_everything(&mp, o.verbose);
            return 128 + sig;
        }
        std::string text;
        if (read_file(o.status_file, &text)) {
            if (o.verbose) std::cerr << "pfs-run: status file appeared\n";
            const auto grace_end =
                Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.shutdown_grace));
            reap(&mp);
            while (!mp.exited && Clock::now() < grace_end && !g_signal) {
                std::this_thread::sleep_for(kPoll);
                reap(&mp);
            }
            // Every rank has exited and mpirun is only tearing down (slow on a loaded node): it
            // may still hold the ranks' last output lines, which a kill now would lose. Nothing
            // can hang in a rank any more, so it gets a bounded extra drain.
            if (!mp.exited && !g_signal && all_ranks_gone(o)) {
                const auto drain_end = Clock::now() + kOutputDrain;
                while (!mp.exited && Clock::now() < drain_end && !g_signal) {
                    std::this_thread::sleep_for(kPoll);
                    reap(&mp);
                }
            }
            if (!mp.exited)
                std::cerr << "pfs-run: mpirun still running " << o.shutdown_grace
                          << " s after the job ended; killing it\n";
            kill_everything(&mp, o.verbose);
            return report_status(text, o);
        }
        reap(&mp);
        if (mp.exited) {
            if (read_file(o.status_file, &text)) continue;  // written just before mpirun left
            kill_everything(&mp, o.verbose);
            std::cerr << "pfs-run: error: mpirun exited (status " << describe(mp.status)
                      << ") but the job wrote no status file\n";
            return launch::kExitNoStatus;
        }
        if (Clock::now() >= next_liveness_check) {
            next_liveness_check = Clock::now() + std::chrono::seconds(1);
            if (all_ranks_gone(o)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
                if (read_file(o.status_file, &text)) continue;
                kill_everything(&mp, o.verbose);
                std::cerr << "pfs-run: error: every rank has exited but the job wrote no status "
                             "file\n";
                return launch::kExitNoStatus;
            }
        }
        if (timed && Clock::now() >= timeout_at) {
            std::cerr << "pfs-run: error: timeout after " << o.timeout << " s, killing the job\n";
            kill_everything(&mp, o.verbose);
            return launch::kExitTimeout;
        }
        std::this_thread::sleep_for(kPoll);
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    pfs_run::Options opts;
    auto parsed = pfs_run::parse_args(argc, argv, &opts);
    if (!parsed.run) return parsed.exit_code;
    if (auto err = pfs_run::finalize(&opts, pfs_run::current_environment())) {
        std::cerr << "pfs-run: error: " << *err << '\n';
        return launch::kExitUsage;
    }
    if (opts.dry_run) {
        std::cout << quoted_line(pfs_run::build_mpirun_argv(opts)) << '\n';
        return 0;
    }
    return run(opts);
}
