// pfs-dm-idle: the default program of dm ranks until a DM application (pfs-hsm,
// pfs-dm-responder) runs there. It joins the job, answers health checks, and stands by until
// shutdown. A job with dm ranks is a DMAPI job: every rank starts the DMAPI core
// (dmapi::events::start: Node::start is collective), this one too. It starts it on a thread of its
// own so that standing by never waits for the start-up barrier (a compute program that does not use
// DMAPI never joins it).
#include <thread>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    std::thread([&job] { dmapi::events::start(job); }).detach();
    job.serve_until_shutdown();
}
