// The namespace service: every metadata request of pfs/proto mapped onto one MetaStore call
// (one LMDB transaction, durable when the reply is sent). The service never talks to data
// servers: when a name's last link goes (unlink, rename over a file) the reply carries the
// freed inode's identity and layout and the CLIENT deletes the objects (see docs/pfs.md).
#include "pfs/meta/meta_store.hpp"
#include "service.hpp"

namespace pfs::server {

namespace {

using namespace pfs::proto;

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

}  // namespace

void serve_meta(mpi_tools::Transport& t, WorkerPool& pool, meta::MetaStore& m) {
    serve_typed<LookupReq>(
        t, pool, [&m](const LookupReq& q) { return attr_resp(m.lookup(q.parent, q.name)); });
    serve_typed<ResolveReq>(t, pool, [&m](const ResolveReq& q) {
        return attr_resp(m.resolve(q.path, q.follow_final));
    });
    serve_typed<CreateReq>(t, pool, [&m](const CreateReq& q) {
        return attr_resp(
            m.create(q.parent, q.name, meta::CreateArgs{q.mode, q.uid, q.gid, q.layout}));
    });
    serve_typed<MkdirReq>(t, pool, [&m](const MkdirReq& q) {
        return attr_resp(m.mkdir(q.parent, q.name, q.mode, q.uid, q.gid));
    });
    serve_typed<UnlinkReq>(t, pool, [&m](const UnlinkReq& q) {
        UnlinkResp out;
        auto r = m.unlink(q.parent, q.name);
        if (!r) {
            out.err = r.error();
            return out;
        }
        out.attr = r->inode.attr;
        out.freed = r->freed;
        out.dm = std::move(r->inode.dm);
        return out;
    });
    serve_typed<RmdirReq>(
        t, pool, [&m](const RmdirReq& q) { return status_resp(m.rmdir(q.parent, q.name)); });
    serve_typed<RenameReq>(t, pool, [&m](const RenameReq& q) {
        RenameResp out;
        auto r = m.rename(q.src_parent, q.src_name, q.dst_parent, q.dst_name);
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
    serve_typed<LinkReq>(
        t, pool, [&m](const LinkReq& q) { return attr_resp(m.link(q.ino, q.new_parent, q.name)); });
    serve_typed<SymlinkReq>(t, pool, [&m](const SymlinkReq& q) {
        return attr_resp(m.symlink(q.parent, q.name, q.target, q.uid, q.gid));
    });
    serve_typed<ReadlinkReq>(t, pool, [&m](const ReadlinkReq& q) {
        ReadlinkResp out;
        auto r = m.readlink(q.ino);
        if (r)
            out.target = std::move(*r);
        else
            out.err = r.error();
        return out;
    });
    serve_typed<ScanInodesReq>(t, pool, [&m](const ScanInodesReq& q) {
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
    serve_typed<ReaddirReq>(t, pool, [&m](const ReaddirReq& q) {
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
    serve_typed<StatReq>(t, pool, [&m](const StatReq& q) { return attr_resp(m.stat(q.ino)); });
    serve_typed<SetattrReq>(
        t, pool, [&m](const SetattrReq& q) { return attr_resp(m.setattr(q.ino, q.changes)); });
    serve_typed<ExtendSizeReq>(
        t, pool, [&m](const ExtendSizeReq& q) { return attr_resp(m.extend_size(q.ino, q.end)); });
    serve_typed<GetDmReq>(t, pool, [&m](const GetDmReq& q) {
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
    serve_typed<SetDmAttrReq>(t, pool, [&m](const SetDmAttrReq& q) {
        return status_resp(m.set_dm_attr(q.ino, q.name, q.value, q.set_dtime));
    });
    serve_typed<RemoveDmAttrReq>(t, pool, [&m](const RemoveDmAttrReq& q) {
        return status_resp(m.remove_dm_attr(q.ino, q.name, q.set_dtime));
    });
    serve_typed<SetEventSetReq>(t, pool, [&m](const SetEventSetReq& q) {
        return status_resp(m.set_event_set(q.ino, q.event_set));
    });
    serve_typed<SetRegionsReq>(t, pool, [&m](const SetRegionsReq& q) {
        return status_resp(m.set_regions(q.ino, q.regions));
    });
    serve_typed<SetDtimeReq>(t, pool, [&m](const SetDtimeReq& q) {
        return status_resp(m.set_dtime(q.ino, q.dtime_ns));
    });
}

}  // namespace pfs::server
