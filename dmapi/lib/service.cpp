// dm_init_service: the entry point every XDSM program calls first.
#include <atomic>

#include "dmapi.h"
#include "internal.hpp"

namespace {

std::atomic<bool> g_initialized{false};

// Returned through a char**, so it must be a mutable array; callers must not write to it anyway.
// The exact SGI string: existing programs compare against DM_VER_STR_CONTENTS.
char g_version[] = DM_VER_STR_CONTENTS;

}  // namespace

namespace pfs::dmapi {

bool service_initialized() noexcept {
    return g_initialized.load(std::memory_order_acquire);
}

}  // namespace pfs::dmapi

extern "C" int dm_init_service(char** versionstrpp) {
    if (versionstrpp == nullptr) return pfs::dmapi::fail(EFAULT);
    // The service is the job's session/event core: joining the job starts it on this rank
    // (runtime.cpp). Calling it again is harmless (SGI reopens its device; here it is
    // idempotent).
    if (int err = pfs::dmapi::join_job()) return pfs::dmapi::fail(err);
    g_initialized.store(true, std::memory_order_release);
    *versionstrpp = g_version;
    return 0;
}
