// Every XDSM function that needs a session, an event queue or the file system: NOT IMPLEMENTED
// YET. Each returns -1 with errno ENOSYS, which is also what XDSM requires of an optional
// function an implementation does not support ("it must still be implemented as a stub function
// that returns -1 and sets errno to ENOSYS"). Nothing here pretends to work: no argument is
// inspected, no output is written.
//
// Two groups (docs/dmapi.md has the full table):
//   planned      - will be implemented by the session/event and file-system layers;
//   not planned  - optional functions pfs-dmapi, like GPFS, does not support (inheritance,
//                  *_by_handle creation, object references) and SGI's non-standard
//                  dm_open_by_handle / dm_get_dioinfo; they stay ENOSYS stubs.
#include "dmapi.h"
#include "internal.hpp"

namespace {

int not_implemented() noexcept {
    return pfs::dmapi::fail(ENOSYS);
}

}  // namespace

extern "C" {

// ---- Planned: handles of file-system objects -------------------------------------------------

// PFS file descriptors belong to the client library (pfs::client::Client::open), numbered like
// kernel ones, so an int cannot say which it is: no fd handles (docs/dmapi.md).
int dm_fd_to_handle(int, void**, size_t*) {
    return not_implemented();
}

// ---- Not planned: optional XDSM functions (DM_CONFIG_* says so) and SGI additions -------------

int dm_clear_inherit(dm_sessid_t, void*, size_t, dm_token_t, dm_attrname_t*) {
    return not_implemented();
}
int dm_set_inherit(dm_sessid_t, void*, size_t, dm_token_t, dm_attrname_t*, mode_t) {
    return not_implemented();
}
int dm_getall_inherit(dm_sessid_t, void*, size_t, dm_token_t, unsigned int, dm_inherit_t*,
                      unsigned int*) {
    return not_implemented();
}
int dm_create_by_handle(dm_sessid_t, void*, size_t, dm_token_t, void*, size_t, char*) {
    return not_implemented();
}
int dm_mkdir_by_handle(dm_sessid_t, void*, size_t, dm_token_t, void*, size_t, char*) {
    return not_implemented();
}
int dm_symlink_by_handle(dm_sessid_t, void*, size_t, dm_token_t, void*, size_t, char*, char*) {
    return not_implemented();
}
int dm_obj_ref_hold(dm_sessid_t, dm_token_t, void*, size_t) {
    return not_implemented();
}
int dm_obj_ref_query(dm_sessid_t, dm_token_t, void*, size_t) {
    return not_implemented();
}
int dm_obj_ref_rele(dm_sessid_t, dm_token_t, void*, size_t) {
    return not_implemented();
}
int dm_open_by_handle(void*, size_t, int) {
    return not_implemented();
}
int dm_get_dioinfo(dm_sessid_t, void*, size_t, dm_token_t, dm_dioinfo_t*) {
    return not_implemented();
}

}  // extern "C"
