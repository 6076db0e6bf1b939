// pfs-healthcheck: the first application of the job. Every compute rank does request/response
// round trips through the transport to every service rank (meta, data, dm) and to the next
// compute rank; compute rank 0 prints the layout and a summary. Options for tests:
//   --exit-code N   compute rank 0 ends with code N (the job's status)
//   --run-ms M      keep pinging for M ms (a window in which tests kill ranks)
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dmapi/events/events.hpp"
#include "mpi_tools/job.hpp"

using mpi_tools::Job;
using mpi_tools::Role;

int main(int argc, char** argv) {
    auto& job = Job::init(&argc, &argv);
    // The servers of a PFS job start the DMAPI core (a collective): so does every program.
    dmapi::events::start(job);
    int exit_code = 0;
    int run_ms = 0;
    CLI::App cli{"pfs-healthcheck: round trips between every role of the job"};
    cli.add_option("--exit-code", exit_code, "exit code of compute rank 0")
        ->check(CLI::Range(0, 255));
    cli.add_option("--run-ms", run_ms, "keep pinging for this long")->check(CLI::Range(0, 3600000));
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == job.layout().first_rank(Role::compute)) cli.exit(e);
        job.finish(e.get_exit_code() == 0 ? 0 : 2);
    }
    const auto& L = job.layout();
    MPI_Comm app = job.app_comm();
    int arank = 0, asize = 0;
    MPI_Comm_rank(app, &arank);
    MPI_Comm_size(app, &asize);

    // Layout table: every rank's role, host and pid, printed by compute rank 0.
    char host[64] = {};
    gethostname(host, sizeof(host) - 1);
    if (arank == 0) {
        std::printf("pfs-healthcheck: layout %s (%d ranks, FT backend %s)\n", L.to_string().c_str(),
                    job.size(), job.ft().backend_name());
        for (int r = 0; r < job.size(); ++r)
            std::printf("  rank %3d  %-7s\n", r,
                        std::string(mpi_tools::role_name(L.role_of(r))).c_str());
        std::fflush(stdout);
    }

    std::vector<int> targets;
    for (int r = 0; r < job.size(); ++r)
        if (L.role_of(r) != Role::compute) targets.push_back(r);
    if (asize > 1) targets.push_back(L.first_rank(Role::compute) + (arank + 1) % asize);

    std::vector<double> rtts;
    int errors = 0;
    auto round = [&] {
        for (int t : targets) {
            double us = job.ping(t, mpi_tools::ft::after(std::chrono::seconds(10)));
            if (us < 0) {
                ++errors;
                std::fprintf(stderr, "pfs-healthcheck: rank %d: round trip to rank %d failed: %s\n",
                             job.rank(), t, std::strerror(static_cast<int>(-us)));
            } else {
                rtts.push_back(us);
            }
        }
    };
    round();
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        round();
    }

    // Summary on compute rank 0 (a failure of a compute rank aborts the job before this).
    long local[2] = {static_cast<long>(rtts.size()), errors}, total[2] = {0, 0};
    MPI_Reduce(local, total, 2, MPI_LONG, MPI_SUM, 0, app);
    std::sort(rtts.begin(), rtts.end());
    double med = rtts.empty() ? 0.0 : rtts[rtts.size() / 2];
    if (arank == 0) {
        std::printf("pfs-healthcheck: %ld round trips OK, %ld failed; rank %d median RTT %.1f us\n",
                    total[0], total[1], job.rank(), med);
        std::fflush(stdout);
    }
    int code = arank == 0 ? exit_code : 0;
    if (total[1] > 0 && code == 0) code = 1;
    job.finish(code);
}
