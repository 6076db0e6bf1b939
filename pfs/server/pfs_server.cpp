// pfs-server: the program of meta and data ranks (pfs-run starts it with no arguments).
//
//  - Reads <cluster root>/superblock.json and checks that its volume counts match the job's
//    layout (else the job is aborted with code 2 and the pfs-mkfs line to run).
//  - meta rank 0 serves the namespace from the MetaStore on volume meta_volumes[0]; further
//    meta ranks stand by: they answer health checks, and PFS requests with EOPNOTSUPP.
//  - data rank i serves the ObjectStore on volume data_volumes[i] (quota from the superblock).
//  - Every PFS request type gets an answer: a handler queues it on a worker pool and the worker
//    replies with the response struct carrying the errno (service.hpp). The rank then serves
//    until the job's leader shuts the job down.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/data/object_store.hpp"
#include "pfs/meta/meta_store.hpp"
#include "pfs/meta/superblock.hpp"
#include "server_config.hpp"
#include "service.hpp"
#include "worker_pool.hpp"

namespace {

using mpi_tools::Role;

std::string mkfs_hint(const mpi_tools::Job& job) {
    const auto& L = job.layout();
    return "run pfs-mkfs --root " + job.root() + " --meta " +
           std::to_string(L.count_of(Role::meta)) + " --data " +
           std::to_string(L.count_of(Role::data));
}

pfs::meta::Superblock load_superblock(mpi_tools::Job& job) {
    std::string why;
    auto sb = pfs::meta::Superblock::load(job.root(), &why);
    if (!sb) {
        const std::string what = sb.error() == ENOENT
                                     ? "no file system under " + job.root()
                                     : "unusable superblock under " + job.root() + ": " + why;
        job.abort(2, what + "; " + mkfs_hint(job));
    }
    const auto& L = job.layout();
    if (sb->meta_volumes.size() != static_cast<std::size_t>(L.count_of(Role::meta)) ||
        sb->data_volumes.size() != static_cast<std::size_t>(L.count_of(Role::data))) {
        job.abort(2, "the file system under " + job.root() + " has " +
                         std::to_string(sb->meta_volumes.size()) + " meta and " +
                         std::to_string(sb->data_volumes.size()) +
                         " data volumes but the job has " + L.to_string() +
                         "; use a matching layout or " + mkfs_hint(job) + " --force");
    }
    return *sb;
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    const Role role = job.role();
    if (role != Role::meta && role != Role::data) {
        std::fprintf(stderr,
                     "pfs-server: rank %d has role %s; pfs-server runs meta and data ranks\n",
                     job.rank(), std::string(mpi_tools::role_name(role)).c_str());
        job.abort(2, "pfs-server started on a non-server rank");
    }
    // A job with dm ranks is a DMAPI job: every rank starts the DMAPI core (collective; the
    // session manager is the first meta rank). On a thread of its own, so that serving never
    // waits for the start-up barrier.
    if (job.layout().count_of(Role::dm) > 0)
        std::thread([&job] { dmapi::events::start(job); }).detach();
    // Until the service is up every PFS request is answered "not ready" (EAGAIN: retry).
    auto& t = job.transport();
    using pfs::server::Requests;
    pfs::server::refuse(t, Requests::all, EAGAIN);

    const auto sb = load_superblock(job);
    const int index = job.layout().index_in_role(job.rank());
    const std::filesystem::path root(job.root());

    // Stores and pools live until the process exits (serve_until_shutdown never returns).
    std::unique_ptr<pfs::meta::MetaStore> meta;
    std::unique_ptr<pfs::data::ObjectStore> data;
    std::unique_ptr<pfs::server::WorkerPool> pool;
    namespace cfg = pfs::server::config;
    if (role == Role::meta && index == 0) {
        const auto dir = root / sb.meta_volumes[0];
        auto m = pfs::meta::MetaStore::open(dir);
        if (!m)
            job.abort(1, "meta rank cannot open metadata volume " + dir.string() + ": " +
                             std::strerror(m.error()));
        meta = std::move(*m);
        if (meta->fsid() != sb.fsid ||
            meta->data_servers() != static_cast<std::uint32_t>(sb.data_volumes.size()))
            job.abort(2, "metadata volume " + dir.string() +
                             " does not belong to the superblock's file system; " + mkfs_hint(job) +
                             " --force");
        pool = std::make_unique<pfs::server::WorkerPool>(cfg::kMetaWorkers, cfg::kQueueMaxRequests,
                                                         cfg::kQueueMaxBytes);
        pfs::server::serve_meta(t, *pool, *meta);
        pfs::server::serve_dm(t, *pool, *meta, job.ft());
        pfs::server::refuse(t, Requests::data, EOPNOTSUPP);
    } else if (role == Role::data) {
        const auto dir = root / sb.data_volumes[static_cast<std::size_t>(index)];
        pfs::data::ObjectStoreOptions opt;
        opt.quota_bytes = sb.quota_per_volume;
        auto d = pfs::data::ObjectStore::open(dir, opt);
        if (!d)
            job.abort(1, "data rank cannot open data volume " + dir.string() + ": " +
                             std::strerror(d.error()));
        data = std::move(*d);
        pool = std::make_unique<pfs::server::WorkerPool>(cfg::kDataWorkers, cfg::kQueueMaxRequests,
                                                         cfg::kQueueMaxBytes);
        pfs::server::serve_data(t, *pool, *data);
        pfs::server::refuse(t, Requests::meta, EOPNOTSUPP);
    } else {
        // A standby meta rank (meta index > 0): health checks only (answered by the engine);
        // PFS requests are refused so that a misdirected client fails fast.
        pfs::server::refuse(t, Requests::all, EOPNOTSUPP);
    }
    job.serve_until_shutdown();
}
