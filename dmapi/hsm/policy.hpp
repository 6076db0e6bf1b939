// The policy engine: which files are candidates (size, access/modification age, path patterns,
// exclusions), in which order (least recently accessed first), and how full the data volumes
// are. The namespace walk is dmapi.h's (dm_init_attrloc + dm_get_dirattrs: paths for the
// include/exclude patterns, dm_stat_t for size and times, the handle for the migrator), the
// inode scan for journal recovery too (dm_get_bulkall with the record attribute). Only the
// volume usage for the watermarks comes from a native PFS client (DMAPI has no statfs).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <dmapi.h>

#include "config.hpp"
#include "pfs/client/client.hpp"

namespace pfs::hsm {

struct FileInfo {
    std::string path;
    dm_handle_t handle{};
    std::uint64_t size = 0;
    std::int64_t atime_ns = 0, mtime_ns = 0;  // whole seconds (dm_stat_t's resolution)
};

// Every regular file under `root` (depth first; symlinks are not followed), by dm_get_dirattrs
// on session `sid`. Returns 0 or the errno of the root; unreadable subdirectories are skipped.
int walk_files(dm_sessid_t sid, const std::string& root,
               const std::function<void(const FileInfo&)>& fn);

// Every regular file of the file system with its record attribute's value (empty: none), in
// inode order, by dm_get_bulkall. Returns 0 or the errno of the scan.
int scan_records(dm_sessid_t sid,
                 const std::function<void(const dm_handle_t&, const std::string&)>& fn);

// Whether a file passes the candidate filters (exclusions first, then include, size, ages).
bool is_candidate(const Config& cfg, const FileInfo& f, std::int64_t now_ns);

// The candidates, least recently accessed first.
std::vector<FileInfo> select_candidates(dm_sessid_t sid, const Config& cfg);

// Use of the fullest data volume, in percent of its capacity (the quota when one is set);
// -1 when statfs failed. The fullest volume is what makes writers fail with ENOSPC.
double fullest_volume_percent(pfs::client::Client& c);

}  // namespace pfs::hsm
