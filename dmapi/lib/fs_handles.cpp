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

}  // extern "C"
