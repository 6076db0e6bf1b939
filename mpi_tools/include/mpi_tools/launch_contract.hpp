// The contract between the launcher (pfs-run) and the ranks of a job: the environment it sets
// and the status file the job writes. Both sides include this header; nothing else may parse
// these variables (ranks read them through mpi_tools::Job).
#pragma once

namespace mpi_tools::launch {

// Environment set by pfs-run for every rank (passed with mpirun -x).
inline constexpr const char* kEnvLayout = "PFS_LAYOUT";   // Layout::to_string()
inline constexpr const char* kEnvRoot = "PFS_ROOT";       // cluster root (volumes)
inline constexpr const char* kEnvRunDir = "PFS_RUN_DIR";  // per-job run directory
inline constexpr const char* kEnvStatusFile = "PFS_STATUS_FILE";
inline constexpr const char* kEnvFtBackend = "PFS_FT_BACKEND";  // auto | portable | ulfm

// The status file is written once, atomically (write to .tmp, then rename), by the job's
// leader (the lowest live world rank) when the job ends, or by any rank that aborts the job.
// Format, one item per line:
//   line 1: the job's exit code as a decimal integer
//   then "key=value" lines:
//     failed_ranks=3,5           world ranks the survivors agreed had failed ("" if none)
//     failed_roles=compute,data  their roles, same order
//     reason=<one line>          why the job ended (e.g. "completed", "compute rank 3 failed")
//     leader=<world rank>        who wrote the file
inline constexpr const char* kStatusKeyFailedRanks = "failed_ranks";
inline constexpr const char* kStatusKeyFailedRoles = "failed_roles";
inline constexpr const char* kStatusKeyReason = "reason";
inline constexpr const char* kStatusKeyLeader = "leader";

// Exit codes of pfs-run itself (the job's own code is passed through otherwise).
inline constexpr int kExitUsage = 2;      // bad command line or layout: nothing started
inline constexpr int kExitNoStatus = 1;   // mpirun ended but the job wrote no status
inline constexpr int kExitTimeout = 124;  // --timeout expired (as timeout(1))
// Job code when a compute rank dies and the application did not declare itself
// fault-tolerant: the job is aborted with this code (128 + SIGKILL, as plain mpirun reports).
inline constexpr int kExitRankFailed = 137;

}  // namespace mpi_tools::launch
