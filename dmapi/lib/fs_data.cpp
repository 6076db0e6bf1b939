// Invisible I/O and data management by handle: dm_read_invis, dm_write_invis (no events, no
// atime/mtime from reads; a write past the end extends the size like a user write and so
// updates mtime: see docs/dmapi-events.md), dm_punch_hole, dm_get_allocinfo, dm_sync_by_handle.
#include <algorithm>

#include "dmapi.h"
#include "fs_runtime.hpp"
#include "internal.hpp"

namespace {

using namespace pfs::dmapi;

dm_ssize_t fail_ssize(int err) noexcept {
    errno = err;
    return -1;
}

}  // namespace

extern "C" {

dm_ssize_t dm_read_invis(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, dm_off_t off,
                         dm_size_t len, void* bufp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail_ssize(e);
    if (off < 0) return fail_ssize(EINVAL);
    if (len > 0 && bufp == nullptr) return fail_ssize(EFAULT);
    auto n = t.client->read_invis(t.handle, bufp, len, static_cast<std::uint64_t>(off));
    if (!n) return fail_ssize(n.error());
    return static_cast<dm_ssize_t>(*n);
}

dm_ssize_t dm_write_invis(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, int flags,
                          dm_off_t off, dm_size_t len, void* bufp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail_ssize(e);
    if (off < 0 || (flags & ~DM_WRITE_SYNC) != 0) return fail_ssize(EINVAL);
    if (len > 0 && bufp == nullptr) return fail_ssize(EFAULT);
    auto n = t.client->write_invis(t.handle, bufp, len, static_cast<std::uint64_t>(off),
                                   (flags & DM_WRITE_SYNC) != 0);
    if (!n) return fail_ssize(n.error());
    return static_cast<dm_ssize_t>(*n);
}

// len 0: to the end of the file. The size does not change; reads of the hole return zeros.
int dm_punch_hole(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, dm_off_t off,
                  dm_size_t len) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (off < 0) return fail(EINVAL);
    auto r = t.client->punch_hole(t.handle, static_cast<std::uint64_t>(off), len);
    if (!r) return fail(r.error());
    return 0;
}

// The hole dm_punch_hole(off, len) would make. PFS punches are exact to the byte (partial blocks
// are zeroed, whole ones freed), so it is [off, off + len): *roffp = off, *rlenp = len, and 0
// when len is 0 or reaches the end of the file (the hole then extends to the end). off at or
// past the size: EINVAL (nothing to punch); a directory or symlink: EINVAL.
int dm_probe_hole(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, dm_off_t off,
                  dm_size_t len, dm_off_t* roffp, dm_size_t* rlenp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (roffp == nullptr || rlenp == nullptr) return fail(EFAULT);
    if (off < 0) return fail(EINVAL);
    auto st = t.client->dm_get(t.handle);
    if (!st) return fail(st.error());
    if (st->attr.type != pfs::FileType::file) return fail(EINVAL);
    const auto uoff = static_cast<std::uint64_t>(off);
    const std::uint64_t size = st->attr.size;
    if (uoff >= size) return fail(EINVAL);
    *roffp = off;
    *rlenp = (len == 0 || len >= size - uoff) ? 0 : len;
    return 0;
}

// The allocation from *offp: resident (DM_EXTENT_RES) and hole runs up to the size, at most
// nelem of them. Returns 1 with *offp at the next run when more remain, 0 after the last one
// (*offp = the size). An offset at or past the size: no extents, 0.
int dm_get_allocinfo(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token, dm_off_t* offp,
                     unsigned int nelem, dm_extent_t* extentp, unsigned int* nelemp) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    if (offp == nullptr || extentp == nullptr || nelemp == nullptr) return fail(EFAULT);
    if (nelem == 0 || *offp < 0) return fail(EINVAL);
    auto map = t.client->alloc_map(t.handle, static_cast<std::uint64_t>(*offp));
    if (!map) return fail(map.error());
    const std::size_t n = std::min<std::size_t>(nelem, map->size());
    for (std::size_t i = 0; i < n; ++i) {
        dm_extent_t x{};
        x.ex_type = (*map)[i].is_data ? DM_EXTENT_RES : DM_EXTENT_HOLE;
        x.ex_offset = static_cast<dm_off_t>((*map)[i].offset);
        x.ex_length = (*map)[i].length;
        extentp[i] = x;
    }
    *nelemp = static_cast<unsigned>(n);
    if (n < map->size()) {
        *offp = static_cast<dm_off_t>((*map)[n].offset);
        return 1;
    }
    if (n > 0) *offp = static_cast<dm_off_t>(map->back().offset + map->back().length);
    return 0;
}

int dm_sync_by_handle(dm_sessid_t sid, void* hanp, size_t hlen, dm_token_t token) {
    Target t;
    if (int e = fs_target(sid, hanp, hlen, token, kFile, &t)) return fail(e);
    auto r = t.client->sync_handle(t.handle);
    if (!r) return fail(r.error());
    return 0;
}

}  // extern "C"
