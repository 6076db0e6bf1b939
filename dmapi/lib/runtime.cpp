// The runtime of libdmapi in a job: what dm_init_service() does so that a C XDSM program, which
// never calls MPI itself, becomes a working rank of the pfs-run job it was started in, and how
// that rank ends.
//
// Joining (docs/dmapi.md "A C DM application in a job"):
//   - PFS_LAYOUT set (pfs-run started this process) and MPI not initialized: mpi_tools::Job::init
//     with FailurePolicy::continue_job (a DM application must outlive other ranks' failures; a
//     service rank's failure still ends the job, as Job decides), then Node::start (collective:
//     every rank of the job calls it once).
//   - MPI already initialized: the program made the Job itself (a C++ program linked to this
//     library must let it do so: the Job inside libdmapi.so is the only one it can see); joining
//     then is EBUSY unless this library made it.
//   - Neither: no job. The handle and configuration calls work; session and event calls give
//     ENOTCONN. So do they in a PFS job without dm ranks (no DMAPI job: its servers do not start
//     the core), but the process is a rank of that job and ends as one.
//
// The end, when this library made the Job (it owns the rank's exit):
//   - compute ranks (and every rank of a plain job): main() returning or exit(status) runs an
//     on_exit handler that flushes asynchronous events and calls Job::finish(status), so the
//     job's exit code is the application's;
//   - service ranks (dm, meta, data): a thread waits in Job::serve_until_shutdown from
//     dm_init_service on, so a DM application blocked in dm_get_events(DM_EV_WAIT) does not keep
//     the job from ending; when the application returns first, its rank stays until the job's
//     shutdown, as service ranks do.
#include <mpi.h>
#include <stdlib.h>  // on_exit (glibc)
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "dmapi/core/node.hpp"
#include "internal.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/launch_contract.hpp"
#include "pfs/meta/superblock.hpp"

namespace {

enum class State : int { not_joined = 0, joined = 1, no_job = 2 };

std::mutex g_mu;
std::atomic<State> g_state{State::not_joined};
std::atomic<dm_fsid_t> g_fsid{0};
std::atomic<bool> g_dmapi{true};
bool g_own_job = false;  // this library called Job::init (under g_mu)
bool g_core_started = false;

dm_fsid_t read_job_fsid(const mpi_tools::Job& job) {
    if (job.root().empty()) return 0;
    auto sb = pfs::meta::Superblock::load(job.root());
    if (sb) g_dmapi.store(sb->dmapi, std::memory_order_release);
    return sb ? sb->fsid : 0;
}

// glibc on_exit: the exit status of main()'s return or exit(). Runs before the static
// destructors of everything constructed before dm_init_service, and never returns, so none of
// them runs while the job still uses them.
void end_of_program(int status, void*) {
    auto& job = mpi_tools::Job::get();
    std::fflush(stdout);
    if (job.is_app_rank()) {
        const auto lost = g_core_started ? dmapi::core::Node::get().flush_async() : 0;
        if (lost)
            std::fprintf(stderr, "libdmapi[%d]: %llu asynchronous events were lost at exit\n",
                         job.rank(), static_cast<unsigned long long>(lost));
        job.finish(status);
    }
    if (status != 0)
        std::fprintf(stderr,
                     "libdmapi[%d]: the DM application of this %s rank exited with status %d; the "
                     "rank stays until the job's shutdown\n",
                     job.rank(), std::string(mpi_tools::role_name(job.role())).c_str(), status);
    // The thread in serve_until_shutdown ends the process.
    for (;;) pause();
}

int join_locked() {
    int mpi_up = 0;
    MPI_Initialized(&mpi_up);
    if (mpi_up && !g_own_job) {
        // Job::init returns the existing Job when this library's copy made it; here MPI was
        // initialized by someone else, and a second MPI_Init would be erroneous.
        std::fprintf(stderr,
                     "libdmapi: MPI was initialized outside libdmapi; a DMAPI program lets "
                     "dm_init_service join the job\n");
        return EBUSY;
    }
    const char* layout = std::getenv(mpi_tools::launch::kEnvLayout);
    if (!mpi_up && (layout == nullptr || *layout == '\0')) {
        g_state.store(State::no_job, std::memory_order_release);
        return 0;
    }
    auto& job = mpi_tools::Job::init(nullptr, nullptr, mpi_tools::FailurePolicy::continue_job);
    g_own_job = true;
    // A PFS job without dm ranks is no DMAPI job: its servers do not start the core, so neither
    // does this rank (the start-up barrier would only time out); it is a rank of the job all the
    // same, and its session calls give ENOTCONN.
    const auto& l = job.layout();
    const bool dmapi_job = l.plain || l.count_of(mpi_tools::Role::dm) > 0;
    if (dmapi_job) {
        dmapi::core::Node::start(job);
        g_fsid.store(read_job_fsid(job), std::memory_order_release);
    } else if (job.rank() == l.first_rank(job.role())) {
        std::fprintf(stderr,
                     "libdmapi: this job has no dm ranks, so no DMAPI session service (pfs-run "
                     "--dm N makes a DMAPI job)\n");
    }
    if (!job.is_app_rank()) std::thread([&job] { job.serve_until_shutdown(); }).detach();
    // Registered last: everything the job needs was constructed before, so it is destroyed (if
    // ever) after this handler, which does not return.
    g_core_started = dmapi_job;
    on_exit(end_of_program, nullptr);
    g_state.store(dmapi_job ? State::joined : State::no_job, std::memory_order_release);
    return 0;
}

}  // namespace

namespace pfs::dmapi {

int join_job() noexcept {
    std::lock_guard lk(g_mu);
    if (g_state.load(std::memory_order_acquire) != State::not_joined) return 0;
    try {
        return join_locked();
    } catch (...) {
        return ENOMEM;
    }
}

int require_core() noexcept {
    int err = 0;
    if (!service_initialized())
        err = ENOSYS;
    else if (g_state.load(std::memory_order_acquire) != State::joined)
        err = ENOTCONN;
    if (err) errno = err;
    return err;
}

dm_fsid_t job_fsid() noexcept {
    return g_fsid.load(std::memory_order_acquire);
}

bool job_dmapi_enabled() noexcept {
    return g_dmapi.load(std::memory_order_acquire);
}

}  // namespace pfs::dmapi
