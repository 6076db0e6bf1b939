// The SGI ABI: constants, event numbering, and (on x86_64) the struct sizes and field offsets
// that SGI's dmapi.h implies, checked at compile time. Plus the macros: DMEV_*, DM_GET_VALUE &
// co., DM_TOKEN_*, and the token encoding of dmapi_pfs.h.
#include <climits>
#include <cstddef>
#include <string>
#include <type_traits>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "dmapi_test_util.hpp"

namespace pfs::dmapi::test {
namespace {

// ---- Types ------------------------------------------------------------------------------------
static_assert(std::is_same_v<dm_sessid_t, int>);
static_assert(std::is_same_v<dm_token_t, int>);
static_assert(std::is_same_v<dm_sequence_t, unsigned int>);
static_assert(std::is_same_v<dm_boolean_t, unsigned int>);
static_assert(std::is_same_v<dm_eventset_t, std::uint64_t>);
static_assert(std::is_same_v<dm_fsid_t, std::uint64_t>);
static_assert(std::is_same_v<dm_ino_t, std::uint64_t>);
static_assert(std::is_same_v<dm_igen_t, std::uint32_t>);
static_assert(std::is_same_v<dm_off_t, std::int64_t>);
static_assert(std::is_same_v<dm_size_t, std::uint64_t>);
static_assert(std::is_same_v<dm_ssize_t, std::int64_t>);
static_assert(std::is_same_v<dm_attrloc_t, std::int64_t>);
static_assert(std::is_same_v<dm_dev_t, std::int64_t>);
static_assert(std::is_same_v<dm_mode_t, int> && std::is_same_v<dm_nlink_t, int>);

// ---- Constants --------------------------------------------------------------------------------
static_assert(DM_NO_SESSION == 0 && DM_NO_TOKEN == -1 && DM_INVALID_TOKEN == 0);
static_assert(DM_TRUE == 1 && DM_FALSE == 0);
static_assert(DM_SESSION_INFO_LEN == 256 && DM_ATTR_NAME_SIZE == 8);
static_assert(DM_GLOBAL_HLEN == 1 && DM_INVALID_HLEN == 0);
static_assert(DM_MAX_HANDLE_SIZE == 56 && MAXDMFSFIDSZ == 46);
static_assert(DM_EV_WAIT == 1 && DM_RR_WAIT == 1 && DM_WRITE_SYNC == 1);
static_assert(DM_MOUNT_RDONLY == 1 && DM_UNMOUNT_FORCE == 1);
static_assert(DM_REGION_NOEVENT == 0 && DM_REGION_READ == 1 && DM_REGION_WRITE == 2 &&
              DM_REGION_TRUNCATE == 4);
static_assert(DM_AT_MODE == 0x1 && DM_AT_UID == 0x2 && DM_AT_GID == 0x4 && DM_AT_ATIME == 0x8 &&
              DM_AT_MTIME == 0x10 && DM_AT_CTIME == 0x20 && DM_AT_SIZE == 0x40 &&
              DM_AT_DTIME == 0x80 && DM_AT_HANDLE == 0x100 && DM_AT_EMASK == 0x200 &&
              DM_AT_PMANR == 0x400 && DM_AT_PATTR == 0x800 && DM_AT_STAT == 0x1000 &&
              DM_AT_CFLAG == 0x2000);
static_assert(DM_XFLAG_REALTIME == 0x1 && DM_XFLAG_PREALLOC == 0x2 && DM_XFLAG_IMMUTABLE == 0x8 &&
              DM_XFLAG_APPEND == 0x10 && DM_XFLAG_SYNC == 0x20 && DM_XFLAG_NOATIME == 0x40 &&
              DM_XFLAG_NODUMP == 0x80 && DM_XFLAG_HASATTR == 0x80000000);

// ---- Enumerations (SGI numbering) ---------------------------------------------------------------
static_assert(DM_EVENT_INVALID == -1 && DM_EVENT_CANCEL == 0 && DM_EVENT_MOUNT == 1 &&
              DM_EVENT_PREUNMOUNT == 2 && DM_EVENT_UNMOUNT == 3 && DM_EVENT_DEBUT == 4 &&
              DM_EVENT_CREATE == 5 && DM_EVENT_CLOSE == 6 && DM_EVENT_POSTCREATE == 7 &&
              DM_EVENT_REMOVE == 8 && DM_EVENT_POSTREMOVE == 9 && DM_EVENT_RENAME == 10 &&
              DM_EVENT_POSTRENAME == 11 && DM_EVENT_LINK == 12 && DM_EVENT_POSTLINK == 13 &&
              DM_EVENT_SYMLINK == 14 && DM_EVENT_POSTSYMLINK == 15 && DM_EVENT_READ == 16 &&
              DM_EVENT_WRITE == 17 && DM_EVENT_TRUNCATE == 18 && DM_EVENT_ATTRIBUTE == 19 &&
              DM_EVENT_DESTROY == 20 && DM_EVENT_NOSPACE == 21 && DM_EVENT_USER == 22 &&
              DM_EVENT_MAX == 23);
static_assert(DM_CONFIG_INVALID == 0 && DM_CONFIG_BULKALL == 1 && DM_CONFIG_MAX_HANDLE_SIZE == 8 &&
              DM_CONFIG_MAX_MESSAGE_DATA == 10 && DM_CONFIG_WILL_RETRY == 19);
static_assert(DM_RESP_INVALID == 0 && DM_RESP_CONTINUE == 1 && DM_RESP_ABORT == 2 &&
              DM_RESP_DONTCARE == 3);
static_assert(DM_RIGHT_NULL == 0 && DM_RIGHT_SHARED == 1 && DM_RIGHT_EXCL == 2);
static_assert(DM_MSGTYPE_INVALID == 0 && DM_MSGTYPE_SYNC == 1 && DM_MSGTYPE_ASYNC == 2);
static_assert(DM_EXTENT_INVALID == 0 && DM_EXTENT_RES == 1 && DM_EXTENT_HOLE == 2);
static_assert(sizeof(dm_eventtype_t) == 4 && sizeof(dm_config_t) == 4);

// ---- Layout (LP64; what SGI's declarations produce with the x86_64 SysV ABI)
// ---------------------
#if defined(__x86_64__)
static_assert(sizeof(dm_vardata_t) == 8);
static_assert(sizeof(dm_attrname_t) == 8);
static_assert(sizeof(dm_attrlist_t) == 20 && offsetof(dm_attrlist_t, al_name) == 4 &&
              offsetof(dm_attrlist_t, al_data) == 12);
static_assert(sizeof(dm_dioinfo_t) == 16);
static_assert(sizeof(dm_dispinfo_t) == 24 && offsetof(dm_dispinfo_t, di_fshandle) == 8 &&
              offsetof(dm_dispinfo_t, di_eventset) == 16);
static_assert(sizeof(dm_eventmsg_t) == 24);
static_assert(offsetof(dm_eventmsg_t, _link) == 0 && offsetof(dm_eventmsg_t, ev_type) == 4 &&
              offsetof(dm_eventmsg_t, ev_token) == 8 &&
              offsetof(dm_eventmsg_t, ev_sequence) == 12 && offsetof(dm_eventmsg_t, ev_data) == 16);
static_assert(sizeof(dm_cancel_event_t) == 8);
static_assert(sizeof(dm_data_event_t) == 24 && offsetof(dm_data_event_t, de_offset) == 8 &&
              offsetof(dm_data_event_t, de_length) == 16);
static_assert(sizeof(dm_destroy_event_t) == 24 && offsetof(dm_destroy_event_t, ds_attrname) == 8 &&
              offsetof(dm_destroy_event_t, ds_attrcopy) == 16);
static_assert(sizeof(dm_mount_event_t) == 44 && offsetof(dm_mount_event_t, me_handle1) == 4 &&
              offsetof(dm_mount_event_t, me_roothandle) == 36);
static_assert(sizeof(dm_namesp_event_t) == 40 && offsetof(dm_namesp_event_t, ne_handle1) == 4 &&
              offsetof(dm_namesp_event_t, ne_name2) == 28 &&
              offsetof(dm_namesp_event_t, ne_retcode) == 36);
static_assert(sizeof(dm_extent_t) == 24 && offsetof(dm_extent_t, ex_offset) == 8 &&
              offsetof(dm_extent_t, ex_length) == 16);
static_assert(sizeof(dm_fileattr_t) == 64 && offsetof(dm_fileattr_t, fa_atime) == 16 &&
              offsetof(dm_fileattr_t, fa_dtime) == 40 && offsetof(dm_fileattr_t, fa_pad1) == 48 &&
              offsetof(dm_fileattr_t, fa_size) == 56);
static_assert(sizeof(dm_inherit_t) == 12);
static_assert(sizeof(dm_region_t) == 24 && offsetof(dm_region_t, rg_flags) == 16 &&
              offsetof(dm_region_t, rg_pad1) == 20);
static_assert(sizeof(dm_timestruct_t) == 16 && offsetof(dm_timestruct_t, dm_tv_nsec) == 8);
static_assert(sizeof(dm_fid_t) == 16 && offsetof(dm_fid_t, dm_fid_pad) == 2 &&
              offsetof(dm_fid_t, dm_fid_gen) == 4 && offsetof(dm_fid_t, dm_fid_ino) == 8);
static_assert(sizeof(dm_handle_t) == 24 && offsetof(dm_handle_t, ha_fid) == 8);
static_assert(sizeof(dm_stat_t) == 184);
static_assert(offsetof(dm_stat_t, dt_handle) == 4 && offsetof(dm_stat_t, dt_compname) == 12 &&
              offsetof(dm_stat_t, dt_nevents) == 20 && offsetof(dm_stat_t, dt_emask) == 24 &&
              offsetof(dm_stat_t, dt_pers) == 32 && offsetof(dm_stat_t, dt_pmanreg) == 36 &&
              offsetof(dm_stat_t, dt_dtime) == 40 && offsetof(dm_stat_t, dt_change) == 48 &&
              offsetof(dm_stat_t, dt_dev) == 56 && offsetof(dm_stat_t, dt_ino) == 64 &&
              offsetof(dm_stat_t, dt_mode) == 72 && offsetof(dm_stat_t, dt_nlink) == 76 &&
              offsetof(dm_stat_t, dt_uid) == 80 && offsetof(dm_stat_t, dt_gid) == 84 &&
              offsetof(dm_stat_t, dt_rdev) == 88 && offsetof(dm_stat_t, dt_pad2) == 96 &&
              offsetof(dm_stat_t, dt_size) == 104 && offsetof(dm_stat_t, dt_atime) == 112 &&
              offsetof(dm_stat_t, dt_mtime) == 120 && offsetof(dm_stat_t, dt_ctime) == 128 &&
              offsetof(dm_stat_t, dt_blksize) == 136 && offsetof(dm_stat_t, dt_blocks) == 144 &&
              offsetof(dm_stat_t, dt_pad3) == 152 && offsetof(dm_stat_t, dt_fstype) == 160 &&
              offsetof(dm_stat_t, fsys_dep) == 164);
static_assert(sizeof(dm_xstat_t) == 192 && offsetof(dm_xstat_t, dx_attrdata) == 184);
#endif

// ---- Proposed token encoding ------------------------------------------------------------------
static_assert(DM_PFS_TOKEN_RANK_BITS + DM_PFS_TOKEN_SEQ_BITS == 31);
static_assert(DM_PFS_TOKEN_MAKE(0, 1) == (1 << 19) + 1);
static_assert(DM_PFS_TOKEN_MAKE(DM_PFS_TOKEN_MAX_RANK, DM_PFS_TOKEN_MAX_SEQ) == 0x7fffffff);
static_assert(DM_PFS_TOKEN_MAX_RANK == 4094 && DM_PFS_TOKEN_MAX_SEQ == 524287);

TEST(DmapiLayout, StaticChecksCompiled) {
    SUCCEED() << "the static_asserts above hold";
}

TEST(DmapiMacros, EventSetBitIsTheEventNumber) {
    dm_eventset_t set;
    DMEV_ZERO(set);
    EXPECT_EQ(set, 0u);
    DMEV_SET(DM_EVENT_CANCEL, set);
    EXPECT_EQ(set, 1u);
    DMEV_SET(DM_EVENT_READ, set);
    DMEV_SET(DM_EVENT_USER, set);
    EXPECT_EQ(set, (1ULL << 0) | (1ULL << 16) | (1ULL << 22));
    EXPECT_EQ(DMEV_ISSET(DM_EVENT_READ, set), 1);
    EXPECT_EQ(DMEV_ISSET(DM_EVENT_WRITE, set), 0);
    DMEV_CLR(DM_EVENT_READ, set);
    EXPECT_EQ(DMEV_ISSET(DM_EVENT_READ, set), 0);
    EXPECT_EQ(set, (1ULL << 0) | (1ULL << 22));
    EXPECT_EQ(static_cast<dm_eventset_t>(DM_PFS_EVENTSET_ALL), (1ULL << 23) - 1);
}

TEST(DmapiMacros, TokenComparisonsWorkOnInts) {
    const dm_token_t a = 5;
    const dm_token_t b = 7;
    EXPECT_TRUE(DM_TOKEN_EQ(a, a));
    EXPECT_TRUE(DM_TOKEN_NE(a, b));
    EXPECT_TRUE(DM_TOKEN_LT(a, b));
    EXPECT_TRUE(DM_TOKEN_GT(b, a));
    EXPECT_TRUE(DM_TOKEN_LE(a, a) && DM_TOKEN_LE(a, b));
    EXPECT_TRUE(DM_TOKEN_GE(b, b) && DM_TOKEN_GE(b, a));
    EXPECT_TRUE(DM_TOKEN_EQ(DM_NO_TOKEN, -1));
    EXPECT_TRUE(DM_TOKEN_NE(DM_NO_TOKEN, DM_INVALID_TOKEN));
}

TEST(DmapiMacros, VardataWalk) {
    // Two dm_attrlist_t entries and their values, laid out as dm_getall_dmattr would return them.
    alignas(8) unsigned char buf[128] = {};
    auto* first = reinterpret_cast<dm_attrlist_t*>(buf);
    auto* second = reinterpret_cast<dm_attrlist_t*>(buf + 48);
    std::memcpy(first->al_name.an_chars, "one", 3);
    std::memcpy(buf + 24, "ABCD", 4);
    first->al_data = {24, 4};
    first->_link = 48;
    std::memcpy(second->al_name.an_chars, "two", 3);
    std::memcpy(buf + 48 + 24, "xyz", 3);
    second->al_data = {24, 3};
    second->_link = 0;
    int n = 0;
    for (dm_attrlist_t* p = first; p != nullptr; p = DM_STEP_TO_NEXT(p, dm_attrlist_t*), ++n) {
        const char* v = DM_GET_VALUE(p, al_data, const char*);
        const std::string value(v, DM_GET_LEN(p, al_data));
        EXPECT_EQ(value, n == 0 ? "ABCD" : "xyz");
    }
    EXPECT_EQ(n, 2);
}

TEST(DmapiPfsToken, EncodingRoundTripsAndAvoidsReservedValues) {
    for (int rank : {0, 1, 2, 1000, DM_PFS_TOKEN_MAX_RANK}) {
        for (unsigned int seq : {1u, 2u, 77777u, static_cast<unsigned int>(DM_PFS_TOKEN_MAX_SEQ)}) {
            const dm_token_t t = DM_PFS_TOKEN_MAKE(rank, seq);
            EXPECT_GT(t, 0) << rank << "/" << seq;
            EXPECT_NE(t, DM_INVALID_TOKEN);
            EXPECT_NE(t, DM_NO_TOKEN);
            EXPECT_EQ(DM_PFS_TOKEN_RANK(t), rank);
            EXPECT_EQ(DM_PFS_TOKEN_SEQ(t), seq);
            EXPECT_TRUE(DM_PFS_TOKEN_IS_EVENT(t));
        }
    }
    EXPECT_FALSE(DM_PFS_TOKEN_IS_EVENT(DM_INVALID_TOKEN));
    EXPECT_FALSE(DM_PFS_TOKEN_IS_EVENT(DM_NO_TOKEN));
    EXPECT_FALSE(DM_PFS_TOKEN_IS_EVENT(2 << DM_PFS_TOKEN_SEQ_BITS));  // rank 1, sequence 0
    // Small integers (rank field 0), e.g. SGI-style or made-up tokens, never name an event.
    for (dm_token_t small : {1, 2, 42, DM_PFS_TOKEN_MAX_SEQ}) {
        EXPECT_FALSE(DM_PFS_TOKEN_IS_EVENT(small)) << small;
        EXPECT_EQ(DM_PFS_TOKEN_RANK(small), -1) << small;
    }
    for (dm_token_t negative : {-2, -1000, INT_MIN}) EXPECT_FALSE(DM_PFS_TOKEN_IS_EVENT(negative));
    // Tokens of different ranks never collide.
    EXPECT_NE(DM_PFS_TOKEN_MAKE(1, 5), DM_PFS_TOKEN_MAKE(2, 5));
}

}  // namespace
}  // namespace pfs::dmapi::test
