// dmapi-fs-test: end-to-end XDSM events of the PFS. One program for both sides of a job
// `--meta 1 --data 2 --dm 1 --compute 1` (pfs-run --dm-app dmapi-fs-test); the case comes from
// the environment (DMFS_CASE, pfs-run -x DMFS_CASE=...).
//
//  - The dm rank is the DM application: it starts the DMAPI core, prepares DM state through its
//    own pfs::client::Client, creates the session "dmfs-<case>" with the case's disposition, then
//    reads events (dmapi::core::Node::get_events) until the compute rank's user message "done".
//    It answers synchronous events by the case's rules, decodes every payload as an XDSM program
//    would (DM_GET_VALUE / DM_GET_LEN on the SGI structs) and checks the fields. Requests from the
//    compute rank ("region /r", ...) arrive as synchronous user events and are answered after
//    the DM call they ask for returned.
//  - The compute rank waits for that session, makes the file operations and checks their
//    results (an aborted operation must fail with the DM application's errno).
//
// Each side prints "DMFS-TEST <case> <role> PASS" or FAIL lines; the script wants both PASSes.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dmapi.h"
#include "dmapi/core/node.hpp"
#include "dmapi/events/events.hpp"
#include "fs_runtime.hpp"
#include "mpi_tools/job.hpp"
#include "pfs/client/client.hpp"

namespace {

using dmapi::core::Node;
using mpi_tools::Job;
using pfs::Handle;
using pfs::client::Client;
using pfs::client::DmChange;

std::string g_case;
std::string g_role;
int g_failures = 0;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            ++g_failures;                                                                   \
            std::printf("DMFS-TEST %s %s FAIL %s:%d: %s\n", g_case.c_str(), g_role.c_str(), \
                        __FILE__, __LINE__, #cond);                                         \
            std::fflush(stdout);                                                            \
        }                                                                                   \
    } while (0)
#define CHECK_EQ(a, b)                                                                           \
    do {                                                                                         \
        const auto va_ = (a);                                                                    \
        const auto vb_ = (b);                                                                    \
        if (!(va_ == vb_)) {                                                                     \
            ++g_failures;                                                                        \
            std::printf("DMFS-TEST %s %s FAIL %s:%d: %s == %s (%lld vs %lld)\n", g_case.c_str(), \
                        g_role.c_str(), __FILE__, __LINE__, #a, #b, static_cast<long long>(va_), \
                        static_cast<long long>(vb_));                                            \
            std::fflush(stdout);                                                                 \
        }                                                                                        \
    } while (0)

constexpr dm_eventset_t bit(int t) {
    return dm_eventset_t{1} << t;
}

std::string session_name() {
    return "dmfs-" + g_case;
}

// ---- the DM application's view of one event ------------------------------------------------

struct Received {
    dm_eventtype_t type = DM_EVENT_INVALID;
    dm_token_t token = DM_INVALID_TOKEN;
    std::vector<char> data;  // ev_data

    template <class S>
    S head() const {
        S s{};
        std::memcpy(&s, data.data(), std::min(sizeof s, data.size()));
        return s;
    }
    bool in_range(dm_vardata_t v) const {
        return v.vd_length == 0 ||
               (v.vd_offset >= 0 &&
                static_cast<std::size_t>(v.vd_offset) + v.vd_length <= data.size());
    }
    // A name: NUL-terminated, the length counts the NUL (GPFS).
    std::string name(dm_vardata_t v) const {
        if (v.vd_length == 0 || !in_range(v)) return {};
        const char* p = data.data() + v.vd_offset;
        if (p[v.vd_length - 1] != '\0') return "<no NUL>";
        return std::string(p, v.vd_length - 1);
    }
    // {fsid, ino, gen}; ino 0 for an 8-byte file-system handle; fsid 0 when absent/malformed.
    Handle handle(dm_vardata_t v) const {
        Handle h;
        if (!in_range(v)) return h;
        if (v.vd_length == sizeof(dm_handle_t)) {
            dm_handle_t x;
            std::memcpy(&x, data.data() + v.vd_offset, sizeof x);
            if (x.ha_fid.dm_fid_len != 14 || x.ha_fid.dm_fid_pad != 0) return h;
            return Handle{x.ha_fsid, x.ha_fid.dm_fid_ino, x.ha_fid.dm_fid_gen};
        }
        if (v.vd_length == sizeof(dm_fsid_t)) {
            std::memcpy(&h.fsid, data.data() + v.vd_offset, sizeof h.fsid);
            return h;
        }
        return h;
    }
    std::string text() const { return std::string(data.begin(), data.end()); }
};

bool sync_type(dm_eventtype_t t) {
    return dmapi::core::is_sync_event(t) || t == DM_EVENT_USER;  // our user messages are sync
}

// A namespace event decoded.
struct Ns {
    int mode = 0;
    Handle h1, h2;
    std::string n1, n2;
    int ret = 0;
};
Ns ns(const Received& r) {
    const auto e = r.head<dm_namesp_event_t>();
    CHECK(r.data.size() >= sizeof e);
    return Ns{e.ne_mode,          r.handle(e.ne_handle1), r.handle(e.ne_handle2),
              r.name(e.ne_name1), r.name(e.ne_name2),     e.ne_retcode};
}

// The DM side's decision for one synchronous event: {response, errno}. User messages get the
// command run first (see dm_main).
using Rule = std::function<std::pair<dm_response_t, int>(const Received&)>;
using Command = std::function<void(const std::string& msg)>;

struct DmSide {
    Job& job;
    Node& node;
    Client& client;
    dm_sessid_t sid = DM_NO_SESSION;
    std::vector<Received> events;  // all but the user messages

    Handle handle_of(const std::string& path) {
        auto a = client.lstat(path);
        CHECK(a.ok());
        return a ? client.handle_of(*a) : Handle{};
    }

    // Events until "done"; commands for other user messages.
    void serve(const Rule& rule, const Command& command) {
        std::vector<char> buf(1 << 16);
        for (;;) {
            std::size_t rlen = 0;
            int rc = node.get_events(sid, 0, DM_EV_WAIT, buf.size(), buf.data(), &rlen);
            if (rc != 0) {
                CHECK_EQ(rc, 0);
                return;
            }
            bool done = false;
            auto* m = reinterpret_cast<dm_eventmsg_t*>(buf.data());
            for (; m != nullptr; m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*)) {
                Received r;
                r.type = m->ev_type;
                r.token = m->ev_token;
                const char* d = DM_GET_VALUE(m, ev_data, char*);
                r.data.assign(d, d + DM_GET_LEN(m, ev_data));
                std::pair<dm_response_t, int> resp{DM_RESP_CONTINUE, 0};
                if (r.type == DM_EVENT_USER) {
                    const auto msg = r.text();
                    if (msg == "done")
                        done = true;
                    else
                        command(msg);
                } else {
                    events.push_back(r);
                    if (sync_type(r.type)) resp = rule(r);
                }
                if (sync_type(r.type)) {
                    CHECK(r.token != DM_INVALID_TOKEN);
                    CHECK_EQ(node.respond_event(sid, r.token, resp.first, resp.second), 0);
                }
            }
            if (done) return;
        }
    }

    std::vector<Received> of_type(dm_eventtype_t t) const {
        std::vector<Received> out;
        for (const auto& e : events)
            if (e.type == t) out.push_back(e);
        return out;
    }
    // The one namespace event of type t with name1 == n (CHECKs that there is exactly one).
    Ns one(dm_eventtype_t t, const std::string& n) const {
        std::vector<Ns> hits;
        for (const auto& e : of_type(t)) {
            auto x = ns(e);
            if (x.n1 == n) hits.push_back(x);
        }
        if (hits.size() != 1) {
            ++g_failures;
            std::printf("DMFS-TEST %s dm FAIL: %zu events of type %d for '%s', want 1\n",
                        g_case.c_str(), hits.size(), static_cast<int>(t), n.c_str());
            return {};
        }
        return hits[0];
    }
    std::size_t count(dm_eventtype_t t, const std::string& n) const {
        std::size_t k = 0;
        for (const auto& e : of_type(t))
            if (ns(e).n1 == n) ++k;
        return k;
    }
};

std::pair<dm_response_t, int> cont(const Received&) {
    return {DM_RESP_CONTINUE, 0};
}

// Sets DM state and CHECKs it worked.
void update(Client& c, const Handle& h, const DmChange& ch) {
    auto r = c.dm_update(h, ch);
    if (!r) std::printf("dm_update op %d: %s\n", static_cast<int>(ch.op), std::strerror(r.error()));
    CHECK(r.ok());
}

bool same(const Handle& a, const Handle& b) {
    return a == b && a.fsid != 0;
}

// ---- cases: the DM side ---------------------------------------------------------------------

dm_eventset_t disposition() {
    const dm_eventset_t ns_events =
        bit(DM_EVENT_CREATE) | bit(DM_EVENT_POSTCREATE) | bit(DM_EVENT_REMOVE) |
        bit(DM_EVENT_POSTREMOVE) | bit(DM_EVENT_RENAME) | bit(DM_EVENT_POSTRENAME) |
        bit(DM_EVENT_LINK) | bit(DM_EVENT_POSTLINK) | bit(DM_EVENT_SYMLINK) |
        bit(DM_EVENT_POSTSYMLINK) | bit(DM_EVENT_ATTRIBUTE) | bit(DM_EVENT_CLOSE) |
        bit(DM_EVENT_DESTROY);
    const dm_eventset_t user = bit(DM_EVENT_USER);
    if (g_case == "namespace") return ns_events | user;
    if (g_case == "data")
        return bit(DM_EVENT_READ) | bit(DM_EVENT_WRITE) | bit(DM_EVENT_TRUNCATE) | user;
    if (g_case == "eventlist") return bit(DM_EVENT_CREATE) | bit(DM_EVENT_POSTCREATE) | user;
    if (g_case == "destroy") return bit(DM_EVENT_DESTROY) | user;
    if (g_case == "mount") return bit(DM_EVENT_MOUNT) | user;
    if (g_case == "unmount") return bit(DM_EVENT_PREUNMOUNT) | bit(DM_EVENT_UNMOUNT) | user;
    if (g_case == "nospace") return bit(DM_EVENT_NOSPACE) | user;
    if (g_case == "deadcache" || g_case == "inflight") return bit(DM_EVENT_WRITE) | user;
    return user;
}

void dm_namespace(DmSide& dm) {
    const Handle root = dm.handle_of("/");
    dm.serve(
        [](const Received& r) -> std::pair<dm_response_t, int> {
            if (r.type == DM_EVENT_CREATE && ns(r).n1 == "deny") return {DM_RESP_ABORT, EACCES};
            return {DM_RESP_CONTINUE, 0};
        },
        [](const std::string&) {});
    const Ns cd = dm.one(DM_EVENT_CREATE, "d");
    CHECK(same(cd.h1, root));
    CHECK_EQ(cd.mode, S_IFDIR | 0750);
    const Ns pd = dm.one(DM_EVENT_POSTCREATE, "d");
    CHECK(same(pd.h1, root));
    CHECK_EQ(pd.ret, 0);
    const Handle D = pd.h2;
    CHECK(D.fsid != 0 && D.ino != 0);
    const Ns cf = dm.one(DM_EVENT_CREATE, "f");
    CHECK(same(cf.h1, D));
    CHECK_EQ(cf.mode, S_IFREG | 0640);
    CHECK(cf.h2.fsid == 0);  // no object yet
    const Ns pf = dm.one(DM_EVENT_POSTCREATE, "f");
    const Handle F = pf.h2;
    CHECK(F.ino != 0);
    CHECK_EQ(pf.mode, S_IFREG | 0640);
    auto closes = dm.of_type(DM_EVENT_CLOSE);
    CHECK_EQ(closes.size(), 1u);
    if (!closes.empty()) CHECK(same(ns(closes[0]).h1, F));
    const Ns l = dm.one(DM_EVENT_LINK, "g");
    CHECK(same(l.h1, D));
    CHECK(same(l.h2, F));
    CHECK_EQ(dm.one(DM_EVENT_POSTLINK, "g").ret, 0);
    const Ns s = dm.one(DM_EVENT_SYMLINK, "s");
    CHECK(same(s.h1, D));
    CHECK(s.n2 == "tgt");
    const Ns ps = dm.one(DM_EVENT_POSTSYMLINK, "s");
    CHECK_EQ(ps.mode & S_IFMT, S_IFLNK);
    const Handle S = ps.h2;
    const Ns rn = dm.one(DM_EVENT_RENAME, "g");
    CHECK(same(rn.h1, D) && same(rn.h2, D));
    CHECK(rn.n2 == "h");
    CHECK(dm.one(DM_EVENT_POSTRENAME, "g").n2 == "h");
    auto attrs = dm.of_type(DM_EVENT_ATTRIBUTE);
    CHECK_EQ(attrs.size(), 1u);
    if (!attrs.empty()) {
        CHECK(same(ns(attrs[0]).h1, F));
        CHECK_EQ(ns(attrs[0]).mode, S_IFREG | 0600);
    }
    CHECK_EQ(dm.one(DM_EVENT_REMOVE, "h").mode, S_IFREG | 0600);
    CHECK(same(dm.one(DM_EVENT_REMOVE, "f").h1, D));
    CHECK_EQ(dm.one(DM_EVENT_POSTREMOVE, "f").ret, 0);
    CHECK(same(dm.one(DM_EVENT_REMOVE, "d").h1, root));
    CHECK_EQ(dm.one(DM_EVENT_REMOVE, "d").mode & S_IFMT, S_IFDIR);
    // The aborted create: a create event, no postcreate.
    CHECK_EQ(dm.count(DM_EVENT_CREATE, "deny"), 1u);
    CHECK_EQ(dm.count(DM_EVENT_POSTCREATE, "deny"), 0u);
    // A failed remove still reports its result.
    CHECK_EQ(dm.one(DM_EVENT_POSTREMOVE, "nothere").ret, ENOENT);
    // Destroys: f (its last link), s and d; not h's unlink (f still had a link then).
    auto destroys = dm.of_type(DM_EVENT_DESTROY);
    CHECK_EQ(destroys.size(), 3u);
    int seen = 0;
    for (const auto& e : destroys) {
        const auto d = e.head<dm_destroy_event_t>();
        const Handle h = e.handle(d.ds_handle);
        seen |= same(h, F) ? 1 : same(h, S) ? 2 : same(h, D) ? 4 : 8;
        CHECK_EQ(d.ds_attrcopy.vd_length, 0u);  // no return-on-destroy attribute set
    }
    CHECK_EQ(seen, 7);
}

void dm_data(DmSide& dm) {
    Handle R;
    dm.serve(
        [](const Received& r) -> std::pair<dm_response_t, int> {
            const auto d = r.head<dm_data_event_t>();
            // The first write into the region is refused: the user sees EDQUOT.
            if (r.type == DM_EVENT_WRITE && d.de_offset == 10) return {DM_RESP_ABORT, EDQUOT};
            return {DM_RESP_CONTINUE, 0};
        },
        [&](const std::string& msg) {
            if (msg == "region /r") {
                R = dm.handle_of("/r");
                DmChange c;
                c.op = DmChange::Op::set_regions;
                c.regions = {{0, 4096, DM_REGION_WRITE},
                             {8192, 4096, DM_REGION_READ},
                             {4096, 0, DM_REGION_TRUNCATE}};
                update(dm.client, R, c);
                auto st = dm.client.dm_get(R);
                CHECK(st.ok() && st->dm.regions.size() == 3);
            } else if (msg == "clear /r") {
                DmChange c;
                c.op = DmChange::Op::set_regions;
                update(dm.client, R, c);
            }
        });
    struct Want {
        dm_eventtype_t type;
        dm_off_t off;
        dm_size_t len;
    };
    const std::vector<Want> want{
        {DM_EVENT_WRITE, 10, 100}, {DM_EVENT_READ, 8202, 50}, {DM_EVENT_TRUNCATE, 6000, 0}};
    CHECK_EQ(dm.events.size(), want.size());
    for (std::size_t i = 0; i < std::min(want.size(), dm.events.size()); ++i) {
        const auto& e = dm.events[i];
        const auto d = e.head<dm_data_event_t>();
        CHECK_EQ(e.type, want[i].type);
        CHECK_EQ(d.de_offset, want[i].off);
        CHECK_EQ(d.de_length, want[i].len);
        CHECK(same(e.handle(d.de_handle), R));
    }
}

void dm_eventlist(DmSide& dm) {
    dm.serve(cont, [&](const std::string& msg) {
        if (msg == "enable /e") {
            DmChange c;
            c.op = DmChange::Op::set_event_set;
            c.event_set = bit(DM_EVENT_CREATE);
            update(dm.client, dm.handle_of("/e"), c);
        }
    });
    // Only /e/x: the file system's list excludes create/postcreate, /e's includes create only.
    CHECK_EQ(dm.events.size(), 1u);
    CHECK_EQ(dm.count(DM_EVENT_CREATE, "x"), 1u);
    CHECK_EQ(dm.count(DM_EVENT_POSTCREATE, "x"), 0u);
}

void dm_destroy(DmSide& dm) {
    Handle X;
    dm.serve(cont, [&](const std::string& msg) {
        if (msg == "tag /x") {
            X = dm.handle_of("/x");
            DmChange c;
            c.op = DmChange::Op::set_attr;
            c.name = "hsm";
            c.value = "arch-42";
            update(dm.client, X, c);
        }
    });
    auto d = dm.of_type(DM_EVENT_DESTROY);
    CHECK_EQ(d.size(), 2u);
    if (d.size() != 2) return;
    for (const auto& e : d) {
        const auto x = e.head<dm_destroy_event_t>();
        CHECK(std::memcmp(x.ds_attrname.an_chars, "hsm\0\0\0\0\0", 8) == 0);
        const Handle h = e.handle(x.ds_handle);
        CHECK(h.ino != 0);
        if (same(h, X)) {
            CHECK_EQ(x.ds_attrcopy.vd_length, 7u);
            CHECK(e.in_range(x.ds_attrcopy) &&
                  std::memcmp(e.data.data() + x.ds_attrcopy.vd_offset, "arch-42", 7) == 0);
        } else {
            CHECK_EQ(x.ds_attrcopy.vd_length, 0u);  // /y has no "hsm" attribute
        }
    }
}

void dm_mount(DmSide& dm) {
    const Handle root = dm.handle_of("/");
    int mounts = 0;
    dm.serve(
        [&](const Received&) -> std::pair<dm_response_t, int> {
            // The compute rank's first client mounts; its second one is refused.
            return ++mounts == 1 ? std::pair{DM_RESP_CONTINUE, 0} : std::pair{DM_RESP_ABORT, EROFS};
        },
        [](const std::string&) {});
    auto m = dm.of_type(DM_EVENT_MOUNT);
    CHECK_EQ(m.size(), 2u);
    for (const auto& e : m) {
        const auto x = e.head<dm_mount_event_t>();
        const Handle fs = e.handle(x.me_handle1);
        CHECK_EQ(x.me_handle1.vd_length, sizeof(dm_fsid_t));
        CHECK_EQ(fs.fsid, dm.client.fs_info().fsid);
        CHECK(same(e.handle(x.me_roothandle), root));
        CHECK(e.name(x.me_name1) == "/");
    }
}

// Three clients of the compute rank end (a second one, a third one, then its main one): each end
// raises preunmount (synchronous) and unmount (not waited for). The DM refuses the second
// preunmount with EBUSY: that unmount still happens (the process ends), forced, and says so.
void dm_unmount(DmSide& dm) {
    const Handle root = dm.handle_of("/");
    int seen = 0;
    dm.serve(
        [&](const Received& r) -> std::pair<dm_response_t, int> {
            if (r.type != DM_EVENT_PREUNMOUNT) return {DM_RESP_CONTINUE, 0};
            return ++seen == 2 ? std::pair{DM_RESP_ABORT, EBUSY} : std::pair{DM_RESP_CONTINUE, 0};
        },
        [](const std::string&) {});
    const auto pre = dm.of_type(DM_EVENT_PREUNMOUNT);
    const auto un = dm.of_type(DM_EVENT_UNMOUNT);
    CHECK_EQ(pre.size(), 3u);
    CHECK_EQ(un.size(), 3u);
    for (const auto& e : pre) {
        const Ns x = ns(e);
        CHECK_EQ(x.h1.fsid, dm.client.fs_info().fsid);
        CHECK_EQ(x.h1.ino, 0u);  // the file-system handle
        CHECK(same(x.h2, root));
    }
    if (un.size() == 3) {
        const int want_ret[3] = {0, EBUSY, 0};
        for (int i = 0; i < 3; ++i) {
            const auto x = un[static_cast<std::size_t>(i)].head<dm_namesp_event_t>();
            CHECK_EQ(x.ne_retcode, want_ret[i]);
            CHECK_EQ(x.ne_mode, want_ret[i] != 0 ? DM_UNMOUNT_FORCE : 0);
        }
    }
}

// A rank that cached /dc's regions dies; the region change must skip it (a wait on it would end
// in EIO after the invalidation deadline) and still reach the live caching rank.
void dm_deadcache(DmSide& dm) {
    dm.serve(
        [](const Received&) -> std::pair<dm_response_t, int> {
            return {DM_RESP_ABORT, EDQUOT};
        },
        [&](const std::string& msg) {
            if (msg != "region /dc") return;
            DmChange c;
            c.op = DmChange::Op::set_regions;
            c.regions = {{0, 4096, DM_REGION_WRITE}};
            auto r = dm.client.dm_update(dm.handle_of("/dc"), c);
            CHECK(r.ok());
            if (!r) std::printf("dm_update: %s\n", std::strerror(r.error()));
        });
    CHECK_EQ(dm.of_type(DM_EVENT_WRITE).size(), 1u);
}

// A region change while a large write that checked the old (empty) regions is in flight: when
// dm_set_region's equivalent returns, that write is either complete (the size covers it) or
// it raised a write event (it checked after the change). Never half-done and unseen.
void dm_inflight(DmSide& dm) {
    std::uint64_t size_after = 0;
    dm.serve(cont, [&](const std::string& msg) {
        if (msg != "region /if") return;
        const Handle h = dm.handle_of("/if");
        DmChange c;
        c.op = DmChange::Op::set_regions;
        c.regions = {{0, 1, DM_REGION_WRITE}};
        auto r = dm.client.dm_update(h, c);
        CHECK(r.ok());
        auto a = dm.client.lstat("/if");
        CHECK(a.ok());
        if (a) size_after = a->size;
    });
    constexpr std::uint64_t kBig = 32ull << 20;
    bool evented = false;
    for (const auto& e : dm.of_type(DM_EVENT_WRITE)) {
        const auto d = e.head<dm_data_event_t>();
        if (d.de_offset == 0 && d.de_length == kBig) evented = true;
    }
    std::printf("DMFS-TEST inflight dm: size when the change returned %llu, write event %d\n",
                static_cast<unsigned long long>(size_after), evented ? 1 : 0);
    CHECK(size_after == kBig || evented);
}

void dm_nospace(DmSide& dm) {
    int seen = 0;
    dm.serve(
        [&](const Received&) -> std::pair<dm_response_t, int> {
            // First: refused with EDQUOT; second: "continue" (no room was made: ENOSPC again).
            return ++seen == 1 ? std::pair{DM_RESP_ABORT, EDQUOT} : std::pair{DM_RESP_CONTINUE, 0};
        },
        [](const std::string&) {});
    const Handle big = dm.handle_of("/big");
    auto n = dm.of_type(DM_EVENT_NOSPACE);
    CHECK_EQ(n.size(), 2u);
    for (const auto& e : n) {
        CHECK(same(ns(e).h1, big));
        CHECK(same(ns(e).h2, big));
    }
}

[[noreturn]] void dm_main(Job& job) {
    g_role = "dm";
    Node& node = *dmapi::events::start(job);  // a job with dm ranks: always a Node
    Client client(job);
    CHECK_EQ(client.connect_error(), 0);
    const Handle fs{client.fs_info().fsid, 0, 0};
    // File-system DM state the case needs, before the session exists.
    if (g_case == "eventlist") {
        DmChange c;
        c.op = DmChange::Op::set_event_set;
        c.event_set = ((dm_eventset_t{1} << DM_EVENT_MAX) - 1) &
                      ~(bit(DM_EVENT_CREATE) | bit(DM_EVENT_POSTCREATE));
        update(client, fs, c);
    }
    if (g_case == "destroy") {
        DmChange c;
        c.op = DmChange::Op::set_rod_name;
        c.name = "hsm";
        update(client, fs, c);
    }
    DmSide dm{job, node, client};
    CHECK_EQ(node.create_session(DM_NO_SESSION, session_name().c_str(), &dm.sid), 0);
    CHECK_EQ(node.set_disp(dm.sid, disposition()), 0);
    if (g_case == "namespace") dm_namespace(dm);
    if (g_case == "data") dm_data(dm);
    if (g_case == "eventlist") dm_eventlist(dm);
    if (g_case == "destroy") dm_destroy(dm);
    if (g_case == "mount") dm_mount(dm);
    if (g_case == "unmount") dm_unmount(dm);
    if (g_case == "nospace") dm_nospace(dm);
    if (g_case == "deadcache") dm_deadcache(dm);
    if (g_case == "inflight") dm_inflight(dm);
    if (g_case == "libdmapi") dm.serve(cont, [](const std::string&) {});
    if (g_case == "overhead")
        dm.serve(cont, [&](const std::string& msg) {
            CHECK_EQ(node.set_disp(
                         dm.sid, bit(DM_EVENT_USER) | (msg == "dispose" ? bit(DM_EVENT_WRITE) : 0)),
                     0);
        });
    std::printf("DMFS-TEST %s dm %s (%zu events)\n", g_case.c_str(), g_failures ? "FAIL" : "PASS",
                dm.events.size());
    std::fflush(stdout);
    job.serve_until_shutdown();
}

// ---- cases: the compute side ----------------------------------------------------------------

dm_sessid_t wait_for_session(Node& node) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
        for (const auto& s : node.table().sessions)
            if (s.info == session_name() && (s.disp & bit(DM_EVENT_USER))) return s.sid;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return DM_NO_SESSION;
}

// A synchronous user message to the DM application; returns after it was handled.
void tell(Node& node, dm_sessid_t sid, const std::string& msg) {
    CHECK_EQ(node.send_msg(sid, DM_MSGTYPE_SYNC, msg.size(), msg.data()), 0);
}

int err_of(const pfs::Result<void>& r) {
    return r ? 0 : r.error();
}
template <class T>
int err_of(const pfs::Result<T>& r) {
    return r ? 0 : r.error();
}

void compute_namespace(Client& c) {
    CHECK_EQ(err_of(c.mkdir("/d", 0750)), 0);
    auto fd = c.open("/d/f", O_CREAT | O_WRONLY, 0640);
    CHECK(fd.ok());
    if (fd) {
        CHECK_EQ(err_of(c.write(*fd, "0123456789", 10)), 0);
        CHECK_EQ(err_of(c.close(*fd)), 0);
    }
    CHECK_EQ(err_of(c.link("/d/f", "/d/g")), 0);
    CHECK_EQ(err_of(c.symlink("tgt", "/d/s")), 0);
    CHECK_EQ(err_of(c.rename("/d/g", "/d/h")), 0);
    CHECK_EQ(err_of(c.chmod("/d/f", 0600)), 0);
    CHECK_EQ(err_of(c.unlink("/d/h")), 0);
    CHECK_EQ(err_of(c.unlink("/d/f")), 0);
    CHECK_EQ(err_of(c.unlink("/d/s")), 0);
    CHECK_EQ(err_of(c.rmdir("/d")), 0);
    // The DM application aborts this create with EACCES: the user's call fails with it and
    // nothing was created.
    CHECK_EQ(err_of(c.open("/deny", O_CREAT | O_WRONLY, 0644)), EACCES);
    CHECK_EQ(err_of(c.stat("/deny")), ENOENT);
    CHECK_EQ(err_of(c.unlink("/nothere")), ENOENT);
}

void compute_data(Client& c, Node& node, dm_sessid_t sid) {
    auto fd = c.open("/r", O_CREAT | O_RDWR, 0644);
    CHECK(fd.ok());
    if (!fd) return;
    std::vector<char> buf(16384, 'a');
    // No region yet: no event (the DM side would see an unexpected write at 0).
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), buf.size(), 0)), 0);
    // The DM application sets the regions and answers only after dm_set_region returned; the
    // very next write must see them although this rank cached the (empty) regions above.
    tell(node, sid, "region /r");
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), 100, 10)), EDQUOT);
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), 100, 5000)), 0);  // outside the write region
    char rb[50];
    auto n = c.pread(*fd, rb, sizeof rb, 8202);  // READ event, continued
    CHECK(n.ok() && *n == sizeof rb && rb[0] == 'a');
    CHECK_EQ(err_of(c.pread(*fd, rb, sizeof rb, 0)), 0);  // no read region there
    CHECK_EQ(err_of(c.ftruncate(*fd, 6000)), 0);          // TRUNCATE event, continued
    tell(node, sid, "clear /r");
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), 100, 10)), 0);  // no region any more
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

void compute_eventlist(Client& c, Node& node, dm_sessid_t sid) {
    CHECK_EQ(err_of(c.mkdir("/e", 0755)), 0);
    tell(node, sid, "enable /e");
    for (const char* p : {"/e/x", "/y"}) {
        auto fd = c.open(p, O_CREAT | O_WRONLY, 0644);
        CHECK(fd.ok());
        if (fd) CHECK_EQ(err_of(c.close(*fd)), 0);
    }
}

void compute_destroy(Client& c, Node& node, dm_sessid_t sid) {
    for (const char* p : {"/x", "/y"}) {
        auto fd = c.open(p, O_CREAT | O_WRONLY, 0644);
        CHECK(fd.ok());
        if (fd) CHECK_EQ(err_of(c.close(*fd)), 0);
    }
    tell(node, sid, "tag /x");
    CHECK_EQ(err_of(c.unlink("/x")), 0);
    CHECK_EQ(err_of(c.unlink("/y")), 0);
}

// The second dm rank of the deadcache case: caches /dc's DM state, then dies.
[[noreturn]] void cacher_main(Job& job) {
    g_role = "cacher";
    Node& node = *dmapi::events::start(job);
    const dm_sessid_t sid = wait_for_session(node);
    CHECK(sid != DM_NO_SESSION);
    Client c(job);
    auto fd = c.open("/dc", O_CREAT | O_WRONLY, 0644);
    CHECK(fd.ok());
    // A write with a write disposition: this rank fetches and caches /dc's regions (none).
    if (fd) CHECK_EQ(err_of(c.pwrite(*fd, "cached", 6, 0)), 0);
    tell(node, sid, "cached");
    std::printf("DMFS-TEST %s cacher %s, dying\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::fflush(stdout);
    ::raise(SIGKILL);
    std::abort();
}

void compute_deadcache(Client& c, Job& job, Node& node, dm_sessid_t sid) {
    const int cacher = job.layout().first_rank(mpi_tools::Role::dm) + 1;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!job.ft().is_failed(cacher) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(job.ft().is_failed(cacher));
    auto fd = c.open("/dc", O_WRONLY);
    CHECK(fd.ok());
    if (!fd) return;
    CHECK_EQ(err_of(c.pwrite(*fd, "x", 1, 5000)), 0);  // caches here too (live caching rank)
    tell(node, sid, "region /dc");
    CHECK_EQ(err_of(c.pwrite(*fd, "x", 1, 10)), EDQUOT);  // the new region is seen
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

void compute_inflight(Client& c, Node& node, dm_sessid_t sid) {
    auto fd = c.open("/if", O_CREAT | O_WRONLY, 0644);
    CHECK(fd.ok());
    if (!fd) return;
    std::vector<char> big(32 << 20, 'b');
    std::thread writer([&] { CHECK_EQ(err_of(c.pwrite(*fd, big.data(), big.size(), 0)), 0); });
    // Let the write get past its check (scheduling only; the DM side's assertion holds for
    // either order).
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    tell(node, sid, "region /if");
    writer.join();
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

void compute_nospace(Client& c) {
    auto fd = c.open("/big", O_CREAT | O_WRONLY, 0644);
    CHECK(fd.ok());
    if (!fd) return;
    std::vector<char> buf(4 << 20, 'z');  // 4 MiB over 2 x 1 MiB quota
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), buf.size(), 0)), EDQUOT);  // aborted
    CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), buf.size(), 0)), ENOSPC);  // continued, retried
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

// ---- libdmapi's functions on file-system objects, with their errors (compute rank) ---------

// dm_init_service ran first in main() (it makes the Job a C++ DM program then shares).
void compute_libdmapi(Client& c, dm_sessid_t sid) {
    void* hp = nullptr;
    std::size_t hl = 0;

    auto fd = c.open("/f", O_CREAT | O_RDWR, 0644);
    CHECK(fd.ok());
    std::vector<char> data(10000, 'q');
    if (fd) CHECK_EQ(err_of(c.pwrite(*fd, data.data(), data.size(), 0)), 0);
    CHECK_EQ(err_of(c.mkdir("/dir", 0755)), 0);

    // dm_path_to_handle / dm_path_to_fshandle
    CHECK_EQ(dm_path_to_handle(const_cast<char*>("/f"), &hp, &hl), 0);
    CHECK_EQ(hl, sizeof(dm_handle_t));
    auto fa = c.stat("/f");
    CHECK(fa.ok());
    dm_ino_t ino = 0;
    CHECK_EQ(dm_handle_to_ino(hp, hl, &ino), 0);
    if (fa) CHECK_EQ(ino, fa->ino);
    void* fsp = nullptr;
    std::size_t fsl = 0;
    CHECK_EQ(dm_path_to_fshandle(const_cast<char*>("pfs:/dir"), &fsp, &fsl), 0);
    CHECK_EQ(fsl, sizeof(dm_fsid_t));
    CHECK_EQ(dm_path_to_handle(const_cast<char*>("/missing"), &hp, &hl) == -1 && errno == ENOENT,
             true);
    void* dummy = nullptr;
    CHECK_EQ(dm_path_to_handle(const_cast<char*>("relative"), &dummy, &hl) == -1 && errno == EINVAL,
             true);
    CHECK_EQ(dm_path_to_handle(nullptr, &dummy, &hl) == -1 && errno == EFAULT, true);

    const dm_token_t T = DM_NO_TOKEN;
    auto fails = [](long long rc, int want) { return rc == -1 && errno == want; };
    // A stale handle: same inode, other generation; a made-up inode.
    dm_handle_t stale;
    std::memcpy(&stale, hp, sizeof stale);
    stale.ha_fid.dm_fid_gen += 1000;
    dm_handle_t nosuch;
    std::memcpy(&nosuch, hp, sizeof nosuch);
    nosuch.ha_fid.dm_fid_ino = 999999;
    dm_handle_t otherfs;
    std::memcpy(&otherfs, hp, sizeof otherfs);
    otherfs.ha_fsid ^= 1;
    char bad[24] = {};

    // dm_set_dmattr / dm_get_dmattr / dm_getall_dmattr / dm_remove_dmattr
    dm_attrname_t an{};
    std::memcpy(an.an_chars, "hsm", 3);
    dm_attrname_t empty{};
    CHECK_EQ(dm_set_dmattr(sid, hp, hl, T, &an, 1, 5, const_cast<char*>("hello")), 0);
    char buf[64];
    std::size_t rlen = 0;
    CHECK_EQ(dm_get_dmattr(sid, hp, hl, T, &an, sizeof buf, buf, &rlen), 0);
    CHECK(rlen == 5 && std::memcmp(buf, "hello", 5) == 0);
    CHECK(fails(dm_get_dmattr(sid, hp, hl, T, &an, 2, buf, &rlen), E2BIG));
    CHECK_EQ(rlen, 5u);
    dm_attrname_t other{};
    std::memcpy(other.an_chars, "nope", 4);
    CHECK(fails(dm_get_dmattr(sid, hp, hl, T, &other, sizeof buf, buf, &rlen), ENOENT));
    CHECK(fails(dm_set_dmattr(sid, hp, hl, T, &empty, 0, 1, buf), EINVAL));
    CHECK(fails(dm_set_dmattr(sid, hp, hl, T, nullptr, 0, 1, buf), EFAULT));
    CHECK(fails(dm_set_dmattr(sid, &stale, sizeof stale, T, &an, 0, 1, buf), EBADF));
    CHECK(fails(dm_set_dmattr(sid, &nosuch, sizeof nosuch, T, &an, 0, 1, buf), EBADF));
    CHECK(fails(dm_set_dmattr(sid, &otherfs, sizeof otherfs, T, &an, 0, 1, buf), EBADF));
    CHECK(fails(dm_set_dmattr(sid, bad, sizeof bad, T, &an, 0, 1, buf), EINVAL));
    CHECK(fails(dm_set_dmattr(DM_NO_SESSION, hp, hl, T, &an, 0, 1, buf), EINVAL));
    CHECK(fails(dm_set_dmattr(sid, fsp, fsl, T, &an, 0, 1, buf), EINVAL));  // not a file handle
    std::vector<char> huge(1 << 20);
    CHECK(fails(dm_set_dmattr(sid, hp, hl, T, &an, 0, huge.size(), huge.data()), E2BIG));
    CHECK_EQ(dm_set_dmattr(sid, hp, hl, T, &other, 0, 3, const_cast<char*>("abc")), 0);
    alignas(8) char all[256];
    CHECK(fails(dm_getall_dmattr(sid, hp, hl, T, 8, all, &rlen), E2BIG));
    const std::size_t need = rlen;
    CHECK(need >= 2 * sizeof(dm_attrlist_t));
    CHECK_EQ(dm_getall_dmattr(sid, hp, hl, T, sizeof all, all, &rlen), 0);
    int n = 0;
    bool saw_hsm = false;
    for (auto* e = reinterpret_cast<dm_attrlist_t*>(all); e != nullptr;
         e = DM_STEP_TO_NEXT(e, dm_attrlist_t*)) {
        ++n;
        if (std::memcmp(e->al_name.an_chars, "hsm", 4) == 0)
            saw_hsm = DM_GET_LEN(e, al_data) == 5 &&
                      std::memcmp(DM_GET_VALUE(e, al_data, char*), "hello", 5) == 0;
    }
    CHECK_EQ(n, 2);
    CHECK(saw_hsm);
    CHECK_EQ(dm_remove_dmattr(sid, hp, hl, T, 0, &other), 0);
    CHECK(fails(dm_remove_dmattr(sid, hp, hl, T, 0, &other), ENOENT));

    // dm_set_eventlist / dm_get_eventlist (file and file system)
    dm_eventset_t es = bit(DM_EVENT_READ) | bit(DM_EVENT_DESTROY) | bit(DM_EVENT_USER);
    CHECK_EQ(dm_set_eventlist(sid, hp, hl, T, &es, DM_EVENT_DESTROY + 1), 0);  // USER cut off
    dm_eventset_t got = 0;
    unsigned nel = 0;
    CHECK(fails(dm_get_eventlist(sid, hp, hl, T, 5, &got, &nel), E2BIG));
    CHECK_EQ(nel, static_cast<unsigned>(DM_EVENT_DESTROY + 1));
    CHECK_EQ(dm_get_eventlist(sid, hp, hl, T, DM_EVENT_MAX, &got, &nel), 0);
    CHECK_EQ(got, bit(DM_EVENT_READ) | bit(DM_EVENT_DESTROY));
    CHECK(fails(dm_set_eventlist(sid, hp, hl, T, &es, DM_EVENT_MAX + 1), EINVAL));
    CHECK(fails(dm_set_eventlist(sid, hp, hl, T, nullptr, DM_EVENT_MAX), EFAULT));
    CHECK_EQ(dm_get_eventlist(sid, fsp, fsl, T, DM_EVENT_MAX, &got, &nel), 0);
    CHECK_EQ(got, (dm_eventset_t{1} << DM_EVENT_MAX) - 1);  // the default: everything
    CHECK(fails(dm_get_eventlist(sid, fsp, fsl, 5, DM_EVENT_MAX, &got, &nel), EINVAL));  // token
    CHECK(fails(dm_get_eventlist(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, T, 1, &got, &nel), EINVAL));

    // dm_set_region / dm_get_region
    dm_region_t rg[2] = {{0, 4096, DM_REGION_READ, 0}, {8192, 0, DM_REGION_WRITE, 0}};
    dm_boolean_t exact = DM_FALSE;
    CHECK_EQ(dm_set_region(sid, hp, hl, T, 2, rg, &exact), 0);
    CHECK_EQ(exact, static_cast<dm_boolean_t>(DM_TRUE));
    dm_region_t back[4];
    CHECK(fails(dm_get_region(sid, hp, hl, T, 1, back, &nel), E2BIG));
    CHECK_EQ(nel, 2u);
    CHECK_EQ(dm_get_region(sid, hp, hl, T, 4, back, &nel), 0);
    CHECK(nel == 2 && back[1].rg_offset == 8192 && back[1].rg_flags == DM_REGION_WRITE);
    dm_region_t badflags{0, 1, 0x80, 0};
    CHECK(fails(dm_set_region(sid, hp, hl, T, 1, &badflags, &exact), EINVAL));
    std::vector<dm_region_t> many(65, dm_region_t{0, 1, DM_REGION_READ, 0});
    CHECK(fails(dm_set_region(sid, hp, hl, T, 65, many.data(), &exact), E2BIG));
    void* dirh = nullptr;
    std::size_t dirl = 0;
    CHECK_EQ(dm_path_to_handle(const_cast<char*>("/dir"), &dirh, &dirl), 0);
    CHECK(fails(dm_set_region(sid, dirh, dirl, T, 1, rg, &exact), EINVAL));  // not a file
    CHECK_EQ(dm_set_region(sid, hp, hl, T, 0, nullptr, &exact), 0);          // clears
    CHECK_EQ(dm_get_region(sid, hp, hl, T, 0, nullptr, &nel), 0);
    CHECK_EQ(nel, 0u);

    // dm_set_return_on_destroy: fs handle only
    CHECK_EQ(dm_set_return_on_destroy(sid, fsp, fsl, T, &an, DM_TRUE), 0);
    CHECK(fails(dm_set_return_on_destroy(sid, hp, hl, T, &an, DM_TRUE), EINVAL));
    CHECK_EQ(dm_set_return_on_destroy(sid, fsp, fsl, T, nullptr, DM_FALSE), 0);

    // dm_get_fileattr / dm_set_fileattr
    dm_stat_t st{};
    CHECK_EQ(dm_get_fileattr(sid, hp, hl, T, DM_AT_STAT, &st), 0);
    CHECK_EQ(st.dt_size, 10000);
    CHECK_EQ(st.dt_mode, S_IFREG | 0644);
    if (fa) CHECK_EQ(st.dt_ino, fa->ino);
    CHECK(st.dt_dtime > 0);  // setdtime above
    const unsigned change = st.dt_change;
    dm_fileattr_t fat{};
    fat.fa_mode = 0600;
    fat.fa_size = 5000;
    fat.fa_dtime = 12345;
    CHECK_EQ(dm_set_fileattr(sid, hp, hl, T, DM_AT_MODE | DM_AT_SIZE | DM_AT_DTIME, &fat), 0);
    CHECK_EQ(dm_get_fileattr(sid, hp, hl, T, DM_AT_STAT, &st), 0);
    CHECK_EQ(st.dt_size, 5000);
    CHECK_EQ(st.dt_mode, S_IFREG | 0600);
    CHECK_EQ(st.dt_dtime, 12345);
    CHECK(st.dt_change != change);
    CHECK(fails(dm_set_fileattr(sid, hp, hl, T, DM_AT_HANDLE, &fat), EINVAL));
    CHECK(fails(dm_get_fileattr(sid, hp, hl, T, DM_AT_STAT, nullptr), EFAULT));
    CHECK(fails(dm_get_fileattr(sid, &stale, sizeof stale, T, DM_AT_STAT, &st), EBADF));

    // dm_write_invis / dm_read_invis / dm_punch_hole / dm_sync_by_handle
    CHECK_EQ(dm_write_invis(sid, hp, hl, T, DM_WRITE_SYNC, 6000, 4, const_cast<char*>("INVS")), 4);
    char rb[16] = {};
    CHECK_EQ(dm_read_invis(sid, hp, hl, T, 5998, 8, rb), 6);  // stops at the size
    CHECK(std::memcmp(rb, "\0\0INVS", 6) == 0);  // 5000..6000 is past the old size: zeros
    CHECK_EQ(dm_read_invis(sid, hp, hl, T, 6004, 8, rb), 0);  // at the end
    CHECK(fails(dm_read_invis(sid, hp, hl, T, -1, 8, rb), EINVAL));
    CHECK(fails(dm_write_invis(sid, hp, hl, T, 0x40, 0, 1, rb), EINVAL));
    CHECK_EQ(dm_punch_hole(sid, hp, hl, T, 0, 4096), 0);
    CHECK_EQ(dm_read_invis(sid, hp, hl, T, 100, 4, rb), 4);
    CHECK(std::memcmp(rb, "\0\0\0\0", 4) == 0);
    CHECK_EQ(dm_read_invis(sid, hp, hl, T, 4096, 1, rb), 1);
    CHECK_EQ(rb[0], 'q');
    auto sz = c.stat("/f");
    CHECK(sz.ok() && sz->size == 6004);  // punching keeps the size
    // The allocation now, at the volume's 4 KiB block granularity: a hole [0, 4096) (punched)
    // and data [4096, 6004) (the block holding 5000..6000 also holds data on both sides). One
    // extent per call, then all at once.
    {
        dm_off_t at = 0;
        dm_extent_t ex[8];
        unsigned nex = 0;
        std::vector<dm_extent_t> walk;
        int rc = 1;
        for (int guard = 0; rc == 1 && guard < 16; ++guard) {
            rc = dm_get_allocinfo(sid, hp, hl, T, &at, 1, ex, &nex);
            CHECK(rc == 0 || rc == 1);
            for (unsigned i = 0; i < nex; ++i) walk.push_back(ex[i]);
        }
        CHECK_EQ(walk.size(), 2u);
        if (walk.size() == 2) {
            CHECK(walk[0].ex_type == DM_EXTENT_HOLE && walk[0].ex_offset == 0 &&
                  walk[0].ex_length == 4096);
            CHECK(walk[1].ex_type == DM_EXTENT_RES && walk[1].ex_offset == 4096 &&
                  walk[1].ex_length == 6004 - 4096);
        }
        at = 0;
        CHECK_EQ(dm_get_allocinfo(sid, hp, hl, T, &at, 8, ex, &nex), 0);
        CHECK_EQ(nex, 2u);
        CHECK_EQ(at, 6004);
        at = 100000;  // past the end: nothing
        CHECK_EQ(dm_get_allocinfo(sid, hp, hl, T, &at, 8, ex, &nex), 0);
        CHECK_EQ(nex, 0u);
        CHECK(fails(dm_get_allocinfo(sid, hp, hl, T, &at, 0, ex, &nex), EINVAL));
        CHECK(fails(dm_get_allocinfo(sid, hp, hl, T, nullptr, 8, ex, &nex), EFAULT));
        CHECK(fails(dm_get_allocinfo(sid, dirh, dirl, T, &at, 8, ex, &nex), EINVAL));
        // Striped over both servers (64 KiB units): units 0 and 2 live on server 0 at object
        // offsets 0 and 64 KiB, unit 1 (server 1) is never written; the map is in file offsets.
        pfs::LayoutHint lh;
        lh.stripe_size = 64 << 10;
        lh.stripe_count = 2;
        lh.first_server = 0;
        auto sfd = c.open("/striped", O_CREAT | O_WRONLY, 0644, lh);
        CHECK(sfd.ok());
        if (sfd) {
            std::vector<char> unit(64 << 10, 's');
            CHECK_EQ(err_of(c.pwrite(*sfd, unit.data(), unit.size(), 0)), 0);
            CHECK_EQ(err_of(c.pwrite(*sfd, unit.data(), unit.size(), 128 << 10)), 0);
            (void)c.close(*sfd);
        }
        void* sh = nullptr;
        std::size_t sl = 0;
        CHECK_EQ(dm_path_to_handle(const_cast<char*>("/striped"), &sh, &sl), 0);
        at = 0;
        CHECK_EQ(dm_get_allocinfo(sid, sh, sl, T, &at, 8, ex, &nex), 0);
        CHECK_EQ(nex, 3u);
        if (nex == 3) {
            CHECK(ex[0].ex_type == DM_EXTENT_RES && ex[0].ex_offset == 0 &&
                  ex[0].ex_length == 64u << 10);
            CHECK(ex[1].ex_type == DM_EXTENT_HOLE && ex[1].ex_offset == 64 << 10 &&
                  ex[1].ex_length == 64u << 10);
            CHECK(ex[2].ex_type == DM_EXTENT_RES && ex[2].ex_offset == 128 << 10 &&
                  ex[2].ex_length == 64u << 10);
        }
        dm_handle_free(sh, sl);
    }
    CHECK_EQ(dm_sync_by_handle(sid, hp, hl, T), 0);
    CHECK(fails(dm_sync_by_handle(sid, &stale, sizeof stale, T), EBADF));
    CHECK(fails(dm_punch_hole(sid, dirh, dirl, T, 0, 1), EINVAL));

    // dm_probe_hole: the exact range dm_punch_hole would zero (the file has 10000 bytes then
    // 5000 after dm_set_fileattr above: see st).
    {
        dm_off_t roff = -1;
        dm_size_t hole_len = 99;
        CHECK_EQ(dm_get_fileattr(sid, hp, hl, T, DM_AT_STAT, &st), 0);
        const auto size = static_cast<dm_size_t>(st.dt_size);
        CHECK_EQ(dm_probe_hole(sid, hp, hl, T, 100, 50, &roff, &hole_len), 0);
        CHECK(roff == 100 && hole_len == 50);
        CHECK_EQ(dm_probe_hole(sid, hp, hl, T, 100, 0, &roff, &hole_len), 0);
        CHECK(roff == 100 && hole_len == 0);  // to the end of the file
        CHECK_EQ(dm_probe_hole(sid, hp, hl, T, 100, size, &roff, &hole_len), 0);
        CHECK_EQ(hole_len, 0u);  // reaches the end: to the end
        CHECK(fails(dm_probe_hole(sid, hp, hl, T, static_cast<dm_off_t>(size), 1, &roff, &hole_len),
                    EINVAL));
        CHECK(fails(dm_probe_hole(sid, hp, hl, T, -1, 1, &roff, &hole_len), EINVAL));
        CHECK(fails(dm_probe_hole(sid, hp, hl, T, 0, 1, nullptr, &hole_len), EFAULT));
        CHECK(fails(dm_probe_hole(sid, dirh, dirl, T, 0, 1, &roff, &hole_len), EINVAL));
        CHECK(fails(dm_probe_hole(sid, &stale, sizeof stale, T, 0, 1, &roff, &hole_len), EBADF));
    }

    // dm_init_attrloc / dm_get_dirattrs: a directory of 40 files read back in several calls
    // through a small buffer; every entry once, with its handle, name and attributes.
    {
        for (int i = 0; i < 40; ++i) {
            auto f = c.open("/dir/e" + std::to_string(i), O_CREAT | O_WRONLY, 0600);
            CHECK(f.ok());
            if (f) {
                std::vector<char> b(static_cast<std::size_t>(i), 'z');
                if (i > 0) CHECK_EQ(err_of(c.pwrite(*f, b.data(), b.size(), 0)), 0);
                (void)c.close(*f);
            }
        }
        dm_attrloc_t loc = -1;
        CHECK_EQ(dm_init_attrloc(sid, dirh, dirl, T, &loc), 0);
        CHECK_EQ(loc, 0);
        CHECK(fails(dm_init_attrloc(sid, hp, hl, T, &loc), ENOTDIR));
        CHECK(fails(dm_init_attrloc(sid, dirh, dirl, T, nullptr), EFAULT));
        alignas(8) char small[8];
        std::size_t first_need = 0;
        CHECK(fails(
            dm_get_dirattrs(sid, dirh, dirl, T, DM_AT_STAT, &loc, sizeof small, small, &first_need),
            E2BIG));
        CHECK(first_need > sizeof(dm_stat_t));
        std::vector<std::uint64_t> page(first_need * 3 / 8 + 1);  // about 3 records per call
        std::set<std::string> seen;
        int calls = 0, rc = 1;
        while (rc == 1 && calls < 100) {
            ++calls;
            std::size_t used = 0;
            rc = dm_get_dirattrs(sid, dirh, dirl, T, DM_AT_STAT, &loc, page.size() * 8, page.data(),
                                 &used);
            CHECK(rc == 0 || rc == 1);
            if (rc < 0 || used == 0) break;
            for (auto* p = reinterpret_cast<dm_stat_t*>(page.data()); p != nullptr;
                 p = DM_STEP_TO_NEXT(p, dm_stat_t*)) {
                const std::string name(DM_GET_VALUE(p, dt_compname, char*));
                CHECK_EQ(DM_GET_LEN(p, dt_compname), name.size() + 1);
                CHECK(seen.insert(name).second);  // once
                CHECK(name.rfind("e", 0) == 0);
                CHECK_EQ(p->dt_size, std::stoi(name.substr(1)));
                CHECK_EQ(p->dt_mode, S_IFREG | 0600);
                dm_ino_t rec_ino = 0;
                CHECK_EQ(dm_handle_to_ino(DM_GET_VALUE(p, dt_handle, void*),
                                          DM_GET_LEN(p, dt_handle), &rec_ino),
                         0);
                CHECK_EQ(rec_ino, p->dt_ino);
            }
        }
        CHECK_EQ(rc, 0);
        CHECK(calls > 3);
        CHECK_EQ(seen.size(), 40u);
        CHECK(fails(dm_get_dirattrs(sid, hp, hl, T, DM_AT_STAT, &loc, page.size() * 8, page.data(),
                                    &first_need),
                    EINVAL));  // not a directory
        CHECK(fails(dm_get_dirattrs(sid, dirh, dirl, T, DM_AT_STAT, nullptr, 8, small, &first_need),
                    EFAULT));
    }

    // dm_get_bulkattr / dm_get_bulkall: every inode of the file system, in several calls; the
    // 40 files above, /f with the value of its DM attribute "blk", the root directory.
    {
        CHECK_EQ(dm_set_dmattr(sid, hp, hl, T, &an, 0, 3, const_cast<char*>("abc")), 0);
        dm_attrloc_t loc = -1;
        CHECK_EQ(dm_init_attrloc(sid, fsp, fsl, T, &loc), 0);
        std::vector<std::uint64_t> page(64);  // 512 bytes: 2-3 records per call
        std::set<dm_ino_t> inos;
        int calls = 0, rc = 1, files = 0;
        std::string fvalue = "(none)";
        while (rc == 1 && calls < 200) {
            ++calls;
            std::size_t used = 0;
            rc = dm_get_bulkall(sid, fsp, fsl, T, DM_AT_STAT, &an, &loc, page.size() * 8,
                                page.data(), &used);
            CHECK(rc == 0 || rc == 1);
            if (rc < 0 || used == 0) break;
            for (auto* p = reinterpret_cast<dm_xstat_t*>(page.data()); p != nullptr;
                 p = DM_STEP_TO_NEXT(&p->dx_statinfo, dm_xstat_t*)) {
                const dm_stat_t& st2 = p->dx_statinfo;
                CHECK(inos.insert(st2.dt_ino).second);
                dm_ino_t rec_ino = 0;
                CHECK_EQ(dm_handle_to_ino(DM_GET_VALUE(&p->dx_statinfo, dt_handle, void*),
                                          DM_GET_LEN(&p->dx_statinfo, dt_handle), &rec_ino),
                         0);
                CHECK_EQ(rec_ino, st2.dt_ino);
                if ((st2.dt_mode & S_IFMT) == S_IFREG) ++files;
                if (fa && st2.dt_ino == fa->ino)
                    fvalue.assign(DM_GET_VALUE(p, dx_attrdata, char*), DM_GET_LEN(p, dx_attrdata));
            }
        }
        CHECK_EQ(rc, 0);
        CHECK(calls > 10);
        CHECK(files >= 41);
        CHECK(fvalue == "abc");
        for (const char* path : {"/", "/dir", "/f"}) {
            auto a = c.stat(path);
            CHECK(a && inos.count(a->ino) == 1);
        }
        for (int i = 0; i < 40; ++i) {
            auto a = c.stat("/dir/e" + std::to_string(i));
            CHECK(a && inos.count(a->ino) == 1);
        }
        // dm_get_bulkattr: the same inodes without attribute data.
        loc = 0;
        std::size_t used = 0;
        std::vector<std::uint64_t> big(1 << 16);
        CHECK_EQ(
            dm_get_bulkattr(sid, fsp, fsl, T, DM_AT_STAT, &loc, big.size() * 8, big.data(), &used),
            0);
        std::size_t records = 0;
        for (auto* p = reinterpret_cast<dm_stat_t*>(big.data()); p != nullptr;
             p = DM_STEP_TO_NEXT(p, dm_stat_t*))
            ++records;
        CHECK_EQ(records, inos.size());
        alignas(8) char tiny[16];
        loc = 0;
        CHECK(fails(dm_get_bulkattr(sid, fsp, fsl, T, DM_AT_STAT, &loc, sizeof tiny, tiny, &used),
                    E2BIG));
        CHECK(used > sizeof tiny);
        CHECK(fails(dm_get_bulkattr(sid, hp, hl, T, DM_AT_STAT, &loc, 8, tiny, &used), EINVAL));
        CHECK(fails(dm_get_bulkall(sid, fsp, fsl, T, DM_AT_STAT, &empty, &loc, 8, tiny, &used),
                    EINVAL));
        CHECK(
            fails(dm_get_bulkattr(sid, fsp, fsl, T, DM_AT_STAT, nullptr, 8, tiny, &used), EFAULT));
    }

    // dm_handle_to_path: /dir/sub/leaf by the handles of /dir/sub and of leaf; a hard link in
    // another directory is named by that directory.
    {
        CHECK_EQ(err_of(c.mkdir("/dir/sub", 0755)), 0);
        auto lf = c.open("/dir/sub/leaf", O_CREAT | O_WRONLY, 0644);
        CHECK(lf.ok());
        if (lf) (void)c.close(*lf);
        CHECK_EQ(err_of(c.link("/dir/sub/leaf", "/other")), 0);
        void *sh = nullptr, *lh = nullptr, *rh = nullptr;
        std::size_t sl = 0, ll = 0, rl = 0;
        CHECK_EQ(dm_path_to_handle(const_cast<char*>("/dir/sub"), &sh, &sl), 0);
        CHECK_EQ(dm_path_to_handle(const_cast<char*>("/dir/sub/leaf"), &lh, &ll), 0);
        CHECK_EQ(dm_path_to_handle(const_cast<char*>("/"), &rh, &rl), 0);
        char pb[256];
        std::size_t plen = 0;
        CHECK_EQ(dm_handle_to_path(sh, sl, lh, ll, sizeof pb, pb, &plen), 0);
        CHECK(std::string(pb) == "/dir/sub/leaf");
        CHECK_EQ(plen, std::strlen("/dir/sub/leaf") + 1);
        CHECK_EQ(dm_handle_to_path(rh, rl, lh, ll, sizeof pb, pb, &plen), 0);
        CHECK(std::string(pb) == "/other");
        CHECK(fails(dm_handle_to_path(sh, sl, lh, ll, 5, pb, &plen), E2BIG));
        CHECK_EQ(plen, std::strlen("/dir/sub/leaf") + 1);
        CHECK(fails(dm_handle_to_path(dirh, dirl, lh, ll, sizeof pb, pb, &plen), ENOENT));
        CHECK(fails(dm_handle_to_path(lh, ll, sh, sl, sizeof pb, pb, &plen), EINVAL));  // no dir
        CHECK(fails(dm_handle_to_path(fsp, fsl, lh, ll, sizeof pb, pb, &plen), EINVAL));
        CHECK(fails(dm_handle_to_path(sh, sl, &stale, sizeof stale, sizeof pb, pb, &plen), EBADF));
        CHECK(fails(dm_handle_to_path(sh, sl, lh, ll, sizeof pb, pb, nullptr), EFAULT));
        dm_handle_free(sh, sl);
        dm_handle_free(lh, ll);
        dm_handle_free(rh, rl);
    }

    // dm_get_mountinfo: the mount event's data for the file-system handle.
    {
        alignas(8) char mbuf[512];
        std::size_t mlen = 0;
        CHECK_EQ(dm_get_mountinfo(sid, fsp, fsl, T, sizeof mbuf, mbuf, &mlen), 0);
        auto* me = reinterpret_cast<dm_mount_event_t*>(mbuf);
        CHECK(std::string(DM_GET_VALUE(me, me_name1, char*)) == "/");
        CHECK_EQ(DM_GET_LEN(me, me_handle1), fsl);
        CHECK_EQ(std::memcmp(DM_GET_VALUE(me, me_handle1, void*), fsp, fsl), 0);
        CHECK(fails(dm_get_mountinfo(sid, fsp, fsl, T, 8, mbuf, &mlen), E2BIG));
        CHECK(mlen > 8);
        CHECK(fails(dm_get_mountinfo(sid, hp, hl, T, sizeof mbuf, mbuf, &mlen), EINVAL));
        CHECK(fails(dm_get_mountinfo(sid, fsp, fsl, T, sizeof mbuf, mbuf, nullptr), EFAULT));
    }

    // Every function on a freed object: EBADF.
    CHECK_EQ(err_of(c.unlink("/f")), 0);
    CHECK(fails(dm_get_dmattr(sid, hp, hl, T, &an, sizeof buf, buf, &rlen), EBADF));
    CHECK(fails(dm_read_invis(sid, hp, hl, T, 0, 1, rb), EBADF));
    dm_handle_free(hp, hl);
    dm_handle_free(fsp, fsl);
    dm_handle_free(dirh, dirl);
    if (fd) (void)c.close(*fd);
}

// Not a test: the cost of event checks on the data path, printed beside its same-run baseline.
// Rounds of small pwrites alternate between "no session disposes of write" (the baseline) and
// "a session disposes of write, the file has no region" (cached event list and regions).
void compute_overhead(Client& c, Node& node, dm_sessid_t sid) {
    auto fd = c.open("/o", O_CREAT | O_WRONLY, 0644);
    CHECK(fd.ok());
    if (!fd) return;
    std::vector<char> buf(4096, 'o');
    const int n = 2000;
    auto round = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i)
            CHECK_EQ(err_of(c.pwrite(*fd, buf.data(), buf.size(), 4096LL * (i % 64))), 0);
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                   .count() /
               n;
    };
    double base = 0, disposed = 0;
    for (int r = 0; r < 3; ++r) {
        tell(node, sid, "undispose");
        base += round() / 3;
        tell(node, sid, "dispose");
        disposed += round() / 3;
    }
    std::printf(
        "DMFS-BENCH {\"pwrite_4k_us_no_disposition\": %.2f, "
        "\"pwrite_4k_us_disposed_no_region\": %.2f, \"ratio\": %.3f}\n",
        base, disposed, disposed / base);
    CHECK_EQ(err_of(c.close(*fd)), 0);
}

// DMAPI disabled on the file system (pfs-mkfs --dmapi no): every call that references it fails
// with EPERM, sessions still work, and user operations raise nothing and go on.
void compute_disabled(Client& c, dm_sessid_t sid) {
    auto fails = [](long long rc, int want) { return rc == -1 && errno == want; };
    auto fd = c.open("/f", O_CREAT | O_RDWR, 0644);
    CHECK(fd.ok());
    std::vector<char> data(100, 'q');
    if (fd) CHECK_EQ(err_of(c.pwrite(*fd, data.data(), data.size(), 0)), 0);
    void* hp = nullptr;
    std::size_t hl = 0;
    CHECK(fails(dm_path_to_handle(const_cast<char*>("/f"), &hp, &hl), EPERM));
    CHECK(fails(dm_path_to_fshandle(const_cast<char*>("/"), &hp, &hl), EPERM));
    auto fsid = c.fs_info().fsid;
    CHECK_EQ(dm_make_fshandle(&fsid, &hp, &hl), 0);
    dm_eventset_t set = bit(DM_EVENT_WRITE);
    CHECK(fails(dm_set_disp(sid, hp, hl, DM_NO_TOKEN, &set, DM_EVENT_MAX), EPERM));
    CHECK(fails(dm_set_eventlist(sid, hp, hl, DM_NO_TOKEN, &set, DM_EVENT_MAX), EPERM));
    dm_handle_free(hp, hl);
    auto a = c.stat("/f");
    CHECK(a.ok());
    if (a) {
        dm_ino_t ino = a->ino;
        dm_igen_t gen = a->gen;
        CHECK_EQ(dm_make_handle(&fsid, &ino, &gen, &hp, &hl), 0);
        dm_attrname_t an{};
        std::memcpy(an.an_chars, "hsm", 3);
        char buf[8];
        std::size_t rlen = 0;
        CHECK(fails(dm_get_dmattr(sid, hp, hl, DM_NO_TOKEN, &an, sizeof buf, buf, &rlen), EPERM));
        CHECK(fails(dm_read_invis(sid, hp, hl, DM_NO_TOKEN, 0, 1, buf), EPERM));
        dm_token_t t = DM_NO_TOKEN;
        CHECK_EQ(dm_create_userevent(sid, 0, nullptr, &t), 0);
        CHECK(fails(dm_request_right(sid, hp, hl, t, 0, DM_RIGHT_EXCL), EPERM));
        CHECK_EQ(dm_respond_event(sid, t, DM_RESP_CONTINUE, 0, 0, nullptr), 0);
        dm_handle_free(hp, hl);
    }
    // The mount disposition (global handle) is not about this file system: allowed.
    dm_eventset_t mount = bit(DM_EVENT_MOUNT);
    CHECK_EQ(dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &mount, DM_EVENT_MAX),
             0);
    std::vector<char> back(100, 0);
    if (fd) {
        auto n = c.pread(*fd, back.data(), back.size(), 0);
        CHECK(n && *n == 100 && back == data);
        (void)c.close(*fd);
    }
    CHECK_EQ(err_of(c.unlink("/f")), 0);
}

[[noreturn]] void libdmapi_main(int* argc, char*** argv) {
    g_role = "compute";
    char* version = nullptr;
    CHECK_EQ(dm_init_service(&version), 0);
    auto& job = Job::init(argc, argv);  // the Job dm_init_service made
    CHECK(dmapi::events::start(job) != nullptr);
    dm_sessid_t sid = DM_NO_SESSION;
    CHECK_EQ(dm_create_session(DM_NO_SESSION, const_cast<char*>("dmfs-libdmapi"), &sid), 0);
    {
        Client c(job);
        CHECK_EQ(c.connect_error(), 0);
        if (g_case == "disabled")
            compute_disabled(c, sid);
        else
            compute_libdmapi(c, sid);
    }
    CHECK_EQ(dm_destroy_session(sid), 0);
    std::printf("DMFS-TEST %s compute %s\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::printf("DMFS-TEST %s dm PASS (no DM side)\n", g_case.c_str());
    std::fflush(stdout);
    job.finish(g_failures ? 1 : 0);
}

[[noreturn]] void compute_main(Job& job) {
    g_role = "compute";
    Node& node = *dmapi::events::start(job);
    const dm_sessid_t sid = wait_for_session(node);
    CHECK(sid != DM_NO_SESSION);
    {
        Client c(job);  // after the session: the mount case sees this mount
        CHECK_EQ(c.connect_error(), 0);
        if (g_case == "namespace") compute_namespace(c);
        if (g_case == "data") compute_data(c, node, sid);
        if (g_case == "eventlist") compute_eventlist(c, node, sid);
        if (g_case == "destroy") compute_destroy(c, node, sid);
        if (g_case == "nospace") compute_nospace(c);
        if (g_case == "deadcache") compute_deadcache(c, job, node, sid);
        if (g_case == "inflight") compute_inflight(c, node, sid);
        if (g_case == "overhead") compute_overhead(c, node, sid);
        if (g_case == "mount") {
            Client second(job);  // a second mount on this rank: refused by the DM application
            CHECK_EQ(second.connect_error(), EROFS);
        }
        if (g_case == "unmount") {
            for (int i = 0; i < 2; ++i) {
                Client other(job);  // its end: preunmount + unmount
                CHECK_EQ(other.connect_error(), 0);
            }
        }
    }
    node.flush_async();  // every post-event is queued at the session before "done"
    tell(node, sid, "done");
    std::printf("DMFS-TEST %s compute %s\n", g_case.c_str(), g_failures ? "FAIL" : "PASS");
    std::fflush(stdout);
    job.finish(g_failures ? 1 : 0);
}

}  // namespace

int main(int argc, char** argv) {
    const char* c = std::getenv("DMFS_CASE");
    g_case = c ? c : "";
    // The libdmapi case runs on the compute rank alone (the dm rank runs pfs-dm-idle): a C++ DM
    // program, so dm_init_service joins the job first (Job and Node) and the program shares them.
    if (g_case == "libdmapi" || g_case == "disabled") libdmapi_main(&argc, &argv);
    auto& job = Job::init(&argc, &argv);
    if (job.role() == mpi_tools::Role::dm) {
        if (job.layout().index_in_role(job.rank()) == 1) cacher_main(job);
        dm_main(job);
    }
    compute_main(job);
}
