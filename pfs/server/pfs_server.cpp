// pfs-server: the program of meta and data ranks. At this stage it joins the job, answers the
// health-check round trips through the progress engine, and leaves when the leader shuts the
// job down. The metadata and storage services plug in here.
#include <cstdio>
#include <string>

#include "mpi_tools/job.hpp"

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    if (job.role() != mpi_tools::Role::meta && job.role() != mpi_tools::Role::data) {
        std::fprintf(stderr, "pfs-server: rank %d has role %s; pfs-server runs meta and data ranks\n",
                     job.rank(), std::string(mpi_tools::role_name(job.role())).c_str());
        job.abort(2, "pfs-server started on a non-server rank");
    }
    job.serve_until_shutdown();
}
