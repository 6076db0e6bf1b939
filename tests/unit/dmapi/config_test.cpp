// dm_init_service, dm_get_config and dm_get_config_events.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "dmapi_test_util.hpp"

namespace pfs::dmapi::test {
namespace {

class DmapiConfig : public ::testing::Test {
  protected:
    void SetUp() override {
        char* version = nullptr;
        ASSERT_EQ(dm_init_service(&version), 0);
        make_file(file_, 0x1122334455667788ULL, 5, 6);
        make_fs(fs_, 0x1122334455667788ULL);
    }
    OwnedHandle file_;
    OwnedHandle fs_;
};

TEST(DmapiInitService, ReturnsTheSgiVersionString) {
    char* version = nullptr;
    ASSERT_EQ(dm_init_service(&version), 0);
    ASSERT_NE(version, nullptr);
    EXPECT_STREQ(version, DM_VER_STR_CONTENTS);
    EXPECT_STREQ(version, "SGI DMAPI (XDSM) API, Release 1.1.");
    // Idempotent.
    char* again = nullptr;
    ASSERT_EQ(dm_init_service(&again), 0);
    EXPECT_STREQ(again, DM_VER_STR_CONTENTS);
}

TEST(DmapiInitService, NullOutputIsEfault) {
    EXPECT_DM_FAILS(dm_init_service(nullptr), EFAULT);
}

TEST_F(DmapiConfig, ValuesAreThoseDocumented) {
    // docs/dmapi.md "dm_get_config": GPFS's table adjusted to the design; the handle size is ours.
    const std::vector<std::pair<dm_config_t, dm_size_t>> expected{
        {DM_CONFIG_BULKALL, 1},
        {DM_CONFIG_CREATE_BY_HANDLE, 0},
        {DM_CONFIG_DTIME_OVERLOAD, 1},
        {DM_CONFIG_LEGACY, 1},
        {DM_CONFIG_LOCK_UPGRADE, 1},
        {DM_CONFIG_MAX_ATTR_ON_DESTROY, 1022},
        {DM_CONFIG_MAX_ATTRIBUTE_SIZE, 1022},
        {DM_CONFIG_MAX_HANDLE_SIZE, 24},
        {DM_CONFIG_MAX_MANAGED_REGIONS, 32},
        {DM_CONFIG_MAX_MESSAGE_DATA, 3960},
        {DM_CONFIG_OBJ_REF, 0},
        {DM_CONFIG_PENDING, 1},
        {DM_CONFIG_PERS_ATTRIBUTES, 1},
        {DM_CONFIG_PERS_EVENTS, 1},
        {DM_CONFIG_PERS_INHERIT_ATTRIBS, 0},
        {DM_CONFIG_PERS_MANAGED_REGIONS, 1},
        {DM_CONFIG_PUNCH_HOLE, 1},
        {DM_CONFIG_TOTAL_ATTRIBUTE_SPACE, 7168},
        {DM_CONFIG_WILL_RETRY, 0},
    };
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(DM_CONFIG_WILL_RETRY));
    for (const auto& [flag, value] : expected) {
        SCOPED_TRACE(static_cast<int>(flag));
        // The same answer through the global, a file-system and a file handle.
        dm_size_t v = 12345;
        ASSERT_EQ(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, flag, &v), 0);
        EXPECT_EQ(v, value);
        v = 12345;
        ASSERT_EQ(dm_get_config(fs_.hanp, fs_.hlen, flag, &v), 0);
        EXPECT_EQ(v, value);
        v = 12345;
        ASSERT_EQ(dm_get_config(file_.hanp, file_.hlen, flag, &v), 0);
        EXPECT_EQ(v, value);
    }
}

TEST_F(DmapiConfig, MaxHandleSizeBoundsEveryHandleMade) {
    dm_size_t max = 0;
    ASSERT_EQ(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_MAX_HANDLE_SIZE, &max), 0);
    EXPECT_EQ(max, file_.hlen);
    EXPECT_LE(fs_.hlen, max);
    EXPECT_LE(max, static_cast<dm_size_t>(DM_MAX_HANDLE_SIZE));
}

TEST_F(DmapiConfig, BadFlagIsEinval) {
    dm_size_t v = 77;
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen, DM_CONFIG_INVALID, &v), EINVAL);
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen,
                                  static_cast<dm_config_t>(DM_CONFIG_WILL_RETRY + 1), &v),
                    EINVAL);
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen, static_cast<dm_config_t>(-5), &v),
                    EINVAL);
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen, static_cast<dm_config_t>(1000), &v),
                    EINVAL);
    EXPECT_EQ(v, 77u);
}

TEST_F(DmapiConfig, NullOutputIsEfault) {
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen, DM_CONFIG_BULKALL, nullptr), EFAULT);
}

TEST_F(DmapiConfig, MalformedHandleIsEinval) {
    dm_size_t v = 0;
    EXPECT_DM_FAILS(dm_get_config(file_.hanp, file_.hlen - 1, DM_CONFIG_BULKALL, &v), EINVAL);
    EXPECT_DM_FAILS(dm_get_config(DM_INVALID_HANP, DM_INVALID_HLEN, DM_CONFIG_BULKALL, &v), EINVAL);
    EXPECT_DM_FAILS(dm_get_config(DM_GLOBAL_HANP, 8, DM_CONFIG_BULKALL, &v), EINVAL);
    dm_handle_t zero;
    std::memset(&zero, 0, sizeof zero);
    EXPECT_DM_FAILS(dm_get_config(&zero, sizeof zero, DM_CONFIG_BULKALL, &v), EINVAL);
    EXPECT_DM_FAILS(dm_get_config(nullptr, 24, DM_CONFIG_BULKALL, &v), EFAULT);
}

TEST_F(DmapiConfig, EventsAreTheGeneratedOnes) {
    // The PFS's file-system events (docs/dmapi-events.md) and user events: GPFS's list
    // (DM_PFS_EVENTSET_SUPPORTED), preunmount and unmount included (a rank's client's end).
    dm_eventset_t set = 0;
    unsigned int n = 0;
    ASSERT_EQ(dm_get_config_events(fs_.hanp, fs_.hlen, DM_EVENT_MAX, &set, &n), 0);
    EXPECT_EQ(n, static_cast<unsigned int>(DM_EVENT_MAX));
    dm_eventset_t expected;
    DMEV_ZERO(expected);
    for (auto e : {DM_EVENT_MOUNT,    DM_EVENT_PREUNMOUNT,  DM_EVENT_UNMOUNT, DM_EVENT_CREATE,
                   DM_EVENT_CLOSE,    DM_EVENT_POSTCREATE,  DM_EVENT_REMOVE,  DM_EVENT_POSTREMOVE,
                   DM_EVENT_RENAME,   DM_EVENT_POSTRENAME,  DM_EVENT_LINK,    DM_EVENT_POSTLINK,
                   DM_EVENT_SYMLINK,  DM_EVENT_POSTSYMLINK, DM_EVENT_READ,    DM_EVENT_WRITE,
                   DM_EVENT_TRUNCATE, DM_EVENT_ATTRIBUTE,   DM_EVENT_DESTROY, DM_EVENT_NOSPACE,
                   DM_EVENT_USER})
        DMEV_SET(e, expected);
    EXPECT_EQ(set, expected);
    EXPECT_EQ(set & ~static_cast<dm_eventset_t>(DM_PFS_EVENTSET_SUPPORTED), 0u);
    EXPECT_FALSE(DMEV_ISSET(DM_EVENT_CANCEL, set));
    EXPECT_FALSE(DMEV_ISSET(DM_EVENT_DEBUT, set));
    EXPECT_EQ(set & ~static_cast<dm_eventset_t>(DM_PFS_EVENTSET_ALL), 0u);

    // Same through the global and a file handle.
    dm_eventset_t other = 0;
    ASSERT_EQ(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &other, &n), 0);
    EXPECT_EQ(other, set);
    ASSERT_EQ(dm_get_config_events(file_.hanp, file_.hlen, DM_EVENT_MAX, &other, &n), 0);
    EXPECT_EQ(other, set);
}

TEST_F(DmapiConfig, EventsAreTruncatedToNelem) {
    dm_eventset_t full = 0;
    unsigned int n = 0;
    ASSERT_EQ(dm_get_config_events(fs_.hanp, fs_.hlen, DM_EVENT_MAX, &full, &n), 0);
    for (unsigned int nelem = 1; nelem <= 64; ++nelem) {
        dm_eventset_t set = ~dm_eventset_t{0};
        ASSERT_EQ(dm_get_config_events(fs_.hanp, fs_.hlen, nelem, &set, &n), 0) << nelem;
        const unsigned int want = std::min(nelem, static_cast<unsigned int>(DM_EVENT_MAX));
        EXPECT_EQ(n, want);
        EXPECT_EQ(set, full & ((dm_eventset_t{1} << want) - 1)) << nelem;
    }
    dm_eventset_t set = 0;
    ASSERT_EQ(dm_get_config_events(fs_.hanp, fs_.hlen, ~0u, &set, &n), 0);
    EXPECT_EQ(n, static_cast<unsigned int>(DM_EVENT_MAX));
    EXPECT_EQ(set, full);
}

TEST_F(DmapiConfig, EventsErrors) {
    dm_eventset_t set = 5;
    unsigned int n = 5;
    EXPECT_DM_FAILS(dm_get_config_events(fs_.hanp, fs_.hlen, 0, &set, &n), EINVAL);
    EXPECT_DM_FAILS(dm_get_config_events(fs_.hanp, fs_.hlen, DM_EVENT_MAX, nullptr, &n), EFAULT);
    EXPECT_DM_FAILS(dm_get_config_events(fs_.hanp, fs_.hlen, DM_EVENT_MAX, &set, nullptr), EFAULT);
    EXPECT_DM_FAILS(dm_get_config_events(fs_.hanp, fs_.hlen + 1, DM_EVENT_MAX, &set, &n), EINVAL);
    EXPECT_DM_FAILS(dm_get_config_events(DM_INVALID_HANP, DM_INVALID_HLEN, DM_EVENT_MAX, &set, &n),
                    EINVAL);
    EXPECT_DM_FAILS(dm_get_config_events(nullptr, 8, DM_EVENT_MAX, &set, &n), EFAULT);
    EXPECT_EQ(set, 5u);
    EXPECT_EQ(n, 5u);
}

}  // namespace
}  // namespace pfs::dmapi::test
