// The file system's own DMAPI state in the metadata store (event list, return-on-destroy name)
// and the per-inode DM slots the DM service changes by handle.
#include <gtest/gtest.h>

#include "meta_test_fixture.hpp"

namespace pfs::test {
namespace {

using FsDm = MetaTest;

TEST_F(FsDm, DefaultsToAllEventsAndNoReturnOnDestroy) {
    auto st = m().get_fs_dm();
    ASSERT_OK(st);
    EXPECT_EQ(st->event_set, meta::kDefaultFsEventSet);
    EXPECT_EQ(st->event_set, (1ull << 23) - 1);  // XDSM events 0 .. DM_EVENT_USER
    EXPECT_EQ(st->rod_name, "");
}

TEST_F(FsDm, ChangesPersistAcrossReopen) {
    ASSERT_OK(m().set_fs_event_set(0x42));
    ASSERT_OK(m().set_rod_name(std::string("hsm\0\0", 5)));  // XDSM padding is dropped
    reopen();
    auto st = m().get_fs_dm();
    ASSERT_OK(st);
    EXPECT_EQ(st->event_set, 0x42u);
    EXPECT_EQ(st->rod_name, "hsm");
    ASSERT_OK(m().set_fs_event_set(0));  // an empty list is a list, not "unset"
    ASSERT_OK(m().set_rod_name(""));
    st = m().get_fs_dm();
    ASSERT_OK(st);
    EXPECT_EQ(st->event_set, 0u);
    EXPECT_EQ(st->rod_name, "");
}

TEST_F(FsDm, EightByteNamesRoundTripAndBadNamesAreRefused) {
    ASSERT_OK(m().set_rod_name("12345678"));
    auto st = m().get_fs_dm();
    ASSERT_OK(st);
    EXPECT_EQ(st->rod_name, "12345678");
    EXPECT_ERRNO(m().set_rod_name("123456789"), EINVAL);
    EXPECT_ERRNO(m().set_rod_name(std::string("\0\0", 2)), EINVAL);
    st = m().get_fs_dm();
    ASSERT_OK(st);
    EXPECT_EQ(st->rod_name, "12345678");  // unchanged by the refused calls
}

TEST_F(FsDm, InodeSlotsChangeTheChangeCounterNotCtime) {
    const Attr f = file(root(), "f");
    ASSERT_OK(m().set_regions(f.ino, {{0, 4096, 2}, {8192, 0, 4}}));
    ASSERT_OK(m().set_event_set(f.ino, 1u << 17));
    auto in = m().get_inode(f.ino);
    ASSERT_OK(in);
    EXPECT_EQ(in->dm.regions.size(), 2u);
    EXPECT_EQ(in->dm.event_set, 1u << 17);
    EXPECT_EQ(in->attr.change, f.change + 2);
    EXPECT_EQ(in->attr.ctime_ns, f.ctime_ns);
    // Unlinking hands the slots over for the destroy event.
    auto u = m().unlink(root(), "f");
    ASSERT_OK(u);
    EXPECT_TRUE(u->freed);
    EXPECT_EQ(u->inode.dm.regions.size(), 2u);
}

}  // namespace
}  // namespace pfs::test
