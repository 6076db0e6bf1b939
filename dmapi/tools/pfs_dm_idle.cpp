// pfs-dm-idle: the default program of dm ranks until a DM application (pfs-hsm) runs there.
// It joins the job, answers health checks, and stands by until shutdown.
#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    dmapi::events::start(job);  // collective over the job: every program of a PFS job calls it
    job.serve_until_shutdown();
}
