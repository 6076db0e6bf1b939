// The daemon's log: "HSM <rank>: ..." lines on stdout (line buffered; pfs-run collects them).
#pragma once

#include <cstdarg>

namespace pfs::hsm {

void set_log_rank(int rank);
[[gnu::format(printf, 1, 2)]] void log(const char* fmt, ...);

}  // namespace pfs::hsm
