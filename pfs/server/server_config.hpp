// Tunables of pfs-server (the meta and data services), each with the reason for its value, in
// the style of pfs/common/config.hpp. They are compile-time constants local to the server.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pfs::server::config {

// Worker threads per service. Handlers run on the progress thread and only enqueue; the work
// (LMDB transactions with an fsync per commit, pread/pwrite on object files) blocks, so a few
// more threads than cores keep the disk and both cores busy while one thread waits on fsync.
inline constexpr unsigned kMetaWorkers = 4;
inline constexpr unsigned kDataWorkers = 4;
// Requests queued (not yet running) per service. Beyond this the server answers EAGAIN at once
// instead of blocking its progress thread; the client backs off and retries until its deadline.
inline constexpr std::size_t kQueueMaxRequests = 1024;
// Bytes of queued request buffers (mostly write payloads) per service: bounds the memory one
// server holds for requests it has not started. 256 MiB = 64 client chunks of 4 MiB.
inline constexpr std::size_t kQueueMaxBytes = 256ull << 20;
// The transport message-type range the PFS owns (pfs/proto numbers them 1000..1303): requests
// of an unknown type in this range get an ENOSYS reply instead of silence.
inline constexpr std::uint16_t kFirstPfsType = 1000;
inline constexpr std::uint16_t kLastPfsType = 1399;

}  // namespace pfs::server::config
