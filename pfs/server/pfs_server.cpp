// pfs-server: the program of meta and data ranks (pfs-run starts it with no arguments).
//
//  - Reads <cluster root>/superblock.json and checks that its volume counts match the job's
//    layout (else the job is aborted with code 2 and the pfs-mkfs line to run).
//  - meta rank 0 serves the namespace from the MetaStore on volume meta_volumes[0]; further
//    meta ranks stand by: they answer health checks, and PFS requests with EOPNOTSUPP.
//  - data rank i serves the ObjectStore on volume data_volumes[i] (quota from the superblock).
//  - When a meta or data rank dies, a survivor adopts its volume (volume_server.hpp).
//  - Every PFS request type gets an answer: a handler queues it on a worker pool and the worker
//    replies with the response struct carrying the errno (service.hpp). The rank then serves
//    until the job's leader shuts the job down.
//  - The first meta rank also serves the `pfs` command through <run dir>/pfs/pfs.sock
//    (cli_server.hpp); the adopter of its metadata volume takes that over when it dies.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "cli_server.hpp"
#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/meta/superblock.hpp"
#include "request_delay.hpp"
#include "service.hpp"
#include "volume_server.hpp"

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
    if (std::string why; !pfs::server::load_request_delays(&why))
        job.abort(2, "PFS_SERVER_DELAY_MS: " + why);
    // A job with dm ranks is a DMAPI job: every rank starts the DMAPI core (collective; the
    // session manager is the first meta rank). On a thread of its own, so that serving never
    // waits for the start-up barrier.
    // The pfs command's server comes after the DMAPI core, whose event sink its client uses.
    const bool cli = job.rank() == job.layout().first_rank(Role::meta);
    if (job.layout().count_of(Role::dm) > 0)
        std::thread([&job, cli] {
            dmapi::events::start(job);
            if (cli) pfs::server::start_cli_server(job);
        }).detach();
    else if (cli)
        pfs::server::start_cli_server(job);
    // Until the service is up every PFS request is answered "not ready" (EAGAIN: retry).
    auto& t = job.transport();
    using pfs::server::Requests;
    pfs::server::refuse(t, Requests::all, EAGAIN);

    // Stores and pools live until the process exits (serve_until_shutdown never returns).
    auto* volumes = new pfs::server::VolumeServer(job, load_superblock(job));
    volumes->start();
    // After start(): its adoption listener runs first, so the metadata volume is served here
    // before the command's client can exist.
    if (!cli) pfs::server::take_over_cli_server(job);
    job.serve_until_shutdown();
}
