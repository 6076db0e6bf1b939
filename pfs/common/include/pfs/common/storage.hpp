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

// True when `dir` is on a file system that other hosts may mount too (NFS, SMB, Lustre, GPFS,
// BeeGFS, CephFS, FUSE), or when that cannot be told: two hosts' page caches of such a file are
// not kept coherent the way one host's is, so a client's direct path (pfs/client) stays off.
inline bool network_volume(const std::filesystem::path& dir) {
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0) return true;
    switch (static_cast<unsigned long>(fs.f_type)) {
        case NFS_SUPER_MAGIC:
        case SMB_SUPER_MAGIC:
        case 0xFF534D42ul:  // CIFS
        case 0xFE534D42ul:  // SMB2
        case 0x0BD00BD0ul:  // Lustre
        case 0x47504653ul:  // GPFS
        case 0x19830326ul:  // BeeGFS
        case 0x00C36400ul:  // CephFS
        case 0x65735546ul:  // FUSE
            return true;
        default:
            return false;
    }
}

}  // namespace pfs
