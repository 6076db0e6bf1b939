// The orphan scrub (pfs scrub; Client::scrub_orphans): every object of every data volume is
// checked against the metadata server, as Lustre's LFSCK checks OST objects against the MDT.
// An object is an orphan when its inode is free or carries another generation. First a
// snapshot of the live files (ScanInodesReq pages, in inode order: 16 bytes per file); an
// object not in it is asked about once more, live, before it counts as an orphan, because its
// file may have been created after the snapshot. Objects are only ever created for a committed
// inode, so a file being created or written now is never taken for an orphan; a file unlinked
// meanwhile is one, and removing it twice is harmless.
#include <algorithm>
#include <utility>
#include <vector>

#include "internal.hpp"

namespace pfs::client {

using namespace pfs::proto;

Result<Client::ScrubReport> Client::scrub_orphans(bool dry_run) {
    finish_removals();  // this client's own removals first: they are not orphans
    std::vector<std::pair<Ino, Gen>> live;  // sorted: the scan goes in inode order
    for (Ino from = 0;;) {
        auto page = scan_inodes(from, config::kReaddirMaxEntries);
        if (!page) return Errno{page.error()};
        for (const auto& a : page->attrs)
            if (a.type == FileType::file) live.emplace_back(a.ino, a.gen);
        if (page->eof || page->attrs.empty()) break;
        from = page->next;
    }
    std::sort(live.begin(), live.end());
    ScrubReport rep;
    for (std::uint32_t v = 0; v < num_servers_; ++v) {
        for (std::uint32_t shard = 0; shard < config::kObjectShards; ++shard) {
            ObjectId after{};
            for (bool done = false; !done;) {
                auto r = impl_->rpc<ListObjectsResp>(
                    data_rank(v), ListObjectsReq{v, shard, after, config::kMaxListObjects});
                if (r.err != 0) return Errno{r.err};
                done = r.shard_done || r.objects.empty();
                for (const auto& id : r.objects) {
                    after = id;
                    ++rep.objects;
                    if (std::binary_search(live.begin(), live.end(), std::pair{id.ino, id.gen}))
                        continue;
                    auto a = impl_->rpc<AttrResp>(meta_rank_, StatReq{id.ino});
                    if (a.err != 0 && a.err != ENOENT) return Errno{a.err};
                    if (a.err == 0 && a.attr.gen == id.gen && a.attr.type == FileType::file)
                        continue;
                    ++rep.orphans;
                    if (dry_run) continue;
                    auto d = impl_->rpc<StatusResp>(data_rank(v), RemoveReq{id.ino, id.gen, v});
                    if (d.err != 0) return Errno{d.err};
                    ++rep.removed;
                }
            }
        }
    }
    return rep;
}

}  // namespace pfs::client
