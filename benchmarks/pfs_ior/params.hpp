// pfs-ior's options: IOR's short options for the common cases plus the PFS additions
// (--baseline, --mdtest). Parsed the same way on every rank (same argv), so every rank reaches
// the same verdict without communicating.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pfs_ior {

struct Params {
    std::string api = "POSIX";                // -a
    std::uint64_t block_size = 1ull << 20;    // -b bytes per task per segment
    std::uint64_t transfer_size = 256 << 10;  // -t bytes per I/O call
    std::uint64_t segments = 1;               // -s
    bool file_per_proc = false;               // -F
    bool collective = false;                  // -c (MPIIO only)
    bool write = false, read = false;         // -w -r (neither given: both)
    bool reorder = false;                     // -C read a neighbour's data
    int reorder_offset = 1;                   // -Q shift for -C
    bool reorder_random = false;              // -Z random task for the read phase
    std::uint32_t reorder_seed = 0;           // -X seed of -Z
    bool fsync = false;                       // -e fsync after the write phase
    bool fsync_per_write = false;             // -Y fsync after every write
    bool check_write = false;                 // -W read back and verify after the write phase
    bool check_read = false;                  // -R verify the data of the read phase
    std::uint32_t seed = 0;                   // -G pattern signature (0: the start time)
    bool intra_barriers = false;              // -g barriers between open, xfer and close
    bool keep = false;                        // -k keep the files
    bool use_existing = false;                // -E do not remove the file before writing
    int repetitions = 1;                      // -i
    double inter_delay_s = 0;                 // -d seconds between repetitions
    double stonewall_s = 0;                   // -D stop each transfer phase after this long
    std::string test_file = "testFile";       // -o
    std::string summary_format;               // -O summaryFormat=JSON|CSV ("" = text)
    std::string summary_file;                 // -O summaryFile=F
    bool quiet = false;                       // -q
    std::string baseline_dir;                 // --baseline DIR: same workload, POSIX and MPIIO
    bool mdtest = false;                      // --mdtest: metadata mode
    std::uint64_t md_items = 1000;            // -n files per task (metadata mode)
    bool md_unique_dir = false;               // -u a directory per task (metadata mode)
    std::string fail;                         // --fail ROLE:SECONDS (fail_inject.hpp)
    std::string hsm_policy;                   // --hsm POLICY (hsm_driver.hpp)
    double slice_s = 0.1;                     // --slice-ms: time-series slice (--fail/--hsm)
    std::string command_line;

    std::uint64_t aggregate_bytes(int tasks) const {
        return block_size * segments * static_cast<std::uint64_t>(tasks);
    }
};

// Parses argv. Returns the params, or nullopt with *exit_code (0 for --help, 2 for a bad
// option) and *message (the help text or one "pfs-ior: error: ..." line).
std::optional<Params> parse_params(int argc, char** argv, int* exit_code, std::string* message);

// "16m" -> 16 MiB: a number with an optional k/m/g (binary) suffix. nullopt when malformed.
std::optional<std::uint64_t> parse_size(const std::string& text);
// 1048576 -> "1 MiB", 1536 -> "1.50 KiB"
std::string human_size(std::uint64_t bytes);

}  // namespace pfs_ior
