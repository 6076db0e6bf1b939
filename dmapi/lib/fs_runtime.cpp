// The PFS client of libdmapi's file-system functions (fs_runtime.hpp).
#include "fs_runtime.hpp"

#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "dmapi_pfs.h"
#include "internal.hpp"
#include "mpi_tools/job.hpp"

namespace pfs::dmapi {

namespace {
std::mutex g_mu;
std::unique_ptr<pfs::client::Client> g_client;
}  // namespace

pfs::client::Client* fs_client() noexcept {
    std::lock_guard lk(g_mu);
    if (g_client) return g_client.get();
    // After dm_init_service MPI is up only if this process is a rank of a job, whose Job the
    // runtime made (a Job made outside libdmapi makes dm_init_service fail with EBUSY).
    int mpi_up = 0;
    MPI_Initialized(&mpi_up);
    if (!service_initialized() || !mpi_up) return nullptr;
    try {
        auto opt = pfs::client::ClientOptions::from_env();
        opt.dm_events = false;  // DM calls raise no events; the program's client caches
        auto c = std::make_unique<pfs::client::Client>(mpi_tools::Job::get(), opt);
        if (c->connect_error() != 0) return nullptr;
        g_client = std::move(c);
    } catch (...) {
        return nullptr;
    }
    return g_client.get();
}

int fs_target(dm_sessid_t sid, const void* hanp, std::size_t hlen, dm_token_t token,
              unsigned accept, Target* out) noexcept {
    if (!service_initialized()) return ENOSYS;
    if (sid == DM_NO_SESSION) return EINVAL;
    ParsedHandle p;
    if (int e = parse_handle(hanp, hlen, &p)) return e;
    if (p.kind == HandleKind::global) return EINVAL;
    if (p.kind == HandleKind::filesystem && (!(accept & kFs) || token != DM_NO_TOKEN))
        return EINVAL;
    if (p.kind == HandleKind::file && !(accept & kFile)) return EINVAL;
    auto* c = fs_client();
    if (c == nullptr) return ENOTCONN;
    // GPFS: "Any DMAPI function calls referencing that file system fail with an EPERM error".
    if (!c->fs_info().dmapi && p.fsid == c->fs_info().fsid) return EPERM;
    out->client = c;
    out->is_fs = p.kind == HandleKind::filesystem;
    out->handle = pfs::Handle{p.fsid, out->is_fs ? 0 : p.ino, out->is_fs ? 0 : p.igen};
    return 0;
}

int alloc_handle(const pfs::Handle& h, void** hanpp, std::size_t* hlenp) noexcept {
    if (h.ino == 0) {
        void* m = std::malloc(DM_PFS_FSHANDLE_LEN);
        if (m == nullptr) return ENOMEM;
        std::memcpy(m, &h.fsid, DM_PFS_FSHANDLE_LEN);
        *hanpp = m;
        *hlenp = DM_PFS_FSHANDLE_LEN;
        return 0;
    }
    dm_handle_t x{};
    x.ha_fsid = h.fsid;
    x.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
    x.ha_fid.dm_fid_gen = h.gen;
    x.ha_fid.dm_fid_ino = h.ino;
    void* m = std::malloc(sizeof x);
    if (m == nullptr) return ENOMEM;
    std::memcpy(m, &x, sizeof x);
    *hanpp = m;
    *hlenp = sizeof x;
    return 0;
}

}  // namespace pfs::dmapi
