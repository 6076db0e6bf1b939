// libdmapi's way to the PFS for the functions on file-system objects (fs_*.cpp).
//
// The DM application's rank reaches the PFS through one pfs::client::Client, created lazily on
// the first call over the job of this process: the one dm_init_service joined (runtime.cpp; the
// shared libmpi_tools makes it the program's job too). Without a job (a process that is no rank
// of a pfs-run job) the calls fail with ENOTCONN, like the session calls.
#pragma once

#include <cstddef>
#include <string>

#include "dmapi.h"
#include "pfs/client/client.hpp"

namespace pfs::dmapi {

// The common prologue of a call on an object: service initialised (ENOSYS), sid given (EINVAL),
// handle well formed (EINVAL / EFAULT) and of an accepted kind (EINVAL), the PFS reachable
// (ENOTCONN). A file-system handle must come with DM_NO_TOKEN (GPFS; else EINVAL).
struct Target {
    pfs::client::Client* client = nullptr;
    pfs::Handle handle;  // ino 0 for a file-system handle
    bool is_fs = false;
};
enum Accept : unsigned { kFile = 1, kFs = 2 };
int fs_target(dm_sessid_t sid, const void* hanp, std::size_t hlen, dm_token_t token,
              unsigned accept, Target* out) noexcept;

// The Client, or nullptr (ENOTCONN) when there is no job.
pfs::client::Client* fs_client() noexcept;

// A dm_stat_t from the inode's attributes and DM slots (every standard field; SGI fills them all
// whatever the mask). dt_handle and dt_compname are left empty: the caller lays them out.
void fill_stat(const pfs::Attr& a, const pfs::DmSlots& dm, std::uint64_t fsid, dm_stat_t* out);

// The 8-byte XDSM attribute name without its NUL padding: 0, EFAULT (null) or EINVAL (empty).
int attr_name(const dm_attrname_t* n, std::string* out) noexcept;

// Allocates a handle copy for dm_path_to_handle & co. (freed with dm_handle_free).
int alloc_handle(const pfs::Handle& h, void** hanpp, std::size_t* hlenp) noexcept;

}  // namespace pfs::dmapi
