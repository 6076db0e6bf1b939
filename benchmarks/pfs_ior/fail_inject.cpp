// --fail ROLE:SECONDS (see fail_inject.hpp).
#include "fail_inject.hpp"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "monitor.hpp"
#include "mpi_tools/job.hpp"

namespace pfs_ior {
namespace {

using mpi_tools::Role;
namespace fs = std::filesystem;

constexpr double kStatusDeadline = 15;   // waiting for the session table before the kill
constexpr double kRecoverDeadline = 60;  // waiting for detection and recovery after it

long long unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The freshest session manager's table in <run-dir>/dmapi (null when none yet).
nlohmann::json manager_status(const std::string& run_dir) {
    nlohmann::json best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(run_dir + "/dmapi", ec)) {
        const auto name = e.path().filename().string();
        if (!name.starts_with("rank-") || e.path().extension() != ".json") continue;
        std::ifstream in(e.path());
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.value("manager", false)) continue;
        if (best.is_null() || j.value("time_ms", 0LL) > best.value("time_ms", 0LL)) best = j;
    }
    return best;
}

nlohmann::json rank_status(const std::string& run_dir, int rank) {
    std::ifstream in(run_dir + "/dmapi/rank-" + std::to_string(rank) + ".json");
    auto j = nlohmann::json::parse(in, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

// The session named `name` in a manager table: {sid, owner, state} or null.
nlohmann::json find_session(const nlohmann::json& mgr, const std::string& name, long long sid) {
    if (!mgr.contains("sessions")) return {};
    for (const auto& s : mgr["sessions"])
        if (sid >= 0 ? s.value("sid", -1LL) == sid : s.value("info", "") == name) return s;
    return {};
}

int read_pid(const std::string& run_dir, int rank) {
    std::ifstream in(run_dir + "/ranks/" + std::to_string(rank) + ".pid");
    int pid = -1;
    in >> pid;
    return in ? pid : -1;
}

}  // namespace

std::optional<FailSpec> parse_fail(const std::string& text, std::string* why) {
    const auto colon = text.find(':');
    FailSpec f;
    f.role = text.substr(0, colon);
    if (f.role != "data" && f.role != "meta" && f.role != "session" && f.role != "dm") {
        *why = "--fail ROLE must be data, meta, session or dm, not '" + f.role + "'";
        return std::nullopt;
    }
    if (colon == std::string::npos) {
        *why = "--fail needs ROLE:SECONDS";
        return std::nullopt;
    }
    std::string when = text.substr(colon + 1);
    if (when.starts_with("read+")) {
        f.after_read = true;
        when = when.substr(5);
    }
    try {
        std::size_t pos = 0;
        f.at_s = std::stod(when, &pos);
        if (pos != when.size() || f.at_s < 0 || when[0] == '-' || when[0] == '+')
            throw std::invalid_argument("");
    } catch (...) {
        *why = "--fail SECONDS must be a number >= 0 or read+<number>, not '" +
               text.substr(colon + 1) + "'";
        return std::nullopt;
    }
    return f;
}

FailInjector::FailInjector(mpi_tools::Job& job, FailSpec spec, bool task0)
    : job_(job), spec_(std::move(spec)), task0_(task0) {
    const char* n = std::getenv("PFS_HSM_SESSION_NAME");
    session_name_ = n != nullptr && *n != '\0' ? n : "pfs-hsm";
    if (!task0_) return;
    job_.ft().on_failure([this](int r, const std::string&) {
        double none = -1;
        if (r == victim_.load()) detected_.compare_exchange_strong(none, mono_now() - t0_);
    });
    job_.on_recovered([this](const std::vector<int>&) {
        double none = -1;
        if (kill_.load() >= 0) recovered_.compare_exchange_strong(none, mono_now() - t0_);
    });
}

FailInjector::~FailInjector() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void FailInjector::arm(double t0, const Monitor* mon) {
    if (!task0_) return;
    t0_ = t0;
    mon_ = mon;
    thread_ = std::thread([this] { run(); });
}

int FailInjector::pick_victim(std::string* why) {
    const auto& lay = job_.layout();
    auto last_of = [&](Role r) {
        return lay.count_of(r) > 0 ? lay.first_rank(r) + lay.count_of(r) - 1 : -1;
    };
    if (spec_.role == "data") return last_of(Role::data);
    if (spec_.role == "meta") return last_of(Role::meta);
    if (lay.count_of(Role::dm) == 0) {
        *why = "the job has no dm ranks";
        return -1;
    }
    // session or dm: who holds the HSM's session now?
    int owner = -1;
    const double until = mono_now() + kStatusDeadline;
    while (owner < 0 && !stop_ && mono_now() < until) {
        auto s = find_session(manager_status(job_.run_dir()), session_name_, -1);
        if (!s.is_null() && s.value("state", "") == "active") {
            owner = s.value("owner", -1);
            session_sid_ = s.value("sid", -1LL);
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    if (owner < 0) {
        *why = "no active DMAPI session '" + session_name_ + "' in " + job_.run_dir() + "/dmapi";
        return -1;
    }
    if (spec_.role == "session") return owner;
    for (int r = last_of(Role::dm); r >= lay.first_rank(Role::dm); --r)
        if (r != owner) return r;
    *why = "every dm rank holds the session";
    return -1;
}

void FailInjector::run() {
    auto due = [&] {
        const double from = spec_.after_read ? mon_->first_read_begin() : 0;
        return from >= 0 && mono_now() - t0_ >= from + spec_.at_s;
    };
    while (!stop_ && !due()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (stop_) return;
    std::string why;
    const int victim = pick_victim(&why);
    const int pid = victim >= 0 ? read_pid(job_.run_dir(), victim) : -1;
    if (victim >= 0 && pid <= 0) why = "no pid file for rank " + std::to_string(victim);
    if (pid <= 0) {
        res_.note = why;
        std::fprintf(stderr, "pfs-ior: --fail %s: %s\n", spec_.role.c_str(), why.c_str());
        return;
    }
    res_.victim = victim;
    res_.pid = pid;
    res_.victim_role = std::string(mpi_tools::role_name(job_.layout().role_of(victim)));
    victim_ = victim;
    const long long kill_ms = unix_ms();
    if (::kill(pid, SIGKILL) != 0) {
        res_.note = "kill failed";
        return;
    }
    kill_ = mono_now() - t0_;
    res_.killed = true;
    std::fprintf(stderr, "pfs-ior: --fail: SIGKILL sent to rank %d (%s, pid %d) at %.3f s\n",
                 victim, res_.victim_role.c_str(), pid, kill_.load());
    if (spec_.role != "session" && spec_.role != "dm") return;
    // The session table after the kill: the session active again on a live rank.
    const double until = mono_now() + kRecoverDeadline;
    while (!stop_ && mono_now() < until) {
        auto mgr = manager_status(job_.run_dir());
        auto s = find_session(mgr, session_name_, session_sid_);
        const int owner = s.is_null() ? -1 : s.value("owner", -1);
        if (mgr.value("time_ms", 0LL) > kill_ms && s.value("state", "") == "active" && owner >= 0 &&
            owner != victim && !job_.ft().is_failed(owner)) {
            double none = -1;
            recovered_.compare_exchange_strong(none, mono_now() - t0_);
            res_.new_owner = owner;
            for (const auto& q :
                 rank_status(job_.run_dir(), owner).value("queues", nlohmann::json::array()))
                if (q.value("sid", -1LL) == session_sid_)
                    res_.events_at_takeover =
                        q.value("outstanding", 0LL) + q.value("undelivered", 0LL);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

FailInjector::Result FailInjector::finish() {
    if (!task0_) return res_;
    if (kill_.load() < 0) {
        stop_ = true;
    } else {
        const double until = mono_now() + kRecoverDeadline;
        while (mono_now() < until && (detected_.load() < 0 || recovered_.load() < 0))
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    res_.kill = kill_.load();
    res_.detected = detected_.load();
    res_.recovered = recovered_.load();
    return res_;
}

}  // namespace pfs_ior
