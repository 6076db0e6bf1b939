#include "log.hpp"

#include <cstdio>
#include <mutex>

namespace pfs::hsm {

namespace {
int g_rank = -1;
std::mutex g_mu;
}  // namespace

void set_log_rank(int rank) {
    g_rank = rank;
}

void log(const char* fmt, ...) {
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    std::lock_guard lk(g_mu);  // one line at a time from the worker threads
    std::printf("HSM %d: %s\n", g_rank, line);
    std::fflush(stdout);
}

}  // namespace pfs::hsm
