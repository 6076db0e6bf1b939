// Every tunable of mpi_tools in one place, each with its default and why. A tunable can be
// overridden per job by the environment variable named beside it (pfs-run -x VAR=VALUE).
#pragma once

#include <chrono>
#include <string>

namespace mpi_tools {

using Millis = std::chrono::milliseconds;

struct Config {
    // PFS_FT_HEARTBEAT_PERIOD_MS: a rank sends one heartbeat to its ring successor per period.
    // 100 ms keeps the ring's cost at 10 small messages per second per rank.
    Millis heartbeat_period{100};
    // PFS_FT_HEARTBEAT_TIMEOUT_MS: silence after which the ring successor declares its
    // predecessor failed. 5 periods tolerates scheduling hiccups on oversubscribed nodes; the
    // measured heartbeat-only detection is then ~timeout (target <= 600 ms).
    Millis heartbeat_timeout{500};
    // PFS_FT_PMIX_POLL_MS: period of the PMIx process-table poll (0 disables it). One query costs
    // ~0.3 ms; 10 ms gives ~3-12 ms detection of a dead local process.
    Millis pmix_poll_period{10};
    // PFS_FT_AGREE_TIMEOUT_MS: an agreement that has not decided by then means the protocol's
    // fail-stop assumption was violated; the rank exits rather than hang.
    Millis agree_timeout{60000};
    // PFS_FT_CREATE_GROUP_WATCHDOG_MS: MPI_Comm_create_group hangs if a member dies inside its
    // ~1 ms window; past this the rank exits instead of hanging forever.
    Millis create_group_watchdog{10000};
    // PFS_STARTUP_TIMEOUT_MS: MPI_Init plus the startup exchange must finish within this.
    Millis startup_timeout{60000};
    // PFS_SHUTDOWN_TIMEOUT_MS: how long the leader waits for shutdown acknowledgements.
    Millis shutdown_timeout{10000};
    // PFS_FINALIZE_TIMEOUT_MS: MPI_Finalize ends in a PMIx fence; if a peer is stuck it never
    // returns, so a watchdog exits the rank with its status after this.
    Millis finalize_timeout{10000};
    // PFS_PROGRESS_SPIN_US: the progress thread polls without sleeping for this long after the
    // last message, then backs off (up to PFS_PROGRESS_MAX_SLEEP_US) so idle ranks leave the
    // cores to busy ones on oversubscribed nodes.
    int progress_spin_us = 200;
    int progress_max_sleep_us = 1000;
    // PFS_WAIT_SPIN_US: a thread waiting for a reply (RPC response, DM event, DM response)
    // re-checks for this long, yielding the CPU, before it sleeps on its condition variable
    // (mpi_tools/spin_wait.hpp): a wake-up from sleep costs ~10 us on a loaded node, more than
    // the reply takes. 0 = sleep at once. Bounded per wait, so long waits cost no more CPU.
    int wait_spin_us = 50;
    // PFS_WAIT_ASSIST: 1 = a spinning waiter receives its own reply (Engine::assist) and the
    // progress thread steps aside meanwhile; 0 = only the progress thread receives, and waiters
    // yield between checks (the A/B baseline of dmapi-event-bench).
    bool wait_assist = true;
    // PFS_CALL_PROBE_MS: when a call's deadline passes with its peer alive and the caller allows
    // more time (Transport::await's `hard` bound), the caller asks the peer whether it is still
    // working on the request; each "yes" extends the wait by this period. An answer must come
    // within it too, so a hung peer (stopped, deadlocked progress) still times out.
    Millis call_probe_period{5000};
    // PFS_TRACE_DIR: when set, every rank's engine appends one line per message it posts,
    // matches, delivers and completes to <dir>/rpc.<rank>.log (monotonic microseconds), so a slow
    // call can be followed across ranks (tools: docs/operations.md). Off by default: one branch.
    std::string trace_dir;
    // PFS_FT_FENCE: kill (SIGKILL) a rank declared failed when it runs on this host, so a false
    // suspicion (a hung or stopped process) is made true: fail-stop is what agreement relies on.
    bool fence_same_host = true;
    // PFS_VOLUME_ADOPTION: 1 = a meta or data rank's death is survived when a live rank can
    // adopt its volume (docs/pfs.md); 0 = it ends the job (code 137), as before adoption existed.
    bool volume_adoption = true;
    // PFS_FT_BACKEND: auto | portable | ulfm.
    std::string ft_backend = "auto";

    static Config from_environment();
};

}  // namespace mpi_tools
