// Internals of libdmapi shared by its translation units (and by the event/session layer to come).
// Not installed, not part of the C ABI.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "dmapi.h"

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
