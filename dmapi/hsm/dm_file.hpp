// One PFS file as the HSM sees it through dmapi.h: its handle and the few DMAPI calls the
// migrator makes on it (record attribute, managed regions, invisible I/O, hole punching). Every
// method returns 0 or an errno. Calls carry DM_NO_TOKEN: DM access rights do not exist on this
// branch yet; the migrator serialises per-file work itself (file_locks.hpp).
#pragma once

#include <dmapi.h>

#include <cstdint>
#include <string>

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
    int sync();
    // Allocated bytes in [0, size) (dm_get_allocinfo resident runs).
    int resident_bytes(std::uint64_t* bytes);

  private:
    dm_sessid_t sid_ = DM_NO_SESSION;
    dm_handle_t h_{};
    FileId id_;
    std::string path_;
};

}  // namespace pfs::hsm
