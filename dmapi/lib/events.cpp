// The event calls of a DM application (dm_get_events, dm_respond_event, dm_find_eventmsg,
// dm_getall_tokens, dm_move_event, dm_pending, dm_create_userevent) and dm_send_msg, over
// dmapi::core::Node. The argument checks that need the session's queue (EINVAL for a session not
// owned by this rank or a token it does not know, ESRCH for a token not outstanding, E2BIG with
// the needed size, EFAULT for a missing or misaligned buffer) are the core's; the pointer checks
// the core cannot make are here.
#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "internal.hpp"

using pfs::dmapi::c_result;
using pfs::dmapi::fail;
using pfs::dmapi::require_core;

extern "C" {

// SGI layout: dm_eventmsg_t records chained by _link (DM_STEP_TO_NEXT), each 8-byte aligned,
// ev_data right after the header. Synchronous events carry their token and become outstanding;
// asynchronous ones carry DM_INVALID_TOKEN. maxmsgs 0: as many as fit. Without DM_EV_WAIT an
// empty queue is EAGAIN; with it the call blocks until an event arrives (not interruptible by
// signals, as in GPFS). bufp NULL or not 8-byte aligned: EFAULT; first event too large: E2BIG.
int dm_get_events(dm_sessid_t sid, unsigned int maxmsgs, unsigned int flags, size_t buflen,
                  void* bufp, size_t* rlenp) {
    if (require_core()) return -1;
    if (rlenp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().get_events(sid, maxmsgs, flags, buflen, bufp, rlenp));
}

// SGI rules: CONTINUE needs reterror 0, ABORT a positive errno (the user's operation fails with
// it), DONTCARE only for mount events. buflen/respbufp are ignored, as in SGI (XDSM reserves
// them; no response carries data). A second response to one token: ESRCH.
int dm_respond_event(dm_sessid_t sid, dm_token_t token, dm_response_t response, int reterror,
                     size_t /*buflen*/, void* /*respbufp*/) {
    if (require_core()) return -1;
    return c_result(dmapi::core::Node::get().respond_event(sid, token, response, reterror));
}

int dm_find_eventmsg(dm_sessid_t sid, dm_token_t token, size_t buflen, void* bufp, size_t* rlenp) {
    if (require_core()) return -1;
    if (rlenp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().find_eventmsg(sid, token, buflen, bufp, rlenp));
}

int dm_getall_tokens(dm_sessid_t sid, unsigned int nelem, dm_token_t* tokenbufp,
                     unsigned int* nelemp) {
    if (require_core()) return -1;
    if (nelemp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().getall_tokens(sid, nelem, tokenbufp, nelemp));
}

// The event stays outstanding with the same token (SGI), now on targetsid, which may be a
// session of another rank.
int dm_move_event(dm_sessid_t srcsid, dm_token_t token, dm_sessid_t targetsid,
                  dm_token_t* rtokenp) {
    if (require_core()) return -1;
    if (rtokenp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().move_event(srcsid, token, targetsid, rtokenp));
}

// Validates the session and the outstanding token. It has nothing else to do: no source here
// times out on a DM application (no DM_FLAGS_NDELAY callers). delay is unused, as in SGI.
int dm_pending(dm_sessid_t sid, dm_token_t token, dm_timestruct_t* /*delay*/) {
    if (require_core()) return -1;
    return c_result(dmapi::core::Node::get().pending(sid, token));
}

// A token on the session's outstanding list without a queued message (a rights-holding token);
// dm_respond_event releases it. msglen > DM_CONFIG_MAX_MESSAGE_DATA: E2BIG.
int dm_create_userevent(dm_sessid_t sid, size_t msglen, void* msgdatap, dm_token_t* tokenp) {
    if (require_core()) return -1;
    if (tokenp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().create_userevent(sid, msglen, msgdatap, tokenp));
}

// A user event to targetsid, from any rank. DM_MSGTYPE_SYNC blocks until the DM application
// responds and fails with DM_RESP_ABORT's errno (EIO when the session's rank fails meanwhile);
// DM_MSGTYPE_ASYNC returns once the event is handed to this rank's sender. Unknown session:
// EINVAL; buflen > DM_CONFIG_MAX_MESSAGE_DATA: E2BIG.
int dm_send_msg(dm_sessid_t targetsid, dm_msgtype_t msgtype, size_t buflen, void* bufp) {
    if (require_core()) return -1;
    return c_result(dmapi::core::Node::get().send_msg(targetsid, msgtype, buflen, bufp));
}

}  // extern "C"
