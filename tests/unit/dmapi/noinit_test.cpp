// A process that has not called dm_init_service(): as in SGI's libdm, every call that goes to the
// DMAPI service fails with ENOSYS, while the user-space handle utilities work. (Its own binary, so
// that no other test has initialised the service.)
#include "dmapi.h"
#include "dmapi_test_util.hpp"

namespace pfs::dmapi::test {
namespace {

TEST(DmapiNoInit, HandleUtilitiesWorkWithoutInit) {
    OwnedHandle h;
    make_file(h, 3, 4, 5);
    dm_ino_t ino = 0;
    dm_igen_t igen = 0;
    dm_fsid_t fsid = 0;
    EXPECT_EQ(dm_handle_to_ino(h.hanp, h.hlen, &ino), 0);
    EXPECT_EQ(dm_handle_to_igen(h.hanp, h.hlen, &igen), 0);
    EXPECT_EQ(dm_handle_to_fsid(h.hanp, h.hlen, &fsid), 0);
    EXPECT_EQ(ino, 4u);
    EXPECT_EQ(igen, 5u);
    EXPECT_EQ(fsid, 3u);
    EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), static_cast<dm_boolean_t>(DM_TRUE));
    OwnedHandle fs;
    ASSERT_EQ(dm_handle_to_fshandle(h.hanp, h.hlen, &fs.hanp, &fs.hlen), 0);
    EXPECT_EQ(fs.hlen, sizeof(dm_fsid_t));
}

TEST(DmapiNoInit, ServiceCallsAreEnosysUntilInit) {
    dm_size_t v = 99;
    dm_eventset_t set = 99;
    unsigned int n = 99;
    EXPECT_DM_FAILS(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_BULKALL, &v), ENOSYS);
    EXPECT_DM_FAILS(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &set, &n),
                    ENOSYS);
    // Even with bad arguments: ENOSYS comes first, as from SGI's dmi().
    EXPECT_DM_FAILS(dm_get_config(nullptr, 0, DM_CONFIG_INVALID, nullptr), ENOSYS);
    dm_sessid_t sid = 0;
    char info[] = "noinit";
    EXPECT_DM_FAILS(dm_create_session(DM_NO_SESSION, info, &sid), ENOSYS);
    EXPECT_EQ(v, 99u);
    EXPECT_EQ(set, 99u);

    char* version = nullptr;
    ASSERT_EQ(dm_init_service(&version), 0);
    EXPECT_EQ(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_BULKALL, &v), 0);
    EXPECT_EQ(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &set, &n), 0);
}

}  // namespace
}  // namespace pfs::dmapi::test
