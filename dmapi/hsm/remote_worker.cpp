#include "remote_worker.hpp"

#include <dmapi_pfs.h>
#include <xxhash.h>

#include <signal.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "log.hpp"

namespace pfs::hsm {

namespace {

const char* const kTag = "pfshsm-block";

std::string worker_name(const std::string& session_name, int rank) {
    return session_name + "-worker-" + std::to_string(rank);
}

int copy_block(dm_sessid_t sid, ArchiveBackend& backend, const BlockJob& j) {
    std::unique_ptr<ArchiveReader> rd;
    if (int e = backend.open(j.archive_id, &rd)) return e == ENOENT ? EBADMSG : e;
    std::vector<char> buf(j.length);
    const ssize_t got = rd->pread(buf.data(), j.length, j.offset);
    if (got < 0 || static_cast<std::uint64_t>(got) != j.length) return EBADMSG;
    if (XXH3_64bits(buf.data(), j.length) != j.sum) return EBADMSG;
    dm_handle_t h{};
    h.ha_fsid = j.file.fsid;
    h.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
    h.ha_fid.dm_fid_ino = j.file.ino;
    h.ha_fid.dm_fid_gen = j.file.gen;
    DmFile f(sid, h);
    const dm_ssize_t w = f.write_invis(buf.data(), j.length, j.offset);
    if (w < 0) return static_cast<int>(-w);
    return static_cast<std::uint64_t>(w) == j.length ? 0 : EIO;
}

}  // namespace

std::string encode(const BlockJob& j) {
    char b[256];
    std::snprintf(
        b, sizeof b,
        "%s\n%s\n%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIx64 "\n", kTag,
        j.archive_id.c_str(), j.file.fsid, j.file.ino, j.file.gen, j.offset, j.length, j.sum);
    return b;
}

bool decode(const std::string& text, BlockJob* j) {
    std::istringstream in(text);
    std::string tag;
    if (!std::getline(in, tag) || tag != kTag) return false;
    if (!std::getline(in, j->archive_id) || !valid_archive_id(j->archive_id)) return false;
    in >> std::hex >> j->file.fsid >> std::dec >> j->file.ino >> j->file.gen >> j->offset >>
        j->length >> std::hex >> j->sum;
    return !in.fail() && j->length > 0 && j->length <= (256ull << 20);
}

int start_worker(const std::string& session_name, int rank, ArchiveBackend& backend) {
    dm_sessid_t sid = DM_NO_SESSION;
    std::string name = worker_name(session_name, rank);
    if (dm_create_session(DM_NO_SESSION, name.data(), &sid) != 0) return errno;
    // Test hook (docs/hsm.md "Running it"): this worker SIGKILLs its whole process when its
    // N-th block arrives, before answering: the holder must copy the block itself.
    long kill_at = 0;
    if (const char* v = std::getenv("PFS_HSM_WORKER_FAIL_AT"); v && *v) kill_at = std::atol(v);
    std::thread([sid, &backend, kill_at] {
        long blocks = 0;
        std::vector<char> buf(1 << 16);
        for (;;) {
            std::size_t rlen = 0;
            if (dm_get_events(sid, 0, DM_EV_WAIT, buf.size(), buf.data(), &rlen) != 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                log("worker session: dm_get_events: %s", std::strerror(errno));
                return;
            }
            for (auto* m = reinterpret_cast<dm_eventmsg_t*>(buf.data()); m != nullptr;
                 m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                if (m->ev_token == DM_INVALID_TOKEN) continue;
                if (kill_at > 0 && ++blocks == kill_at) {
                    log("worker fail point: block %ld: SIGKILL", blocks);
                    ::raise(SIGKILL);
                }
                BlockJob j;
                const std::string text(DM_GET_VALUE(m, ev_data, const char*),
                                       DM_GET_LEN(m, ev_data));
                const int e = m->ev_type == DM_EVENT_USER && decode(text, &j)
                                  ? copy_block(sid, backend, j)
                                  : EINVAL;
                dm_respond_event(sid, m->ev_token, e ? DM_RESP_ABORT : DM_RESP_CONTINUE, e, 0,
                                 nullptr);
            }
        }
    }).detach();
    return 0;
}

std::vector<dm_sessid_t> find_workers(const std::string& session_name, int my_rank) {
    std::vector<dm_sessid_t> out;
    dm_sessid_t sids[256];
    unsigned n = 0;
    if (dm_getall_sessions(256, sids, &n) != 0) return out;
    const std::string prefix = session_name + "-worker-";
    const std::string mine = worker_name(session_name, my_rank);
    for (unsigned i = 0; i < n; ++i) {
        char info[DM_SESSION_INFO_LEN];
        std::size_t rlen = 0;
        if (dm_query_session(sids[i], sizeof info, info, &rlen) != 0) continue;
        const std::string s = info;
        if (s.rfind(prefix, 0) == 0 && s != mine) out.push_back(sids[i]);
    }
    return out;
}

int remote_copy(dm_sessid_t worker, const BlockJob& j) {
    std::string t = encode(j);
    return dm_send_msg(worker, DM_MSGTYPE_SYNC, t.size(), t.data()) == 0 ? 0 : errno;
}

}  // namespace pfs::hsm
