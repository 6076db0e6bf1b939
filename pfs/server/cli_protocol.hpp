// The wire contract between the `pfs` command (pfs/tools/pfs_cli.cpp) and the socket server of
// a running job (cli_server.cpp, on the first meta rank). Shared so that both sides agree on
// the path, the limits and the framing; docs/pfs.md "The pfs command" describes it for users.
//
// One request per connection (a UNIX stream socket):
//   request  = one JSON object on one line ("\n"-terminated, at most kMaxLine bytes):
//              {"op": "ls"|"stat"|"mkdir"|"rm"|"rmdir"|"df"|"scrub"|"put"|"get", "path": ..., ...}
//   reply    = one JSON object on one line: {"err": <errno, 0 = success>, "msg": "...", ...}
//   put      : after a first reply with err 0 the CLI sends exactly "size" bytes of file data,
//              then the server answers a second line (the result of write + fsync + close).
//   get      : after a first reply with err 0 and "size" N come exactly N bytes of file data,
//              then a second line (err 0, or the error that cut the stream short).
// Lines are bounded and every socket read has a timeout on both sides, so neither a dead CLI
// nor a dead server leaves the other waiting forever.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace pfs::cli {

// <run dir>/pfs/pfs.sock: the directory is 0700 and the socket 0600, so that only the job's
// owner reaches the file system through it (the server does no permission checks of its own).
inline constexpr const char* kSocketDir = "pfs";
inline constexpr const char* kSocketName = "pfs.sock";
inline std::string socket_path(const std::string& run_dir) {
    return run_dir + "/" + kSocketDir + "/" + kSocketName;
}

// Longest request or reply line (a PFS path is < 4096 bytes; an `ls -l` reply of a large
// directory is the biggest line).
inline constexpr std::size_t kMaxLine = 64u << 20;
// Bytes per pread/pwrite of a copy (the client splits it over the data servers).
inline constexpr std::size_t kCopyChunk = 4u << 20;
// Longest wait for the peer's next bytes. The server's own operations are bounded by the
// client's deadline (PFS_CLIENT_TIMEOUT_MS, 60 s), so the CLI waits longer than that.
inline constexpr std::chrono::seconds kServerReadTimeout{30};
inline constexpr std::chrono::seconds kCliReadTimeout{150};
// Connections served at once; more are answered EBUSY.
inline constexpr int kMaxConnections = 16;

}  // namespace pfs::cli
