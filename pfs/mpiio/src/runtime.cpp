// The job runtime under the driver: the native client, created on the first pfs: open from
// mpi_tools::Job::get(), and the interception of MPI_Init / MPI_Init_thread / MPI_Finalize that
// runs an unmodified application's rank through the Job.
//
// Recursion guard: Job::init itself calls MPI_Init_thread and Job::finish calls MPI_Finalize.
// Those calls come from the object that holds mpi_tools::Job (libmpi_tools.so), so a wrapper
// whose caller lies there (or in this library) goes straight to PMPI; a call from anywhere else
// is the application's and goes through the Job.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "dmapi/events/events.hpp"
#include "driver.hpp"
#include "mpi_tools/job.hpp"
#include "mpi_tools/launch_contract.hpp"
#include "mpi_tools/layout.hpp"
#include "pfs/client/client.hpp"
#include "pfs/client/event_sink.hpp"
#include "pfs/mpiio/mpiio.hpp"

namespace pfs::mpiio {
namespace {

std::atomic<bool> g_job_started{false};
std::mutex g_client_mu;
client::Client* g_client = nullptr;  // lives until exit (the Job outlives main too)
int g_client_err = MPI_SUCCESS;
bool g_client_tried = false;

const void* self_base() {
    static const void* base = [] {
        Dl_info info{};
        dladdr(reinterpret_cast<void*>(&self_base), &info);
        return info.dli_fbase;
    }();
    return base;
}

// The object holding mpi_tools::Job (the shared libmpi_tools, or this library or the program
// when it is linked in statically).
const void* job_base() {
    static const void* base = [] {
        Dl_info info{};
        dladdr(reinterpret_cast<void*>(&mpi_tools::Job::init), &info);
        return info.dli_fbase;
    }();
    return base;
}

// A call from the job runtime itself (Job::init, Job::finish) or from this library.
bool called_from_self(void* ret) {
    Dl_info info{};
    return dladdr(ret, &info) != 0 &&
           (info.dli_fbase == self_base() || info.dli_fbase == job_base());
}

// True when this process is a compute rank of a pfs-run PFS job (judged from the launch
// environment, before MPI exists): only then does MPI_Init start the Job. Service ranks and
// plain launches pass straight through, so a preload that leaks to them changes nothing.
bool is_pfs_compute_rank() {
    const char* text = std::getenv(mpi_tools::launch::kEnvLayout);
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (text == nullptr || *text == '\0' || rank == nullptr) return false;
    std::string err;
    auto l = mpi_tools::Layout::parse(text, &err);
    if (!l || l->count_of(mpi_tools::Role::meta) == 0) return false;
    return l->role_of(std::atoi(rank)) == mpi_tools::Role::compute;
}

std::atomic<bool> g_app_init_via_job{false};

}  // namespace

void note_job_started() {
    g_job_started = true;
}
bool job_started() {
    return g_job_started;
}

bool comm_is_app_only(MPI_Comm comm) {
    if (!job_started()) return true;
    const auto& job = mpi_tools::Job::get();
    MPI_Group g, world;
    if (PMPI_Comm_group(comm, &g) != MPI_SUCCESS) return true;
    PMPI_Comm_group(MPI_COMM_WORLD, &world);
    int n = 0;
    PMPI_Group_size(g, &n);
    std::vector<int> in(static_cast<std::size_t>(n)), out(in.size());
    for (int i = 0; i < n; ++i) in[static_cast<std::size_t>(i)] = i;
    PMPI_Group_translate_ranks(g, n, in.data(), world, out.data());
    PMPI_Group_free(&g);
    PMPI_Group_free(&world);
    for (int r : out)
        if (r == MPI_UNDEFINED || job.layout().role_of(r) != mpi_tools::Role::compute) return false;
    return true;
}

client::Client* get_client(int* err) {
    // Every driver operation asks for the client first: a DM abort recorded on this thread
    // before now belongs to an earlier operation (see client_error_code).
    client::reset_dm_abort();
    std::lock_guard lk(g_client_mu);
    if (g_client_tried) {
        *err = g_client_err;
        return g_client;
    }
    g_client_tried = true;
    if (!job_started()) {
        std::fprintf(stderr,
                     "pfs-mpiio: pfs: files need a PFS job (pfs-run) whose ranks start through "
                     "mpi_tools::Job::init or the intercepted MPI_Init\n");
        g_client_err = MPI_ERR_IO;
    } else {
        auto& job = mpi_tools::Job::get();
        if (!job.is_app_rank() || job.layout().count_of(mpi_tools::Role::meta) == 0 ||
            job.layout().count_of(mpi_tools::Role::data) == 0) {
            std::fprintf(stderr, "pfs-mpiio: rank %d is not a compute rank of a PFS job\n",
                         job.rank());
            g_client_err = MPI_ERR_IO;
        } else {
            auto c = std::make_unique<client::Client>(job);
            if (c->connect_error() != 0) {
                std::fprintf(stderr, "pfs-mpiio: PFS servers not reachable: %s\n",
                             std::strerror(c->connect_error()));
                g_client_err = MPI_ERR_IO;
            } else {
                g_client = c.release();
                serve_shared_fp(job.transport());
                serve_range_locks(job.transport());
            }
        }
    }
    *err = g_client_err;
    return g_client;
}

}  // namespace pfs::mpiio

namespace pfs::mpiio::detail {

bool called_from_runtime(void* ret) {
    return called_from_self(ret);
}

int init(int* argc, char*** argv, int required, int* provided, void* caller, bool thread) {
    if (called_from_self(caller) || !is_pfs_compute_rank()) {
        if (called_from_self(caller)) note_job_started();  // Job::init is running
        if (thread) return PMPI_Init_thread(argc, argv, required, provided);
        return PMPI_Init(argc, argv);
    }
    g_app_init_via_job = true;
    auto& job = mpi_tools::Job::init(argc, argv);
    // Like every program of a PFS job: the DMAPI core (in a job with dm ranks) and the client's
    // event sink, so MPI-IO raises the same DMAPI events as the native API.
    dmapi::events::start(job);
    // An unmodified program's MPI_COMM_WORLD would include the server ranks: from here on it
    // stands for the application communicator (world_shim.cpp).
    set_app_world(job.app_comm());
    map_fortran_world(job.app_comm());
    if (provided) *provided = MPI_THREAD_MULTIPLE;
    return MPI_SUCCESS;
}

int finalize(void* caller) {
    if (called_from_self(caller) || !job_started()) {
        drain_pool();
        return PMPI_Finalize();
    }
    // The application's own MPI_Finalize: the rank ends through the Job (which finalizes MPI
    // after the job-wide shutdown) with exit code 0; code after MPI_Finalize does not run.
    // The driver's client is never destroyed: it collects its object removals here.
    if (client::Client* c = [] {
            std::lock_guard lk(g_client_mu);
            return g_client;
        }())
        c->finish_removals();
    unmap_fortran_world();
    std::fflush(stdout);
    std::fflush(stderr);
    mpi_tools::Job::get().finish(0);
}

}  // namespace pfs::mpiio::detail

extern "C" {

int MPI_Init(int* argc, char*** argv) {
    return pfs::mpiio::detail::init(argc, argv, MPI_THREAD_SINGLE, nullptr,
                                    __builtin_return_address(0), false);
}

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
    return pfs::mpiio::detail::init(argc, argv, required, provided, __builtin_return_address(0),
                                    true);
}

int MPI_Finalize(void) {
    return pfs::mpiio::detail::finalize(__builtin_return_address(0));
}

}  // extern "C"

namespace pfs::mpiio {
pfs::client::Client* native_client() {
    int err = MPI_SUCCESS;
    return get_client(&err);
}
}  // namespace pfs::mpiio
