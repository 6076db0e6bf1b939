// dm_path_to_handle / dm_path_to_fshandle: PFS paths ("/dir/file", or with ROMIO's "pfs:"
// prefix) to handles. The final symlink is followed (SGI opens the path).
#include <cstring>
#include <string_view>

#include "dmapi.h"
#include "fs_runtime.hpp"
#include "internal.hpp"

namespace {

using namespace pfs::dmapi;

int path_handle(const char* path, void** hanpp, std::size_t* hlenp, bool fs) noexcept {
    if (!service_initialized()) return fail(ENOSYS);
    if (path == nullptr || hanpp == nullptr || hlenp == nullptr) return fail(EFAULT);
    std::string_view p(path);
    if (p.starts_with("pfs:")) p.remove_prefix(4);
    if (p.empty() || p.front() != '/') return fail(EINVAL);  // not a PFS path
    auto* c = fs_client();
    if (c == nullptr) return fail(ENOTCONN);
    if (!c->fs_info().dmapi) return fail(EPERM);  // DMAPI disabled on the file system
    auto a = c->stat(p);
    if (!a) return fail(a.error());
    pfs::Handle h = c->handle_of(*a);
    if (fs) h = pfs::Handle{h.fsid, 0, 0};
    if (int e = alloc_handle(h, hanpp, hlenp)) return fail(e);
    return 0;
}

}  // namespace

extern "C" {

int dm_path_to_handle(char* path, void** hanpp, size_t* hlenp) {
    return path_handle(path, hanpp, hlenp, false);
}

int dm_path_to_fshandle(char* path, void** hanpp, size_t* hlenp) {
    return path_handle(path, hanpp, hlenp, true);
}

// The absolute PFS path ("/a/b/name") of the object targhanp, named as an entry of the directory
// dirhanp (a file with several links has one path per directory). E2BIG with *rlenp = the size
// needed (with the NUL); ENOENT when the target is not an entry of that directory; EINVAL for
// malformed or non-file handles (a file-system or global handle), ENOTDIR-as-EINVAL when dirhanp
// is no directory; EBADF for handles of nothing; EPERM when DMAPI is disabled.
int dm_handle_to_path(void* dirhanp, size_t dirhlen, void* targhanp, size_t targhlen, size_t buflen,
                      char* pathbufp, size_t* rlenp) {
    if (!service_initialized()) return fail(ENOSYS);
    if (rlenp == nullptr) return fail(EFAULT);
    ParsedHandle d, t;
    if (int e = parse_handle(dirhanp, dirhlen, &d)) return fail(e);
    if (int e = parse_handle(targhanp, targhlen, &t)) return fail(e);
    if (d.kind != HandleKind::file || t.kind != HandleKind::file) return fail(EINVAL);
    auto* c = fs_client();
    if (c == nullptr) return fail(ENOTCONN);
    if (!c->fs_info().dmapi) return fail(EPERM);
    if (d.fsid != c->fs_info().fsid || t.fsid != c->fs_info().fsid) return fail(EBADF);
    auto p = c->path_in_dir(pfs::Handle{d.fsid, d.ino, d.igen}, pfs::Handle{t.fsid, t.ino, t.igen});
    if (!p) return fail(p.error() == ENOTDIR ? EINVAL : p.error());
    *rlenp = p->size() + 1;
    if (buflen < p->size() + 1) return fail(E2BIG);
    if (pathbufp == nullptr) return fail(EFAULT);
    std::memcpy(pathbufp, p->c_str(), p->size() + 1);
    return 0;
}

}  // extern "C"
