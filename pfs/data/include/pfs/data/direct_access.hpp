// What a client on the data server's host needs to read and write a volume's objects itself
// (the client's direct path, pfs/client/src/direct_volumes.hpp): where an object lives, how
// much a write may allocate, and the volume's direct-usage counter.
//
// The counter: the data server counts the bytes its objects allocate (ObjectStore: st_blocks
// measured around each operation); bytes a client allocates by writing an object directly are
// added by that client to a counter in a small file of the volume, mapped shared by the server
// and the clients of its host. The server folds the counter into its own count before each
// operation that measures and at statfs, and resets it when it opens the volume (the open's
// scan counts every object).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"

namespace pfs::data {

// objects/<ino & 0xff, 2 hex>/<ino>.<gen>, relative to the volume directory.
std::filesystem::path object_relpath(ObjectId id);

// Bytes of [off, off+len) (widened to 4 KiB blocks) that are holes or beyond EOF: what a write
// of that range may newly allocate (SEEK_DATA / SEEK_HOLE).
Result<std::uint64_t> unallocated_in(int fd, std::uint64_t off, std::uint64_t len);

inline constexpr const char* kDirectUsageFile = "direct-usage";

class DirectUsage {
  public:
    // create: the server's open (made if missing, reset to 0); else a client's (ENOENT when
    // no server opened the volume).
    static Result<std::unique_ptr<DirectUsage>> open(const std::filesystem::path& volume_dir,
                                                     bool create);
    ~DirectUsage();
    DirectUsage(const DirectUsage&) = delete;
    DirectUsage& operator=(const DirectUsage&) = delete;

    void add(std::uint64_t bytes) noexcept;
    // The bytes added since the last take (the server folds them into its count).
    std::uint64_t take() noexcept;

  private:
    DirectUsage() = default;
    std::uint64_t* word_ = nullptr;  // in a MAP_SHARED page of the file
};

}  // namespace pfs::data
