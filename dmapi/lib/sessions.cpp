// Sessions: dm_create_session, dm_destroy_session, dm_getall_sessions, dm_query_session, over
// dmapi::core::Node (GPFS semantics, docs/dmapi-sessions.md): the session table is replicated on
// every rank, so the query calls work on any rank; a session belongs to the rank that created or
// assumed it.
#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "internal.hpp"

using pfs::dmapi::c_result;
using pfs::dmapi::fail;
using pfs::dmapi::require_core;

extern "C" {

// oldsid == DM_NO_SESSION: a new session owned by this rank. Otherwise GPFS's assume: the SAME
// id comes back; allowed for a failed session (its rank is gone) or one this rank owns (its info
// is replaced, its queue and outstanding tokens kept); a live session of another rank: EBUSY.
// sessinfop longer than DM_SESSION_INFO_LEN - 1 bytes: E2BIG.
int dm_create_session(dm_sessid_t oldsid, char* sessinfop, dm_sessid_t* newsidp) {
    if (require_core()) return -1;
    if (sessinfop == nullptr || newsidp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().create_session(oldsid, sessinfop, newsidp));
}

// EBUSY while events are queued or outstanding or a thread waits in dm_get_events; a live
// session of another rank, or an unknown one: EINVAL.
int dm_destroy_session(dm_sessid_t sid) {
    if (require_core()) return -1;
    return c_result(dmapi::core::Node::get().destroy_session(sid));
}

// Every session of the job, failed ones included (so that a DM application finds its session by
// name and assumes it). E2BIG with the count in *nelemp.
int dm_getall_sessions(unsigned int nelem, dm_sessid_t* sidbufp, unsigned int* nelemp) {
    if (require_core()) return -1;
    if (nelemp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().getall_sessions(nelem, sidbufp, nelemp));
}

// The session's info string with its NUL; E2BIG with the needed size in *rlenp.
int dm_query_session(dm_sessid_t sid, size_t buflen, void* bufp, size_t* rlenp) {
    if (require_core()) return -1;
    if (rlenp == nullptr) return fail(EFAULT);
    return c_result(dmapi::core::Node::get().query_session(sid, buflen, bufp, rlenp));
}

}  // extern "C"
