// The sessions CLI's view into a running job (pfs-dmapi-sessions, docs/dmapi-sessions.md). A job
// has no socket to ask; instead every rank that serves session queues, and the session manager,
// keep a small JSON file in the job's run directory up to date (written every kStatusPeriod to a
// temporary name and renamed, so a reader never sees half a file):
//   <run-dir>/dmapi/rank-<R>.json  {"rank", "time_ms", "manager": bool, "queues": [...],
//                                   "sessions": [...] (the manager's table, manager only)}
// A rank that serves nothing removes its file. Files of ranks that died stay and show their
// age: the CLI reports them as stale. The directory is created owner-only (0700).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "dmapi/core/node.hpp"
#include "mpi_tools/job.hpp"

namespace dmapi::core {

namespace {

constexpr std::chrono::milliseconds kStatusPeriod{500};

std::string state_name(SessionState s) {
    switch (s) {
        case SessionState::active:
            return "active";
        default:
            return "failed";
    }
}

nlohmann::json snapshot(const Node& node, bool manager) {
    using nlohmann::json;
    json j;
    j["rank"] = node.rank();
    j["time_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    j["manager"] = manager;
    json queues = json::array();
    for (const auto& q : node.local_queues())
        queues.push_back({{"sid", q.sid},
                          {"undelivered", q.undelivered},
                          {"outstanding", q.tokens.size()},
                          {"tokens", q.tokens},
                          {"rebuilding", q.rebuilding}});
    j["queues"] = std::move(queues);
    if (manager) {
        json sessions = json::array();
        const auto t = node.table();
        for (const auto& s : t.sessions)
            sessions.push_back({{"sid", s.sid},
                                {"info", s.info},
                                {"owner", s.owner},
                                {"state", state_name(s.state)},
                                {"disp", s.disp},
                                {"incarnation", s.incarnation}});
        j["sessions"] = std::move(sessions);
        json standbys = json::array();
        for (const auto& s : t.standbys) standbys.push_back({{"rank", s.rank}, {"info", s.info}});
        j["standbys"] = std::move(standbys);
        j["table_version"] = t.version;
    }
    return j;
}

void write_loop(const Node* node, std::filesystem::path dir) {
    const auto file = dir / ("rank-" + std::to_string(node->rank()) + ".json");
    const auto tmp = dir / (".rank-" + std::to_string(node->rank()) + ".json.tmp");
    bool present = false;
    for (;;) {
        std::this_thread::sleep_for(kStatusPeriod);
        const bool manager = node->manager() == node->rank();
        const auto j = snapshot(*node, manager);
        std::error_code ec;
        if (!manager && j["queues"].empty()) {
            if (present) std::filesystem::remove(file, ec);
            present = false;
            continue;
        }
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << j.dump() << "\n";
            if (!out) continue;  // a full disk: try again next period
        }
        std::filesystem::rename(tmp, file, ec);
        present = !ec;
    }
}

}  // namespace

void start_status_writer(const Node& node, const mpi_tools::Job& job) {
    if (job.run_dir().empty()) return;  // not a pfs-run job: nobody to read it
    const auto dir = std::filesystem::path(job.run_dir()) / "dmapi";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
    if (ec) return;
    // Detached: the Node lives to the end of the process (leaked on purpose, see Node::start).
    std::thread(write_loop, &node, dir).detach();
}

}  // namespace dmapi::core
