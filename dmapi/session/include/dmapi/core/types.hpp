// The XDSM types the session/event core uses. They come from the project's SGI-compatible
// dmapi.h (dmapi/include) when it is there; the fallback below declares the same few types with
// SGI's values and layout, so this library builds on its own. The static_asserts pin the values
// either way.
#pragma once

#include <cstddef>
#include <cstdint>

#if __has_include(<dmapi.h>)
#include <dmapi.h>
#else
extern "C" {
typedef std::uint64_t dm_eventset_t;
typedef unsigned int dm_sequence_t;
typedef int dm_sessid_t;
typedef int dm_token_t;
#define DM_EV_WAIT 0x1
#define DM_SESSION_INFO_LEN 256
#define DM_NO_SESSION 0
#define DM_INVALID_TOKEN 0
#define DM_NO_TOKEN (-1)
typedef struct {
    int vd_offset;
    unsigned int vd_length;
} dm_vardata_t;
#define DM_GET_VALUE(p, field, type) ((type)((char*)(p) + (p)->field.vd_offset))
#define DM_GET_LEN(p, field) ((p)->field.vd_length)
#define DM_STEP_TO_NEXT(p, type) ((type)((p)->_link ? (char*)(p) + (p)->_link : NULL))
#ifndef HAVE_DM_EVENTTYPE_T
#define HAVE_DM_EVENTTYPE_T
typedef enum {
    DM_EVENT_INVALID = -1,
    DM_EVENT_CANCEL = 0,
    DM_EVENT_MOUNT = 1,
    DM_EVENT_PREUNMOUNT = 2,
    DM_EVENT_UNMOUNT = 3,
    DM_EVENT_DEBUT = 4,
    DM_EVENT_CREATE = 5,
    DM_EVENT_CLOSE = 6,
    DM_EVENT_POSTCREATE = 7,
    DM_EVENT_REMOVE = 8,
    DM_EVENT_POSTREMOVE = 9,
    DM_EVENT_RENAME = 10,
    DM_EVENT_POSTRENAME = 11,
    DM_EVENT_LINK = 12,
    DM_EVENT_POSTLINK = 13,
    DM_EVENT_SYMLINK = 14,
    DM_EVENT_POSTSYMLINK = 15,
    DM_EVENT_READ = 16,
    DM_EVENT_WRITE = 17,
    DM_EVENT_TRUNCATE = 18,
    DM_EVENT_ATTRIBUTE = 19,
    DM_EVENT_DESTROY = 20,
    DM_EVENT_NOSPACE = 21,
    DM_EVENT_USER = 22,
    DM_EVENT_MAX = 23
} dm_eventtype_t;
#endif
struct dm_eventmsg {
    int _link;
    dm_eventtype_t ev_type;
    dm_token_t ev_token;
    dm_sequence_t ev_sequence;
    dm_vardata_t ev_data;
};
typedef struct dm_eventmsg dm_eventmsg_t;
typedef enum { DM_MSGTYPE_INVALID, DM_MSGTYPE_SYNC, DM_MSGTYPE_ASYNC } dm_msgtype_t;
typedef enum { DM_RESP_INVALID, DM_RESP_CONTINUE, DM_RESP_ABORT, DM_RESP_DONTCARE } dm_response_t;
}
#endif

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
