// The policy engine: which files are candidates (size, access/modification age, path patterns,
// exclusions), in which order (least recently accessed first), and how full the data volumes
// are. DMAPI has no directory scan here (dm_get_dirattrs is ENOSYS), so the namespace walk and
// the volume usage come from a native PFS client that raises no events (as GPFS's policy engine
// scans outside DMAPI, and Lustre's robinhood reads the changelog). Data movement and state
// stay on dmapi.h (migrator.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config.hpp"
#include "pfs/client/client.hpp"

namespace pfs::hsm {

struct FileInfo {
    std::string path;
    pfs::Attr attr;
};

// Every regular file under `root` (depth first; symlinks are not followed). Returns 0 or the
// errno of the root; unreadable subdirectories are skipped.
int walk_files(pfs::client::Client& c, const std::string& root,
               const std::function<void(const FileInfo&)>& fn);

// Whether a file passes the candidate filters (exclusions first, then include, size, ages).
bool is_candidate(const Config& cfg, const FileInfo& f, std::int64_t now_ns);

// The candidates, least recently accessed first.
std::vector<FileInfo> select_candidates(pfs::client::Client& c, const Config& cfg);

// Use of the fullest data volume, in percent of its capacity (the quota when one is set);
// -1 when statfs failed. The fullest volume is what makes writers fail with ENOSPC.
double fullest_volume_percent(pfs::client::Client& c);

}  // namespace pfs::hsm
