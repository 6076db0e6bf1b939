// The DMAPI session and event core of one rank (namespace dmapi::core, library dmapi_core).
//
// Every rank runs one Node. It plays up to three parts:
//   - session manager: the lowest live meta rank (plain jobs: the lowest live rank) owns the
//     job's session table and replicates every change to every live rank, waiting for their
//     acknowledgements before the call returns (claims 9, 10);
//   - session rank: the owner of a session holds its event queue (SessionQueue) and serves the
//     DM application's calls on it (get_events, respond_event, ...);
//   - source: raise() sends an event to the session rank of the session that has the
//     disposition (or, for user events, the given session) and, for a synchronous event, blocks
//     the calling thread until the response (claims 1, 12, 13, 17, 19).
//
// The functions return 0 or a positive errno (XDSM's). libdmapi maps them onto the C API.
// Application threads call them; never the progress thread (handlers do not block).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "dmapi/core/config.hpp"
#include "dmapi/core/messages.hpp"
#include "dmapi/core/queue.hpp"
#include "dmapi/core/token.hpp"
#include "dmapi/core/types.hpp"

namespace mpi_tools {
class Job;
class Responder;
}  // namespace mpi_tools

namespace dmapi::core {

// What a file operation (or dm_send_msg) raises.
struct Event {
    dm_eventtype_t type = DM_EVENT_USER;
    dm_sessid_t sid = DM_NO_SESSION;  // user events: the target session; others: by disposition
    bool sync = false;                // user events only; other types follow is_sync_event()
    std::vector<std::byte> data;      // ev_data (SGI payload struct, or the user message)
};

struct RaiseResult {
    int err = 0;             // 0, or why the event could not be raised (EINVAL, EIO, ETIMEDOUT)
    bool generated = false;  // false: no session has a disposition for it; the op proceeds
    dm_token_t token = DM_INVALID_TOKEN;
    dm_response_t response = DM_RESP_INVALID;  // synchronous: the DM application's answer
    int reterror = 0;                          // DM_RESP_ABORT's errno
    // The session rank failed and no rank assumed the session within the failure timeout
    // (claim 21: GPFS's dmapiSessionFailureTimeout): the operation fails with EIO.
    bool session_failed = false;
    // This rank's DMAPI file-system instance failed while the event was outstanding (claim 8):
    // operations that originated here fail with ESTALE.
    bool stale = false;
    // The errno the file operation must fail with, 0 to proceed.
    int op_errno() const {
        if (err) return err;
        if (stale) return ESTALE;
        if (session_failed) return EIO;
        return response == DM_RESP_ABORT ? reterror : 0;
    }
};

// The source side's record of an event not yet finally answered: what recovery resubmits from
// (claims 14-17). Kept for synchronous events until the response, for asynchronous ones until
// the session rank acknowledged the enqueue.
struct OutstandingEvent {
    EventMsg msg;         // token, sid, type, sync, source, data: the resubmission bytes
    int owner = -1;       // the session rank it was sent to
    bool wait = true;     // a thread blocks on it (false: async, or unmount, which is not waited)
    bool queued = false;  // the owner acknowledged it (or a rebuild collected it)
    dm_sequence_t sequence = 0;     // the owner's enqueue order (rebuilds keep it)
    std::uint32_t incarnation = 0;  // the session incarnation it is queued in
    bool done = false;
    bool stale = false;  // failed by inject_fs_failure: ESTALE
    dm_response_t response = DM_RESP_INVALID;
    int reterror = 0;
};

// What the last queue rebuild at this rank did (claims 14-19), for tests and the benchmark.
struct RebuildReport {
    dm_sessid_t sid = DM_NO_SESSION;
    std::uint32_t incarnation = 0;
    std::size_t events = 0;  // synchronous events re-queued
    std::size_t ranks = 0;   // ranks that answered the gather
    double gather_us = 0;    // the failure-aware gather
    double total_us = 0;     // gather + re-queue
};

struct NodeStats {
    std::atomic<std::uint64_t> raised_sync{0}, raised_async{0}, busy_retries{0}, responses{0},
        delivered{0}, async_lost{0}, rebuilds{0}, rebuilt_events{0}, failovers{0},
        failure_timeouts{0};
};

class Node {
  public:
    // Collective over every live rank of the job (all roles): registers the handlers, then a
    // failure-aware barrier, so that no DMAPI message reaches a rank before it can handle it.
    // Refuses jobs of more than kMaxRanks ranks (the token encoding's limit): the job aborts.
    static Node& start(mpi_tools::Job& job, CoreConfig cfg = CoreConfig::from_environment());
    static Node& get();  // after start()

    // ---- sessions (dm_create_session, dm_destroy_session, dm_query_session, ...) ------------
    // oldsid == DM_NO_SESSION: a new session owned by this rank. Otherwise assume oldsid (GPFS):
    // the SAME id is returned; allowed when the session failed (its rank died) or is owned by
    // this rank (info is replaced); a live session of another live rank: EBUSY.
    int create_session(dm_sessid_t oldsid, const char* info, dm_sessid_t* newsid);
    // EBUSY while the queue holds undelivered or outstanding events or a reader waits; EINVAL
    // for an unknown sid, or a live session owned by another rank (only its session rank may
    // destroy it; a failed session may be destroyed from any rank).
    int destroy_session(dm_sessid_t sid);
    int query_session(dm_sessid_t sid, std::size_t buflen, void* buf, std::size_t* rlen) const;
    int getall_sessions(unsigned nelem, dm_sessid_t* sids, unsigned* nelemp) const;
    // The session's global disposition set (file-system-independent for now). Any rank.
    int set_disp(dm_sessid_t sid, dm_eventset_t events);
    // The session's set becomes (set & ~part) | events (events within part, else EINVAL); with
    // take_from_others the events also leave every other session. One table update at the
    // session manager, so concurrent calls from different ranks never lose one another's work.
    int set_disp_part(dm_sessid_t sid, dm_eventset_t part, dm_eventset_t events,
                      bool take_from_others);

    // ---- the DM application's event calls (session rank only) -------------------------------
    int get_events(dm_sessid_t sid, unsigned maxmsgs, unsigned flags, std::size_t buflen, void* buf,
                   std::size_t* rlen);
    int respond_event(dm_sessid_t sid, dm_token_t token, dm_response_t response, int reterror);
    int find_eventmsg(dm_sessid_t sid, dm_token_t token, std::size_t buflen, void* buf,
                      std::size_t* rlen);
    int getall_tokens(dm_sessid_t sid, unsigned nelem, dm_token_t* tokens, unsigned* nelemp);
    int move_event(dm_sessid_t srcsid, dm_token_t token, dm_sessid_t targetsid, dm_token_t* rtoken);
    int pending(dm_sessid_t sid, dm_token_t token);
    int create_userevent(dm_sessid_t sid, std::size_t msglen, const void* msg, dm_token_t* token);

    // ---- sources ----------------------------------------------------------------------------
    // dm_send_msg: a user event to targetsid (any rank). SYNC blocks until the response and
    // returns DM_RESP_ABORT's errno; payload <= kMaxMsgData else E2BIG.
    int send_msg(dm_sessid_t targetsid, dm_msgtype_t msgtype, std::size_t buflen, const void* buf);
    // The C++ entry of the PFS client. Synchronous events block the calling thread; async ones
    // are handed to this rank's sender thread (pipelined; the caller blocks only when its window
    // and local queue are full). Never call on the progress thread.
    RaiseResult raise(const Event& ev);
    // raise() split in two for callers that keep many synchronous events outstanding without a
    // thread each (asynchronous I/O, the failover benchmark): raise_nowait returns once the
    // session rank has queued the event (*pending then holds it); await_response blocks until
    // its response, through a recovery like raise(). Synchronous events only (else EINVAL).
    RaiseResult raise_nowait(const Event& ev, std::shared_ptr<OutstandingEvent>* pending);
    RaiseResult await_response(const std::shared_ptr<OutstandingEvent>& pending);
    // Waits until every asynchronous event raised here so far has been queued at its session
    // rank (or lost with it). Returns the number lost.
    std::uint64_t flush_async();

    // 0 when token is outstanding (delivered, not answered) on session sid of this rank; else
    // EINVAL (no such local session, or a token that names no event of it) or ESRCH (the event
    // exists but is not outstanding: not yet received again after a recovery, or answered).
    int token_outstanding(dm_sessid_t sid, dm_token_t token);
    // Hooks of the layer above (libdmapi's DM access rights). `token_done` runs when a token
    // stops being outstanding here: answered (before the source is told, so that its operation
    // does not meet the token's rights) or moved to another session; `instance_failed` when this
    // rank's DMAPI instance fails (inject_fs_failure). Called outside the core's locks.
    void set_token_hooks(std::function<void(dm_sessid_t, dm_token_t)> token_done,
                         std::function<void()> instance_failed);

    // ---- recovery (dmapi/recovery) --------------------------------------------------------
    // A DM application standing by (claims 3-5): registers this rank as a standby for sessions
    // whose info string is `info` and blocks until the session manager hands it one whose
    // session rank failed, then rebuilds that session's queue here (same id, same tokens) and
    // returns its id. ETIMEDOUT after `timeout`; EINVAL/EFAULT/E2BIG for bad arguments.
    int standby(const char* info, std::chrono::milliseconds timeout, dm_sessid_t* sid);
    // A highly available DM application's start: creates the session named `info` unless one
    // of that name exists (then *primary = true), else stands by for it as standby() does (a
    // failed one is taken over at once). Of several ranks claiming a name, exactly one creates.
    int claim(const char* info, std::chrono::milliseconds timeout, dm_sessid_t* sid, bool* primary);
    // Fault injection (claim 8): this rank's DMAPI file-system instance fails without the
    // process dying. Its session queues are dropped (to be rebuilt by the next DMAPI call) and
    // the synchronous events that originated here fail with ESTALE.
    void inject_fs_failure();
    // The failure timeout a source applies to a session with this info string: the configured
    // one, else 0 (GPFS) with no standby registered for it and standby_failure_timeout with one.
    std::chrono::milliseconds failure_timeout(const std::string& info) const;
    RebuildReport last_rebuild() const;

    // ---- introspection (tests, recovery) -----------------------------------------------------
    std::optional<SessionRecord> session(dm_sessid_t sid) const;  // state reflects failures
    // Whether some session holds the disposition for this event type: one atomic load, for the
    // PFS data path, which asks on every operation (the union is kept by apply_table).
    bool disposed(dm_eventtype_t type) const {
        return (disposed_.load(std::memory_order_acquire) >> type) & 1u;
    }
    TableUpdate table() const;
    int manager() const;  // world rank of the session manager as this rank sees it
    int rank() const { return me_; }
    // Asks rank r for its replica's view of sid (any rank; for tests).
    int probe(int r, dm_sessid_t sid, TableProbeReply* out);
    std::vector<OutstandingEvent> outstanding() const;
    // The sessions this rank serves, for the sessions CLI (status.cpp): queue depths and the
    // outstanding tokens of each.
    struct LocalQueue {
        dm_sessid_t sid = DM_NO_SESSION;
        std::size_t undelivered = 0;
        std::vector<dm_token_t> tokens;  // outstanding (delivered, not answered)
        bool rebuilding = false;
    };
    std::vector<LocalQueue> local_queues() const;
    std::size_t undelivered(dm_sessid_t sid) const;
    const NodeStats& stats() const { return stats_; }
    const CoreConfig& config() const { return cfg_; }

  private:
    void token_done(dm_sessid_t sid, dm_token_t token);
    mutable std::mutex hooks_mu_;
    std::function<void(dm_sessid_t, dm_token_t)> token_done_hook_;
    std::function<void()> instance_failed_hook_;

    Node(mpi_tools::Job& job, CoreConfig cfg);
    void register_handlers();

    // manager
    struct MgrTask {
        SessionRequest req;
        std::function<void(const SessionReply&)> done;
    };
    SessionReply session_request(SessionRequest req);
    void manager_loop();
    SessionReply manager_apply(const SessionRequest& req);
    void replicate(const TableUpdate& t);
    void apply_table(const TableUpdate& t);
    bool live(int r) const;

    // recovery
    bool assign_failed_sessions(TableUpdate& t);  // manager: failover to standbys
    void rebuild_pending();                       // every DM call: rebuild what needs it
    void rebuild(dm_sessid_t sid);
    ResubmitReply collect_outstanding(const ResubmitRequest& req);
    struct RecoveryWait {
        std::optional<std::chrono::steady_clock::time_point> failed_since;   // nobody took over
        std::optional<std::chrono::steady_clock::time_point> takeover_seen;  // not gathered yet
    };
    // A source re-sends an event itself when a takeover's gather has not reached it by then.
    static constexpr std::chrono::milliseconds kTakeoverGrace{250};
    // false: the failure timeout passed with nobody having taken the session over.
    bool wait_for_recovery(OutstandingEvent& o, RecoveryWait* w);
    // A waiting source's reading of the replicated table: the session's record and the failure
    // timeout that applies, from one table version (recovery.cpp says why).
    struct FailureView {
        bool exists = false;
        std::int32_t owner = -1;
        std::uint32_t incarnation = 0;
        bool manager_verdict = false;  // the manager recorded the failure (state failed)
        bool automatic = false;        // no configured timeout: it depends on the standbys
        bool standby = false;          // a live standby is registered for the session's name
        std::chrono::milliseconds timeout{0};
    };
    FailureView failure_view(dm_sessid_t sid) const;
    // failure_timeout with table_mu_ held; *standby: a live standby is registered for info.
    std::chrono::milliseconds failure_timeout_locked(const std::string& info, bool* standby) const;
    void fail_loc_after_enqueue(dm_sessid_t sid);

    // session rank
    EventAck enqueue(const EventMsg& m, bool enforce_bound);
    EventAck enqueue_locked(const EventMsg& m, bool enforce_bound);  // q_mu_ held
    SessionQueue* queue_locked(dm_sessid_t sid);  // q_mu_ held; nullptr unless mine and open
    int token_error_locked(const SessionQueue& q, dm_token_t token) const;
    void remember_responded_locked(dm_token_t token);
    void deliver_response(int source, const ResponseMsg& r);
    void complete_local(const ResponseMsg& r);

    // source
    std::shared_ptr<OutstandingEvent> begin_raise(const Event& ev, RaiseResult& res);
    bool drive(const std::shared_ptr<OutstandingEvent>& o, RaiseResult& res, bool until_queued);
    void end_raise(const std::shared_ptr<OutstandingEvent>& o, RaiseResult& res, bool detached);
    std::optional<SessionRecord> target_of(const Event& ev, int* err) const;
    EventAck send_event(const EventMsg& m, int owner, int* err);
    void async_loop();

    mpi_tools::Job& job_;
    const CoreConfig cfg_;
    const int me_, size_;

    // The replica of the session table (every rank).
    mutable std::mutex table_mu_;
    std::condition_variable table_cv_;  // table changes (standby waits)
    TableUpdate table_;
    std::atomic<dm_eventset_t> disposed_{0};  // union of the sessions' dispositions

    // Manager worker (serializes changes; runs on the manager rank only, idle elsewhere).
    std::mutex mgr_mu_;
    std::condition_variable mgr_cv_;
    std::deque<MgrTask> mgr_q_;
    std::thread mgr_thread_;

    // Session queues this rank owns.
    mutable std::mutex q_mu_;
    std::condition_variable q_cv_;
    std::map<dm_sessid_t, std::unique_ptr<SessionQueue>> queues_;
    std::set<dm_sessid_t> closing_;       // destroy in progress: refuse new events
    std::map<dm_sessid_t, int> readers_;  // threads waiting in get_events
    dm_sequence_t next_sequence_ = 0;
    std::deque<dm_token_t> responded_fifo_;  // recently responded tokens (ESRCH, not EINVAL)
    std::unordered_set<dm_token_t> responded_;
    // Recovery: the incarnation each owned queue belongs to; queues to rebuild before use
    // (sources get BUSY meanwhile); rebuilds in progress (other callers wait for them).
    std::map<dm_sessid_t, std::uint32_t> queue_incarnation_;
    std::set<dm_sessid_t> rebuild_needed_;
    std::set<dm_sessid_t> rebuilding_;
    std::atomic<int> rebuilds_pending_{0};
    std::set<dm_sessid_t> handed_over_;  // sessions standby() has returned
    RebuildReport last_rebuild_;
    std::uint64_t enqueued_total_ = 0;  // fail_loc counters

    // Source side.
    mutable std::mutex src_mu_;
    std::condition_variable src_cv_;
    TokenAllocator tokens_;            // synchronous events, user-event tokens
    TokenAllocator async_tokens_;      // asynchronous events (a disjoint range)
    void release_token(dm_token_t t);  // src_mu_ held; to whichever range owns it
    std::map<dm_token_t, std::shared_ptr<OutstandingEvent>> outstanding_;
    std::deque<std::shared_ptr<OutstandingEvent>> async_q_;  // raised, not yet sent
    std::size_t async_inflight_ = 0;
    std::uint64_t async_lost_ = 0;
    std::condition_variable async_cv_;  // with src_mu_
    std::thread async_thread_;

    NodeStats stats_;
};

// Keeps <run-dir>/dmapi/rank-<R>.json up to date for the sessions CLI (status.cpp); started by
// Node::start in pfs-run jobs.
void start_status_writer(const Node& node, const mpi_tools::Job& job);

}  // namespace dmapi::core
