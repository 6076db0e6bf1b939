// The namespace service: every metadata request of pfs/proto mapped onto one MetaStore call
// (one LMDB transaction, committed when the reply is sent; config::MetaSync says how durable). The
// service never talks to data servers: when a name's last link goes (unlink, rename over a file)
// the reply carries the freed inode's identity and layout and the CLIENT deletes the objects (see
// docs/pfs.md).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "attr_leases.hpp"
#include "dir_delegations.hpp"
#include "pfs/meta/meta_store.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {

using namespace pfs::proto;

// Test hook (fail_loc style): PFS_META_FAIL_LOC=die_after_commit:<op>:<n>@<world rank> makes
// that rank SIGKILL itself right after its n-th committed <op> (create, mkdir, unlink, rmdir,
// rename, link, symlink), before the reply leaves: the window the reply cache exists for
// (tests/chaos/meta_rank_dies_after_commit.sh). An adopter is another rank, so it fires once.
class DieAfterCommit {
  public:
    explicit DieAfterCommit(int me) {
        const char* v = std::getenv("PFS_META_FAIL_LOC");
        if (v == nullptr) return;
        const std::string s(v), pre = "die_after_commit:";
        const auto colon = s.find(':', pre.size());
        const auto at = s.find('@');
        if (s.rfind(pre, 0) != 0 || colon == std::string::npos || at == std::string::npos ||
            at < colon || std::atoi(s.c_str() + at + 1) != me)
            return;
        op_ = s.substr(pre.size(), colon - pre.size());
        left_ = std::atoi(s.c_str() + colon + 1);
        me_ = me;
    }
    void committed(const char* op) {
        if (op_ != op || left_.fetch_sub(1) != 1) return;
        std::fprintf(stderr, "pfs-server[%d]: FAIL_LOC die_after_commit %s: SIGKILL\n", me_, op);
        std::fflush(stderr);
        ::raise(SIGKILL);
    }

  private:
    std::string op_;
    std::atomic<int> left_{0};
    int me_ = -1;
};

template <class R>
AttrResp attr_resp(const R& r) {
    AttrResp out;
    if (r)
        out.attr = *r;
    else
        out.err = r.error();
    return out;
}

StatusResp status_resp(const Result<void>& r) {
    return StatusResp{r.error()};
}

UnlinkResp unlink_resp(const Result<meta::Unlinked>& r) {
    UnlinkResp out;
    if (!r) {
        out.err = r.error();
        return out;
    }
    out.attr = r->inode.attr;
    out.freed = r->freed;
    out.dm = r->inode.dm;
    return out;
}

// fn(const Req&) -> Response inside an AttrLeases::Scope: what the call commits is recalled
// from the other leaseholders before the response leaves.
template <class Req, class Fn>
void serve_leased(mpi_tools::Transport& t, WorkerPool& pool, bool on_progress, AttrLeases& leases,
                  Fn fn) {
    using Resp = typename ResponseOf<Req>::type;
    RawWork work = [&leases, fn](std::span<const std::byte> frame, const mpi_tools::Responder& r) {
        auto req = proto::decode<Req>(frame);
        if (!req) {
            r.reply(error_reply<Resp>(req.error()));
            return;
        }
        AttrLeases::Scope scope(leases, r.peer());
        const Resp resp = fn(*req);
        scope.finish(r, proto::encode(resp));
    };
    auto err = [](int e) { return error_reply<Resp>(e); };
    const auto type = static_cast<std::uint16_t>(Req::kType);
    if (on_progress)
        serve_raw_inline(t, type, std::move(work), err);
    else
        serve_raw(t, pool, type, std::move(work), err);
}

}  // namespace

void serve_meta(mpi_tools::Transport& t, WorkerPool& pool, meta::MetaStore& m, int me,
                bool inline_writes, AttrLeases& leases, DirDelegations& delegations) {
    // Changes run on the progress thread when commits never wait for the disk, else on the pool.
    const bool iw = inline_writes;
    auto& L = leases;
    auto fl = std::make_shared<DieAfterCommit>(me);
    // A committed call passes through here before its reply is built.
    auto done = [fl](const char* op, const auto& r) -> const auto& {
        if (r) fl->committed(op);
        return r;
    };
    // The lookups every namespace call starts with are answered on the progress thread: one
    // LMDB read transaction (never blocked by writers), bounded by kPathMax and the symlink
    // limit. Everything else, and every write, runs on the worker pool.
    // A leased resolve registers the asker on what it read (attr_leases.hpp).
    serve_leased<LookupReq>(t, pool, true, L, [&m](const LookupReq& q) {
        return attr_resp(m.lookup(q.parent, q.name));
    });
    serve_leased<ResolveReq>(t, pool, true, L, [&m, &L](const ResolveReq& q) {
        if (!q.lease) return attr_resp(m.resolve(q.path, q.follow_final));
        const auto seq = L.begin_read();
        std::vector<Ino> traversed;
        AttrResp out = attr_resp(m.resolve(q.path, q.follow_final, &traversed));
        L.lease(out, std::move(traversed), seq);
        return out;
    });
    serve_leased<CreateReq>(t, pool, iw, L, [&m, done](const CreateReq& q) {
        return attr_resp(done(
            "create",
            m.create(q.parent, q.name, meta::CreateArgs{q.mode, q.uid, q.gid, q.layout}, q.rid)));
    });
    serve_leased<MkdirReq>(t, pool, iw, L, [&m, done](const MkdirReq& q) {
        return attr_resp(done("mkdir", m.mkdir(q.parent, q.name, q.mode, q.uid, q.gid, q.rid)));
    });
    serve_leased<CreateAtReq>(t, pool, iw, L, [&m, &L, done](const CreateAtReq& q) {
        const auto seq = L.begin_read();
        std::vector<Ino> traversed;
        auto r =
            m.create_at(q.parent_path, q.name, meta::CreateArgs{q.mode, q.uid, q.gid, q.layout},
                        q.rid, q.lease ? &traversed : nullptr);
        AttrResp out = attr_resp(done("create", r));
        // Not after a replayed outcome (nothing traversed): the file may have changed since.
        if (q.lease && !traversed.empty()) L.lease(out, std::move(traversed), seq);
        return out;
    });
    serve_leased<UnlinkReq>(t, pool, iw, L, [&m, done](const UnlinkReq& q) {
        return unlink_resp(done("unlink", m.unlink(q.parent, q.name, q.rid)));
    });
    serve_leased<UnlinkAtReq>(t, pool, iw, L, [&m, done](const UnlinkAtReq& q) {
        return unlink_resp(done("unlink", m.unlink_at(q.parent_path, q.name, q.rid)));
    });
    serve_leased<RmdirReq>(t, pool, iw, L, [&m, done](const RmdirReq& q) {
        return status_resp(done("rmdir", m.rmdir(q.parent, q.name, q.rid)));
    });
    serve_leased<RenameReq>(t, pool, iw, L, [&m, done](const RenameReq& q) {
        RenameResp out;
        auto r = m.rename(q.src_parent, q.src_name, q.dst_parent, q.dst_name, q.rid);
        done("rename", r);
        if (!r) {
            out.err = r.error();
            return out;
        }
        if (r->replaced) {
            out.replaced_freed = r->replaced->freed;
            out.replaced = r->replaced->inode.attr;
            out.replaced_dm = std::move(r->replaced->inode.dm);
        }
        return out;
    });
    serve_leased<LinkReq>(t, pool, iw, L, [&m, done](const LinkReq& q) {
        return attr_resp(done("link", m.link(q.ino, q.new_parent, q.name, q.rid)));
    });
    serve_leased<SymlinkReq>(t, pool, iw, L, [&m, done](const SymlinkReq& q) {
        return attr_resp(
            done("symlink", m.symlink(q.parent, q.name, q.target, q.uid, q.gid, q.rid)));
    });
    // Directory delegations (dir_delegations.hpp): the grant takes a lease on the path as a
    // leased resolve does; a batch's new files are leased to the holder.
    auto& D = delegations;
    serve_leased<DelegateReq>(t, pool, iw, L, [&m, &L, &D](const DelegateReq& q) {
        DelegateResp out;
        const int holder = AttrLeases::requester();
        if (D.full()) {
            out.err = EBUSY;
            return out;
        }
        const auto seq = L.begin_read();
        auto r = m.delegate(q.path, holder, config::kDelegationPool);
        if (!r) {
            out.err = r.error();
            return out;
        }
        D.granted(r->dir.ino, holder);
        out.attr = r->dir;
        out.pool = r->delegation.pool;
        out.layout = m.default_layout();
        out.leased = L.grant(holder, r->traversed, r->dir.ino, seq);
        if (out.leased) out.via = std::move(r->traversed);
        return out;
    });
    serve_leased<WritebackReq>(t, pool, iw, L, [&m, &L, &D, done](const WritebackReq& q) {
        WritebackResp out;
        const int holder = AttrLeases::requester();
        const auto seq = L.begin_read();
        auto r = m.writeback(q.dir, holder, q.seq, q.ops, q.give_back,
                             q.refill ? config::kDelegationPool : 0);
        done("writeback", r);
        if (!r) {
            out.err = r.error();
            return out;
        }
        if (q.give_back) D.ended(q.dir);
        out.op_errs.assign(r->op_errs.begin(), r->op_errs.end());
        out.freed = std::move(r->freed);
        if (r->pool) out.pool = *r->pool;
        const Ino via[] = {q.dir};
        out.leased = !r->duplicate;
        for (Ino i : r->created) out.leased = L.grant(holder, via, i, seq) && out.leased;
        return out;
    });
    serve_leased<ReadlinkReq>(t, pool, false, L, [&m](const ReadlinkReq& q) {
        ReadlinkResp out;
        auto r = m.readlink(q.ino);
        if (r)
            out.target = std::move(*r);
        else
            out.err = r.error();
        return out;
    });
    serve_leased<ScanInodesReq>(t, pool, false, L, [&m](const ScanInodesReq& q) {
        ScanInodesResp out;
        auto r = m.scan_inodes(q.from, q.max_entries);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.attrs = std::move(r->attrs);
        out.next = r->next;
        out.eof = r->eof;
        return out;
    });
    serve_leased<ReaddirReq>(t, pool, false, L, [&m](const ReaddirReq& q) {
        ReaddirResp out;
        auto r = m.readdir(q.dir, q.cookie, q.max_entries);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.entries = std::move(r->entries);
        out.next_cookie = r->next_cookie;
        out.eof = r->eof;
        return out;
    });
    serve_leased<MetaSyncReq>(t, pool, false, L,
                              [&m](const MetaSyncReq&) { return status_resp(m.sync()); });
    serve_leased<StatReq>(t, pool, true, L,
                          [&m](const StatReq& q) { return attr_resp(m.stat(q.ino)); });
    serve_leased<SetattrReq>(t, pool, iw, L, [&m](const SetattrReq& q) {
        return attr_resp(m.setattr(q.ino, q.changes));
    });
    serve_leased<ExtendSizeReq>(t, pool, iw, L, [&m](const ExtendSizeReq& q) {
        return attr_resp(m.extend_size(q.ino, q.end));
    });
    serve_leased<GetDmReq>(t, pool, false, L, [&m](const GetDmReq& q) {
        GetDmResp out;
        auto r = m.get_inode(q.ino);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.dm = std::move(r->dm);
        out.change = r->attr.change;
        return out;
    });
    serve_leased<SetDmAttrReq>(t, pool, false, L, [&m](const SetDmAttrReq& q) {
        return status_resp(m.set_dm_attr(q.ino, q.name, q.value, q.set_dtime));
    });
    serve_leased<RemoveDmAttrReq>(t, pool, false, L, [&m](const RemoveDmAttrReq& q) {
        return status_resp(m.remove_dm_attr(q.ino, q.name, q.set_dtime));
    });
    serve_leased<SetEventSetReq>(t, pool, false, L, [&m](const SetEventSetReq& q) {
        return status_resp(m.set_event_set(q.ino, q.event_set));
    });
    serve_leased<SetRegionsReq>(t, pool, false, L, [&m](const SetRegionsReq& q) {
        return status_resp(m.set_regions(q.ino, q.regions));
    });
    serve_leased<SetDtimeReq>(t, pool, false, L, [&m](const SetDtimeReq& q) {
        return status_resp(m.set_dtime(q.ino, q.dtime_ns));
    });
}

}  // namespace pfs::server
