#include "dmapi/core/messages.hpp"

#include <bit>

#include "dmapi/core/token.hpp"
#include "mpi_tools/wire.hpp"

namespace dmapi::core {

static_assert(std::endian::native == std::endian::little,
              "the wire codec copies integers in host order: little-endian hosts only");

namespace {

using mpi_tools::wire::Reader;
using mpi_tools::wire::Writer;

void put_bytes(Writer& w, std::vector<std::byte>* out, std::span<const std::byte> b) {
    w.put<std::uint32_t>(static_cast<std::uint32_t>(b.size()));
    out->insert(out->end(), b.begin(), b.end());
}

bool valid_rank(std::int32_t r, int max_rank) {
    return r >= 0 && r < max_rank;
}
bool valid_errno(std::int32_t e) {
    return e >= 0 && e < 4096;
}

void put_event(Writer& w, std::vector<std::byte>* out, const EventMsg& m) {
    w.put<std::int32_t>(m.token);
    w.put<std::int32_t>(m.sid);
    w.put<std::int32_t>(static_cast<std::int32_t>(m.type));
    w.put<std::uint8_t>(m.sync ? 1 : 0);
    w.put<std::int32_t>(m.source);
    put_bytes(w, out, m.data);
}

// The event body; data is read through get_string (bounded) and copied as bytes.
bool get_event(Reader& r, EventMsg* m, int max_rank) {
    m->token = r.get<std::int32_t>();
    m->sid = r.get<std::int32_t>();
    std::int32_t type = r.get<std::int32_t>();
    std::uint8_t sync = r.get<std::uint8_t>();
    m->source = r.get<std::int32_t>();
    std::string d = r.get_string(kMaxEventPayload);
    if (!r.ok()) return false;
    if (!token_valid(m->token) || m->sid <= 0 || !valid_event_type(type) || sync > 1 ||
        !valid_rank(m->source, max_rank) || token_source(m->token) != m->source)
        return false;
    m->type = static_cast<dm_eventtype_t>(type);
    m->sync = sync == 1;
    const auto* p = reinterpret_cast<const std::byte*>(d.data());
    m->data.assign(p, p + d.size());
    return true;
}

template <typename T, typename F>
std::optional<T> finish(Reader& r, T v, F&& check) {
    if (!r.done() || !check(v)) return std::nullopt;
    return v;
}

}  // namespace

std::vector<std::byte> encode(const SessionRequest& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint8_t>(static_cast<std::uint8_t>(m.op));
    w.put<std::int32_t>(m.requester);
    w.put<std::int32_t>(m.sid);
    w.put_string(m.info);
    w.put<std::uint64_t>(m.disp);
    w.put<std::uint64_t>(m.part);
    w.put<std::uint8_t>(m.take_from_others ? 1 : 0);
    return out;
}

std::optional<SessionRequest> decode_session_request(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    SessionRequest m;
    auto op = r.get<std::uint8_t>();
    m.requester = r.get<std::int32_t>();
    m.sid = r.get<std::int32_t>();
    m.info = r.get_string(kMaxInfoLen);
    m.disp = r.get<std::uint64_t>();
    m.part = r.get<std::uint64_t>();
    const auto take = r.get<std::uint8_t>();
    m.take_from_others = take == 1;
    m.op = static_cast<SessionOp>(op);
    return finish(r, m, [&](const SessionRequest& v) {
        return op >= 1 && op <= 7 && op != 6 && valid_rank(v.requester, max_rank) && v.sid >= 0 &&
               v.info.find('\0') == std::string::npos && (v.part >> DM_EVENT_MAX) == 0 &&
               (v.disp & ~v.part) == 0 && take <= 1;
    });
}

std::vector<std::byte> encode(const SessionReply& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.err);
    w.put<std::int32_t>(m.sid);
    w.put<std::uint64_t>(m.version);
    return out;
}

std::optional<SessionReply> decode_session_reply(std::span<const std::byte> b) {
    Reader r(b);
    SessionReply m;
    m.err = r.get<std::int32_t>();
    m.sid = r.get<std::int32_t>();
    m.version = r.get<std::uint64_t>();
    return finish(r, m, [](const SessionReply& v) { return valid_errno(v.err) && v.sid >= 0; });
}

std::vector<std::byte> encode(const TableUpdate& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint64_t>(m.version);
    w.put<std::int32_t>(m.next_sid);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(m.sessions.size()));
    for (const auto& s : m.sessions) {
        w.put<std::int32_t>(s.sid);
        w.put<std::int32_t>(s.owner);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(s.state));
        w.put<std::uint64_t>(s.disp);
        w.put<std::uint32_t>(s.incarnation);
        w.put_string(s.info);
    }
    w.put<std::uint32_t>(static_cast<std::uint32_t>(m.standbys.size()));
    for (const auto& sb : m.standbys) {
        w.put<std::int32_t>(sb.rank);
        w.put_string(sb.info);
    }
    return out;
}

std::optional<TableUpdate> decode_table_update(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    TableUpdate m;
    m.version = r.get<std::uint64_t>();
    m.next_sid = r.get<std::int32_t>();
    auto n = r.get<std::uint32_t>();
    // Each record is at least 25 bytes: a count beyond what is left is garbage.
    if (!r.ok() || n > kMaxSessions || n > b.size() / 25) return std::nullopt;
    dm_sessid_t prev = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        SessionRecord s;
        s.sid = r.get<std::int32_t>();
        s.owner = r.get<std::int32_t>();
        auto st = r.get<std::uint8_t>();
        s.disp = r.get<std::uint64_t>();
        s.incarnation = r.get<std::uint32_t>();
        s.info = r.get_string(kMaxInfoLen);
        if (!r.ok() || s.sid <= prev || s.sid >= m.next_sid || !valid_rank(s.owner, max_rank) ||
            st < 1 || st > 2 || (s.disp >> DM_EVENT_MAX) != 0 ||
            s.info.find('\0') != std::string::npos)
            return std::nullopt;
        s.state = static_cast<SessionState>(st);
        prev = s.sid;
        m.sessions.push_back(std::move(s));
    }
    auto ns = r.get<std::uint32_t>();
    // Each standby record is at least 8 bytes; one per rank at most.
    if (!r.ok() || ns > static_cast<std::uint32_t>(max_rank) || ns > b.size() / 8)
        return std::nullopt;
    for (std::uint32_t i = 0; i < ns; ++i) {
        StandbyRecord sb;
        sb.rank = r.get<std::int32_t>();
        sb.info = r.get_string(kMaxInfoLen);
        if (!r.ok() || !valid_rank(sb.rank, max_rank) || sb.info.find('\0') != std::string::npos)
            return std::nullopt;
        m.standbys.push_back(std::move(sb));
    }
    return finish(r, m, [](const TableUpdate& v) { return v.next_sid >= 1; });
}

std::vector<std::byte> encode(const TableAck& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint64_t>(m.version);
    return out;
}

std::optional<TableAck> decode_table_ack(std::span<const std::byte> b) {
    Reader r(b);
    TableAck m;
    m.version = r.get<std::uint64_t>();
    return finish(r, m, [](const TableAck&) { return true; });
}

std::vector<std::byte> encode(const EventMsg& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    put_event(w, &out, m);
    return out;
}

std::optional<EventMsg> decode_event(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    EventMsg m;
    if (!get_event(r, &m, max_rank)) return std::nullopt;
    return finish(r, std::move(m), [](const EventMsg&) { return true; });
}

std::vector<std::byte> encode(const EventAck& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(static_cast<std::int32_t>(m.status));
    w.put<std::uint32_t>(m.sequence);
    return out;
}

std::optional<EventAck> decode_event_ack(std::span<const std::byte> b) {
    Reader r(b);
    EventAck m;
    auto st = r.get<std::int32_t>();
    m.sequence = r.get<std::uint32_t>();
    m.status = static_cast<EventStatus>(st);
    return finish(r, m, [&](const EventAck&) { return st >= 0 && st <= 3; });
}

std::vector<std::byte> encode(const ResponseMsg& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.token);
    w.put<std::int32_t>(m.sid);
    w.put<std::int32_t>(static_cast<std::int32_t>(m.response));
    w.put<std::int32_t>(m.reterror);
    return out;
}

std::optional<ResponseMsg> decode_response(std::span<const std::byte> b) {
    Reader r(b);
    ResponseMsg m;
    m.token = r.get<std::int32_t>();
    m.sid = r.get<std::int32_t>();
    auto resp = r.get<std::int32_t>();
    m.reterror = r.get<std::int32_t>();
    m.response = static_cast<dm_response_t>(resp);
    return finish(r, m, [&](const ResponseMsg& v) {
        // A DONTCARE is delivered as reterror -1 (SGI's internal marker), an ABORT with > 0.
        return token_valid(v.token) && v.sid > 0 && resp >= DM_RESP_CONTINUE &&
               resp <= DM_RESP_DONTCARE && v.reterror >= -1 && v.reterror < 4096;
    });
}

std::vector<std::byte> encode(const TableProbe& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.sid);
    return out;
}

std::optional<TableProbe> decode_table_probe(std::span<const std::byte> b) {
    Reader r(b);
    TableProbe m;
    m.sid = r.get<std::int32_t>();
    return finish(r, m, [](const TableProbe& v) { return v.sid >= 0; });
}

std::vector<std::byte> encode(const TableProbeReply& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint64_t>(m.version);
    w.put<std::uint8_t>(m.present ? 1 : 0);
    w.put<std::int32_t>(m.owner);
    w.put_string(m.info);
    w.put<std::uint64_t>(m.disp);
    return out;
}

std::optional<TableProbeReply> decode_table_probe_reply(std::span<const std::byte> b,
                                                        int max_rank) {
    Reader r(b);
    TableProbeReply m;
    m.version = r.get<std::uint64_t>();
    auto present = r.get<std::uint8_t>();
    m.owner = r.get<std::int32_t>();
    m.info = r.get_string(kMaxInfoLen);
    m.disp = r.get<std::uint64_t>();
    m.present = present == 1;
    return finish(r, m, [&](const TableProbeReply& v) {
        return present <= 1 && (v.present ? valid_rank(v.owner, max_rank) : v.owner == -1);
    });
}

std::vector<std::byte> encode(const MoveEventMsg& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    put_event(w, &out, m.event);
    w.put<std::uint32_t>(m.sequence);
    w.put<std::uint8_t>(m.reply ? 1 : 0);
    return out;
}

std::optional<MoveEventMsg> decode_move_event(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    MoveEventMsg m;
    if (!get_event(r, &m.event, max_rank)) return std::nullopt;
    m.sequence = r.get<std::uint32_t>();
    auto reply = r.get<std::uint8_t>();
    m.reply = reply == 1;
    return finish(r, std::move(m), [&](const MoveEventMsg&) { return reply <= 1; });
}

std::vector<std::byte> encode(const MoveEventReply& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.err);
    return out;
}

std::optional<MoveEventReply> decode_move_event_reply(std::span<const std::byte> b) {
    Reader r(b);
    MoveEventReply m;
    m.err = r.get<std::int32_t>();
    return finish(r, m, [](const MoveEventReply& v) { return valid_errno(v.err); });
}

std::vector<std::byte> encode(const EventMovedMsg& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.token);
    w.put<std::int32_t>(m.sid);
    w.put<std::int32_t>(m.owner);
    return out;
}

std::optional<EventMovedMsg> decode_event_moved(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    EventMovedMsg m;
    m.token = r.get<std::int32_t>();
    m.sid = r.get<std::int32_t>();
    m.owner = r.get<std::int32_t>();
    return finish(r, m, [&](const EventMovedMsg& v) {
        return token_valid(v.token) && v.sid > 0 && valid_rank(v.owner, max_rank);
    });
}

std::vector<std::byte> encode(const ResubmitRequest& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::int32_t>(m.sid);
    w.put<std::int32_t>(m.owner);
    w.put<std::uint32_t>(m.incarnation);
    w.put<std::int32_t>(m.after_token);
    return out;
}

std::optional<ResubmitRequest> decode_resubmit_request(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    ResubmitRequest m;
    m.sid = r.get<std::int32_t>();
    m.owner = r.get<std::int32_t>();
    m.incarnation = r.get<std::uint32_t>();
    m.after_token = r.get<std::int32_t>();
    return finish(r, m, [&](const ResubmitRequest& v) {
        return v.sid > 0 && valid_rank(v.owner, max_rank) && v.after_token >= 0;
    });
}

std::vector<std::byte> encode(const ResubmitReply& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint8_t>(m.more ? 1 : 0);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(m.events.size()));
    for (const auto& e : m.events) {
        put_event(w, &out, e.event);
        w.put<std::uint32_t>(e.sequence);
    }
    return out;
}

std::optional<ResubmitReply> decode_resubmit_reply(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    ResubmitReply m;
    auto more = r.get<std::uint8_t>();
    auto n = r.get<std::uint32_t>();
    // An event is at least 25 bytes on the wire.
    if (!r.ok() || more > 1 || n > b.size() / 25) return std::nullopt;
    m.more = more == 1;
    dm_token_t prev = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        ResubmittedEvent e;
        if (!get_event(r, &e.event, max_rank)) return std::nullopt;
        e.sequence = r.get<std::uint32_t>();
        // Only synchronous events are resubmitted, ascending by token (claims 14-16).
        if (!r.ok() || !e.event.sync || e.event.token <= prev) return std::nullopt;
        prev = e.event.token;
        m.events.push_back(std::move(e));
    }
    return finish(r, std::move(m), [](const ResubmitReply&) { return true; });
}

std::vector<std::byte> encode(const EventBatch& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(m.events.size()));
    for (const auto& e : m.events) put_event(w, &out, e);
    return out;
}

std::optional<EventBatch> decode_event_batch(std::span<const std::byte> b, int max_rank) {
    Reader r(b);
    EventBatch m;
    auto n = r.get<std::uint32_t>();
    if (!r.ok() || n == 0 || n > kMaxBatchEvents) return std::nullopt;
    m.events.resize(n);
    for (auto& e : m.events)
        if (!get_event(r, &e, max_rank)) return std::nullopt;
    return finish(r, std::move(m), [](const EventBatch&) { return true; });
}

std::vector<std::byte> encode(const EventBatchAck& m) {
    std::vector<std::byte> out;
    Writer w(&out);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(m.acks.size()));
    for (const auto& a : m.acks) {
        w.put<std::int32_t>(static_cast<std::int32_t>(a.status));
        w.put<std::uint32_t>(a.sequence);
    }
    return out;
}

std::optional<EventBatchAck> decode_event_batch_ack(std::span<const std::byte> b) {
    Reader r(b);
    EventBatchAck m;
    auto n = r.get<std::uint32_t>();
    if (!r.ok() || n > kMaxBatchEvents) return std::nullopt;
    m.acks.resize(n);
    for (auto& a : m.acks) {
        auto st = r.get<std::int32_t>();
        a.sequence = r.get<std::uint32_t>();
        if (!r.ok() || st < 0 || st > 3) return std::nullopt;
        a.status = static_cast<EventStatus>(st);
    }
    return finish(r, std::move(m), [](const EventBatchAck&) { return true; });
}

}  // namespace dmapi::core
