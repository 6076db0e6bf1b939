// encode_payload lays events out exactly as SGI's dmapi.h: checked the way an XDSM program reads
// them (DM_GET_VALUE / DM_GET_LEN relative to the event struct).
#include <gtest/gtest.h>

#include <cstring>

#include "dmapi.h"
#include "dmapi/events/events.hpp"
#include "dmapi_pfs.h"

namespace {

using pfs::client::FsEvent;

// A copy in 8-byte aligned storage, as dm_get_events delivers ev_data.
struct Aligned {
    explicit Aligned(const std::vector<std::byte>& b) : buf((b.size() + 7) / 8 + 1) {
        std::memcpy(buf.data(), b.data(), b.size());
        size = b.size();
    }
    template <class S>
    const S* as() const {
        return reinterpret_cast<const S*>(buf.data());
    }
    std::vector<std::uint64_t> buf;
    std::size_t size = 0;
};

void expect_in(const Aligned& a, dm_vardata_t v) {
    EXPECT_EQ(v.vd_offset % 8, 0);
    EXPECT_LE(static_cast<std::size_t>(v.vd_offset) + v.vd_length, a.size);
}

TEST(EventPayload, NamespaceEventHandlesNamesModeRetcode) {
    FsEvent e;
    e.type = DM_EVENT_POSTRENAME;
    e.handle1 = {0x1111, 5, 7};
    e.handle2 = {0x1111, 9, 3};
    e.name1 = "old";
    e.name2 = "newer";
    e.mode = 0100644;
    e.retcode = 17;
    Aligned a(dmapi::events::encode_payload(e));
    const auto* n = a.as<dm_namesp_event_t>();
    EXPECT_EQ(n->ne_mode, 0100644);
    EXPECT_EQ(n->ne_retcode, 17);
    ASSERT_EQ(DM_GET_LEN(n, ne_handle1), sizeof(dm_handle_t));
    expect_in(a, n->ne_handle1);
    const auto* h1 = DM_GET_VALUE(n, ne_handle1, const dm_handle_t*);
    EXPECT_EQ(h1->ha_fsid, 0x1111u);
    EXPECT_EQ(h1->ha_fid.dm_fid_len, DM_PFS_FID_LEN);
    EXPECT_EQ(h1->ha_fid.dm_fid_ino, 5u);
    EXPECT_EQ(h1->ha_fid.dm_fid_gen, 7u);
    EXPECT_EQ(dm_handle_is_valid(const_cast<dm_handle_t*>(h1), sizeof *h1), DM_TRUE);
    const auto* h2 = DM_GET_VALUE(n, ne_handle2, const dm_handle_t*);
    EXPECT_EQ(h2->ha_fid.dm_fid_ino, 9u);
    // Names: NUL-terminated, the length counts the NUL.
    EXPECT_EQ(DM_GET_LEN(n, ne_name1), 4u);
    EXPECT_STREQ(DM_GET_VALUE(n, ne_name1, const char*), "old");
    EXPECT_EQ(DM_GET_LEN(n, ne_name2), 6u);
    EXPECT_STREQ(DM_GET_VALUE(n, ne_name2, const char*), "newer");
    expect_in(a, n->ne_name2);
}

TEST(EventPayload, AbsentFieldsAreEmpty) {
    FsEvent e;
    e.type = DM_EVENT_CREATE;
    e.handle1 = {0x22, 1, 1};
    e.name1 = "x";
    Aligned a(dmapi::events::encode_payload(e));
    const auto* n = a.as<dm_namesp_event_t>();
    EXPECT_EQ(DM_GET_LEN(n, ne_handle2), 0u);
    EXPECT_EQ(DM_GET_LEN(n, ne_name2), 0u);
}

TEST(EventPayload, DataEvent) {
    FsEvent e;
    e.type = DM_EVENT_WRITE;
    e.handle1 = {0x33, 12, 4};
    e.offset = 1ull << 40;
    e.length = 4096;
    Aligned a(dmapi::events::encode_payload(e));
    const auto* d = a.as<dm_data_event_t>();
    EXPECT_EQ(d->de_offset, static_cast<dm_off_t>(1ull << 40));
    EXPECT_EQ(d->de_length, 4096u);
    const auto* h = DM_GET_VALUE(d, de_handle, const dm_handle_t*);
    EXPECT_EQ(h->ha_fid.dm_fid_ino, 12u);
    expect_in(a, d->de_handle);
}

TEST(EventPayload, DestroyWithAndWithoutAttributeCopy) {
    FsEvent e;
    e.type = DM_EVENT_DESTROY;
    e.handle1 = {0x44, 8, 2};
    e.attr_name = "hsm";
    e.attr_copy = std::string("a\0b", 3);
    e.has_attr_copy = true;
    Aligned a(dmapi::events::encode_payload(e));
    const auto* d = a.as<dm_destroy_event_t>();
    EXPECT_EQ(std::memcmp(d->ds_attrname.an_chars, "hsm\0\0\0\0\0", 8), 0);
    ASSERT_EQ(DM_GET_LEN(d, ds_attrcopy), 3u);
    EXPECT_EQ(std::memcmp(DM_GET_VALUE(d, ds_attrcopy, const char*), "a\0b", 3), 0);
    e.has_attr_copy = false;
    e.attr_name.clear();
    Aligned b(dmapi::events::encode_payload(e));
    EXPECT_EQ(DM_GET_LEN(b.as<dm_destroy_event_t>(), ds_attrcopy), 0u);
    EXPECT_EQ(b.as<dm_destroy_event_t>()->ds_attrname.an_chars[0], 0);
}

TEST(EventPayload, MountCarriesTheFsHandleAndRoot) {
    FsEvent e;
    e.type = DM_EVENT_MOUNT;
    e.handle1 = {0x55, 0, 0};  // the file-system handle
    e.handle2 = {0x55, 1, 1};  // the root
    e.name1 = "/";
    e.name2 = "pfs";
    Aligned a(dmapi::events::encode_payload(e));
    const auto* m = a.as<dm_mount_event_t>();
    ASSERT_EQ(DM_GET_LEN(m, me_handle1), DM_PFS_FSHANDLE_LEN);
    dm_fsid_t fsid = 0;
    std::memcpy(&fsid, DM_GET_VALUE(m, me_handle1, const void*), sizeof fsid);
    EXPECT_EQ(fsid, 0x55u);
    ASSERT_EQ(DM_GET_LEN(m, me_roothandle), sizeof(dm_handle_t));
    EXPECT_EQ(DM_GET_VALUE(m, me_roothandle, const dm_handle_t*)->ha_fid.dm_fid_ino, 1u);
    EXPECT_STREQ(DM_GET_VALUE(m, me_name1, const char*), "/");
    EXPECT_STREQ(DM_GET_VALUE(m, me_name2, const char*), "pfs");
}

}  // namespace
