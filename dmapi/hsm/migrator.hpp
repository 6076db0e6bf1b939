// The migrator: archive (premigrate), release, recall and remove-archive-copy of one file, each
// an idempotent step machine journaled in the file's record (state_record.hpp), plus the
// journal recovery that completes or rolls back a step a killed daemon left half done.
//
// Step order (each arrow one durable change; docs/hsm.md "Journal"):
//   archive: phase=archiving(pending id) -> W|T region -> copy to <id>.tmp, fsync, rename ->
//            state=premigrated(id, size, xxh3)                     [recovery: roll back]
//   release: verify copy -> phase=releasing -> R|W|T region -> punch -> state=migrated
//                                                                  [recovery: roll forward]
//   recall:  phase=recalling -> copy back, xxh3 verified -> W|T region -> state=premigrated
//                                                                  [recovery: roll back]
//   remove:  phase=removing -> delete copy -> no region -> no record  [recovery: roll forward]
// No file is released without a committed copy whose size matched, and no recalled byte is
// visible before the whole copy's checksum matched (the READ region stays until then).
//
// DM access rights (docs/hsm.md "DM access rights"): archive holds DM_RIGHT_SHARED for its copy
// (writers wait, readers run), release DM_RIGHT_EXCL from its "unchanged since archived" checks
// through the punch, recall DM_RIGHT_EXCL while it writes data back and changes regions and
// state, journal recovery DM_RIGHT_EXCL. Each operation has one RightToken (its own userevent
// token, or the token of the event it answers); answering the token releases its rights.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "archive_backend.hpp"
#include "config.hpp"
#include "dm_file.hpp"

namespace pfs::hsm {

struct Outcome {
    int err = 0;              // 0 = done (or nothing to do)
    std::uint64_t bytes = 0;  // data moved (archive, recall) or freed (release)
    std::string note;         // what happened, for logs and the CLI
};

// Background rate limit (token bucket over bytes); shared by the policy runs.
class RateLimiter {
  public:
    explicit RateLimiter(std::uint64_t bytes_per_sec) : rate_(bytes_per_sec) {}
    void take(std::uint64_t bytes);
    std::uint64_t rate() const { return rate_; }

  private:
    std::uint64_t rate_;
    std::mutex mu_;
    double credit_ = 0;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// One mutex per file (by ino/gen): commands, policy runs and event handlers on the same file
// run one after the other; a reader that waited behind a recall finds the file premigrated and
// is answered at once (so concurrent readers cause one recall).
class FileLocks {
  public:
    class Guard {
      public:
        Guard(FileLocks& l, const FileId& id, bool try_only = false);
        ~Guard();
        bool owns() const { return owns_; }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

      private:
        FileLocks& locks_;
        FileId id_;
        std::shared_ptr<std::mutex> m_;
        bool owns_ = false;
    };

  private:
    std::mutex mu_;
    std::map<FileId, std::pair<std::shared_ptr<std::mutex>, int>> map_;
};

struct Counters {
    std::atomic<std::uint64_t> archives{0}, releases{0}, recalls{0}, recall_failures{0},
        recall_bytes{0}, archive_bytes{0}, copies_removed{0};
};

class Migrator {
  public:
    Migrator(dm_sessid_t sid, ArchiveBackend& backend, const Config& cfg);

    // PFS_HSM_FAIL_AT (tests): SIGKILL this process when the named step point is reached.
    void set_fail_point(std::string name) { fail_point_ = std::move(name); }
    // PFS_HSM_PAUSE_AT / PFS_HSM_TEST_DIR (tests): at a point of the comma-separated list
    // create <dir>/<point>.reached and wait until <dir>/<point>.go exists (at most 120 s; once
    // it exists every later pass at the point goes straight on), so a test
    // can run user I/O while the HSM holds a right; mark() creates <dir>/<name> when a data
    // event arrives (before the file lock), so the test knows its I/O reached the HSM.
    void set_test_hooks(std::string pause_point, std::string dir) {
        pause_point_ = std::move(pause_point);
        test_dir_ = std::move(dir);
    }

    Outcome archive(DmFile& f, bool dry_run, RateLimiter* limit = nullptr);
    Outcome release(DmFile& f, bool dry_run);
    Outcome migrate(DmFile& f, bool dry_run, RateLimiter* limit = nullptr);
    // migrate() unless another thread works on the file (space-freeing runs skip busy files:
    // a recall that asks for room holds its own file's lock).
    Outcome migrate_unless_busy(DmFile& f);
    // Called by a recall whose write-back hit ENOSPC: frees space elsewhere, returns the bytes
    // freed (0: none, the recall fails).
    // The worker sessions of other ranks a recall may send blocks to (remote_worker.hpp).
    void set_workers(std::function<std::vector<dm_sessid_t>()> fn) { workers_ = std::move(fn); }
    void set_make_room(std::function<std::uint64_t(const FileId&)> fn) {
        make_room_ = std::move(fn);
    }
    Outcome recall(DmFile& f, bool dry_run);
    Outcome remove_copy(DmFile& f, bool dry_run);
    Outcome recover(DmFile& f);  // finish or roll back a journaled step

    // Event handlers: 0 = DM_RESP_CONTINUE, else the errno to abort the user's operation with.
    // A read of [off, off+len) (len 0: to the end): with partial_recall only its blocks.
    // `token` is the event's: a recall holds its DM_RIGHT_EXCL with it (released by the answer).
    int on_read(DmFile& f, dm_token_t token, std::uint64_t off, std::uint64_t len);
    int on_write(DmFile& f, dm_token_t token, bool truncate, std::uint64_t new_size);
    // A destroy event's copy of the record (return-on-destroy): delete its archive copies.
    void on_destroy(const std::string& record_copy, const FileId& id);

    // `lfs hsm_state`-like line: "<path>: (0x0000000d) released exists archived, ..."
    std::string state_line(DmFile& f);

    Counters& counters() { return counters_; }
    ArchiveBackend& backend() { return backend_; }

  private:
    int load(DmFile& f, StateRecord* r, bool* has_record);
    // load(), then the half-done step a killed daemon left (if any) completed or rolled back:
    // what every command does first, under the file's lock and `tok`.
    Outcome load_settled(DmFile& f, StateRecord& r, bool& has, RightToken& tok);
    Outcome archive_locked(DmFile& f, bool dry_run, RateLimiter* limit, RightToken& tok);
    Outcome release_locked(DmFile& f, bool dry_run, RightToken& tok);
    // Recalls the blocks of [off, off+len) that are not online (all of them when `whole`),
    // verifying each against its sum, several blocks in parallel; the file becomes
    // premigrated when every block is online.
    Outcome recall_locked(DmFile& f, StateRecord& r, std::uint64_t off, std::uint64_t len,
                          bool whole, RightToken& tok);
    Outcome recall_sequential(DmFile& f, StateRecord& r);  // records without block sums
    void punch_unverified(DmFile& f, const StateRecord& r);
    Outcome recover_locked(DmFile& f, StateRecord& r, bool has_record, RightToken& tok);
    void hit(const char* point);
    void pause_at(const char* point);
    void mark(const char* name);

    dm_sessid_t sid_;
    ArchiveBackend& backend_;
    const Config& cfg_;
    FileLocks locks_;
    Counters counters_;
    std::string fail_point_;
    std::string pause_point_, test_dir_;
    std::function<std::uint64_t(const FileId&)> make_room_;
    std::function<std::vector<dm_sessid_t>()> workers_;
    std::atomic<std::size_t> last_remote_blocks_{0};  // of the latest recall, for the log
};

}  // namespace pfs::hsm
