// Helpers shared by the libdmapi unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "dmapi.h"

namespace pfs::dmapi::test {

// Owns a handle returned by dm_make_handle & co.
struct OwnedHandle {
    void* hanp = nullptr;
    std::size_t hlen = 0;
    OwnedHandle() = default;
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    ~OwnedHandle() { dm_handle_free(hanp, hlen); }
};

inline void make_file(OwnedHandle& h, dm_fsid_t fsid, dm_ino_t ino, dm_igen_t igen) {
    ASSERT_EQ(dm_make_handle(&fsid, &ino, &igen, &h.hanp, &h.hlen), 0) << std::strerror(errno);
}

inline void make_fs(OwnedHandle& h, dm_fsid_t fsid) {
    ASSERT_EQ(dm_make_fshandle(&fsid, &h.hanp, &h.hlen), 0) << std::strerror(errno);
}

// Evaluates `call`, expecting -1 and `err` in errno (errno is cleared first).
#define EXPECT_DM_FAILS(call, err)        \
    do {                                  \
        errno = 0;                        \
        EXPECT_EQ((call), -1) << #call;   \
        EXPECT_EQ(errno, (err)) << #call; \
    } while (0)

}  // namespace pfs::dmapi::test
