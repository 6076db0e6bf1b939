// Internals of libdmapi shared by its translation units (and by the event/session layer to come).
// Not installed, not part of the C ABI.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "dmapi.h"
#include "dmapi_pfs.h"

namespace pfs::dmapi {

// The C calling convention of every DMAPI function: -1 with errno set.
inline int fail(int err) noexcept {
    errno = err;
    return -1;
}

// dm_init_service() has been called in this process. Like SGI's libdm, every call that would go
// to the DMAPI service (everything but the user-space handle utilities) fails with ENOSYS until
// then: use require_service() at the top of such calls.
bool service_initialized() noexcept;
inline bool require_service() noexcept {
    if (service_initialized()) return true;
    errno = ENOSYS;
    return false;
}

// The job runtime (runtime.cpp). dm_init_service() joins the pfs-run job this process is a rank
// of: mpi_tools::Job::init (unless the program did it) and dmapi::core::Node::start. Returns 0 or
// an errno; idempotent. A process that is not a rank of a pfs-run job (no PFS_LAYOUT, MPI not
// initialized) gets 0 too, with no job: the handle and configuration calls work, the session
// and event calls fail with ENOTCONN.
int join_job() noexcept;

// For the calls that need the session/event core: 0 when it runs in this process; else ENOSYS
// (dm_init_service not called yet) or ENOTCONN (not a rank of a job). The errno is also set.
int require_core() noexcept;

// The fsid of the job's PFS file system (from <PFS_ROOT>/superblock.json at dm_init_service),
// 0 when the job has none (plain jobs, no process-wide job).
dm_fsid_t job_fsid() noexcept;
// Whether DMAPI is enabled on that file system (pfs-mkfs --dmapi; true without one).
bool job_dmapi_enabled() noexcept;

// Events this build generates (what dm_get_config_events reports): the PFS's file-system events
// (docs/dmapi-events.md) and user events; not preunmount/unmount (the PFS has no unmount).
inline constexpr dm_eventset_t kGeneratedEvents =
    DM_PFS_EVENTSET_SUPPORTED &
    ~((dm_eventset_t{1} << DM_EVENT_PREUNMOUNT) | (dm_eventset_t{1} << DM_EVENT_UNMOUNT));

// Events a session may take a disposition for with a file-system handle: SGI's
// DM_VALID_DISP_EVENTS restricted to the events pfs-dmapi defines (DESIGN 5: GPFS's list, so
// CLOSE is in and DEBUT is out). MOUNT takes the global handle; USER events are addressed to a
// session and need no disposition.
inline constexpr dm_eventset_t kMountEvent = dm_eventset_t{1} << DM_EVENT_MOUNT;
inline constexpr dm_eventset_t kFsDispEvents =
    DM_PFS_EVENTSET_SUPPORTED & ~(kMountEvent | (dm_eventset_t{1} << DM_EVENT_USER));

// Maps a positive errno of the core onto the C convention (0 -> 0, else -1 with errno).
inline int c_result(int err) noexcept {
    if (err == 0) return 0;
    errno = err;
    return -1;
}

enum class HandleKind { global, filesystem, file };

struct ParsedHandle {
    HandleKind kind = HandleKind::global;
    dm_fsid_t fsid = 0;  // filesystem and file handles
    dm_ino_t ino = 0;    // file handles
    dm_igen_t igen = 0;  // file handles
};

// Parses a handle without trusting it. Returns 0 and fills *out, or an errno:
//   EINVAL  malformed: DM_INVALID_HANP/HLEN, a length that is neither 1 (global), 8 (fs) nor 24
//           (file), DM_GLOBAL_HANP with another length (or another pointer with length 1), fsid 0,
//           dm_fid_len != 14 or dm_fid_pad != 0;
//   EFAULT  a null pointer with a non-zero length.
// DM_GLOBAL_HANP is recognised by value and never dereferenced.
int parse_handle(const void* hanp, std::size_t hlen, ParsedHandle* out) noexcept;

}  // namespace pfs::dmapi
