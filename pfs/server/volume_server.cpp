#include "volume_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "pfs/common/storage.hpp"
#include "server_config.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {
using mpi_tools::Role;
using Clock = std::chrono::steady_clock;

std::string mkfs_hint(const mpi_tools::Job& job) {
    const auto& L = job.layout();
    return "run pfs-mkfs --root " + job.root() + " --meta " +
           std::to_string(L.count_of(Role::meta)) + " --data " +
           std::to_string(L.count_of(Role::data));
}

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

VolumeServer::VolumeServer(mpi_tools::Job& job, meta::Superblock sb)
    : job_(job), sb_(std::move(sb)) {}

void VolumeServer::start() {
    auto& t = job_.transport();
    const auto& L = job_.layout();
    {
        std::lock_guard lk(mu_);
        // At start-up every rank is live: the map is the layout itself.
        std::vector<int> all;
        for (int r = 0; r < L.total(); ++r) all.push_back(r);
        const mpi_tools::VolumeMap map(L, all);
        if (map.serves_meta(job_.rank())) {
            serve_meta_volume(false);
            refuse(t, Requests::data, EOPNOTSUPP);
        } else if (job_.role() == Role::data) {
            for (auto v : map.data_volumes_of(job_.rank())) open_data_volume(v);
            refuse(t, Requests::meta, EOPNOTSUPP);
        } else {
            // A standby meta rank: health checks only (answered by the engine); PFS requests
            // are refused so that a misdirected client fails fast. It adopts the metadata
            // volume if meta rank 0 dies.
            refuse(t, Requests::all, EOPNOTSUPP);
        }
    }
    job_.on_recovered([this](const std::vector<int>& members) {
        adopt(mpi_tools::VolumeMap(job_.layout(), members));
        end_delegations(members);
    });
}

void VolumeServer::adopt(const mpi_tools::VolumeMap& map) {
    std::lock_guard lk(mu_);
    const int me = job_.rank();
    if (map.serves_meta(me) && !meta_) {
        const auto t0 = Clock::now();
        serve_meta_volume(true);
        std::fprintf(stderr, "pfs-server[%d]: adopted the metadata volume %s in %.1f ms\n", me,
                     sb_.meta_volumes[0].c_str(), ms_since(t0));
    }
    for (auto v : map.data_volumes_of(me)) {
        if (data_.contains(v)) continue;
        const auto t0 = Clock::now();
        open_data_volume(v);
        std::fprintf(stderr, "pfs-server[%d]: adopted data volume %u (%s) in %.1f ms\n", me, v,
                     sb_.data_volumes[v].c_str(), ms_since(t0));
    }
}

void VolumeServer::serve_meta_volume(bool adopted) {
    namespace cfg = config;
    const auto dir = std::filesystem::path(job_.root()) / sb_.meta_volumes[0];
    meta::OpenOptions opt;
    const char* sync = std::getenv("PFS_META_SYNC");
    opt.sync = pfs::config::kDefaultMetaSync;
    if (sync != nullptr && *sync != '\0') {
        if (std::strcmp(sync, "full") == 0)
            opt.sync = pfs::config::MetaSync::full;
        else if (std::strcmp(sync, "process") == 0)
            opt.sync = pfs::config::MetaSync::process;
        else
            job_.abort(2, std::string("PFS_META_SYNC=") + sync + ": want process or full");
    }
    if (const char* wm = std::getenv("PFS_META_WRITEMAP"); wm != nullptr && *wm != '\0') {
        if (std::strcmp(wm, "0") != 0 && std::strcmp(wm, "1") != 0)
            job_.abort(2, std::string("PFS_META_WRITEMAP=") + wm + ": want 0 or 1");
        opt.write_map = *wm == '1';
    }
    auto m = meta::MetaStore::open(dir, opt);
    if (!m)
        job_.abort(1,
                   "cannot open metadata volume " + dir.string() + ": " + std::strerror(m.error()));
    if ((*m)->fsid() != sb_.fsid ||
        (*m)->data_servers() != static_cast<std::uint32_t>(sb_.data_volumes.size()))
        job_.abort(2, "metadata volume " + dir.string() +
                          " does not belong to the superblock's file system; " + mkfs_hint(job_) +
                          " --force");
    meta_ = std::move(*m);
    meta_pool_ = std::make_unique<WorkerPool>(cfg::kMetaWorkers, cfg::kQueueMaxRequests,
                                              cfg::kQueueMaxBytes);
    // The leases of the store's paths; an adopter does not know the dead server's, and answers
    // changes only once those ran out.
    leases_ =
        std::make_unique<AttrLeases>(job_.transport(), pfs::config::kAttrLease,
                                     adopted ? std::chrono::milliseconds(pfs::config::kAttrLease)
                                             : std::chrono::milliseconds(0));
    meta_->set_change_observer(
        [l = leases_.get()](const std::vector<meta::InodeChange>& c) { l->changed(c); });
    // Directory delegations: the store's records are the truth. A fresh start ends them all
    // (the holders were ranks of an earlier job); an adopter keeps those of live holders.
    delegations_ = std::make_unique<DirDelegations>(job_.ft(), *leases_);
    if (auto held = meta_->delegations(); held) {
        for (const auto& d : *held) {
            if (adopted && !job_.ft().is_failed(d.holder))
                delegations_->granted(d.dir, d.holder);
            else
                (void)meta_->end_delegation(d.dir);
        }
    }
    meta_->set_access_guard([d = delegations_.get()](Ino ino) { return d->guard(ino); });
    // Registering replaces this rank's refusals of the metadata types.
    // Changes run on the progress thread only when their commits can never wait: no fsync
    // (process) and a volume in memory.
    serve_meta(job_.transport(), *meta_pool_, *meta_, job_.rank(),
               opt.sync == pfs::config::MetaSync::process && pfs::in_memory_volume(dir), *leases_,
               *delegations_);
    serve_dm(job_.transport(), *meta_pool_, *meta_, job_.ft(), *leases_);
}

void VolumeServer::end_delegations(const std::vector<int>& live) {
    std::lock_guard lk(mu_);
    if (!meta_ || !delegations_) return;
    for (Ino dir : delegations_->take_dead(live)) {
        if (auto r = meta_->end_delegation(dir); !r)
            std::fprintf(stderr, "pfs-server[%d]: ending the delegation of directory %llu: %s\n",
                         job_.rank(), static_cast<unsigned long long>(dir),
                         std::strerror(r.error()));
    }
}

void VolumeServer::open_data_volume(std::uint32_t v) {
    namespace cfg = config;
    const auto dir = std::filesystem::path(job_.root()) / sb_.data_volumes[v];
    data::ObjectStoreOptions opt;
    opt.quota_bytes = sb_.quota_per_volume;
    auto d = data::ObjectStore::open(dir, opt);
    if (!d)
        job_.abort(1, "cannot open data volume " + dir.string() + ": " + std::strerror(d.error()));
    data_.add(v, std::move(*d));
    if (!data_served_) {
        data_pool_ = std::make_unique<WorkerPool>(cfg::kDataWorkers, cfg::kQueueMaxRequests,
                                                  cfg::kQueueMaxBytes);
        serve_data(job_.transport(), *data_pool_, data_);
        data_served_ = true;
    }
}

}  // namespace pfs::server
