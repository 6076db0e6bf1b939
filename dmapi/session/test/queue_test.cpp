#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "dmapi/core/queue.hpp"
#include "dmapi/core/token.hpp"

using namespace dmapi::core;

namespace {
QueuedEvent ev(int seq, bool sync, const std::string& data, int rank = 1) {
    QueuedEvent e;
    e.token = make_token(rank, static_cast<std::uint32_t>(seq));
    e.type = DM_EVENT_USER;
    e.sync = sync;
    e.source = rank;
    e.sequence = static_cast<dm_sequence_t>(seq);
    const auto* p = reinterpret_cast<const std::byte*>(data.data());
    e.data.assign(p, p + data.size());
    return e;
}
std::string data_of(const dm_eventmsg_t* m) {
    return std::string(DM_GET_VALUE(m, ev_data, const char*), DM_GET_LEN(m, ev_data));
}
}  // namespace

TEST(DmCoreQueue, EmptyGivesEagain) {
    SessionQueue q(4);
    alignas(8) char buf[256];
    std::size_t rlen = 99;
    EXPECT_EQ(q.take(0, sizeof buf, buf, &rlen), EAGAIN);
    EXPECT_EQ(rlen, 0u);
}

TEST(DmCoreQueue, BoundRefusesWhenFullAndDuplicates) {
    SessionQueue q(2);
    EXPECT_EQ(q.push(ev(1, true, "a")), SessionQueue::Push::ok);
    EXPECT_EQ(q.push(ev(1, true, "a")), SessionQueue::Push::duplicate);
    EXPECT_EQ(q.push(ev(2, true, "b")), SessionQueue::Push::ok);
    EXPECT_EQ(q.push(ev(3, true, "c")), SessionQueue::Push::full);
    EXPECT_EQ(q.push(ev(3, true, "c"), false), SessionQueue::Push::ok);  // resubmission path
    EXPECT_EQ(q.undelivered(), 3u);
}

TEST(DmCoreQueue, TakeChainsSgiLayoutAndMovesSyncToDelivered) {
    SessionQueue q(16);
    q.push(ev(1, true, "hello"));
    q.push(ev(2, false, "async!"));
    q.push(ev(3, true, std::string(20, 'x')));
    alignas(8) unsigned char buf[1024];
    std::memset(buf, 0xAB, sizeof buf);
    std::size_t rlen = 0;
    ASSERT_EQ(q.take(0, sizeof buf, buf, &rlen), 0);
    EXPECT_EQ(rlen, eventmsg_size(5) + eventmsg_size(6) + eventmsg_size(20));
    auto* m = reinterpret_cast<dm_eventmsg_t*>(buf);
    std::vector<std::string> got;
    std::vector<dm_token_t> toks;
    int n = 0;
    while (m) {
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m) % 8, 0u);
        EXPECT_EQ(m->ev_type, DM_EVENT_USER);
        got.push_back(data_of(m));
        toks.push_back(m->ev_token);
        EXPECT_EQ(m->ev_sequence, static_cast<dm_sequence_t>(n + 1));
        ++n;
        m = DM_STEP_TO_NEXT(m, dm_eventmsg_t*);
    }
    ASSERT_EQ(n, 3);
    EXPECT_EQ(got[0], "hello");
    EXPECT_EQ(got[1], "async!");
    EXPECT_EQ(toks[0], make_token(1, 1));
    EXPECT_EQ(toks[1], DM_INVALID_TOKEN);  // async events carry the invalid token
    EXPECT_EQ(q.undelivered(), 0u);
    EXPECT_EQ(q.outstanding_count(), 2u);  // the async one is gone
    EXPECT_EQ(q.state(make_token(1, 2)), SessionQueue::TokenState::unknown);
    EXPECT_EQ(q.tokens(), (std::vector<dm_token_t>{make_token(1, 1), make_token(1, 3)}));
}

TEST(DmCoreQueue, E2bigWithNeededSizeAndMaxmsgs) {
    SessionQueue q(16);
    q.push(ev(1, true, std::string(100, 'y')));
    q.push(ev(2, true, "z"));
    alignas(8) char buf[512];
    std::size_t rlen = 0;
    EXPECT_EQ(q.take(0, 64, buf, &rlen), E2BIG);
    EXPECT_EQ(rlen, eventmsg_size(100));
    EXPECT_EQ(q.undelivered(), 2u);
    ASSERT_EQ(q.take(1, sizeof buf, buf, &rlen), 0);  // maxmsgs = 1
    EXPECT_EQ(rlen, eventmsg_size(100));
    EXPECT_EQ(reinterpret_cast<dm_eventmsg_t*>(buf)->_link, 0);
    EXPECT_EQ(q.undelivered(), 1u);
    // Partial fill: what fits is returned, the rest stays queued.
    q.push(ev(3, true, std::string(300, 'w')));
    ASSERT_EQ(q.take(0, eventmsg_size(1) + 8, buf, &rlen), 0);
    EXPECT_EQ(rlen, eventmsg_size(1));
    EXPECT_EQ(q.undelivered(), 1u);
}

TEST(DmCoreQueue, FindRespondAndTokenStates) {
    SessionQueue q(16);
    q.push(ev(1, true, "one"));
    q.push(ev(2, true, "two"));
    alignas(8) char buf[256];
    std::size_t rlen = 0;
    ASSERT_EQ(q.take(1, sizeof buf, buf, &rlen), 0);
    dm_token_t t1 = make_token(1, 1), t2 = make_token(1, 2);
    EXPECT_EQ(q.state(t1), SessionQueue::TokenState::outstanding);
    EXPECT_EQ(q.state(t2), SessionQueue::TokenState::undelivered);
    EXPECT_EQ(q.find(t2, sizeof buf, buf, &rlen), ESRCH);
    EXPECT_EQ(q.find(make_token(9, 9), sizeof buf, buf, &rlen), EINVAL);
    EXPECT_EQ(q.find(t1, 8, buf, &rlen), E2BIG);
    EXPECT_EQ(rlen, eventmsg_size(3));
    ASSERT_EQ(q.find(t1, sizeof buf, buf, &rlen), 0);
    EXPECT_EQ(data_of(reinterpret_cast<dm_eventmsg_t*>(buf)), "one");
    auto e = q.take_outstanding(t1);
    ASSERT_TRUE(e.has_value());
    EXPECT_FALSE(q.take_outstanding(t1).has_value());
    EXPECT_FALSE(q.empty());
    EXPECT_TRUE(q.add_outstanding(*e));
    EXPECT_FALSE(q.add_outstanding(*e));
}
