#include "mpi_tools/job.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "mpi_tools/launch_contract.hpp"

namespace mpi_tools {
namespace {

Job* g_job = nullptr;

std::string env_or(const char* name, const char* def) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::string(def);
}

std::uint64_t host_hash() {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    return std::hash<std::string>{}(host);
}

// Exits the process unless disarmed in time: start-up and finalization can hang in MPI when a
// peer dies inside them; a bounded exit is better than a job that never ends.
class Watchdog {
  public:
    Watchdog(std::chrono::milliseconds limit, int code, const char* what) {
        std::thread([this, limit, code, what] {
            auto until = std::chrono::steady_clock::now() + limit;
            while (!disarmed_ && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (!disarmed_) {
                std::fprintf(stderr, "mpi_tools: %s did not finish in %lld ms; exiting\n", what,
                             static_cast<long long>(limit.count()));
                std::fflush(stderr);
                _exit(code);
            }
        }).detach();
    }
    void disarm() { disarmed_ = true; }

  private:
    std::atomic<bool> disarmed_{false};
};

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
    return s;
}

}  // namespace

Job& Job::init(int* argc, char*** argv, FailurePolicy policy) {
    if (g_job) return *g_job;
    g_job = new Job();  // lives until the process exits: threads reference it to the end
    g_job->setup(argc, argv, policy);
    return *g_job;
}

Job& Job::get() {
    return *g_job;
}

void Job::setup(int* argc, char*** argv, FailurePolicy policy) {
    policy_ = policy;
    // Message buffers (up to a 4 MiB client chunk) are allocated per message on every rank.
    // glibc mmaps such blocks, or trims them off the heap once freed, so each message
    // page-faults and zero-fills its buffer again: a 1 MiB native write took 4.7 ms instead of
    // 1.2-1.9 ms with the buffers kept on the heap (docs/benchmarks.md, "where the write time
    // goes"). Freed memory above 64 MiB of free heap top is still returned, so RSS stays
    // bounded by the messages in flight.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum; larger blocks are still mmaped
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    // tcp BTL: the second write to a dead peer raises SIGPIPE and kills the survivor.
    signal(SIGPIPE, SIG_IGN);
    cfg_ = Config::from_environment();
    auto* startup = new Watchdog(cfg_.startup_timeout, 1, "MPI start-up");
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    if (provided < MPI_THREAD_MULTIPLE) {
        std::fprintf(stderr, "mpi_tools: the MPI library does not provide MPI_THREAD_MULTIPLE\n");
        _exit(1);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);

    std::string err;
    std::optional<Layout> l;
    if (const char* text = std::getenv(launch::kEnvLayout); text && *text)
        l = Layout::parse(text, &err);
    else
        l = Layout::make_plain(size_, &err);
    if (!l || l->total() != size_) {
        if (rank_ == 0)
            std::fprintf(stderr, "mpi_tools: bad layout: %s\n",
                         l ? ("layout has " + std::to_string(l->total()) +
                              " ranks but the job has " + std::to_string(size_))
                                 .c_str()
                           : err.c_str());
        _exit(launch::kExitUsage);
    }
    layout_ = *l;
    role_ = layout_.role_of(rank_);
    root_ = env_or(launch::kEnvRoot, "");
    run_dir_ = env_or(launch::kEnvRunDir, "");
    status_file_ = env_or(launch::kEnvStatusFile, "");

    engine_ = std::make_unique<Engine>(cfg_, rank_, size_);
    engine_->create_communicators();
    MPI_Comm_split(MPI_COMM_WORLD, is_app_rank() ? 0 : MPI_UNDEFINED, rank_, &app_comm_);
    if (app_comm_ != MPI_COMM_NULL) MPI_Comm_set_errhandler(app_comm_, MPI_ERRORS_RETURN);

    int pid = static_cast<int>(getpid());
    std::uint64_t host = host_hash();
    std::vector<int> pids(static_cast<std::size_t>(size_));
    std::vector<std::uint64_t> hosts(static_cast<std::size_t>(size_));
    MPI_Allgather(&pid, 1, MPI_INT, pids.data(), 1, MPI_INT, MPI_COMM_WORLD);
    MPI_Allgather(&host, 1, MPI_UINT64_T, hosts.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD);

    ft_ = ft::make(cfg_, *engine_);
    transport_ = std::make_unique<Transport>(*engine_, *ft_);

    using wire::MsgType;
    engine_->on(MsgType::job_done, [this](Incoming& in) {
        wire::Reader r(in.payload());
        int code = r.get<std::int32_t>();
        if (!r.done()) return;
        std::lock_guard lk(mu_);
        done_[in.header.src] = code;
    });
    engine_->on(MsgType::job_shutdown, [this](Incoming& in) {
        wire::Reader r(in.payload());
        int code = r.get<std::int32_t>();
        auto failed = r.get_ints(size_);
        auto reason = r.get_string(4096);
        if (!r.done()) return;
        {
            std::lock_guard lk(mu_);
            if (!shutdown_received_) {
                shutdown_received_ = true;
                shutdown_code_ = code;
                shutdown_failed_ = std::move(failed);
                shutdown_reason_ = std::move(reason);
            }
            shutdown_from_ = in.header.src;
        }
        engine_->send(Channel::ctrl, in.header.src, MsgType::job_shutdown_ack, {});
    });
    engine_->on(MsgType::job_shutdown_ack, [this](Incoming& in) {
        std::lock_guard lk(mu_);
        acked_[in.header.src] = true;
    });
    engine_->on(MsgType::job_final, [this](Incoming&) { final_ = true; });
    transport_->serve(static_cast<std::uint16_t>(MsgType::ping),
                      [](Incoming&, Responder r) { r.reply({}); });
    engine_->add_poller([this] { leader_tick(); });
    ft_->on_failure([this](int r, const std::string& how) { on_rank_failure(r, how); });

    engine_->start();
    start_recovery_thread();
    hosts_ = hosts;
    ft_->start(pids, hosts);
    if (!run_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(run_dir_ + "/ranks", ec);
        if (FILE* f =
                std::fopen((run_dir_ + "/ranks/" + std::to_string(rank_) + ".pid").c_str(), "w")) {
            // "pid role host": tests signal ranks by pid; pfs-run checks local ranks' liveness.
            char hn[256] = {};
            gethostname(hn, sizeof(hn) - 1);
            std::fprintf(f, "%d %s %s\n", pid, std::string(role_name(role_)).c_str(), hn);
            std::fclose(f);
        }
    }
    startup->disarm();
}

bool Job::same_host(int r) const {
    return r >= 0 && static_cast<std::size_t>(r) < hosts_.size() &&
           hosts_[static_cast<std::size_t>(r)] == hosts_[static_cast<std::size_t>(rank_)];
}

int Job::leader() const {
    for (int r : ft_->members())
        if (!ft_->is_failed(r)) return r;
    return rank_;
}

double Job::ping(int r, ft::Deadline dl) {
    auto t0 = ft::Clock::now();
    Reply rep = transport_->call(r, static_cast<std::uint16_t>(wire::MsgType::ping), {}, dl);
    if (rep.err) return -rep.err;
    return std::chrono::duration<double, std::micro>(ft::Clock::now() - t0).count();
}

void Job::on_rank_failure(int r, const std::string& how) {
    {
        std::lock_guard lk(mu_);
        if (shutdown_received_) return;  // ranks are leaving; nothing to recover
    }
    const Role role = layout_.role_of(r);
    const bool app = role == Role::compute;
    if (leader() == rank_)
        std::fprintf(stderr, "mpi_tools[%d]: rank %d (%s) failed (detected by %s)\n", rank_, r,
                     std::string(role_name(role)).c_str(), how.c_str());
    if (app && policy_ == FailurePolicy::continue_job) return;
    // A dm rank holds DMAPI sessions, which the DMAPI layer recovers (failover to a standby,
    // or the failure timeout failing the waiting operations with EIO): the job goes on.
    if (role == Role::dm) return;
    // A meta or data rank: a live rank adopts its volume (job_recovery.cpp) when one can;
    // otherwise the PFS is gone and the job ends. A compute rank (policy abort): the job ends.
    if ((role == Role::meta || role == Role::data) && volumes_adoptable(r)) {
        request_recovery();
        return;
    }
    if (leader() == rank_)
        abort(launch::kExitRankFailed, std::string(role_name(role)) + " rank " + std::to_string(r) +
                                           " failed (" + how + ")");
}

void Job::leader_tick() {
    if (aborting_ || final_) return;
    // Runs on every progress-loop iteration: keep the hot path to one clock read.
    static thread_local ft::Clock::time_point next_check{};
    auto t = ft::Clock::now();
    if (t < next_check) return;
    next_check = t + std::chrono::milliseconds(1);
    if (leader() != rank_) return;
    std::unique_lock lk(mu_);
    auto now = ft::Clock::now();
    if (!shutdown_started_) {
        if (!shutdown_received_) {
            // Wait until every application rank has finished or failed.
            int first = layout_.first_rank(Role::compute);
            int n = layout_.count_of(Role::compute);
            for (int r = first; r < first + n; ++r)
                if (!done_.count(r) && !ft_->is_failed(r)) return;
            int code = 0;
            std::string reason = "completed";
            for (auto& [r, c] : done_)
                if (c != 0) {
                    code = c;
                    reason = "compute rank " + std::to_string(r) + " exited with code " +
                             std::to_string(c);
                    break;
                }
            shutdown_received_ = true;
            shutdown_code_ = code;
            shutdown_failed_ = ft_->failed();
            shutdown_reason_ = reason;
        }
        // Either our own decision, or a dead leader's that this rank now completes.
        shutdown_started_ = true;
        shutdown_deadline_ = now + cfg_.shutdown_timeout;
        acked_.clear();
        std::vector<std::byte> body;
        wire::Writer w(&body);
        w.put<std::int32_t>(shutdown_code_);
        w.put_ints(shutdown_failed_);
        w.put_string(shutdown_reason_);
        lk.unlock();
        for (int r = 0; r < size_; ++r)
            if (r != rank_ && !ft_->is_failed(r))
                engine_->send(Channel::ctrl, r, wire::MsgType::job_shutdown, body);
        return;
    }
    bool all = true;
    for (int r = 0; r < size_; ++r)
        if (r != rank_ && !ft_->is_failed(r) && !acked_.count(r)) all = false;
    if (!all && now < shutdown_deadline_) return;
    int code = shutdown_code_;
    auto failed = ft_->failed();
    auto reason = shutdown_reason_;
    lk.unlock();
    write_status(code, failed, reason);
    for (int r = 0; r < size_; ++r)
        if (r != rank_ && !ft_->is_failed(r))
            engine_->send(Channel::ctrl, r, wire::MsgType::job_final, {});
    final_ = true;
}

void Job::write_status(int code, const std::vector<int>& failed, const std::string& reason) {
    if (status_file_.empty()) return;
    std::vector<std::string> ranks, roles;
    for (int r : failed) {
        ranks.push_back(std::to_string(r));
        roles.emplace_back(role_name(layout_.role_of(r)));
    }
    std::string text = std::to_string(code) + "\n" + launch::kStatusKeyFailedRanks + "=" +
                       join(ranks) + "\n" + launch::kStatusKeyFailedRoles + "=" + join(roles) +
                       "\n" + launch::kStatusKeyReason + "=" + reason + "\n" +
                       launch::kStatusKeyLeader + "=" + std::to_string(rank_) + "\n";
    std::string tmp = status_file_ + ".tmp." + std::to_string(rank_);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "mpi_tools[%d]: cannot write status file %s: %s\n", rank_, tmp.c_str(),
                     std::strerror(errno));
        return;
    }
    ssize_t w = ::write(fd, text.data(), text.size());
    ::fsync(fd);
    ::close(fd);
    if (w == static_cast<ssize_t>(text.size())) ::rename(tmp.c_str(), status_file_.c_str());
}

void Job::abort(int code, const std::string& reason) {
    if (aborting_.exchange(true)) {
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // another thread exits us
    }
    std::fprintf(stderr, "mpi_tools[%d]: aborting job with code %d: %s\n", rank_, code,
                 reason.c_str());
    write_status(code, ft_->failed(), reason);
    ft_->abort_all(code);
    _exit(code);  // abort_all does not return; this keeps [[noreturn]] true for the compiler
}

void Job::serve_until_shutdown() {
    await_shutdown_and_exit(0);
}

void Job::on_finish(std::function<void()> cb) {
    std::lock_guard lk(finish_mu_);
    finish_listeners_.push_back(std::move(cb));
}

void Job::finish(int exit_code) {
    std::vector<std::function<void()>> cbs;
    {
        std::lock_guard lk(finish_mu_);
        cbs.swap(finish_listeners_);
    }
    for (auto it = cbs.rbegin(); it != cbs.rend(); ++it) (*it)();
    await_shutdown_and_exit(exit_code);
}

void Job::await_shutdown_and_exit(int my_code) {
    int told = -1;  // the leader this rank last reported its exit code to
    ft::Clock::time_point got_shutdown{};
    for (;;) {
        if (final_) finalize_and_exit(my_code);
        int l = leader();
        if (is_app_rank() && l != told) {
            if (l == rank_) {
                std::lock_guard lk(mu_);
                done_[rank_] = my_code;
            } else {
                std::vector<std::byte> body;
                wire::Writer w(&body);
                w.put<std::int32_t>(my_code);
                engine_->send(Channel::ctrl, l, wire::MsgType::job_done, body);
            }
            told = l;
        }
        bool received;
        {
            std::lock_guard lk(mu_);
            received = shutdown_received_;
        }
        if (received && l != rank_) {
            auto now = ft::Clock::now();
            if (got_shutdown == ft::Clock::time_point{}) got_shutdown = now;
            if (now - got_shutdown > cfg_.shutdown_timeout) {
                // The leader vanished during shutdown without finishing it: write the agreed
                // status ourselves (identical content, atomic rename) and leave.
                std::lock_guard lk(mu_);
                write_status(shutdown_code_, shutdown_failed_,
                             shutdown_reason_ + " (leader lost during shutdown)");
                final_ = true;
                continue;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void Job::finalize_and_exit(int code) {
    // Let the last notices (FINAL, acks) leave before the engine stops.
    auto until = ft::Clock::now() + std::chrono::milliseconds(500);
    while (engine_->sends_pending() && ft::Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ft_->stop_detection();
    engine_->stop();
    new Watchdog(cfg_.finalize_timeout, code, "MPI_Finalize");
    MPI_Finalize();
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
}

}  // namespace mpi_tools
