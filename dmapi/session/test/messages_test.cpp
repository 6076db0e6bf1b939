#include <gtest/gtest.h>

#include <random>

#include "dmapi/core/messages.hpp"
#include "dmapi/core/token.hpp"

using namespace dmapi::core;

namespace {
constexpr int kRanks = 16;

EventMsg sample_event() {
    EventMsg m;
    m.token = make_token(5, 42);
    m.sid = 7;
    m.type = DM_EVENT_READ;
    m.sync = true;
    m.source = 5;
    m.data = {std::byte{1}, std::byte{2}, std::byte{3}};
    return m;
}
TableUpdate sample_table() {
    TableUpdate t;
    t.version = 9;
    t.next_sid = 12;
    t.sessions.push_back({3, "hsm", 2, SessionState::active, 1ull << DM_EVENT_READ, 0});
    t.sessions.push_back({11, std::string(255, 'i'), 0, SessionState::failed, 0, 7});
    t.standbys.push_back({4, "hsm"});
    return t;
}

// Every strict prefix of a valid encoding and the encoding plus one byte are rejected.
template <typename T, typename D>
void check_truncation(const T& m, D decode) {
    auto b = encode(m);
    auto full = decode(std::span<const std::byte>(b));
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(*full, m);
    for (std::size_t n = 0; n < b.size(); ++n)
        EXPECT_FALSE(decode(std::span<const std::byte>(b.data(), n)).has_value()) << "prefix " << n;
    b.push_back(std::byte{0});
    EXPECT_FALSE(decode(std::span<const std::byte>(b)).has_value()) << "trailing byte";
}
}  // namespace

TEST(DmCoreMessages, RoundTripAndTruncation) {
    check_truncation(SessionRequest{SessionOp::assume, 3, 17, "name", 0},
                     [](auto b) { return decode_session_request(b, kRanks); });
    check_truncation(SessionReply{0, 4, 77}, [](auto b) { return decode_session_reply(b); });
    check_truncation(sample_table(), [](auto b) { return decode_table_update(b, kRanks); });
    check_truncation(TableAck{5}, [](auto b) { return decode_table_ack(b); });
    check_truncation(sample_event(), [](auto b) { return decode_event(b, kRanks); });
    check_truncation(EventAck{EventStatus::busy, 3}, [](auto b) { return decode_event_ack(b); });
    check_truncation(ResponseMsg{make_token(2, 1), 4, DM_RESP_ABORT, 17},
                     [](auto b) { return decode_response(b); });
    check_truncation(TableProbe{4}, [](auto b) { return decode_table_probe(b); });
    check_truncation(TableProbeReply{3, true, 1, "x", 4},
                     [](auto b) { return decode_table_probe_reply(b, kRanks); });
    check_truncation(MoveEventMsg{sample_event(), 9, false},
                     [](auto b) { return decode_move_event(b, kRanks); });
    check_truncation(MoveEventReply{EINVAL}, [](auto b) { return decode_move_event_reply(b); });
    check_truncation(EventMovedMsg{make_token(1, 1), 2, 3},
                     [](auto b) { return decode_event_moved(b, kRanks); });
    check_truncation(ResubmitRequest{7, 3, 2, make_token(1, 9)},
                     [](auto b) { return decode_resubmit_request(b, kRanks); });
    EventMsg later = sample_event();
    later.token = make_token(5, 43);
    check_truncation(ResubmitReply{{{sample_event(), 12}, {later, 0}}, true},
                     [](auto b) { return decode_resubmit_reply(b, kRanks); });
    check_truncation(ResubmitReply{}, [](auto b) { return decode_resubmit_reply(b, kRanks); });
    check_truncation(EventBatch{{sample_event(), later}},
                     [](auto b) { return decode_event_batch(b, kRanks); });
    check_truncation(EventBatchAck{{{EventStatus::queued, 4}, {EventStatus::busy, 0}}},
                     [](auto b) { return decode_event_batch_ack(b); });
    EXPECT_FALSE(decode_event_batch(encode(EventBatch{}), kRanks));  // empty
    EXPECT_FALSE(decode_event_batch(
        encode(EventBatch{std::vector<EventMsg>(kMaxBatchEvents + 1, sample_event())}), kRanks));
}

TEST(DmCoreMessages, ResubmitCarriesOnlyAscendingSynchronousEvents) {
    EventMsg a = sample_event(), b = sample_event();
    b.token = make_token(5, 41);  // below a's token
    EXPECT_FALSE(decode_resubmit_reply(encode(ResubmitReply{{{a, 1}, {b, 2}}, false}), kRanks));
    a.sync = false;  // asynchronous events are never resubmitted (claim 16)
    EXPECT_FALSE(decode_resubmit_reply(encode(ResubmitReply{{{a, 1}}, false}), kRanks));
    EXPECT_FALSE(decode_resubmit_request(encode(ResubmitRequest{0, 1, 0, 0}), kRanks));
    EXPECT_FALSE(decode_resubmit_request(encode(ResubmitRequest{1, kRanks, 0, 0}), kRanks));
    TableUpdate t = sample_table();
    t.standbys[0].rank = kRanks;
    EXPECT_FALSE(decode_table_update(encode(t), kRanks));
}

TEST(DmCoreMessages, RejectsOutOfRangeFields) {
    auto bad = [](EventMsg m) { return decode_event(encode(m), kRanks).has_value(); };
    EventMsg m = sample_event();
    EXPECT_TRUE(bad(m));
    m.source = kRanks;  // rank outside the job
    m.token = make_token(kRanks, 1);
    EXPECT_FALSE(bad(m));
    m = sample_event();
    m.source = 4;  // token names another source
    EXPECT_FALSE(bad(m));
    m = sample_event();
    m.token = DM_INVALID_TOKEN;
    EXPECT_FALSE(bad(m));
    m = sample_event();
    m.type = static_cast<dm_eventtype_t>(DM_EVENT_MAX);
    EXPECT_FALSE(bad(m));
    m = sample_event();
    m.sid = 0;
    EXPECT_FALSE(bad(m));

    EXPECT_FALSE(decode_response(encode(ResponseMsg{make_token(1, 1), 1, DM_RESP_INVALID, 0})));
    EXPECT_FALSE(
        decode_session_request(encode(SessionRequest{SessionOp::create, 99, 0, "", 0}), kRanks));
    EXPECT_FALSE(decode_session_request(
        encode(SessionRequest{SessionOp::create, 1, 0, std::string(256, 'a'), 0}), kRanks));
    EXPECT_FALSE(decode_session_request(
        encode(SessionRequest{SessionOp::set_disp, 1, 1, "", 1ull << DM_EVENT_MAX}), kRanks));
    TableUpdate t = sample_table();
    t.sessions[1].sid = 2;  // not ascending
    EXPECT_FALSE(decode_table_update(encode(t), kRanks));
    t = sample_table();
    t.next_sid = 11;  // an id at or above next_sid
    EXPECT_FALSE(decode_table_update(encode(t), kRanks));
}

TEST(DmCoreMessages, GarbageNeverDecodesOutOfBounds) {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> len(0, 200), byte(0, 255);
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> b(static_cast<std::size_t>(len(rng)));
        for (auto& x : b) x = static_cast<std::byte>(byte(rng));
        std::span<const std::byte> s(b);
        accepted += decode_session_request(s, kRanks).has_value();
        accepted += decode_table_update(s, kRanks).has_value();
        accepted += decode_event(s, kRanks).has_value();
        accepted += decode_response(s).has_value();
        accepted += decode_move_event(s, kRanks).has_value();
        accepted += decode_table_probe_reply(s, kRanks).has_value();
    }
    EXPECT_LT(accepted, 200);  // random bytes almost never form a valid message
    // A huge declared count is refused before allocating.
    std::vector<std::byte> b = encode(TableUpdate{1, 2, {}});
    b[12] = std::byte{0xff};
    b[13] = std::byte{0xff};
    EXPECT_FALSE(decode_table_update(b, kRanks));
}
