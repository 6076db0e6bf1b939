// Directory delegations in the metadata store (MetaStore::delegate / writeback): the grant, the
// batches in order and exactly once, each change checked on its own, what needs object removal,
// the pool refill, the end of a delegation, and that all of it survives a reopen.
#include <gtest/gtest.h>

#include "meta_test_fixture.hpp"

namespace pfs::test {
namespace {

constexpr std::int32_t kHolder = 5;

class DelegationTest : public MetaTest {
  protected:
    meta::Delegated grant(const std::string& path, std::uint32_t pool = 16) {
        auto d = m().delegate(path, kHolder, pool);
        EXPECT_TRUE(d.ok()) << strerrorname_np(d.error());
        return d.value_or(meta::Delegated{});
    }
    static NsOp create(const std::string& name, Ino ino, std::int64_t t = 1000) {
        NsOp op;
        op.kind = kNsCreate;
        op.name = name;
        op.ino = ino;
        op.mode = 0640;
        op.uid = 7;
        op.gid = 8;
        op.time_ns = t;
        op.layout = Layout{64 * 1024, 4, 1};
        return op;
    }
    static NsOp unlink(const std::string& name, Ino ino) {
        NsOp op;
        op.kind = kNsUnlink;
        op.name = name;
        op.ino = ino;
        op.time_ns = 2000;
        return op;
    }
};

TEST_F(DelegationTest, GrantNeedsAnEmptyUndelegatedDirectory) {
    const Attr d = dir(root(), "d");
    auto g = grant("/d");
    EXPECT_EQ(g.dir.ino, d.ino);
    EXPECT_EQ(g.delegation.holder, kHolder);
    EXPECT_EQ(g.delegation.pool.count, 16u);
    EXPECT_GT(g.delegation.pool.first, d.ino);
    EXPECT_EQ(g.traversed, std::vector<Ino>{root()});
    EXPECT_ERRNO(m().delegate("/d", kHolder + 1, 16), EBUSY);
    dir(root(), "full");
    file(m().lookup(root(), "full")->ino, "x");
    EXPECT_ERRNO(m().delegate("/full", kHolder, 16), ENOTEMPTY);
    EXPECT_ERRNO(m().delegate("/nope", kHolder, 16), ENOENT);
    EXPECT_ERRNO(m().delegate("/d", kHolder, 0), EINVAL);
    // The pool's inode numbers are never handed out again.
    const Attr later = file(root(), "later");
    EXPECT_GE(later.ino, g.delegation.pool.first + g.delegation.pool.count);
}

TEST_F(DelegationTest, BatchesApplyInOrderAndOnce) {
    dir(root(), "d");
    auto g = grant("/d");
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    auto b1 = m().writeback(d, kHolder, 1, {create("a", i0), create("b", i0 + 1)}, false, 0);
    ASSERT_OK(b1);
    EXPECT_TRUE(b1->op_errs.empty());
    EXPECT_EQ(b1->created, (std::vector<Ino>{i0, i0 + 1}));
    auto a = m().lookup(d, "a");
    ASSERT_OK(a);
    EXPECT_EQ(a->ino, i0);
    EXPECT_EQ(a->gen, g.delegation.pool.gen0);
    EXPECT_EQ(a->mode, 0640u);
    EXPECT_EQ(a->uid, 7u);
    EXPECT_EQ(a->mtime_ns, 1000);
    EXPECT_EQ(a->layout, (Layout{64 * 1024, 4, 1}));
    EXPECT_EQ(m().lookup(d, "b")->gen, g.delegation.pool.gen0 + 1);
    // The same batch again (its answer was lost): nothing applied twice.
    auto again = m().writeback(d, kHolder, 1, {create("a", i0), create("b", i0 + 1)}, false, 0);
    ASSERT_OK(again);
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(names(d), (std::vector<std::string>{"a", "b"}));
    // A gap, another holder, a directory not delegated.
    EXPECT_ERRNO(m().writeback(d, kHolder, 3, {}, false, 0), EPROTO);
    EXPECT_ERRNO(m().writeback(d, kHolder + 1, 2, {}, false, 0), ESTALE);
    EXPECT_ERRNO(m().writeback(root(), kHolder, 1, {}, false, 0), ESTALE);
    EXPECT_EQ(m().stat(d)->nlink, 2u);
    EXPECT_EQ(m().stat(d)->mtime_ns, 1000);
}

TEST_F(DelegationTest, EachChangeIsCheckedOnItsOwn) {
    dir(root(), "d");
    auto g = grant("/d");
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    NsOp bad_mode = create("m", i0 + 3);
    bad_mode.mode = 010000;
    NsOp bad_layout = create("l", i0 + 4);
    bad_layout.layout.first_server = 9;
    auto r = m().writeback(
        d, kHolder, 1,
        {create("a", i0), create("a", i0 + 1), create("x", 999999), create("y", i0), bad_mode,
         bad_layout, unlink("none", i0 + 5), create("..", i0 + 6), create("ok", i0 + 7)},
        false, 0);
    ASSERT_OK(r);
    EXPECT_EQ(r->op_errs,
              (std::vector<int>{0, EEXIST, EINVAL, EEXIST, EINVAL, EINVAL, ENOENT, EEXIST, 0}));
    EXPECT_EQ(names(d), (std::vector<std::string>{"a", "ok"}));
    EXPECT_ERRNO(m().get_inode(i0 + 1), ENOENT);  // nothing of a refused change remains
}

TEST_F(DelegationTest, OnlyFilesChangedSinceTheirCreateNeedObjectRemoval) {
    dir(root(), "d");
    auto g = grant("/d");
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    ASSERT_OK(
        m().writeback(d, kHolder, 1, {create("empty", i0), create("written", i0 + 1)}, false, 0));
    ASSERT_OK(m().extend_size(i0 + 1, 4096));
    auto r =
        m().writeback(d, kHolder, 2, {unlink("empty", i0), unlink("written", i0 + 1)}, false, 0);
    ASSERT_OK(r);
    EXPECT_TRUE(r->op_errs.empty());
    ASSERT_EQ(r->freed.size(), 1u);
    EXPECT_EQ(r->freed[0].ino, i0 + 1);
    EXPECT_TRUE(names(d).empty());
    // A name that now names another file is refused.
    ASSERT_OK(m().writeback(d, kHolder, 3, {create("n", i0 + 2)}, false, 0));
    auto s = m().writeback(d, kHolder, 4, {unlink("n", i0 + 3)}, false, 0);
    ASSERT_OK(s);
    EXPECT_EQ(s->op_errs, std::vector<int>{ESTALE});
}

TEST_F(DelegationTest, RefillKeepsThePreviousPoolValid) {
    dir(root(), "d");
    auto g = grant("/d", 2);
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    auto r = m().writeback(d, kHolder, 1, {create("a", i0)}, false, 4);
    ASSERT_OK(r);
    ASSERT_TRUE(r->pool.has_value());
    EXPECT_EQ(r->pool->count, 4u);
    const Ino j0 = r->pool->first;
    // The rest of the old pool and the new one; the one before that is no longer accepted.
    auto s = m().writeback(d, kHolder, 2, {create("b", i0 + 1), create("c", j0)}, false, 4);
    ASSERT_OK(s);
    EXPECT_TRUE(s->op_errs.empty());
    auto t = m().writeback(d, kHolder, 3, {create("z", i0 + 1), create("e", j0 + 1)}, false, 0);
    ASSERT_OK(t);
    EXPECT_EQ(t->op_errs, (std::vector<int>{EINVAL, 0}));
}

TEST_F(DelegationTest, GiveBackEndsItAndTheLastBatchStaysRecognised) {
    dir(root(), "d");
    auto g = grant("/d");
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    ASSERT_OK(m().delegations());
    EXPECT_EQ(m().delegations()->size(), 1u);
    ASSERT_OK(m().writeback(d, kHolder, 1, {create("a", i0)}, true, 0));
    EXPECT_TRUE(m().delegations()->empty());
    auto again = m().writeback(d, kHolder, 1, {create("a", i0)}, true, 0);
    ASSERT_OK(again);
    EXPECT_TRUE(again->duplicate);
    EXPECT_ERRNO(m().writeback(d, kHolder, 2, {}, false, 0), ESTALE);
    // Handed out again once empty: batches count from 1.
    ASSERT_OK(m().unlink(d, "a"));
    auto g2 = grant("/d");
    ASSERT_OK(m().writeback(d, kHolder, 1, {create("b", g2.delegation.pool.first)}, false, 0));
}

TEST_F(DelegationTest, SurvivesReopenAndEndsWithoutItsHolder) {
    dir(root(), "d");
    dir(root(), "e");
    auto g = grant("/d");
    grant("/e");
    const Ino d = g.dir.ino, i0 = g.delegation.pool.first;
    ASSERT_OK(m().writeback(d, kHolder, 1, {create("a", i0)}, false, 0));
    reopen();  // an adopter opening the volume
    auto all = m().delegations();
    ASSERT_OK(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].dir, d);
    EXPECT_EQ((*all)[0].applied, 1u);
    auto again = m().writeback(d, kHolder, 1, {create("a", i0)}, false, 0);
    ASSERT_OK(again);
    EXPECT_TRUE(again->duplicate);
    ASSERT_OK(m().writeback(d, kHolder, 2, {create("b", i0 + 1)}, false, 0));
    ASSERT_OK(m().end_delegation((*all)[1].dir));
    EXPECT_EQ(m().delegations()->size(), 1u);
    // rmdir of a delegated (given back) directory leaves no record behind.
    ASSERT_OK(m().writeback(d, kHolder, 3, {unlink("a", i0), unlink("b", i0 + 1)}, true, 0));
    ASSERT_OK(m().rmdir(root(), "d"));
    EXPECT_TRUE(m().delegations()->empty());
}

TEST_F(DelegationTest, TheAccessGuardRefusesReadsItDoesNotAllow) {
    const Attr d = dir(root(), "d");
    file(d.ino, "f");
    file(root(), "other");
    m().set_access_guard([&](Ino ino) { return ino == d.ino ? EAGAIN : 0; });
    EXPECT_ERRNO(m().lookup(d.ino, "f"), EAGAIN);
    EXPECT_ERRNO(m().resolve("/d/f"), EAGAIN);
    EXPECT_ERRNO(m().stat(d.ino), EAGAIN);
    EXPECT_ERRNO(m().create(d.ino, "g", {}), EAGAIN);
    EXPECT_ERRNO(m().lookup(root(), "d"), EAGAIN);  // its attributes are the holder's too
    ASSERT_OK(m().lookup(root(), "other"));
    m().set_access_guard({});
    ASSERT_OK(m().lookup(d.ino, "f"));
}

}  // namespace
}  // namespace pfs::test
