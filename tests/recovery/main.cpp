// dmapi-recovery-test --case FAILURE: DMAPI session recovery in real MPI jobs (label
// `recovery`). Ranks really die (SIGKILL); survivors agree (failure-aware) on the AND of their
// checks and the leader prints "DMAPI-TEST <case> PASS" or "... FAIL".
#include <CLI/CLI.hpp>

#include "recovery_case.hpp"

namespace dmtest {
std::map<std::string, CaseFn>& recovery_cases() {
    static std::map<std::string, CaseFn> m;
    return m;
}
}  // namespace dmtest

using namespace dmtest;

int main(int argc, char** argv) {
    // Ranks die on purpose here: the survivors go on.
    auto& job = Job::init(&argc, &argv, mpi_tools::FailurePolicy::continue_job);
    CLI::App cli{"dmapi-recovery-test"};
    cli.add_option("--case", g_case, "failure scenario")->required();
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    g_rank = job.rank();
    auto& n = Node::start(job);
    auto it = recovery_cases().find(g_case);
    if (it == recovery_cases().end()) {
        if (job.rank() == 0) std::fprintf(stderr, "unknown case %s\n", g_case.c_str());
        job.finish(2);
    }
    it->second(job, n);
    auto d = job.ft().agree(g_ok ? 1 : 0);
    if (job.rank() == job.leader())
        std::printf("DMAPI-TEST %s %s\n", g_case.c_str(), d.flag ? "PASS" : "FAIL");
    std::fflush(stdout);
    job.finish(d.flag ? 0 : 1);
}
