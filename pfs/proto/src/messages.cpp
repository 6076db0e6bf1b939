#include "pfs/proto/messages.hpp"

namespace pfs::proto {

const char* msg_type_name(MsgType t) noexcept {
    switch (t) {
#define PFS_MSG_NAME(n) \
    case MsgType::n:    \
        return #n;
        PFS_MSG_NAME(lookup_req)
        PFS_MSG_NAME(resolve_req)
        PFS_MSG_NAME(create_req)
        PFS_MSG_NAME(mkdir_req)
        PFS_MSG_NAME(unlink_req)
        PFS_MSG_NAME(rmdir_req)
        PFS_MSG_NAME(rename_req)
        PFS_MSG_NAME(link_req)
        PFS_MSG_NAME(symlink_req)
        PFS_MSG_NAME(readlink_req)
        PFS_MSG_NAME(readdir_req)
        PFS_MSG_NAME(stat_req)
        PFS_MSG_NAME(setattr_req)
        PFS_MSG_NAME(extend_size_req)
        PFS_MSG_NAME(get_dm_req)
        PFS_MSG_NAME(set_dm_attr_req)
        PFS_MSG_NAME(remove_dm_attr_req)
        PFS_MSG_NAME(set_event_set_req)
        PFS_MSG_NAME(set_regions_req)
        PFS_MSG_NAME(set_dtime_req)
        PFS_MSG_NAME(dm_state_req)
        PFS_MSG_NAME(dm_update_req)
        PFS_MSG_NAME(dm_invalidate_req)
        PFS_MSG_NAME(dm_right_req)
        PFS_MSG_NAME(dm_right_resp)
        PFS_MSG_NAME(scan_inodes_req)
        PFS_MSG_NAME(create_at_req)
        PFS_MSG_NAME(unlink_at_req)
        PFS_MSG_NAME(meta_sync_req)
        PFS_MSG_NAME(attr_recall_req)
        PFS_MSG_NAME(delegate_req)
        PFS_MSG_NAME(writeback_req)
        PFS_MSG_NAME(deleg_recall_req)
        PFS_MSG_NAME(delegate_resp)
        PFS_MSG_NAME(writeback_resp)
        PFS_MSG_NAME(scan_inodes_resp)
        PFS_MSG_NAME(dm_state_resp)
        PFS_MSG_NAME(status_resp)
        PFS_MSG_NAME(attr_resp)
        PFS_MSG_NAME(unlink_resp)
        PFS_MSG_NAME(rename_resp)
        PFS_MSG_NAME(readlink_resp)
        PFS_MSG_NAME(readdir_resp)
        PFS_MSG_NAME(get_dm_resp)
        PFS_MSG_NAME(read_req)
        PFS_MSG_NAME(write_req)
        PFS_MSG_NAME(punch_req)
        PFS_MSG_NAME(truncate_req)
        PFS_MSG_NAME(remove_req)
        PFS_MSG_NAME(alloc_map_req)
        PFS_MSG_NAME(fsync_req)
        PFS_MSG_NAME(statfs_req)
        PFS_MSG_NAME(list_objects_req)
        PFS_MSG_NAME(read_resp)
        PFS_MSG_NAME(write_resp)
        PFS_MSG_NAME(alloc_map_resp)
        PFS_MSG_NAME(statfs_resp)
        PFS_MSG_NAME(list_objects_resp)
#undef PFS_MSG_NAME
    }
    return nullptr;
}

bool valid_msg_type(std::uint16_t v) noexcept {
    return msg_type_name(static_cast<MsgType>(v)) != nullptr;
}

Result<MsgType> peek_type(std::span<const std::byte> frame) noexcept {
    Reader r(frame);
    const auto v = r.u16();
    if (!r.ok() || !valid_msg_type(v)) return Errno{EBADMSG};
    return static_cast<MsgType>(v);
}

}  // namespace pfs::proto
