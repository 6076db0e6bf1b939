// The cluster superblock: <root>/superblock.json, written by pfs-mkfs and read by every server
// at start-up. JSON so that operators can read it; validated on load so that a damaged file
// stops the job with a clear message instead of a confusing failure later.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/result.hpp"

namespace pfs::meta {

struct Superblock {
    int version = config::kSuperblockVersion;
    std::uint64_t fsid = 0;                                        // random, never 0
    std::uint64_t stripe_size = config::kDefaultStripeSize;        // default for new files
    std::uint32_t stripe_count = config::kDefaultStripeCount;      // 0 = all data volumes
    std::uint64_t quota_per_volume = config::kDefaultVolumeQuota;  // bytes, 0 = unlimited
    // DMAPI enabled for the file system (GPFS's mmcrfs -z): when false no event is generated and
    // every DMAPI call referencing the file system fails with EPERM. Absent in older superblocks:
    // enabled.
    bool dmapi = true;
    std::vector<std::string> meta_volumes;  // directories relative to the cluster root
    std::vector<std::string> data_volumes;
    std::int64_t created_unix = 0;  // seconds since the epoch

    // EINVAL with a reason in `why` when any field is out of range.
    Result<void> validate(std::string* why = nullptr) const;

    // ENOENT if there is no superblock, EUCLEAN if it cannot be parsed or fails validation.
    static Result<Superblock> load(const std::filesystem::path& root, std::string* why = nullptr);
    // Validates, then replaces the file atomically (temp file, fsync, rename, fsync dir).
    Result<void> save(const std::filesystem::path& root, std::string* why = nullptr) const;

    static std::filesystem::path path_in(const std::filesystem::path& root) {
        return root / "superblock.json";
    }
    // A random non-zero 64-bit id (from the kernel's entropy source).
    static std::uint64_t random_fsid();
};

}  // namespace pfs::meta
