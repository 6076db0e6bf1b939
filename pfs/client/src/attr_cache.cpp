#include "attr_cache.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "mpi_tools/transport.hpp"
#include "pfs/common/config.hpp"

namespace pfs::client {

namespace {

std::string key_of(std::string_view path, bool follow) {
    std::string k(path);
    k.push_back('\0');
    k.push_back(follow ? '1' : '0');
    return k;
}

bool contains(std::span<const Ino> s, Ino i) {
    return std::find(s.begin(), s.end(), i) != s.end();
}

}  // namespace

std::shared_ptr<AttrCache> AttrCache::of(mpi_tools::Transport& t, int rank) {
    static std::mutex mu;
    static std::map<mpi_tools::Transport*, std::shared_ptr<AttrCache>> caches;
    std::lock_guard lk(mu);
    auto& c = caches[&t];
    if (c) return c;
    c = std::make_shared<AttrCache>();
    // Test hook (tests/integration/pfs/attr_lease_silent_holder.sh): PFS_TEST_IGNORE_RECALLS=<world
    // rank> makes that rank's cache neither drop nor answer recalls, like a holder that hangs:
    // the server must then wait for the lease to run out, and the cache must stop trusting it.
    const char* ignore = std::getenv("PFS_TEST_IGNORE_RECALLS");
    if (ignore != nullptr && *ignore != '\0' && std::atoi(ignore) == rank) {
        std::fprintf(stderr, "pfs-client[%d]: PFS_TEST_IGNORE_RECALLS: recalls ignored\n", rank);
        t.serve(static_cast<std::uint16_t>(proto::MsgType::attr_recall_req),
                [](mpi_tools::Incoming&, mpi_tools::Responder) {});
        return c;
    }
    // Answered on the progress thread: dropping entries never blocks for long.
    t.serve(static_cast<std::uint16_t>(proto::MsgType::attr_recall_req),
            [cache = c](mpi_tools::Incoming& in, mpi_tools::Responder r) {
                auto q = proto::decode<proto::AttrRecallReq>(in.payload());
                if (!q) {
                    cache->clear();  // undecodable: drop everything rather than keep stale
                    r.reply(proto::encode(proto::StatusResp{q.error()}));
                    return;
                }
                cache->recall(q->entries, q->attrs);
                r.reply(proto::encode(proto::StatusResp{0}));
            });
    return c;
}

AttrCache::Ask AttrCache::ask() const {
    std::lock_guard lk(mu_);
    return Ask{generation_, Clock::now()};
}

std::optional<Attr> AttrCache::find(std::string_view path, bool follow) {
    const auto k = key_of(path, follow);
    std::lock_guard lk(mu_);
    auto it = entries_.find(k);
    if (it == entries_.end()) return std::nullopt;
    if (Clock::now() >= it->second.until) {
        erase(it);
        return std::nullopt;
    }
    return it->second.attr;
}

void AttrCache::insert(std::string_view path, bool follow, proto::AttrResp& r, const Ask& ask) {
    if (r.err != 0 || !r.leased) return;
    const Attr& a = r.attr;
    const auto until = ask.sent + config::kAttrLease;
    auto k = key_of(path, follow);
    std::lock_guard lk(mu_);
    const auto now = Clock::now();
    if (ask.generation != generation_ || now >= until) return;
    if (auto it = entries_.find(k); it != entries_.end()) erase(it);
    if (entries_.size() >= config::kAttrCacheEntries) {  // full: the run-out ones, else all
        for (auto it = entries_.begin(); it != entries_.end();) {
            auto next = std::next(it);
            if (now >= it->second.until) erase(it);
            it = next;
        }
        if (entries_.size() >= config::kAttrCacheEntries) erase_all();
    }
    by_final_.emplace(a.ino, k);
    if (a.type == FileType::dir) dirs_.insert(k);
    entries_.emplace(std::move(k), Entry{a, std::move(r.via), until});
}

void AttrCache::erase(Map::iterator it) {
    auto [b, e] = by_final_.equal_range(it->second.attr.ino);
    for (auto i = b; i != e; ++i)
        if (i->second == it->first) {
            by_final_.erase(i);
            break;
        }
    dirs_.erase(it->first);
    entries_.erase(it);
}

void AttrCache::erase_final(Ino ino) {
    auto [b, e] = by_final_.equal_range(ino);
    std::vector<std::string> keys;
    for (auto i = b; i != e; ++i) keys.push_back(i->second);
    for (const auto& k : keys)
        if (auto it = entries_.find(k); it != entries_.end()) erase(it);
}

void AttrCache::erase_all() {
    entries_.clear();
    by_final_.clear();
    dirs_.clear();
}

void AttrCache::on_recall(RecallListener l) {
    std::lock_guard lk(mu_);
    listener_ = std::move(l);
}

void AttrCache::recall(std::span<const Ino> entries, std::span<const Ino> attrs) {
    RecallListener l;
    {
        std::lock_guard lk(mu_);
        l = listener_;
    }
    if (l) l(entries, attrs);
    std::lock_guard lk(mu_);
    ++generation_;
    // Ino 0 (never an inode): the server could not list everything; drop all.
    if (contains(entries, 0) || contains(attrs, 0)) return erase_all();
    for (Ino i : attrs) erase_final(i);
    for (Ino i : entries) erase_final(i);
    if (entries.empty()) return;
    for (auto it = entries_.begin(); it != entries_.end();) {
        auto next = std::next(it);
        const auto& via = it->second.via;
        if (std::any_of(via.begin(), via.end(), [&](Ino v) { return contains(entries, v); }))
            erase(it);
        it = next;
    }
}

void AttrCache::drop_final(Ino ino) {
    std::lock_guard lk(mu_);
    ++generation_;
    erase_final(ino);
}

void AttrCache::drop_dirs() {
    std::lock_guard lk(mu_);
    ++generation_;
    const std::vector<std::string> keys(dirs_.begin(), dirs_.end());
    for (const auto& k : keys)
        if (auto it = entries_.find(k); it != entries_.end()) erase(it);
}

void AttrCache::clear() {
    std::lock_guard lk(mu_);
    ++generation_;
    erase_all();
}

std::size_t AttrCache::size() const {
    std::lock_guard lk(mu_);
    return entries_.size();
}

}  // namespace pfs::client
