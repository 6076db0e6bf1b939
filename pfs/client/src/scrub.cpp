// The orphan scrub (pfs scrub; Client::scrub_orphans): every object of every data volume is
// checked against the metadata server, as Lustre's LFSCK checks OST objects against the MDT.
// An object is an orphan when its inode is free or carries another generation. Objects are
// only ever created for a committed inode, so a file being created or written now is never
// taken for an orphan; a file unlinked meanwhile is one, and removing it twice is harmless.
#include "internal.hpp"

namespace pfs::client {

using namespace pfs::proto;

Result<Client::ScrubReport> Client::scrub_orphans(bool dry_run) {
    finish_removals();  // this client's own removals first: they are not orphans
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
