// libdmapi's way to the PFS for the functions on file-system objects (fs_*.cpp).
//
// The DM application's rank reaches the PFS through one pfs::client::Client, created lazily on
// the first call over the job of this process. Because libdmapi.so keeps its own copies of the
// C++ runtime libraries it links (everything but dm_* and pfs::dmapi:: is local), the job is
// handed over explicitly: a program that initialised mpi_tools::Job itself calls
// pfs::dmapi::attach_job(job) after dm_init_service (the session/event runtime will do it when it
// owns the job). Without a job the calls fail with ENXIO (the file system cannot be reached).
#pragma once

#include <cstddef>

#include "dmapi.h"
#include "pfs/client/client.hpp"

namespace mpi_tools {
class Job;
}

namespace pfs::dmapi {

// Makes `job` the job libdmapi's file-system calls use (idempotent; the first one wins).
void attach_job(mpi_tools::Job& job);

// The common prologue of a call on an object: service initialised (ENOSYS), sid given (EINVAL),
// handle well formed (EINVAL / EFAULT) and of an accepted kind (EINVAL), the PFS reachable
// (ENXIO). A file-system handle must come with DM_NO_TOKEN (GPFS; else EINVAL).
struct Target {
    pfs::client::Client* client = nullptr;
    pfs::Handle handle;  // ino 0 for a file-system handle
    bool is_fs = false;
};
enum Accept : unsigned { kFile = 1, kFs = 2 };
int fs_target(dm_sessid_t sid, const void* hanp, std::size_t hlen, dm_token_t token,
              unsigned accept, Target* out) noexcept;

// The Client, or nullptr (ENXIO) when no job is attached.
pfs::client::Client* fs_client() noexcept;

// Allocates a handle copy for dm_path_to_handle & co. (freed with dm_handle_free).
int alloc_handle(const pfs::Handle& h, void** hanpp, std::size_t* hlenp) noexcept;

}  // namespace pfs::dmapi
