// The seam between the PFS client and the DMAPI event layer (layering: dmapi -> pfs, so the PFS
// defines the interface and dmapi/events implements it over dmapi::core::Node::raise).
//
// The client describes each event in PFS terms (FsEvent); the sink turns it into the XDSM
// payload (dm_namesp_event_t, dm_data_event_t, ...) and delivers it. A process has at most one
// sink, installed once at start-up (dmapi::events::start) before any Client exists; without one
// no event is ever generated. LoggingSink is the small second implementation for tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pfs/common/types.hpp"

namespace pfs::client {

// XDSM event numbers (SGI dmapi.h dm_eventtype_t; dmapi/events static_asserts they match).
namespace ev {
inline constexpr int kMount = 1, kPreunmount = 2, kUnmount = 3, kCreate = 5, kClose = 6,
                     kPostcreate = 7, kRemove = 8, kPostremove = 9, kRename = 10, kPostrename = 11,
                     kLink = 12, kPostlink = 13, kSymlink = 14, kPostsymlink = 15, kRead = 16,
                     kWrite = 17, kTruncate = 18, kAttribute = 19, kDestroy = 20, kNospace = 21;
inline constexpr std::uint32_t kRegionRead = 0x1, kRegionWrite = 0x2, kRegionTruncate = 0x4;
constexpr std::uint64_t bit(int type) {
    return std::uint64_t{1} << type;
}
}  // namespace ev

// One event as the client sees it. Which fields mean what per type is in docs/dmapi-events.md;
// the sink lays them out as SGI does. A Handle with fsid 0 is absent; ino 0 is the file-system
// handle.
struct FsEvent {
    int type = 0;
    Handle handle1, handle2;
    std::string name1, name2;
    std::uint32_t mode = 0;                // ne_mode: st_mode of the object (type | perms)
    std::int32_t retcode = 0;              // post-events: 0 or the operation's positive errno
    std::uint64_t offset = 0, length = 0;  // data events (length 0: to the end of the file)
    std::string attr_name, attr_copy;      // destroy: return-on-destroy name and value
    bool has_attr_copy = false;
    friend bool operator==(const FsEvent&, const FsEvent&) = default;
};

class EventSink {
  public:
    virtual ~EventSink() = default;
    // Whether some DM session holds the disposition for this event type. Must be cheap and
    // local (no message): the data path asks it before every read and write.
    virtual bool disposed(int type) = 0;
    // Delivers the event. Synchronous types block until the DM application's response. Returns
    // 0 to let the operation proceed, else the errno it must fail with (DM_RESP_ABORT's errno;
    // EIO when the session failed while the source waited).
    virtual int raise(const FsEvent& ev) = 0;
};

// Per thread: the errno of the last event raised on this thread that the DM application
// answered with DM_RESP_ABORT (0 when none since reset_dm_abort()). Sinks record it; the MPI-IO
// driver resets it before an operation and reads it after, so an operation the DM application
// refused gets its own error class: an ENOSPC the HSM chose is not a full volume to the user.
void note_dm_abort(int err) noexcept;
int last_dm_abort() noexcept;
void reset_dm_abort() noexcept;

// Installs the process's sink (replaces any previous one; call before creating a Client).
void set_event_sink(std::shared_ptr<EventSink> sink);
// The installed sink, or nullptr.
EventSink* event_sink() noexcept;

// Test sink: records every raised event; disposes of the types in `disposed_set`; answers the
// types in `abort_errno` with that errno.
class LoggingSink : public EventSink {
  public:
    explicit LoggingSink(std::uint64_t disposed_set = ~std::uint64_t{0})
        : disposed_(disposed_set) {}
    bool disposed(int type) override { return (disposed_ >> type) & 1u; }
    int raise(const FsEvent& ev) override;
    void abort_with(int type, int err);
    std::vector<FsEvent> events() const;
    void clear();

  private:
    std::uint64_t disposed_;
    mutable std::mutex mu_;
    std::vector<FsEvent> events_;
    std::map<int, int> abort_;
};

}  // namespace pfs::client
