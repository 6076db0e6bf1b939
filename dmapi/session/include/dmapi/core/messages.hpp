// Every DMAPI message between ranks, in one header. Types are 2000-2999 (mpi_tools < 1000, PFS
// 1000-1999) and append-only. Bodies use mpi_tools::wire's bounded little-endian codec; every
// decoder validates ranges and rejects truncated input and trailing bytes (returns nullopt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dmapi/core/types.hpp"

namespace dmapi::core {

enum class Msg : std::uint16_t {
    session_request = 2001,  // rpc, any rank -> session manager: create/assume/destroy/set_disp
    table_update = 2002,     // rpc, manager -> every live rank: the full versioned session table
    event = 2003,            // rpc, source rank -> session rank: one event (answered at once)
    response = 2004,         // one-way, session rank -> source rank: the DM app's response
    table_probe = 2005,      // rpc, diagnostics/tests: "which table version, do you know sid?"
    move_event = 2006,       // rpc, session rank -> another session rank: an outstanding event
    event_moved = 2007,      // one-way, session rank -> source rank: the event's owner changed
    event_batch = 2009,      // rpc, source rank -> session rank: asynchronous events, answered
                             // with one status per event (the sender thread batches them)
    resubmit = 2008,         // rpc, rebuilding session rank -> every live rank: "your outstanding
                             // synchronous events of this session" (claims 14, 15, 19)
};
constexpr std::uint16_t msg_type(Msg m) {
    return static_cast<std::uint16_t>(m);
}

// Limits enforced by the decoders.
inline constexpr std::size_t kMaxSessions = 65536;                   // per job
inline constexpr std::size_t kMaxEventPayload = 1u << 20;            // one event's ev_data
inline constexpr std::size_t kMaxInfoLen = DM_SESSION_INFO_LEN - 1;  // without the NUL

// standby: register the requester as a standby session rank for sessions named `info`.
// failover: internal to the manager (never on the wire from a client): reassign the sessions
// of failed owners to standbys.
enum class SessionOp : std::uint8_t {
    create = 1,
    assume = 2,
    destroy = 3,
    set_disp = 4,
    standby = 5,
    failover = 6,
    create_unique = 7,  // create unless a session with this info exists (EEXIST)
};

struct SessionRequest {
    SessionOp op = SessionOp::create;
    std::int32_t requester = -1;  // world rank; the owner of a created/assumed session
    dm_sessid_t sid = DM_NO_SESSION;
    std::string info;
    // set_disp: the session's set becomes (set & ~part) | disp (disp within part); with
    // take_from_others, the events of disp leave every other session, in the same table update.
    dm_eventset_t disp = 0;
    dm_eventset_t part = ~dm_eventset_t{0} >> (64 - DM_EVENT_MAX);
    bool take_from_others = false;
    bool operator==(const SessionRequest&) const = default;
};

struct SessionReply {
    std::int32_t err = 0;  // 0 or a positive errno
    dm_sessid_t sid = DM_NO_SESSION;
    std::uint64_t version = 0;
    bool operator==(const SessionReply&) const = default;
};

enum class SessionState : std::uint8_t { active = 1, failed = 2 };

struct SessionRecord {
    dm_sessid_t sid = DM_NO_SESSION;
    std::string info;         // the full string (up to 255 bytes), not GPFS's 8 characters
    std::int32_t owner = -1;  // world rank of the session rank
    SessionState state = SessionState::active;
    dm_eventset_t disp = 0;  // global disposition set
    // Incremented each time another rank takes the session over (assume, failover): a new
    // incarnation's session rank rebuilds its queue before serving it.
    std::uint32_t incarnation = 0;
    bool operator==(const SessionRecord&) const = default;
};

// A rank whose DM application stands by to take over a failed session with this info string.
struct StandbyRecord {
    std::int32_t rank = -1;
    std::string info;
    bool operator==(const StandbyRecord&) const = default;
};

struct TableUpdate {
    std::uint64_t version = 0;
    dm_sessid_t next_sid = 1;             // ids are unique over time: never reissued
    std::vector<SessionRecord> sessions;  // ascending sid
    std::vector<StandbyRecord> standbys;  // registration order (the first live one is chosen)
    bool operator==(const TableUpdate&) const = default;
};

struct TableAck {
    std::uint64_t version = 0;
    bool operator==(const TableAck&) const = default;
};

struct EventMsg {
    dm_token_t token = DM_INVALID_TOKEN;  // always a valid source-assigned token
    dm_sessid_t sid = DM_NO_SESSION;
    dm_eventtype_t type = DM_EVENT_USER;
    bool sync = false;
    std::int32_t source = -1;     // world rank; equals token_source(token)
    std::vector<std::byte> data;  // ev_data, copied verbatim into the dm_eventmsg_t
    bool operator==(const EventMsg&) const = default;
};

enum class EventStatus : std::int32_t {
    queued = 0,
    busy = 1,        // queue full: retry later (back-pressure)
    no_session = 2,  // no such session at this rank (destroyed, moved, never here)
    duplicate = 3,   // token already queued or outstanding here (a resend)
};

struct EventAck {
    EventStatus status = EventStatus::queued;
    dm_sequence_t sequence = 0;
    bool operator==(const EventAck&) const = default;
};

struct ResponseMsg {
    dm_token_t token = DM_INVALID_TOKEN;
    dm_sessid_t sid = DM_NO_SESSION;
    dm_response_t response = DM_RESP_CONTINUE;
    std::int32_t reterror = 0;
    bool operator==(const ResponseMsg&) const = default;
};

struct TableProbe {
    dm_sessid_t sid = DM_NO_SESSION;
    bool operator==(const TableProbe&) const = default;
};

struct TableProbeReply {
    std::uint64_t version = 0;
    bool present = false;
    std::int32_t owner = -1;
    std::string info;
    dm_eventset_t disp = 0;
    bool operator==(const TableProbeReply&) const = default;
};

// move_event carries the whole event (it stays outstanding: same token) to the target session.
struct MoveEventMsg {
    EventMsg event;
    dm_sequence_t sequence = 0;
    bool reply = true;  // false: a dm_create_userevent token (nobody waits)
    bool operator==(const MoveEventMsg&) const = default;
};

struct MoveEventReply {
    std::int32_t err = 0;
    bool operator==(const MoveEventReply&) const = default;
};

struct EventMovedMsg {
    dm_token_t token = DM_INVALID_TOKEN;
    dm_sessid_t sid = DM_NO_SESSION;
    std::int32_t owner = -1;
    bool operator==(const EventMovedMsg&) const = default;
};

// Asynchronous events from one source to one session rank in one message (at most
// kMaxBatchEvents): per-event round trips capped throughput at ~60k events/s.
struct EventBatch {
    std::vector<EventMsg> events;
    bool operator==(const EventBatch&) const = default;
};
struct EventBatchAck {
    std::vector<EventAck> acks;  // one per event, same order
    bool operator==(const EventBatchAck&) const = default;
};
inline constexpr std::size_t kMaxBatchEvents = 256;

// Rebuild: the new session rank asks each live rank for its outstanding synchronous events of
// sid with tokens above after_token (ascending; paged so one reply stays bounded). The source
// records the new owner, so its blocked thread waits for the response from there.
struct ResubmitRequest {
    dm_sessid_t sid = DM_NO_SESSION;
    std::int32_t owner = -1;
    std::uint32_t incarnation = 0;
    dm_token_t after_token = 0;
    bool operator==(const ResubmitRequest&) const = default;
};

struct ResubmittedEvent {
    EventMsg event;
    dm_sequence_t sequence = 0;  // the old session rank's enqueue order; 0 = never acknowledged
    bool operator==(const ResubmittedEvent&) const = default;
};

struct ResubmitReply {
    std::vector<ResubmittedEvent> events;  // ascending token
    bool more = false;                     // ask again after the last token
    bool operator==(const ResubmitReply&) const = default;
};
// One reply carries at most this many bytes of events (the wire allows 64 MiB).
inline constexpr std::size_t kMaxResubmitBytes = 8u << 20;

// max_rank bounds every rank field (the job size); pass kMaxRanks when unknown.
std::vector<std::byte> encode(const SessionRequest& m);
std::vector<std::byte> encode(const SessionReply& m);
std::vector<std::byte> encode(const TableUpdate& m);
std::vector<std::byte> encode(const TableAck& m);
std::vector<std::byte> encode(const EventMsg& m);
std::vector<std::byte> encode(const EventAck& m);
std::vector<std::byte> encode(const ResponseMsg& m);
std::vector<std::byte> encode(const TableProbe& m);
std::vector<std::byte> encode(const TableProbeReply& m);
std::vector<std::byte> encode(const MoveEventMsg& m);
std::vector<std::byte> encode(const MoveEventReply& m);
std::vector<std::byte> encode(const EventMovedMsg& m);
std::vector<std::byte> encode(const EventBatch& m);
std::vector<std::byte> encode(const EventBatchAck& m);
std::vector<std::byte> encode(const ResubmitRequest& m);
std::vector<std::byte> encode(const ResubmitReply& m);

std::optional<SessionRequest> decode_session_request(std::span<const std::byte> b, int max_rank);
std::optional<SessionReply> decode_session_reply(std::span<const std::byte> b);
std::optional<TableUpdate> decode_table_update(std::span<const std::byte> b, int max_rank);
std::optional<TableAck> decode_table_ack(std::span<const std::byte> b);
std::optional<EventMsg> decode_event(std::span<const std::byte> b, int max_rank);
std::optional<EventAck> decode_event_ack(std::span<const std::byte> b);
std::optional<ResponseMsg> decode_response(std::span<const std::byte> b);
std::optional<TableProbe> decode_table_probe(std::span<const std::byte> b);
std::optional<TableProbeReply> decode_table_probe_reply(std::span<const std::byte> b, int max_rank);
std::optional<MoveEventMsg> decode_move_event(std::span<const std::byte> b, int max_rank);
std::optional<MoveEventReply> decode_move_event_reply(std::span<const std::byte> b);
std::optional<EventMovedMsg> decode_event_moved(std::span<const std::byte> b, int max_rank);
std::optional<EventBatch> decode_event_batch(std::span<const std::byte> b, int max_rank);
std::optional<EventBatchAck> decode_event_batch_ack(std::span<const std::byte> b);
std::optional<ResubmitRequest> decode_resubmit_request(std::span<const std::byte> b, int max_rank);
std::optional<ResubmitReply> decode_resubmit_reply(std::span<const std::byte> b, int max_rank);

}  // namespace dmapi::core
