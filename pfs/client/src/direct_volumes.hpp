// DirectVolumes: the data volumes this client reads and writes itself, without a round trip
// through the data server, as a GPFS node with direct access to an NSD's disk does its own I/O
// instead of going through the NSD server. The bytes move once, between the user's buffer and
// the object file's pages (the server path moves them three times: into the send frame, across
// the transport, into the object).
//
// A volume qualifies when its home data rank runs on this host (the same kernel, so the same
// page cache as the server), it is not on a file system other hosts may mount (NFS, Lustre,
// ...: storage.hpp network_volume), the file system has no quota (a quota is enforced by the server
// before it touches an object) and the server has opened the volume. Everything around the
// bytes is unchanged: DMAPI events and rights are checked by the client before (io.cpp), the
// size goes to the metadata server after, fsync is the server's (its fdatasync flushes the
// pages whoever wrote them), and an acknowledged write is in the page cache of the object file,
// which survives the death of any process, as on the server path.
//
// On a volume in memory (tmpfs) a write creates a missing object here too. On a disk, objects
// are created only by the server, which makes the new directory entry durable before fsync
// returns: a write to an object that does not exist yet goes to the server, and so does any
// object this client cannot open. Bytes a direct write may allocate are added to the volume's
// direct-usage counter (pfs/data/direct_access.hpp), so statfs and the HSM's watermarks see them.
//
// Environment: PFS_CLIENT_DIRECT_IO=0 sends everything through the servers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <tuple>
#include <vector>

#include "pfs/client/striping.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"
#include "pfs/data/direct_access.hpp"

namespace pfs::client {

class DirectVolumes {
  public:
    // dirs[v]: volume v's directory, or empty when v is not reached directly.
    explicit DirectVolumes(const std::vector<std::filesystem::path>& dirs);
    ~DirectVolumes();
    DirectVolumes(const DirectVolumes&) = delete;
    DirectVolumes& operator=(const DirectVolumes&) = delete;

    bool any() const;
    bool enabled(std::uint32_t volume) const {
        return volume < vols_.size() && vols_[volume].usage != nullptr;
    }
    // Writes `length` bytes gathered from `segments` of `buf` at object offset `off`. ENOENT:
    // the object does not exist or cannot be opened here (write it through the server).
    Result<void> write(std::uint32_t volume, ObjectId id, const std::byte* buf,
                       std::span<const BufferSegment> segments, std::uint64_t off);
    // Reads into `segments` of `buf` from object offset `off`; bytes read (short at the
    // object's end, 0 for a missing object: the caller zero-fills the rest). ENOENT: the object
    // exists but cannot be opened here (read it through the server).
    Result<std::uint64_t> read(std::uint32_t volume, ObjectId id, std::byte* buf,
                               std::span<const BufferSegment> segments, std::uint64_t off);
    // Closes the cached fds of one file (closed or unlinked by this client).
    void forget(Ino ino, Gen gen);
    std::size_t cached_fds() const;  // for tests

  private:
    struct Fd;
    using FdRef = std::shared_ptr<Fd>;
    using Key = std::tuple<std::uint32_t, Ino, Gen>;
    struct Volume {
        std::filesystem::path dir;
        std::unique_ptr<data::DirectUsage> usage;
        bool creates = false;  // in memory: missing objects are created here
    };
    // The object's fd (created if missing when `create` and the volume creates); ENOENT if it
    // does not exist, another errno if it cannot be opened.
    Result<FdRef> fd_of(std::uint32_t volume, ObjectId id, bool create);

    std::vector<Volume> vols_;
    mutable std::mutex mu_;
    std::list<std::pair<Key, FdRef>> lru_;  // front = most recently used
    std::map<Key, std::list<std::pair<Key, FdRef>>::iterator> index_;
};

}  // namespace pfs::client
