// The HSM's per-file record, kept in one DM attribute ("pfshsm") of the file: its state, its
// archive copy (id, size, checksum) and the journal phase of a step in progress. Every change of
// a file's HSM state is one dm_set_dmattr of this record, so a daemon killed between two steps
// finds on restart (or the standby on takeover) exactly which step was under way
// (docs/hsm.md "Journal").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pfs::hsm {

// The DM attribute that holds the record (XDSM names are at most 8 bytes).
inline constexpr const char* kRecordAttr = "pfshsm";

enum class FileState : std::uint8_t {
    resident,     // no archive copy; data online
    premigrated,  // archive copy valid, data online
    migrated,     // archive copy valid, data released (punched) behind a managed region
    dirty,        // modified after it was archived: the copy is stale, data online
    lost,         // data released and the archive copy missing or corrupt
};

// The step under way when the record was written (none: the state is settled).
enum class Phase : std::uint8_t {
    none,
    archiving,  // pending_id is being written; rolled back on recovery
    releasing,  // archive copy verified, hole being punched; rolled forward on recovery
    recalling,  // data being written back; rolled back (released again) on recovery
    removing,   // the archive copy is being deleted; rolled forward on recovery
};

struct StateRecord {
    FileState state = FileState::resident;
    Phase phase = Phase::none;
    std::string archive_id;        // the valid (or, when dirty, stale) copy; "" = none
    std::string pending_id;        // archiving: the copy being written
    std::uint64_t size = 0;        // bytes in the archive copy
    std::uint64_t checksum = 0;    // XXH3-64 of those bytes
    std::int64_t archived_at = 0;  // unix seconds of the copy
    std::string path;              // where the file was when last archived (information only)
    // Recall unit: the copy's blocks of this size have their own XXH3-64 sums (attribute
    // kBlockSumsAttr), so a range can be recalled and verified alone, and blocks in parallel.
    std::uint64_t block_size = 0;  // 0: no block sums (whole-file recall, one checksum)
    // A migrated file recalled in part: one bit per block whose data is online and verified.
    std::vector<bool> recalled;
};

// The block sums of the archive copy: 8 bytes (little endian) per block.
inline constexpr const char* kBlockSumsAttr = "pfshsmb";
// Blocks per file are bounded by one DM attribute value (16 KiB / 8 bytes).
inline constexpr std::uint64_t kMaxBlocks = 2048;
// The block size for a file of `size` bytes: >= 1 MiB, a power of two, <= kMaxBlocks blocks.
std::uint64_t block_size_for(std::uint64_t size);

const char* to_string(FileState s);
const char* to_string(Phase p);

// Text, one key=value per line, first line "pfshsm 1" (the format version); the path is
// percent-escaped. Small, readable with any DMAPI tool, and versioned.
std::string encode(const StateRecord& r);
// false with *error set for anything that is not a version-1 record.
bool decode(std::string_view text, StateRecord* r, std::string* error);

}  // namespace pfs::hsm
