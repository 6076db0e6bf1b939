// The HSM's configuration: the policy file (docs/hsm.md "Policy file"), "key = value" lines,
// '#' comments. Every key has a default, so an empty file (or none) is a valid configuration.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pfs::hsm {

struct Config {
    // ---- daemon ----
    std::string session_name = "pfs-hsm";
    std::string archive_root;      // "" = <cluster root>/archive
    unsigned recall_workers = 4;   // event handler threads (recalls run in parallel)
    unsigned command_workers = 1;  // threads for archive/release/migrate commands
    unsigned recall_threads = 4;   // blocks of one recall copied in parallel
    bool partial_recall = false;   // a read recalls only the blocks it touches
    bool remote_workers = true;    // recalls also use the pfs-hsm processes of other dm ranks
    std::uint64_t chunk_bytes = 4ull << 20;  // transfer unit of copies
    int recall_errno = 5;                    // EIO: the abort errno of a failed recall
    bool keep_archive_on_destroy = false;    // destroy events delete the archive copy unless set

    // ---- candidates ----
    std::uint64_t min_size = 0;  // bytes
    std::chrono::seconds min_atime_age{0};
    std::chrono::seconds min_mtime_age{0};
    std::vector<std::string> include;  // fnmatch patterns on the PFS path; empty = all
    std::vector<std::string> exclude;  // fnmatch patterns; win over include

    // ---- triggers ----
    std::chrono::seconds scan_interval{0};  // periodic policy run; 0 = off
    double high_watermark = 0;              // percent of a data volume; 0 = off
    double low_watermark = 0;               // migrate (release) down to this
    bool nospace_frees = true;              // answer NOSPACE events by freeing space

    // ---- rate limits (background policy runs; commands and recalls are not limited) ----
    std::uint64_t max_bytes_per_sec = 0;  // 0 = unlimited
    unsigned max_files_per_run = 0;       // 0 = unlimited
};

// Parses `text` (the file's contents); false with *error = "line N: why" on the first bad line.
bool parse_config(const std::string& text, Config* cfg, std::string* error);
// Reads and parses a file.
bool load_config(const std::string& path, Config* cfg, std::string* error);

}  // namespace pfs::hsm
