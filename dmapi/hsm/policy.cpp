#include "policy.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>

namespace pfs::hsm {

int walk_files(pfs::client::Client& c, const std::string& root,
               const std::function<void(const FileInfo&)>& fn) {
    std::vector<std::string> dirs{root};
    bool first = true;
    while (!dirs.empty()) {
        const std::string dir = dirs.back();
        dirs.pop_back();
        auto ents = c.readdir(dir);
        if (!ents) {
            if (first) return ents.error();
            continue;
        }
        first = false;
        for (const auto& e : *ents) {
            if (e.name == "." || e.name == "..") continue;
            const std::string p = dir == "/" ? "/" + e.name : dir + "/" + e.name;
            if (e.type == pfs::FileType::dir) {
                dirs.push_back(p);
            } else if (e.type == pfs::FileType::file) {
                auto a = c.lstat(p);
                if (a && a->type == pfs::FileType::file) fn(FileInfo{p, *a});
            }
        }
    }
    return 0;
}

bool is_candidate(const Config& cfg, const FileInfo& f, std::int64_t now_ns) {
    for (const auto& x : cfg.exclude)
        if (::fnmatch(x.c_str(), f.path.c_str(), 0) == 0) return false;
    if (!cfg.include.empty()) {
        bool in = false;
        for (const auto& p : cfg.include)
            if (::fnmatch(p.c_str(), f.path.c_str(), 0) == 0) in = true;
        if (!in) return false;
    }
    if (f.attr.size < cfg.min_size || f.attr.size == 0) return false;
    const std::int64_t s = 1000000000;
    if (now_ns - f.attr.atime_ns < cfg.min_atime_age.count() * s) return false;
    if (now_ns - f.attr.mtime_ns < cfg.min_mtime_age.count() * s) return false;
    return true;
}

std::vector<FileInfo> select_candidates(pfs::client::Client& c, const Config& cfg) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::vector<FileInfo> out;
    walk_files(c, "/", [&](const FileInfo& f) {
        if (is_candidate(cfg, f, now)) out.push_back(f);
    });
    std::stable_sort(out.begin(), out.end(), [](const FileInfo& a, const FileInfo& b) {
        return a.attr.atime_ns < b.attr.atime_ns;
    });
    return out;
}

double fullest_volume_percent(pfs::client::Client& c) {
    auto v = c.statfs();
    if (!v || v->empty()) return -1;
    double worst = 0;
    for (const auto& vol : *v) {
        if (vol.stat.total_bytes == 0) continue;
        worst = std::max(worst, 100.0 * static_cast<double>(vol.stat.used_bytes) /
                                    static_cast<double>(vol.stat.total_bytes));
    }
    return worst;
}

}  // namespace pfs::hsm
