// Attribute leases of the metadata server: which ranks cache which resolved paths, and the recall
// that makes a change of the namespace or of attributes hold everywhere before it returns (the
// role GPFS's inode and directory tokens play for stat; DESIGN.md section 4's rule for every
// wait). docs/pfs.md "Attribute leases" describes the protocol.
//
// - A lease is asked for with a ResolveReq or CreateAtReq (`lease`). The server records the asker
//   on every directory the walk traversed (kind "entries") and on the final inode (kind "attrs"),
//   each until now + config::kAttrLease, and answers `leased`.
// - Every commit reports the inodes it touched (MetaStore's change observer, on the committing
//   thread). A removed name or freed inode takes the holders of both kinds; a changed attribute
//   (including a directory's times when a name is added) only the "attrs" holders. The rank
//   that asked for the change is not recalled (its client drops what its own change affects) but
//   stays registered.
// - The change's reply waits until every recalled holder answered AttrRecallReq, is declared
//   dead (EHOSTDOWN), or its lease ran out. The wait runs on a thread of this table, never on the
//   progress thread or a worker. With no holder to recall (the common case) the reply leaves at
//   once.
// - A read that raced a change: the asker is registered under the table's lock, and refused a
//   lease if any inode it read changed after the read began (a per-inode change sequence), so a
//   lease is never granted on a snapshot older than a change that no longer recalls it.
// - The adopter of a dead metadata server does not know that server's leases: it holds every
//   change's reply back until kAttrLease after it took the volume over.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpi_tools/transport.hpp"
#include "pfs/meta/meta_store.hpp"
#include "pfs/proto/messages.hpp"

namespace pfs::server {

class AttrLeases {
  public:
    using Clock = std::chrono::steady_clock;
    using Bytes = std::vector<std::byte>;
    // Per rank to recall: what to drop, and until when its leases ran (the longest wait).
    using Recalls = std::map<int, std::pair<proto::AttrRecallReq, Clock::time_point>>;

    // `hold`: changes answered no earlier than now + hold (an adopter: config::kAttrLease).
    AttrLeases(mpi_tools::Transport& t, std::chrono::milliseconds lease,
               std::chrono::milliseconds hold = std::chrono::milliseconds{0});
    ~AttrLeases();
    AttrLeases(const AttrLeases&) = delete;
    AttrLeases& operator=(const AttrLeases&) = delete;

    // Before a leased read: the change sequence to hand to grant().
    std::uint64_t begin_read() const;
    // After the read: registers `rank` on `traversed` (entries) and `final_ino` (attrs). False,
    // and nothing registered, if one of them changed since `seq` or the table is full.
    bool grant(int rank, std::span<const Ino> traversed, Ino final_ino, std::uint64_t seq);
    // grant() for the requester of this thread's Scope on a successful answer: sets its
    // `leased` and, if granted, `via`.
    void lease(proto::AttrResp& out, std::vector<Ino> traversed, std::uint64_t seq);

    // The MetaStore change observer.
    void changed(const std::vector<meta::InodeChange>& changes);

    // Brackets one request's handler on its thread: changes committed inside are recalled from
    // every holder but `requester`, and finish() sends `reply` once they are.
    class Scope {
      public:
        Scope(AttrLeases& leases, int requester);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        void finish(const mpi_tools::Responder& r, Bytes reply);
        // The recalls so far, for a handler that answers later itself (recall_then_reply).
        Recalls take();

      private:
        AttrLeases& leases_;
    };

    // The requester of the request whose Scope is open on this thread, or -1.
    static int requester();
    // Sends the recalls and answers `reply` on r (if any) once they are done (or ran out).
    void recall_then_reply(const Recalls& recalls, std::optional<mpi_tools::Responder> r,
                           Bytes reply);
    // Sends one request whose answer nobody waits for (a delegation recall); this table's
    // thread collects the answer, or gives up at `until`.
    void send(int rank, proto::MsgType type, Bytes frame, Clock::time_point until);

  private:
    struct Holder {
        Clock::time_point entries{};  // lease on names under this directory, until
        Clock::time_point attrs{};    // lease on this inode's attributes, until
    };
    struct Pending;  // one change's reply waiting for its recalls (attr_leases.cpp)

    void sweep(Clock::time_point now);  // drops run-out leases; under mu_
    void recall_thread();

    mpi_tools::Transport& t_;
    const std::chrono::milliseconds lease_;
    const Clock::time_point hold_until_;

    mutable std::mutex mu_;
    std::uint64_t seq_ = 0;    // bumped by every changed inode
    std::uint64_t floor_ = 0;  // changes older than the forgotten part of last_change_
    std::unordered_map<Ino, std::uint64_t> last_change_;
    std::unordered_map<Ino, std::map<int, Holder>> holders_;
    std::size_t leases_ = 0;
    Clock::time_point next_sweep_{};

    std::mutex q_mu_;
    std::condition_variable q_cv_;
    std::deque<std::unique_ptr<Pending>> queue_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace pfs::server
