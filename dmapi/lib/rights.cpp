// DM access rights: dm_request_right, dm_release_right, dm_query_right, dm_upgrade_right,
// dm_downgrade_right (DESIGN.md section 5, docs/dmapi-rights.md).
//
// A right is a real lock on a file, held by a DM token (an event delivered to this rank's
// session, or a dm_create_userevent token) and kept by the metadata server's rights service:
// conflicting user reads/writes/truncates anywhere in the job wait while it is held (shared:
// writers wait; exclusive: readers and writers wait). GPFS semantics: rights exist only at the
// session rank (the token must be outstanding on a session of this rank), a file-system handle
// is EINVAL, all rights of a token go with its response (or dm_move_event), and they are lost
// when the session rank or its DMAPI instance fails. Invisible I/O and the other DM calls are not
// checked against rights (the DM application orders its own calls; see limitations).
#include <mutex>
#include <set>
#include <utility>

#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "fs_runtime.hpp"
#include "internal.hpp"
#include "pfs/proto/messages.hpp"

namespace {

using namespace pfs::dmapi;
using pfs::proto::RightOp;

// Tokens of this rank that were granted a right: only their responses cost a release request.
std::mutex g_mu;
std::set<std::pair<dm_sessid_t, dm_token_t>> g_holding;

std::uint8_t op_code(RightOp op) {
    return static_cast<std::uint8_t>(op);
}

// The core's hooks: a token that stops being outstanding loses its rights (before its source
// is told, so that the source's operation does not wait for them); a failed DMAPI instance
// loses all of this rank's rights.
void install_hooks() {
    static std::once_flag once;
    std::call_once(once, [] {
        dmapi::core::Node::get().set_token_hooks(
            [](dm_sessid_t sid, dm_token_t token) {
                {
                    std::lock_guard lk(g_mu);
                    if (g_holding.erase({sid, token}) == 0) return;
                }
                if (auto* c = fs_client())
                    (void)c->dm_right(pfs::Handle{}, op_code(RightOp::release_token), sid, token, 0,
                                      false);
            },
            [] {
                {
                    std::lock_guard lk(g_mu);
                    g_holding.clear();
                }
                if (auto* c = fs_client())
                    (void)c->dm_right(pfs::Handle{}, op_code(RightOp::release_rank), 0, 0, 0,
                                      false);
            });
    });
}

// The prologue of every rights call: a file handle (EINVAL for a file-system or global one), a
// real token outstanding on a session of this rank (EINVAL, or ESRCH when not outstanding).
int rights_target(dm_sessid_t sid, void* hanp, std::size_t hlen, dm_token_t token, Target* t) {
    if (int e = fs_target(sid, hanp, hlen, token, kFile, t)) return e;
    if (token == DM_NO_TOKEN) return EINVAL;  // rights belong to a token
    if (int e = require_core()) return e;
    return dmapi::core::Node::get().token_outstanding(sid, token);
}

// One rights request; with `wait`, asks again while the server's bounded wait ends (ETIMEDOUT),
// as long as the token is still outstanding here (never waits for a token that is gone).
int right_call(dm_sessid_t sid, dm_token_t token, const Target& t, RightOp op, dm_right_t right,
               bool wait, dm_right_t* now) {
    for (;;) {
        auto r = t.client->dm_right(t.handle, op_code(op), sid, token,
                                    static_cast<std::uint8_t>(right), wait);
        if (r) {
            if (now != nullptr) *now = static_cast<dm_right_t>(*r);
            return 0;
        }
        if (r.error() == ENOLCK) return EAGAIN;  // a conflict, not waited for
        if (r.error() != ETIMEDOUT || !wait) return r.error();
        // The server's bounded wait ended: ask again while the token is still outstanding.
        if (int e = dmapi::core::Node::get().token_outstanding(sid, token)) return e;
    }
}

int granted(dm_sessid_t sid, dm_token_t token) {
    install_hooks();
    std::lock_guard lk(g_mu);
    g_holding.insert({sid, token});
    return 0;
}

}  // namespace

extern "C" {

int dm_request_right(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, unsigned int flags,
                     dm_right_t right) {
    Target t;
    if (int e = rights_target(sid, hanp, hlen, token, &t)) return fail(e);
    if ((flags & ~static_cast<unsigned>(DM_RR_WAIT)) != 0) return fail(EINVAL);
    if (right != DM_RIGHT_SHARED && right != DM_RIGHT_EXCL) return fail(EINVAL);
    // Recorded before asking: a response racing with the grant still releases it.
    granted(sid, token);
    return c_result(
        right_call(sid, token, t, RightOp::request, right, (flags & DM_RR_WAIT) != 0, nullptr));
}

int dm_release_right(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token) {
    Target t;
    if (int e = rights_target(sid, hanp, hlen, token, &t)) return fail(e);
    return c_result(right_call(sid, token, t, RightOp::release, DM_RIGHT_NULL, false, nullptr));
}

int dm_query_right(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, dm_right_t* rightp) {
    Target t;
    if (int e = rights_target(sid, hanp, hlen, token, &t)) return fail(e);
    if (rightp == nullptr) return fail(EFAULT);
    return c_result(right_call(sid, token, t, RightOp::query, DM_RIGHT_NULL, false, rightp));
}

int dm_upgrade_right(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token) {
    Target t;
    if (int e = rights_target(sid, hanp, hlen, token, &t)) return fail(e);
    return c_result(right_call(sid, token, t, RightOp::upgrade, DM_RIGHT_EXCL, true, nullptr));
}

int dm_downgrade_right(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token) {
    Target t;
    if (int e = rights_target(sid, hanp, hlen, token, &t)) return fail(e);
    return c_result(right_call(sid, token, t, RightOp::downgrade, DM_RIGHT_SHARED, false, nullptr));
}

}  // extern "C"
