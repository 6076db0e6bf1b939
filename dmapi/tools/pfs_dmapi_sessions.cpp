// pfs-dmapi-sessions: the DMAPI sessions of a running job, their session ranks, queue depths and
// outstanding tokens (docs/dmapi-sessions.md, "Looking at a running job").
//
//   pfs-dmapi-sessions --run-dir DIR [--json] [--stale-ms N]
//
// DIR is the job's run directory (pfs-run --run-dir). The job's ranks keep DIR/dmapi/rank-R.json
// up to date every 0.5 s (dmapi/session/src/status.cpp): the session manager writes the session
// table, each session rank its queues. A file older than --stale-ms (default 3000) is reported
// stale: its rank may have died or the job ended. Exit status: 0, 1 when the job has no DMAPI
// status (not a DMAPI job, not started yet, or already cleaned up), 2 on bad arguments.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct RankFile {
    json j;
    long long age_ms = 0;
};

std::string token_list(const json& tokens, std::size_t max) {
    std::string out;
    std::size_t n = 0;
    for (const auto& t : tokens) {
        if (n++ == max) {
            out += " ...";
            break;
        }
        if (!out.empty()) out += ",";
        out += std::to_string(t.get<long long>());
    }
    return out.empty() ? "-" : out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"List the DMAPI sessions of a running pfs-run job"};
    std::string run_dir;
    bool as_json = false;
    long long stale_ms = 3000;
    app.add_option("--run-dir", run_dir, "the job's run directory (pfs-run --run-dir)")->required();
    app.add_flag("--json", as_json, "print one JSON document instead of a table");
    app.add_option("--stale-ms", stale_ms, "report rank files older than this as stale")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const fs::path dir = fs::path(run_dir) / "dmapi";
    std::error_code ec;
    if (!fs::is_directory(run_dir, ec)) {
        std::fprintf(stderr, "pfs-dmapi-sessions: %s is not a directory\n", run_dir.c_str());
        return 2;
    }
    if (!fs::is_directory(dir, ec)) {
        std::fprintf(stderr,
                     "pfs-dmapi-sessions: no DMAPI status in %s (not a DMAPI job, or not "
                     "started yet)\n",
                     run_dir.c_str());
        return 1;
    }
    const long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    std::map<int, RankFile> ranks;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (!name.starts_with("rank-") || e.path().extension() != ".json") continue;
        std::ifstream in(e.path());
        json j = json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.contains("rank") || !j.contains("time_ms")) continue;
        ranks[j["rank"].get<int>()] = RankFile{j, now - j["time_ms"].get<long long>()};
    }
    // The freshest manager's table (after a manager failure, an older one may still be there).
    const RankFile* manager = nullptr;
    for (const auto& [r, f] : ranks)
        if (f.j.value("manager", false) && (manager == nullptr || f.age_ms < manager->age_ms))
            manager = &f;
    if (manager == nullptr) {
        std::fprintf(stderr, "pfs-dmapi-sessions: no session manager status in %s yet\n",
                     dir.c_str());
        return 1;
    }
    // Queues by session id, from each session rank's own file.
    std::map<long long, std::pair<const RankFile*, json>> queues;
    for (const auto& [r, f] : ranks)
        for (const auto& q : f.j["queues"]) queues[q["sid"].get<long long>()] = {&f, q};

    json out = json::array();
    for (const auto& s : manager->j["sessions"]) {
        json row = s;
        auto it = queues.find(s["sid"].get<long long>());
        if (it != queues.end() && it->second.first->j["rank"] == s["owner"]) {
            row["undelivered"] = it->second.second["undelivered"];
            row["outstanding"] = it->second.second["outstanding"];
            row["tokens"] = it->second.second["tokens"];
            row["rebuilding"] = it->second.second["rebuilding"];
            row["status_age_ms"] = it->second.first->age_ms;
            row["stale"] = it->second.first->age_ms > stale_ms;
        } else {
            row["stale"] = true;  // its rank has not reported (yet) or is gone
        }
        out.push_back(row);
    }
    if (as_json) {
        json doc{{"run_dir", run_dir},
                 {"manager_rank", manager->j["rank"]},
                 {"manager_status_age_ms", manager->age_ms},
                 {"sessions", out},
                 {"standbys", manager->j.value("standbys", json::array())}};
        std::printf("%s\n", doc.dump(2).c_str());
        return 0;
    }
    std::printf("session manager: rank %d (status %lld ms old%s)\n", manager->j["rank"].get<int>(),
                manager->age_ms, manager->age_ms > stale_ms ? ", STALE" : "");
    std::printf("%-10s %-20s %5s %-7s %4s %11s %11s  %s\n", "SID", "INFO", "RANK", "STATE", "INC",
                "UNDELIVERED", "OUTSTANDING", "TOKENS");
    for (const auto& r : out) {
        const bool have = r.contains("undelivered");
        std::printf("%-10lld %-20.20s %5d %-7s %4u %11s %11s  %s%s\n", r["sid"].get<long long>(),
                    r["info"].get<std::string>().c_str(), r["owner"].get<int>(),
                    r["state"].get<std::string>().c_str(), r["incarnation"].get<unsigned>(),
                    have ? std::to_string(r["undelivered"].get<long long>()).c_str() : "?",
                    have ? std::to_string(r["outstanding"].get<long long>()).c_str() : "?",
                    have ? token_list(r["tokens"], 8).c_str() : "?",
                    r["stale"].get<bool>() ? "  (stale)" : "");
    }
    for (const auto& s : manager->j.value("standbys", json::array()))
        std::printf("standby: rank %d for \"%s\"\n", s["rank"].get<int>(),
                    s["info"].get<std::string>().c_str());
    return 0;
}
