// The attribute cache of one rank's clients: stat/lstat answers by path, kept under the metadata
// server's attribute leases (pfs/server/attr_leases.hpp; docs/pfs.md "Attribute leases").
//
// An entry is kept until its lease runs out (config::kAttrLease from when the request was SENT),
// until the server recalls it (AttrRecallReq: before a change that affects it returns), or until
// this rank changes something it may depend on itself: the server does not recall the rank that
// asked for a change, so Client::Impl::rpc applies own_change() to every change it sends.
// Entries are inserted only if no recall or own change arrived since the request was sent
// (generation), so a reply overtaken by a recall never re-caches the old state.
//
// One cache per process and transport, shared by its Client objects (the server knows ranks,
// not clients); the recall handler runs on the progress thread and only drops entries.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pfs/common/types.hpp"
#include "pfs/proto/messages.hpp"

namespace mpi_tools {
class Transport;
}

namespace pfs::client {

class AttrCache {
  public:
    using Clock = std::chrono::steady_clock;

    // The process's cache for rank `rank` talking through `t`; registers the recall handler once.
    static std::shared_ptr<AttrCache> of(mpi_tools::Transport& t, int rank);

    // Taken just before a leased request is sent: the lease runs from `sent` (before the
    // server's count starts), and the answer is cached only if nothing was dropped since.
    struct Ask {
        std::uint64_t generation = 0;
        Clock::time_point sent{};
    };
    Ask ask() const;
    std::optional<Attr> find(std::string_view path, bool follow);
    // Caches a leased answer (r.leased; r.via: the directories the server's walk went through).
    void insert(std::string_view path, bool follow, proto::AttrResp& r, const Ask& ask);

    // The server's recall (proto::AttrRecallReq's rule).
    void recall(std::span<const Ino> entries, std::span<const Ino> attrs);
    // What a change this rank made invalidates here (see own_change in internal.hpp).
    void drop_final(Ino ino);  // paths ending at ino
    void drop_dirs();          // paths ending at a directory (a name added: its times changed)
    void clear();

    std::size_t size() const;
    // Also told of every recall (the write-back's leases: writeback.hpp). Set once, early.
    using RecallListener = std::function<void(std::span<const Ino>, std::span<const Ino>)>;
    void on_recall(RecallListener l);

  private:
    struct Entry {
        Attr attr;
        std::vector<Ino> via;
        Clock::time_point until;
    };
    using Map = std::unordered_map<std::string, Entry>;  // key: path + '\0' + follow

    void erase(Map::iterator it);  // under mu_ (and each erase_* bumps generation_)
    void erase_final(Ino ino);
    void erase_all();

    mutable std::mutex mu_;
    RecallListener listener_;
    std::uint64_t generation_ = 0;
    Map entries_;
    std::unordered_multimap<Ino, std::string> by_final_;  // drop_final / recall by inode
    std::unordered_set<std::string> dirs_;                // entries ending at a directory
};

// Applies the local invalidation that a change of type Req by this rank needs (the server
// recalls every other rank). Called with the reply in hand, whatever its outcome.
template <class Req>
void own_change(AttrCache& c, const Req& q) {
    using namespace proto;
    if constexpr (std::is_same_v<Req, CreateReq> || std::is_same_v<Req, CreateAtReq> ||
                  std::is_same_v<Req, MkdirReq> || std::is_same_v<Req, SymlinkReq>) {
        c.drop_dirs();
    } else if constexpr (std::is_same_v<Req, LinkReq>) {
        c.drop_dirs();
        c.drop_final(q.ino);
    } else if constexpr (std::is_same_v<Req, SetattrReq> || std::is_same_v<Req, ExtendSizeReq>) {
        c.drop_final(q.ino);
    } else if constexpr (std::is_same_v<Req, UnlinkReq> || std::is_same_v<Req, UnlinkAtReq> ||
                         std::is_same_v<Req, RmdirReq> || std::is_same_v<Req, RenameReq> ||
                         std::is_same_v<Req, DmUpdateReq> || std::is_same_v<Req, SetDmAttrReq> ||
                         std::is_same_v<Req, RemoveDmAttrReq> ||
                         std::is_same_v<Req, SetEventSetReq> ||
                         std::is_same_v<Req, SetRegionsReq> || std::is_same_v<Req, SetDtimeReq>) {
        c.clear();  // names removed or moved, DM state: rare, so simply everything
    }
}

}  // namespace pfs::client
