// Write-back of namespace changes in delegated directories (docs/pfs.md "Directory
// delegations"; the server side is pfs/server/dir_delegations.hpp).
//
// A rank that made a directory asks the metadata server to hand it over (DelegateReq). While it
// holds it, creates, stats and unlinks of names in it are answered here, from memory: the rank
// knows every name in it (it was empty when handed over and only this rank changes it). The
// changes go to the server in batches (WritebackReq, one LMDB transaction each) when a batch is
// full (config::kWritebackBatch), when its oldest change is config::kWritebackDelay old (this
// class's thread), before any other request of the rank to the metadata server, at fsync, when
// the server recalls the directory (another rank wants it), and when the client ends.
//
// - Any other request to the metadata server first sends every batch and waits for the
//   answers, so the server has everything this rank did; a change request (anything but a
//   lookup) first gives every directory back, so that what this rank knows stays complete.
// - A change the server refuses after it was acknowledged (it cannot be, short of a full
//   metadata volume) is reported on stderr and by the next fsync (EIO), as a local file system
//   reports a failed write-back.
// - The path stays bound to the directory only under the lease the grant (or a leased resolve
//   of the path) carried: a recall of a directory on the way drops the binding, and the next
//   change asks again.
// - One per process and transport (the server knows ranks, not clients), shared by its clients.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attr_cache.hpp"
#include "pfs/common/result.hpp"
#include "pfs/common/types.hpp"
#include "pfs/proto/messages.hpp"

namespace mpi_tools {
class Job;
class PendingCall;
class Transport;
}  // namespace mpi_tools

namespace pfs::client {

struct WritebackInfo {
    std::size_t held = 0;         // directories held now
    std::uint64_t local_ops = 0;  // creates, stats and unlinks answered from memory
    std::uint64_t batches = 0;    // WritebackReqs sent
    std::uint64_t lost = 0;       // acknowledged changes the server refused
};

class WriteBack {
  public:
    using Clock = std::chrono::steady_clock;
    // Asks the metadata server for a leased resolve of a path (through the client's retries).
    using Resolver = std::function<proto::AttrResp(const std::string& path)>;

    // The process's instance for `job` (made by the first client that asks).
    // `cache`: the process's attribute cache, told of what the changes made here invalidate.
    static std::shared_ptr<WriteBack> of(mpi_tools::Job& job, int meta_home,
                                         std::chrono::milliseconds timeout,
                                         std::shared_ptr<AttrCache> cache);
    // The process's instance for `t` if one exists: a client that does no write-back itself
    // still passes it before its metadata requests (the server knows ranks, not clients).
    static std::shared_ptr<WriteBack> find(mpi_tools::Transport& t);
    WriteBack(mpi_tools::Job& job, int meta_home, std::chrono::milliseconds timeout,
              std::shared_ptr<AttrCache> cache);
    ~WriteBack();
    WriteBack(const WriteBack&) = delete;
    WriteBack& operator=(const WriteBack&) = delete;

    // The grant of the directory at canonical `path` (sent at `sent`), if any.
    void granted(const std::string& path, const proto::DelegateResp& r, Clock::time_point sent);

    // The local operations. nullopt: not a delegated directory here (or not now): the caller
    // asks the server. `parent` is canonical (Client's split()).
    std::optional<Result<Attr>> create(const std::string& parent, const std::string& name,
                                       std::uint32_t mode, bool excl, const Resolver& resolve);
    std::optional<Result<Attr>> stat(const std::string& parent, const std::string& name);
    std::optional<Result<void>> unlink(const std::string& parent, const std::string& name,
                                       const Resolver& resolve);
    bool held_path(std::string_view path) const;

    // Before a request of `type` to the metadata server: sends every batch (a lookup) or gives
    // every directory back (a change), and waits for the answers.
    void before_request(std::uint16_t type);
    // Sends every batch (give_back: and gives every directory back) and waits for the answers.
    void flush(bool give_back);
    // How many acknowledged changes the server refused since the last call.
    std::uint64_t take_lost();
    // Unlinked files that may have data objects, for the caller to remove.
    std::vector<Attr> take_freed();
    WritebackInfo info() const;

    // The server's recall of a directory (DelegRecallReq), of cached paths (AttrRecallReq), and
    // a recovery (the metadata server may be an adopter that knows none of this rank's leases).
    void recall(Ino dir);
    void attr_recall(std::span<const Ino> entries, std::span<const Ino> attrs);
    void recovered();

  private:
    struct Name {
        Attr attr;
        bool pending = true;              // its create is not acknowledged yet
        Clock::time_point lease_until{};  // acknowledged: attributes current until then
    };
    struct Dir {
        Ino ino = 0;
        std::string path;
        std::vector<Ino> via;  // the directories the path goes through (the binding's lease)
        Clock::time_point bound_until{};
        InoPool cur, next;
        std::uint32_t used = 0;  // of cur
        bool want_refill = false, refill_asked = false;
        Layout layout;
        std::uint32_t rr = 0;  // round-robin first server of new files
        std::unordered_map<std::string, Name> names;
        std::vector<NsOp> batch;
        Clock::time_point oldest{};
        std::uint64_t next_seq = 1;
    };
    struct Flight {
        proto::WritebackReq req;
        std::string path;  // the directory's, for messages
        std::shared_ptr<mpi_tools::PendingCall> pc;
        int to = -1;
        Clock::time_point sent{}, deadline{};
        std::uint64_t recall_gen = 0;
        std::chrono::milliseconds backoff{1};
    };

    int route() const;
    Dir* find_dir(const std::string& path);  // under mu_
    // Binds the path again if its lease ran out: false if it no longer names the directory
    // (then given back). Takes and returns with `lk` held.
    bool bound(std::unique_lock<std::mutex>& lk, Dir*& d, const std::string& path,
               const Resolver& resolve);
    void post(Dir& d, bool give_back);  // under mu_
    void give_back(Dir& d);             // under mu_: post with give_back, forget it
    void send(Flight f, bool again);    // under mu_; again: ahead of the later flights
    // Awaits the oldest flight (block: even if not answered yet); false if none was taken.
    bool settle_one(bool block);
    void settle_all();
    void settled(Flight& f, const proto::WritebackResp& r);  // under mu_
    void loop();

    mpi_tools::Job& job_;
    const int meta_home_;
    const std::uint32_t servers_;  // data servers: new files' first servers go round
    const std::chrono::milliseconds timeout_;
    const std::shared_ptr<AttrCache> cache_;

    mutable std::mutex mu_;
    std::map<Ino, Dir> dirs_;
    std::unordered_map<std::string, Ino> by_path_;
    std::deque<Flight> flights_;
    std::uint64_t recall_gen_ = 0;
    std::uint64_t lost_ = 0, local_ops_ = 0, batches_ = 0;
    std::vector<Attr> freed_;

    std::mutex settle_mu_;  // one thread awaits flights at a time, oldest first
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace pfs::client
