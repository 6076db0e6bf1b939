// One PFS file as the HSM sees it through dmapi.h: its handle and the few DMAPI calls the
// migrator makes on it (record attribute, managed regions, invisible I/O, hole punching). Every
// method returns 0 or an errno. The data and attribute calls carry DM_NO_TOKEN (the DM
// application's own calls are not stopped by rights, docs/dmapi-rights.md); the migrator holds
// DM access rights with a RightToken to keep user reads and writes out while it changes a file
// (docs/hsm.md "DM access rights"), and serialises its own per-file work with FileLocks.
#pragma once

#include <dmapi.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "state_record.hpp"

namespace pfs::hsm {

// Managed-region sets the HSM uses: a released file traps every access; an archived file with
// its data online traps modifications only (to mark it dirty).
inline constexpr unsigned kRegionsMigrated = DM_REGION_READ | DM_REGION_WRITE | DM_REGION_TRUNCATE;
inline constexpr unsigned kRegionsPremigrated = DM_REGION_WRITE | DM_REGION_TRUNCATE;

struct FileId {
    std::uint64_t fsid = 0, ino = 0, gen = 0;
    friend bool operator<(const FileId& a, const FileId& b) {
        return a.ino != b.ino ? a.ino < b.ino : a.gen < b.gen;
    }
    friend bool operator==(const FileId&, const FileId&) = default;
};

class DmFile;

// A DM token that holds access rights for one HSM operation: a dm_create_userevent token of its
// own, made on first use and answered when the RightToken ends (the answer releases every right
// it holds), or the token of the event being handled, which the daemon answers (releasing them
// then). Move-only; one per operation, so migrate's two steps share it: the archive's shared
// right becomes the release's exclusive one by an upgrade, with no gap in between.
class RightToken {
  public:
    RightToken() = default;
    explicit RightToken(dm_sessid_t sid, dm_token_t event_token = DM_NO_TOKEN)
        : sid_(sid), tok_(event_token) {}
    ~RightToken();
    RightToken(RightToken&& o) noexcept;
    RightToken& operator=(RightToken&&) = delete;
    RightToken(const RightToken&) = delete;
    RightToken& operator=(const RightToken&) = delete;

    // Takes `right` on `f` (DmFile::request_right). An event token the session no longer has
    // outstanding (ESRCH/EINVAL: answered, or not yet received again after a takeover) is
    // replaced by a token of our own.
    int take(DmFile& f, dm_right_t right);
    // Answers a token of our own now (releasing its rights); an event's token is left to the
    // daemon. take() afterwards makes a new token.
    void finish();

  private:
    dm_sessid_t sid_ = DM_NO_SESSION;
    dm_token_t tok_ = DM_NO_TOKEN;
    bool own_ = false;
};

class DmFile {
  public:
    DmFile(dm_sessid_t sid, const dm_handle_t& h, std::string path = {});
    // By path (dm_path_to_handle) or by a handle from an event's payload.
    static int from_path(dm_sessid_t sid, const std::string& path, DmFile* out);
    static int from_handle(dm_sessid_t sid, const void* hanp, std::size_t hlen, DmFile* out);
    DmFile() = default;

    const FileId& id() const { return id_; }
    const std::string& path() const { return path_; }
    void set_path(std::string p) { path_ = std::move(p); }

    // ENOENT when the file has no record (never managed by the HSM: resident).
    int get_record(StateRecord* r);
    int set_record(const StateRecord& r);
    int remove_record();
    // Any DM attribute of the file (the block sums); ENOENT when absent.
    int get_attr(const char* name, std::string* value);
    int set_attr(const char* name, const std::string& value);
    int remove_attr(const char* name);  // 0 also when absent
    // One region over the whole file (size 0 = to the end) with these flags; 0 = no region.
    int set_regions(unsigned flags);
    int get_regions(unsigned* flags);  // OR of the flags of all regions
    int size(std::uint64_t* size);
    int stat(dm_stat_t* st);
    dm_ssize_t read_invis(void* buf, std::uint64_t len, std::uint64_t off);
    dm_ssize_t write_invis(const void* buf, std::uint64_t len, std::uint64_t off);
    int punch(std::uint64_t off, std::uint64_t len);  // len 0 = to the end
    // Managed regions from explicit ranges (an empty list: none).
    int set_region_list(const std::vector<dm_region_t>& regions);
    int sync();
    // Allocated bytes in [0, size) (dm_get_allocinfo resident runs).
    int resident_bytes(std::uint64_t* bytes);
    // dm_request_right on this file for `token`, asked without DM_RR_WAIT and again with a
    // growing pause while another token holds a conflicting right, at most `limit`:
    // ETIMEDOUT then (another DM application keeps the file; the HSM step fails cleanly
    // instead of hanging). Holding shared and asking excl upgrades.
    int request_right(dm_token_t token, dm_right_t right,
                      std::chrono::milliseconds limit = std::chrono::seconds(120));
    dm_handle_t handle() const { return h_; }

  private:
    dm_sessid_t sid_ = DM_NO_SESSION;
    dm_handle_t h_{};
    FileId id_;
    std::string path_;
};

}  // namespace pfs::hsm
