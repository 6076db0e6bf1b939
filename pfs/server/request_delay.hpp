// PFS_SERVER_DELAY_MS: an injected slowness, for tests and for rehearsing what a slow disk does
// to a job (the logging-driver idea of ROMIO's ad_testfs, for latency). "fsync_req:3000" makes
// every worker of every server sleep 3000 ms before it runs each fsync request; several entries
// are comma-separated (names: pfs/proto messages.hpp). The server answers status queries as
// usual meanwhile, so clients see a live, slow server. Unset: no cost beyond one array read.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pfs::server {

// Parses the variable once; false with `why` set when it is malformed (the server refuses to
// start rather than run a test without the slowness it asked for).
bool load_request_delays(std::string* why);
// The delay for a request of this message type (zero when none is configured).
std::chrono::milliseconds request_delay(std::uint16_t type);

}  // namespace pfs::server
