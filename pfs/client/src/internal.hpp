// Internals of pfs::client::Client shared by its source files: request/response with retries,
// the pipelined data path and path splitting.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attr_cache.hpp"
#include "direct_volumes.hpp"
#include "mpi_tools/ft.hpp"
#include "mpi_tools/transport.hpp"
#include "pfs/client/client.hpp"
#include "pfs/client/striping.hpp"
#include "pfs/proto/messages.hpp"
#include "writeback.hpp"

namespace pfs::client {

using Bytes = std::vector<std::byte>;
using Clock = std::chrono::steady_clock;

// What the user sees for a transport failure: a dead server (EHOSTDOWN), a missed deadline
// (ETIMEDOUT) or a second epoch change (ECANCELED) are all EIO.
int user_errno(int transport_err);

// The `err` field of any PFS response frame (u16 type, i32 err lead every response), or EIO.
int peek_err(std::span<const std::byte> frame);

// Decodes a reply of type Resp; a StatusResp in its place carries the error (a server refusing
// a request answers in its own terms); anything else is EIO.
template <class Resp>
Resp decode_reply(std::span<const std::byte> frame) {
    Resp out{};
    auto t = proto::peek_type(frame);
    if (t && *t == Resp::kType) {
        auto r = proto::decode<Resp>(frame);
        if (r) return std::move(*r);
    } else if (t && *t == proto::MsgType::status_resp) {
        auto s = proto::decode<proto::StatusResp>(frame);
        if (s && s->err != 0) {
            out.err = s->err;
            return out;
        }
    }
    out.err = EIO;
    return out;
}

// A small request as a frame for pipeline() (one copy of its few bytes).
template <class M>
mpi_tools::OutFrame frame_of(const M& m) {
    return mpi_tools::OutFrame::copy_of(proto::encode(m));
}

// One contiguous object range of one server and the user-buffer pieces it maps to.
struct Chunk {
    std::uint32_t server = 0;
    std::uint64_t object_offset = 0;
    std::uint64_t length = 0;
    std::vector<BufferSegment> segments;
};

// Cuts per-server ranges into chunks of at most `max_bytes` (objects are dense per server, so a
// chunk is still one contiguous object range).
std::vector<Chunk> make_chunks(const std::vector<ServerRange>& ranges, std::uint64_t max_bytes);

// The DM state this rank caches for event generation: per inode its event list and managed
// regions, and the file system's event list and return-on-destroy name. Entries are added only
// if no invalidation arrived while they were fetched (epoch), so a change the metadata server
// already invalidated is never re-cached from an older reply.
class DmCache;

// An operation that checked the cached regions and goes on without an event holds a Pin on
// the inode until it is done: an invalidation of that inode is answered only when no pin is
// left, so a region change never returns while an operation that missed it still runs.
// (An operation that raised an event holds none: the DM application answered it, and may
// well change the regions before answering.)
class DmPin {
  public:
    DmPin() = default;
    DmPin(DmPin&& o) noexcept : c_(o.c_), ino_(o.ino_) { o.c_ = nullptr; }
    DmPin& operator=(DmPin&& o) noexcept {
        if (this != &o) {
            release();
            c_ = o.c_;
            ino_ = o.ino_;
            o.c_ = nullptr;
        }
        return *this;
    }
    DmPin(const DmPin&) = delete;
    DmPin& operator=(const DmPin&) = delete;
    ~DmPin() { release(); }

  private:
    friend class DmCache;
    DmPin(DmCache* c, Ino ino) : c_(c), ino_(ino) {}
    void release() noexcept;
    DmCache* c_ = nullptr;
    Ino ino_ = 0;
};

struct DmFileView {
    std::uint64_t event_set = 0;
    std::vector<ManagedRegion> regions;
    std::uint8_t held_right = 0;  // the strongest DM access right held on the file
};
struct DmFsView {
    std::uint64_t event_set = 0;
    std::string rod_name;
    bool rights_active = false;  // a DM access right was ever granted in the file system
};

class DmCache {
  public:
    using View = DmFileView;
    using FsView = DmFsView;
    std::optional<View> find(Ino ino, Gen gen) const;
    // find() and, when found, a pin on the inode, atomically.
    std::optional<View> find_pinned(Ino ino, Gen gen, DmPin* pin);
    std::optional<FsView> fs() const;
    // fs() and, when cached, a pin on the file system's state (ino 0), atomically.
    std::optional<FsView> fs_pinned(DmPin* pin);
    std::uint64_t epoch() const;
    void put(Ino ino, Gen gen, View v, std::uint64_t epoch_at_request);
    void put_fs(FsView v, std::uint64_t epoch_at_request);
    // Drops the inode's entry (ino 0: the file system's state); `done` runs once no pin on the
    // inode is left (at once, or from the last pin's release).
    void invalidate(Ino ino, std::function<void()> done = {});
    // Drops every entry (after a recovery: the metadata server may be another rank now).
    void invalidate_all();
    std::uint64_t invalidations() const;

  private:
    friend class DmPin;
    mutable std::mutex mu_;
    std::map<Ino, std::pair<Gen, View>> files_;
    std::optional<FsView> fs_;
    std::uint64_t epoch_ = 0;
    std::map<Ino, std::uint64_t> pins_;
    std::map<Ino, std::vector<std::function<void()>>> waiting_;
};

struct Client::Impl {
    Impl(mpi_tools::Transport& tr, const ClientOptions& o, int rank)
        : t(tr), opt(o), attr_cache(AttrCache::of(tr, rank)) {}
    mpi_tools::Transport& t;
    ClientOptions opt;
    // Volume adoption (docs/pfs.md): callers address a volume by its home rank (meta rank 0,
    // data rank i); route(home) is the rank serving it now (mpi_tools::VolumeMap over the FT
    // layer's agreed members). Unset: every volume stays at home.
    std::function<int(int home)> route;
    bool adoption = false;  // a dead server's volume is adopted: wait for it instead of EIO
    // Volumes read and written without their server (direct_volumes.hpp); null: none.
    std::unique_ptr<DirectVolumes> direct;

    // Mutating metadata requests carry an id that stays the same across call()'s retries, so
    // an adopter answers one the dead meta rank committed from its reply cache (docs/pfs.md).
    // The incarnation tells this client from an earlier or later one on the same rank.
    std::uint32_t client_rank = 0;
    std::uint64_t incarnation = 0;
    std::atomic<std::uint64_t> last_seq{0};
    ReqId next_rid() { return ReqId{client_rank, incarnation, ++last_seq}; }

    mpi_tools::ft::Deadline deadline() const { return Clock::now() + opt.timeout; }
    // How long a request with deadline dl may wait while its server confirms it is still
    // working on it (a slow disk, not a dead or hung server): PFS_CLIENT_HARD_TIMEOUT_MS.
    mpi_tools::ft::Deadline hard(mpi_tools::ft::Deadline dl) const {
        return opt.hard_timeout > opt.timeout ? dl + (opt.hard_timeout - opt.timeout) : dl;
    }
    int server_of(int home) const { return route ? route(home) : home; }
    // After `to` failed (EHOSTDOWN) while serving home's volume: waits, bounded by dl, until
    // the recovery moved the volume to another rank. False at the deadline (or no adoption).
    bool await_adopter(int home, int to, mpi_tools::ft::Deadline dl) const;
    // Whether a failed attempt at `to` for home's volume is retried: the epoch changed under
    // it (ECANCELED), its server died and a survivor adopts the volume (EHOSTDOWN), or an
    // adopter answered before it opened the volume (EAGAIN / EOPNOTSUPP from a rank that is
    // not the volume's home).
    bool retry_after(int transport_err, int home, int to, mpi_tools::ft::Deadline dl) const;
    // Whether a reply's errno asks to try the same request again after a back-off: the server
    // is busy (EAGAIN), or an adopter (to != home) does not serve the volume yet (EOPNOTSUPP).
    static bool busy_reply(int err, int home, int to) {
        return err == EAGAIN || (err == EOPNOTSUPP && to != home);
    }

    // One request with the retry rules (ECANCELED and a dead server's adoption until the
    // deadline, EAGAIN with back-off until the deadline). `dest` is the volume's home rank.
    // Reply.err is already a user errno; on success the payload is the response.
    mpi_tools::Reply call(int dest, std::uint16_t type, std::span<const std::byte> frame);
    // This process's write-back of delegated directories (null: off for this client). Every
    // request to the metadata volume (meta_home) passes the process's write-back first
    // (WriteBack::before_request), this client's or another's.
    std::shared_ptr<WriteBack> wb;
    int meta_home = -1;

    template <class Resp, class Req>
    Resp rpc(int dest, const Req& req) {
        return rpc_then<Resp>(dest, req, [](const Resp&) {});
    }
    // The same, with `seen(reply)` called before the change's own invalidation of the attribute
    // cache (own_change: whatever the outcome, a retried change may have committed). A leased
    // create caches its new file there: own_change then drops only what the create changed.
    template <class Resp, class Req, class Fn>
    Resp rpc_then(int dest, const Req& req, Fn&& seen) {
        const auto frame = proto::encode(req);
        auto r = call(dest, static_cast<std::uint16_t>(Req::kType), frame);
        Resp out{};
        if (r.err != 0)
            out.err = r.err;
        else
            out = decode_reply<Resp>(r.payload);
        seen(out);
        own_change(*attr_cache, req);
        return out;
    }
    // This process's attribute cache (one per transport): always kept up to date with this
    // rank's own changes, consulted only with opt.attr_cache.
    std::shared_ptr<AttrCache> attr_cache;

    // Runs n requests with at most opt.max_inflight outstanding, each with the retry rules.
    // dest(i) is the home rank of request i's volume; make_frame(i) builds request i (again for
    // each retry: the engine owns a frame once it is posted); on_reply(i, frame) consumes its
    // reply, in place in the receive buffer, and returns 0 or an errno. Returns the first error
    // (every request in flight is still awaited).
    int pipeline(std::size_t n, std::uint16_t type, const std::function<int(std::size_t)>& dest,
                 const std::function<mpi_tools::OutFrame(std::size_t)>& make_frame,
                 const std::function<int(std::size_t, std::span<const std::byte>)>& on_reply);

    // Object removals sent and not yet answered (removals.cpp), oldest first.
    struct Removal {
        int home = -1, to = -1;  // the volume's home rank; the rank the request went to
        proto::RemoveReq req;
        std::shared_ptr<mpi_tools::PendingCall> pc;
        mpi_tools::ft::Deadline dl;
        std::chrono::milliseconds backoff;
    };
    std::mutex removals_mu;
    std::deque<Removal> removals;
    // Sends the removal of one object (home: its volume's home rank) without waiting for it.
    void post_removal(int home, const proto::RemoveReq& req, mpi_tools::ft::Deadline dl,
                      std::chrono::milliseconds backoff);
    // Collects the answered removals, then waits for the oldest until at most `keep` are
    // outstanding, retrying as pipeline() does; one that still fails leaves an orphan object.
    void settle_removals(std::size_t keep);
    bool removals_pending() {
        std::lock_guard lk(removals_mu);
        return !removals.empty();
    }
};

}  // namespace pfs::client
