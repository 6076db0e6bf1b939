#include "policy.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "state_record.hpp"

namespace pfs::hsm {

namespace {

// One page of a resumable DMAPI scan into `buf`: 0 (last page), 1 (more), -1 with errno; a
// buffer too small for one record grows to the size E2BIG reports.
template <class Call>
int scan_page(std::vector<std::uint64_t>& buf, std::size_t* used, Call call) {
    for (;;) {
        *used = 0;
        const int rc = call(buf.size() * 8, buf.data(), used);
        if (rc >= 0 || errno != E2BIG) return rc;
        buf.resize(std::max(buf.size() * 2, *used / 8 + 1));
    }
}

bool file_handle(const void* p, std::size_t len, dm_handle_t* h) {
    if (len != sizeof(dm_handle_t)) return false;
    std::memcpy(h, p, sizeof *h);
    return true;
}

}  // namespace

int walk_files(dm_sessid_t sid, const std::string& root,
               const std::function<void(const FileInfo&)>& fn) {
    struct Dir {
        std::string path;
        std::vector<char> handle;
    };
    std::vector<Dir> dirs;
    {
        void* hp = nullptr;
        std::size_t hl = 0;
        std::string p = root;
        if (dm_path_to_handle(p.data(), &hp, &hl) != 0) return errno;
        dirs.push_back(
            Dir{root, std::vector<char>(static_cast<char*>(hp), static_cast<char*>(hp) + hl)});
        dm_handle_free(hp, hl);
    }
    std::vector<std::uint64_t> buf(8192);  // 64 KiB pages
    bool first = true;
    while (!dirs.empty()) {
        Dir d = std::move(dirs.back());
        dirs.pop_back();
        dm_attrloc_t loc = 0;
        if (dm_init_attrloc(sid, d.handle.data(), d.handle.size(), DM_NO_TOKEN, &loc) != 0) {
            if (first) return errno;
            continue;
        }
        first = false;
        int rc = 1;
        while (rc == 1) {
            std::size_t used = 0;
            rc = scan_page(buf, &used, [&](std::size_t len, void* b, std::size_t* u) {
                return dm_get_dirattrs(sid, d.handle.data(), d.handle.size(), DM_NO_TOKEN,
                                       DM_AT_STAT, &loc, len, b, u);
            });
            if (rc < 0 || used == 0) break;  // unreadable (removed meanwhile): skip it
            for (auto* p = reinterpret_cast<dm_stat_t*>(buf.data()); p != nullptr;
                 p = DM_STEP_TO_NEXT(p, dm_stat_t*)) {
                const std::string name(DM_GET_VALUE(p, dt_compname, char*));
                const std::string path = d.path == "/" ? "/" + name : d.path + "/" + name;
                const char* hp = DM_GET_VALUE(p, dt_handle, char*);
                const std::size_t hl = DM_GET_LEN(p, dt_handle);
                if (S_ISDIR(p->dt_mode)) {
                    dirs.push_back(Dir{path, std::vector<char>(hp, hp + hl)});
                } else if (S_ISREG(p->dt_mode)) {
                    FileInfo fi;
                    if (!file_handle(hp, hl, &fi.handle)) continue;
                    fi.path = path;
                    fi.size = static_cast<std::uint64_t>(p->dt_size);
                    fi.atime_ns = static_cast<std::int64_t>(p->dt_atime) * 1000000000;
                    fi.mtime_ns = static_cast<std::int64_t>(p->dt_mtime) * 1000000000;
                    fn(fi);
                }
            }
        }
    }
    return 0;
}

int scan_records(dm_sessid_t sid,
                 const std::function<void(const dm_handle_t&, const std::string&)>& fn) {
    void* fsh = nullptr;
    std::size_t fsl = 0;
    char root[] = "/";
    if (dm_path_to_fshandle(root, &fsh, &fsl) != 0) return errno;
    dm_attrname_t an{};
    std::memcpy(an.an_chars, kRecordAttr, std::strlen(kRecordAttr));
    dm_attrloc_t loc = 0;
    int err = 0;
    if (dm_init_attrloc(sid, fsh, fsl, DM_NO_TOKEN, &loc) != 0) err = errno;
    std::vector<std::uint64_t> buf(8192);
    int rc = err ? -1 : 1;
    while (rc == 1) {
        std::size_t used = 0;
        rc = scan_page(buf, &used, [&](std::size_t len, void* b, std::size_t* u) {
            return dm_get_bulkall(sid, fsh, fsl, DM_NO_TOKEN, DM_AT_STAT, &an, &loc, len, b, u);
        });
        if (rc < 0) {
            err = errno;
            break;
        }
        if (used == 0) break;
        for (auto* p = reinterpret_cast<dm_xstat_t*>(buf.data()); p != nullptr;
             p = DM_STEP_TO_NEXT(&p->dx_statinfo, dm_xstat_t*)) {
            const dm_stat_t& st = p->dx_statinfo;
            dm_handle_t h;
            if (!S_ISREG(st.dt_mode) ||
                !file_handle(DM_GET_VALUE(&p->dx_statinfo, dt_handle, void*),
                             DM_GET_LEN(&p->dx_statinfo, dt_handle), &h))
                continue;
            fn(h, std::string(DM_GET_VALUE(p, dx_attrdata, char*), DM_GET_LEN(p, dx_attrdata)));
        }
    }
    dm_handle_free(fsh, fsl);
    return err;
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
    if (f.size < cfg.min_size || f.size == 0) return false;
    const std::int64_t s = 1000000000;
    if (now_ns - f.atime_ns < cfg.min_atime_age.count() * s) return false;
    if (now_ns - f.mtime_ns < cfg.min_mtime_age.count() * s) return false;
    return true;
}

std::vector<FileInfo> select_candidates(dm_sessid_t sid, const Config& cfg) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::vector<FileInfo> out;
    walk_files(sid, "/", [&](const FileInfo& f) {
        if (is_candidate(cfg, f, now)) out.push_back(f);
    });
    std::stable_sort(out.begin(), out.end(),
                     [](const FileInfo& a, const FileInfo& b) { return a.atime_ns < b.atime_ns; });
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
