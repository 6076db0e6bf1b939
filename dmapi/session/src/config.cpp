#include <cstdlib>
#include <string>

#include "dmapi/core/config.hpp"

namespace dmapi::core {

namespace {
long long env_num(const char* name, long long def, long long lo, long long hi) {
    const char* v = std::getenv(name);
    if (!v || !*v) return def;
    char* end = nullptr;
    long long x = std::strtoll(v, &end, 10);
    if (*end != '\0' || x < lo || x > hi) return def;
    return x;
}
}  // namespace

CoreConfig CoreConfig::from_environment() {
    CoreConfig c;
    c.max_queued = static_cast<std::size_t>(
        env_num("PFS_DMAPI_MAX_QUEUED", static_cast<long long>(c.max_queued), 1, 1 << 24));
    c.busy_backoff_min = std::chrono::microseconds(
        env_num("PFS_DMAPI_BUSY_BACKOFF_MIN_US", c.busy_backoff_min.count(), 1, 10'000'000));
    c.busy_backoff_max = std::chrono::microseconds(
        env_num("PFS_DMAPI_BUSY_BACKOFF_MAX_US", c.busy_backoff_max.count(), 1, 10'000'000));
    if (c.busy_backoff_max < c.busy_backoff_min) c.busy_backoff_max = c.busy_backoff_min;
    c.rpc_timeout = std::chrono::milliseconds(
        env_num("PFS_DMAPI_RPC_TIMEOUT_MS", c.rpc_timeout.count(), 1, 86'400'000));
    c.start_timeout = std::chrono::milliseconds(
        env_num("PFS_DMAPI_START_TIMEOUT_MS", c.start_timeout.count(), 1, 86'400'000));
    c.async_window = static_cast<std::size_t>(
        env_num("PFS_DMAPI_ASYNC_WINDOW", static_cast<long long>(c.async_window), 1, 65536));
    c.responded_memory = static_cast<std::size_t>(env_num(
        "PFS_DMAPI_RESPONDED_MEMORY", static_cast<long long>(c.responded_memory), 0, 1 << 24));
    c.session_failure_timeout = std::chrono::milliseconds(env_num(
        "PFS_DMAPI_SESSION_FAILURE_TIMEOUT_MS", c.session_failure_timeout.count(), -1, 86'400'000));
    c.standby_failure_timeout = std::chrono::milliseconds(env_num(
        "PFS_DMAPI_STANDBY_FAILURE_TIMEOUT_MS", c.standby_failure_timeout.count(), 0, 86'400'000));
    if (const char* f = std::getenv("PFS_DMAPI_FAIL_LOC")) c.fail_loc = f;
    return c;
}

}  // namespace dmapi::core
