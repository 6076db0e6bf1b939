// Facts about the storage a volume lives on.
#pragma once

#include <linux/magic.h>
#include <sys/vfs.h>

#include <filesystem>

namespace pfs {

// True when `dir` is on tmpfs: its reads and writes never wait for a disk, so work on it may run
// on a progress thread. On a disk even a page-cache write can stall for seconds under writeback
// pressure (docs/limitations.md "Slow storage"), and a stalled progress thread stops heartbeats.
inline bool in_memory_volume(const std::filesystem::path& dir) {
    struct statfs fs {};
    return ::statfs(dir.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == TMPFS_MAGIC;
}

}  // namespace pfs
