// Every tunable of the DMAPI session/event core, with its default and why. Each can be
// overridden per job by the environment variable named beside it (pfs-run -x VAR=VALUE).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace dmapi::core {

struct CoreConfig {
    // PFS_DMAPI_MAX_QUEUED: undelivered events one session queue holds. SGI's
    // dm_max_queued_msgs is 2048; past it SGI puts the generating thread to sleep. Here the
    // session rank answers the EVENT with BUSY and the source retries with backoff
    // (back-pressure across ranks without blocking the session rank's progress thread).
    std::size_t max_queued = 2048;
    // PFS_DMAPI_BUSY_BACKOFF_MIN_US / _MAX_US: a source whose event was answered BUSY waits this
    // long before resending, doubling from min to max. 100 us .. 20 ms: short enough that a
    // draining DM application is not starved, long enough not to spin on a stuck one.
    std::chrono::microseconds busy_backoff_min{100};
    std::chrono::microseconds busy_backoff_max{20000};
    // PFS_DMAPI_RPC_TIMEOUT_MS: bound on one request to the session manager or a session rank
    // (the peer's death is noticed sooner, through the failure detector).
    std::chrono::milliseconds rpc_timeout{30000};
    // PFS_DMAPI_START_TIMEOUT_MS: bound on the start-up barrier of Node::start.
    std::chrono::milliseconds start_timeout{60000};
    // PFS_DMAPI_ASYNC_WINDOW: messages of asynchronous events one rank keeps in flight (sent,
    // not yet acknowledged by the session rank); each carries up to 256 events (batched by the
    // sender thread). Pipelining and batching are what make async events cheap; the window
    // bounds the memory a stalled session rank can pin at a source.
    std::size_t async_window = 64;
    // PFS_DMAPI_RESPONDED_MEMORY: tokens a session rank remembers after their response, so that a
    // second dm_respond_event on one gets ESRCH (exists, not outstanding) instead of EINVAL.
    std::size_t responded_memory = 65536;
    // PFS_DMAPI_SESSION_FAILURE_TIMEOUT_MS (claim 21, GPFS's dmapiSessionFailureTimeout): how
    // long a source whose session rank failed waits for the session to be assumed before its
    // operation fails with EIO. -1 (default) = automatic: 0 like GPFS when no standby DM rank
    // is registered for the session, standby_failure_timeout when one is.
    std::chrono::milliseconds session_failure_timeout{-1};
    // PFS_DMAPI_STANDBY_FAILURE_TIMEOUT_MS: the automatic timeout with a standby: long enough
    // for detection (heartbeat ~0.5 s) plus the failover, short enough that a standby that
    // never comes does not hang the application for Lustre's hour.
    std::chrono::milliseconds standby_failure_timeout{60000};
    // PFS_DMAPI_FAIL_LOC (tests, demo; docs/recovery.md): a failure injection point, as
    // Lustre's fail_loc: "kill_session_after_enqueue:N", "fs_fail_after_enqueue:N",
    // "kill_in_rebuild". Empty = none.
    std::string fail_loc;

    static CoreConfig from_environment();
};

}  // namespace dmapi::core
