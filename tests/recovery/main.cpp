// dmapi-recovery-test --case FAILURE: DMAPI session recovery in real MPI jobs (label
// `recovery`). Ranks really die (SIGKILL); survivors agree (failure-aware) on the AND of their
// checks and the leader prints "DMAPI-TEST <case> PASS" or "... FAIL".
#include "recovery_case.hpp"

namespace dmtest {
std::map<std::string, CaseFn>& recovery_cases() {
    static std::map<std::string, CaseFn> m;
    return m;
}
}  // namespace dmtest

using namespace dmtest;

int main(int argc, char** argv) {
    // Ranks die on purpose in every case: the survivors go on.
    run_case_program(argc, argv, "dmapi-recovery-test", recovery_cases(),
                     [](const std::string&) { return true; });
}
