// The handle utilities: pure user-space functions, usable without dm_init_service() (as in SGI's
// libdm). A file handle is a whole SGI dm_handle_t {fsid, {len = 14, pad = 0, gen, ino}}
// (24 bytes); a file-system handle is the 8-byte fsid; DM_GLOBAL_HANP/DM_GLOBAL_HLEN is the
// global handle and is never dereferenced or freed.
//
// Errors (docs/dmapi.md "Handles"): EFAULT for a null output (or a null handle with a non-zero
// length), EINVAL for a malformed handle, EBADF for a well-formed handle of the wrong kind (a
// file-system or the global handle where a file handle is needed; the global handle where a file
// system is needed), ENOMEM when allocation fails. These are the errnos LTP's handle.c expects.
#include <cstdlib>
#include <cstring>

#include "dmapi.h"
#include "dmapi_pfs.h"
#include "internal.hpp"

namespace pfs::dmapi {

static_assert(sizeof(dm_handle_t) == 24 && sizeof(dm_fid_t) == 16);
static_assert(DM_PFS_HANDLE_LEN == 24 && DM_PFS_FSHANDLE_LEN == 8 && DM_PFS_FID_LEN == 14);

int parse_handle(const void* hanp, std::size_t hlen, ParsedHandle* out) noexcept {
    if (hanp == DM_GLOBAL_HANP) {
        if (hlen != DM_GLOBAL_HLEN) return EINVAL;
        *out = ParsedHandle{HandleKind::global, 0, 0, 0};
        return 0;
    }
    if (hanp == nullptr) return hlen == 0 ? EINVAL : EFAULT;  // (NULL, 0) is DM_INVALID_HANP/HLEN
    if (hlen == DM_PFS_FSHANDLE_LEN) {
        dm_fsid_t fsid;
        std::memcpy(&fsid, hanp, sizeof fsid);
        if (fsid == 0) return EINVAL;
        *out = ParsedHandle{HandleKind::filesystem, fsid, 0, 0};
        return 0;
    }
    if (hlen == DM_PFS_HANDLE_LEN) {
        dm_handle_t h;
        std::memcpy(&h, hanp, sizeof h);
        if (h.ha_fsid == 0 || h.ha_fid.dm_fid_len != DM_PFS_FID_LEN || h.ha_fid.dm_fid_pad != 0)
            return EINVAL;
        *out = ParsedHandle{HandleKind::file, h.ha_fsid, h.ha_fid.dm_fid_ino, h.ha_fid.dm_fid_gen};
        return 0;
    }
    return EINVAL;  // including length 1 at any address other than DM_GLOBAL_HANP
}

}  // namespace pfs::dmapi

namespace {

using pfs::dmapi::fail;
using pfs::dmapi::HandleKind;
using pfs::dmapi::parse_handle;
using pfs::dmapi::ParsedHandle;

// Copies n bytes into a fresh malloc() block (what dm_handle_free() releases).
int alloc_copy(const void* src, std::size_t n, void** hanpp, std::size_t* hlenp) noexcept {
    void* p = std::malloc(n);
    if (p == nullptr) return fail(ENOMEM);
    std::memcpy(p, src, n);
    *hanpp = p;
    *hlenp = n;
    return 0;
}

}  // namespace

extern "C" {

dm_boolean_t dm_handle_is_valid(void* hanp, size_t hlen) {
    ParsedHandle h;
    return parse_handle(hanp, hlen, &h) == 0 ? DM_TRUE : DM_FALSE;
}

// A total order that never dereferences DM_GLOBAL_HANP or a null pointer: by length first, the
// global handle before any other of length 1, then bytewise. Handles need not be valid.
int dm_handle_cmp(void* hanp1, size_t hlen1, void* hanp2, size_t hlen2) {
    if (hlen1 != hlen2) return hlen1 < hlen2 ? -1 : 1;
    const bool g1 = hanp1 == DM_GLOBAL_HANP;
    const bool g2 = hanp2 == DM_GLOBAL_HANP;
    if (g1 || g2) return g1 == g2 ? 0 : (g1 ? -1 : 1);
    if (hanp1 == hanp2 || hlen1 == 0) return 0;
    if (hanp1 == nullptr || hanp2 == nullptr) return hanp1 == nullptr ? -1 : 1;
    const int r = std::memcmp(hanp1, hanp2, hlen1);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

// FNV-1a over the handle bytes; consistent with dm_handle_cmp (equal handles, equal hashes).
unsigned int dm_handle_hash(void* hanp, size_t hlen) {
    std::uint32_t h = 2166136261u;
    if (hanp == DM_GLOBAL_HANP) return h ^ 0x676c6f62u;  // fixed, not read from address 1
    if (hanp == nullptr) return h;
    const auto* p = static_cast<const unsigned char*>(hanp);
    for (std::size_t i = 0; i < hlen; ++i) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

void dm_handle_free(void* hanp, size_t /*hlen*/) {
    if (hanp == nullptr || hanp == DM_GLOBAL_HANP) return;
    std::free(hanp);
}

int dm_handle_to_fsid(void* hanp, size_t hlen, dm_fsid_t* fsidp) {
    if (fsidp == nullptr) return fail(EFAULT);
    ParsedHandle h;
    if (int err = parse_handle(hanp, hlen, &h)) return fail(err);
    if (h.kind == HandleKind::global) return fail(EBADF);
    *fsidp = h.fsid;
    return 0;
}

int dm_handle_to_ino(void* hanp, size_t hlen, dm_ino_t* inop) {
    if (inop == nullptr) return fail(EFAULT);
    ParsedHandle h;
    if (int err = parse_handle(hanp, hlen, &h)) return fail(err);
    if (h.kind != HandleKind::file) return fail(EBADF);
    *inop = h.ino;
    return 0;
}

int dm_handle_to_igen(void* hanp, size_t hlen, dm_igen_t* igenp) {
    if (igenp == nullptr) return fail(EFAULT);
    ParsedHandle h;
    if (int err = parse_handle(hanp, hlen, &h)) return fail(err);
    if (h.kind != HandleKind::file) return fail(EBADF);
    *igenp = h.igen;
    return 0;
}

int dm_handle_to_fshandle(void* hanp, size_t hlen, void** fshanpp, size_t* fshlenp) {
    if (fshanpp == nullptr || fshlenp == nullptr) return fail(EFAULT);
    ParsedHandle h;
    if (int err = parse_handle(hanp, hlen, &h)) return fail(err);
    if (h.kind == HandleKind::global) return fail(EBADF);
    return alloc_copy(&h.fsid, sizeof h.fsid, fshanpp, fshlenp);
}

int dm_make_handle(dm_fsid_t* fsidp, dm_ino_t* inop, dm_igen_t* igenp, void** hanpp,
                   size_t* hlenp) {
    if (fsidp == nullptr || inop == nullptr || igenp == nullptr || hanpp == nullptr ||
        hlenp == nullptr)
        return fail(EFAULT);
    if (*fsidp == 0) return fail(EINVAL);  // would not be a valid handle: fsid 0 is never used
    dm_handle_t h;
    std::memset(&h, 0, sizeof h);
    h.ha_fsid = *fsidp;
    h.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
    h.ha_fid.dm_fid_pad = 0;
    h.ha_fid.dm_fid_gen = *igenp;
    h.ha_fid.dm_fid_ino = *inop;
    return alloc_copy(&h, sizeof h, hanpp, hlenp);
}

int dm_make_fshandle(dm_fsid_t* fsidp, void** hanpp, size_t* hlenp) {
    if (fsidp == nullptr || hanpp == nullptr || hlenp == nullptr) return fail(EFAULT);
    if (*fsidp == 0) return fail(EINVAL);
    return alloc_copy(fsidp, sizeof *fsidp, hanpp, hlenp);
}

}  // extern "C"
