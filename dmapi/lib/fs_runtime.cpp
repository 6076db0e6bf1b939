// The PFS client of libdmapi's file-system functions (fs_runtime.hpp).
#include "fs_runtime.hpp"

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
mpi_tools::Job* g_job = nullptr;
std::unique_ptr<pfs::client::Client> g_client;
}  // namespace

void attach_job(mpi_tools::Job& job) {
    std::lock_guard lk(g_mu);
    if (g_job == nullptr) g_job = &job;
}

pfs::client::Client* fs_client() noexcept {
    std::lock_guard lk(g_mu);
    if (g_client) return g_client.get();
    if (g_job == nullptr) return nullptr;
    try {
        auto opt = pfs::client::ClientOptions::from_env();
        opt.dm_events = false;  // DM calls raise no events; the program's client caches
        auto c = std::make_unique<pfs::client::Client>(*g_job, opt);
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
    if (c == nullptr) return ENXIO;
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
