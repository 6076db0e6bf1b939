#include "mpi_tools/config.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace mpi_tools {
namespace {
// Bad values are reported and ignored: a typo in a tunable must not take the job down.
long env_long(const char* name, long def, long min, long max) {
    const char* v = std::getenv(name);
    if (!v || !*v) return def;
    char* end = nullptr;
    long x = std::strtol(v, &end, 10);
    if (*end != '\0' || x < min || x > max) {
        std::fprintf(stderr, "mpi_tools: ignoring %s=%s (want an integer in [%ld, %ld])\n", name, v,
                     min, max);
        return def;
    }
    return x;
}
}  // namespace

Config Config::from_environment() {
    Config c;
    c.heartbeat_period =
        Millis(env_long("PFS_FT_HEARTBEAT_PERIOD_MS", c.heartbeat_period.count(), 1, 60000));
    c.heartbeat_timeout =
        Millis(env_long("PFS_FT_HEARTBEAT_TIMEOUT_MS", c.heartbeat_timeout.count(), 2, 600000));
    c.pmix_poll_period =
        Millis(env_long("PFS_FT_PMIX_POLL_MS", c.pmix_poll_period.count(), 0, 60000));
    c.agree_timeout =
        Millis(env_long("PFS_FT_AGREE_TIMEOUT_MS", c.agree_timeout.count(), 100, 3600000));
    c.create_group_watchdog = Millis(
        env_long("PFS_FT_CREATE_GROUP_WATCHDOG_MS", c.create_group_watchdog.count(), 100, 3600000));
    c.startup_timeout =
        Millis(env_long("PFS_STARTUP_TIMEOUT_MS", c.startup_timeout.count(), 100, 3600000));
    c.shutdown_timeout =
        Millis(env_long("PFS_SHUTDOWN_TIMEOUT_MS", c.shutdown_timeout.count(), 100, 3600000));
    c.finalize_timeout =
        Millis(env_long("PFS_FINALIZE_TIMEOUT_MS", c.finalize_timeout.count(), 100, 3600000));
    c.progress_spin_us =
        static_cast<int>(env_long("PFS_PROGRESS_SPIN_US", c.progress_spin_us, 0, 1000000));
    c.progress_max_sleep_us = static_cast<int>(
        env_long("PFS_PROGRESS_MAX_SLEEP_US", c.progress_max_sleep_us, 0, 1000000));
    c.wait_spin_us = static_cast<int>(env_long("PFS_WAIT_SPIN_US", c.wait_spin_us, 0, 100000));
    c.wait_assist = env_long("PFS_WAIT_ASSIST", c.wait_assist ? 1 : 0, 0, 1) != 0;
    c.call_probe_period =
        Millis(env_long("PFS_CALL_PROBE_MS", c.call_probe_period.count(), 10, 3600000));
    if (const char* d = std::getenv("PFS_TRACE_DIR"); d != nullptr) c.trace_dir = d;
    c.fence_same_host = env_long("PFS_FT_FENCE", 1, 0, 1) != 0;
    c.volume_adoption = env_long("PFS_VOLUME_ADOPTION", 1, 0, 1) != 0;
    if (const char* b = std::getenv("PFS_FT_BACKEND"); b && *b) c.ft_backend = b;
    return c;
}

}  // namespace mpi_tools
