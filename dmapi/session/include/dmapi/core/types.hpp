// The XDSM types the session/event core uses come from the project's SGI-compatible dmapi.h
// (dmapi/include). The static_asserts pin the values this core relies on.
#pragma once

#include <cstddef>
#include <cstdint>

#include <dmapi.h>

static_assert(sizeof(dm_token_t) == 4 && sizeof(dm_sessid_t) == 4, "SGI ABI: int ids");
static_assert(DM_NO_SESSION == 0 && DM_INVALID_TOKEN == 0 && DM_NO_TOKEN == -1);
static_assert(DM_EVENT_USER == 22 && DM_EVENT_MAX == 23 && DM_EVENT_MOUNT == 1);
static_assert(DM_RESP_CONTINUE == 1 && DM_RESP_ABORT == 2 && DM_RESP_DONTCARE == 3);
static_assert(DM_MSGTYPE_SYNC == 1 && DM_MSGTYPE_ASYNC == 2);
static_assert(sizeof(dm_eventmsg_t) == 24 && offsetof(dm_eventmsg_t, ev_data) == 16);
static_assert(DM_SESSION_INFO_LEN == 256);

namespace dmapi::core {

// SGI's per-message payload limit for user events (dm_send_msg, dm_create_userevent).
inline constexpr std::size_t kMaxMsgData = 3960;

// SGI classification (reference/dmapi.md 4.1, DESIGN.md 5): which event types make the source
// wait for a response. User events are synchronous or not by the sender's choice.
constexpr bool is_sync_event(dm_eventtype_t t) {
    switch (t) {
        case DM_EVENT_MOUNT:
        case DM_EVENT_PREUNMOUNT:
        case DM_EVENT_UNMOUNT:
        case DM_EVENT_NOSPACE:
        case DM_EVENT_CREATE:
        case DM_EVENT_REMOVE:
        case DM_EVENT_RENAME:
        case DM_EVENT_SYMLINK:
        case DM_EVENT_LINK:
        case DM_EVENT_READ:
        case DM_EVENT_WRITE:
        case DM_EVENT_TRUNCATE:
            return true;
        default:
            return false;
    }
}

constexpr bool valid_event_type(int t) {
    return t >= 0 && t < DM_EVENT_MAX;
}

}  // namespace dmapi::core
