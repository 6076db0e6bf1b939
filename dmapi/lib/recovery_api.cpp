// The session-recovery extensions of dmapi_pfs.h (docs/recovery.md) over dmapi::core::Node.
#include <chrono>

#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "dmapi_pfs.h"
#include "internal.hpp"

using pfs::dmapi::c_result;
using pfs::dmapi::fail;
using pfs::dmapi::require_core;

namespace {
// -1 = forever (a century is forever for a job).
std::chrono::milliseconds to_timeout(int ms) {
    return ms < 0 ? std::chrono::hours(24 * 365 * 100) : std::chrono::milliseconds(ms);
}
}  // namespace

extern "C" {

int dmapi_pfs_standby(const char* sessinfo, int timeout_ms, dm_sessid_t* sidp) {
    if (require_core()) return -1;
    if (sessinfo == nullptr || sidp == nullptr) return fail(EFAULT);
    if (timeout_ms < -1) return fail(EINVAL);
    return c_result(dmapi::core::Node::get().standby(sessinfo, to_timeout(timeout_ms), sidp));
}

int dmapi_pfs_claim_session(const char* sessinfo, int timeout_ms, dm_sessid_t* sidp,
                            int* primaryp) {
    if (require_core()) return -1;
    if (sessinfo == nullptr || sidp == nullptr || primaryp == nullptr) return fail(EFAULT);
    if (timeout_ms < -1) return fail(EINVAL);
    bool primary = false;
    int rc = dmapi::core::Node::get().claim(sessinfo, to_timeout(timeout_ms), sidp, &primary);
    if (rc == 0) *primaryp = primary ? 1 : 0;
    return c_result(rc);
}

}  // extern "C"
