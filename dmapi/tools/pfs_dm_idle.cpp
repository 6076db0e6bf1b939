// pfs-dm-idle: the default program of dm ranks until a DM application (pfs-hsm) runs there.
// It joins the job, answers health checks, and stands by until shutdown.
#include "mpi_tools/job.hpp"

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    job.serve_until_shutdown();
}
