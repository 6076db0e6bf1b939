// MetaStore: namespace operations, attributes, layouts and errnos (Linux semantics).
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "meta_test_fixture.hpp"

namespace pfs::test {
namespace {

using meta::MetaStore;

TEST(MetaFormat, OpenRejectsMissingUnformattedAndDoubleFormat) {
    TempDir d;
    EXPECT_ERRNO(MetaStore::open(d.path() / "nope"), ENOENT);
    EXPECT_ERRNO(MetaStore::open(d.path()), ENODATA);
    meta::FormatOptions fo;
    fo.fsid = 7;
    fo.data_servers = 2;
    ASSERT_OK(MetaStore::format(d.path() / "m", fo));
    EXPECT_ERRNO(MetaStore::format(d.path() / "m", fo), EEXIST);
    auto bad = fo;
    bad.fsid = 0;
    EXPECT_ERRNO(MetaStore::format(d.path() / "x", bad), EINVAL);
    bad = fo;
    bad.stripe_size = 1000;
    EXPECT_ERRNO(MetaStore::format(d.path() / "x", bad), EINVAL);
    bad = fo;
    bad.stripe_count = 3;
    EXPECT_ERRNO(MetaStore::format(d.path() / "x", bad), EINVAL);
    auto s = MetaStore::open(d.path() / "m");
    ASSERT_OK(s);
    EXPECT_EQ((*s)->fsid(), 7u);
    EXPECT_EQ((*s)->default_layout(), (Layout{config::kDefaultStripeSize, 2, 0}));
}

TEST_F(MetaTest, RootIsADirectoryThatIsItsOwnParent) {
    auto r = m().stat(root());
    ASSERT_OK(r);
    EXPECT_EQ(r->type, FileType::dir);
    EXPECT_EQ(r->mode, config::kRootMode);
    EXPECT_EQ(r->nlink, 2u);
    EXPECT_EQ(m().lookup(root(), "..")->ino, root());
    EXPECT_EQ(m().lookup(root(), ".")->ino, root());
}

TEST_F(MetaTest, CreateLookupStat) {
    auto a = m().create(root(), "f", {0640, 10, 20, {}});
    ASSERT_OK(a);
    EXPECT_EQ(a->type, FileType::file);
    EXPECT_EQ(a->mode, 0640u);
    EXPECT_EQ(a->uid, 10u);
    EXPECT_EQ(a->gid, 20u);
    EXPECT_EQ(a->nlink, 1u);
    EXPECT_EQ(a->size, 0u);
    EXPECT_GT(a->gen, 0u);
    EXPECT_EQ(a->layout.stripe_size, 64u * 1024);
    EXPECT_EQ(a->layout.stripe_count, 4u);
    EXPECT_EQ(*m().lookup(root(), "f"), *a);
    EXPECT_EQ(*m().stat(a->ino), *a);
    EXPECT_ERRNO(m().create(root(), "f", {}), EEXIST);
    EXPECT_ERRNO(m().mkdir(root(), "f", 0755, 0, 0), EEXIST);
    EXPECT_ERRNO(m().lookup(root(), "g"), ENOENT);
    EXPECT_ERRNO(m().lookup(a->ino, "x"), ENOTDIR);
    EXPECT_ERRNO(m().create(a->ino, "x", {}), ENOTDIR);
    EXPECT_ERRNO(m().create(999, "x", {}), ENOENT);
    EXPECT_ERRNO(m().stat(999), ENOENT);
    EXPECT_ERRNO(m().stat(0), ENOENT);
    EXPECT_ERRNO(m().create(root(), "m", {01000000, 0, 0, {}}), EINVAL);
}

TEST_F(MetaTest, NameValidation) {
    const std::string long_name(256, 'a');
    const std::string max_name(255, 'a');
    EXPECT_ERRNO(m().create(root(), "", {}), EINVAL);
    EXPECT_ERRNO(m().create(root(), "a/b", {}), EINVAL);
    EXPECT_ERRNO(m().create(root(), std::string("a\0b", 3), {}), EINVAL);
    EXPECT_ERRNO(m().create(root(), long_name, {}), ENAMETOOLONG);
    EXPECT_ERRNO(m().lookup(root(), long_name), ENAMETOOLONG);
    ASSERT_OK(m().create(root(), max_name, {}));
    for (const char* dot : {".", ".."}) {
        EXPECT_ERRNO(m().create(root(), dot, {}), EEXIST);
        EXPECT_ERRNO(m().mkdir(root(), dot, 0755, 0, 0), EEXIST);
        EXPECT_ERRNO(m().symlink(root(), dot, "x", 0, 0), EEXIST);
        EXPECT_ERRNO(m().unlink(root(), dot), EISDIR);
        EXPECT_ERRNO(m().rename(root(), dot, root(), "z"), EBUSY);
        EXPECT_ERRNO(m().rename(root(), max_name, root(), dot), EBUSY);
    }
    EXPECT_ERRNO(m().rmdir(root(), "."), EINVAL);
    EXPECT_ERRNO(m().rmdir(root(), ".."), ENOTEMPTY);
    const auto f = m().lookup(root(), max_name);
    EXPECT_ERRNO(m().link(f->ino, root(), "."), EEXIST);
}

TEST_F(MetaTest, FailedOperationsLeaveNoTrace) {
    const auto a = file(root(), "a");
    const auto before = *m().stat(root());
    LayoutHint bad;
    bad.stripe_count = 5;  // more than the 4 data servers
    EXPECT_ERRNO(m().create(root(), "b", {0644, 0, 0, bad}), EINVAL);
    EXPECT_ERRNO(m().lookup(root(), "b"), ENOENT);
    EXPECT_EQ(*m().stat(root()), before);  // parent untouched (mtime, change, nlink)
    // The aborted create consumed no inode number or generation.
    const auto c = file(root(), "c");
    EXPECT_EQ(c.ino, a.ino + 1);
    EXPECT_EQ(c.gen, a.gen + 1);
}

TEST_F(MetaTest, GenerationsAreUniqueAndPersist) {
    std::set<Gen> gens;
    for (int i = 0; i < 20; ++i) gens.insert(file(root(), "f" + std::to_string(i)).gen);
    EXPECT_EQ(gens.size(), 20u);
    ASSERT_OK(m().unlink(root(), "f0"));
    reopen();
    const auto g = file(root(), "f0");
    EXPECT_GT(g.gen, *gens.rbegin());
}

TEST_F(MetaTest, LayoutDefaultsOverridesAndRoundRobin) {
    std::vector<std::uint32_t> firsts;
    for (int i = 0; i < 8; ++i)
        firsts.push_back(file(root(), "f" + std::to_string(i)).layout.first_server);
    EXPECT_EQ(firsts, (std::vector<std::uint32_t>{0, 1, 2, 3, 0, 1, 2, 3}));
    LayoutHint h;
    h.stripe_size = 4096;
    h.stripe_count = 2;
    h.first_server = 3;
    auto a = m().create(root(), "custom", {0644, 0, 0, h});
    ASSERT_OK(a);
    EXPECT_EQ(a->layout, (Layout{4096, 2, 3}));
    h.first_server = 4;
    EXPECT_ERRNO(m().create(root(), "bad1", {0644, 0, 0, h}), EINVAL);
    h.first_server.reset();
    h.stripe_size = 4097;
    EXPECT_ERRNO(m().create(root(), "bad2", {0644, 0, 0, h}), EINVAL);
    // Round robin continues after the overrides and across reopen.
    reopen();
    EXPECT_EQ(file(root(), "next").layout.first_server, 0u);
    EXPECT_EQ(m().mkdir(root(), "d", 0755, 0, 0)->layout, Layout{});
}

TEST_F(MetaTest, MkdirAndRmdirMaintainLinkCounts) {
    const auto d = dir(root(), "d");
    EXPECT_EQ(d.nlink, 2u);
    EXPECT_EQ(m().stat(root())->nlink, 3u);
    EXPECT_EQ(m().lookup(d.ino, "..")->ino, root());
    const auto sub = dir(d.ino, "sub");
    EXPECT_EQ(m().stat(d.ino)->nlink, 3u);
    file(d.ino, "f");
    EXPECT_ERRNO(m().rmdir(root(), "d"), ENOTEMPTY);
    EXPECT_ERRNO(m().rmdir(d.ino, "f"), ENOTDIR);
    EXPECT_ERRNO(m().rmdir(d.ino, "nope"), ENOENT);
    EXPECT_ERRNO(m().rmdir(sub.ino + 100, "x"), ENOENT);
    ASSERT_OK(m().rmdir(d.ino, "sub"));
    EXPECT_ERRNO(m().stat(sub.ino), ENOENT);
    EXPECT_EQ(m().stat(d.ino)->nlink, 2u);
    ASSERT_OK(m().unlink(d.ino, "f"));
    ASSERT_OK(m().rmdir(root(), "d"));
    EXPECT_EQ(m().stat(root())->nlink, 2u);
    EXPECT_TRUE(names(root()).empty());
}

TEST_F(MetaTest, UnlinkReturnsLayoutOnLastLink) {
    const auto f = file(root(), "f");
    const auto d = dir(root(), "d");
    EXPECT_ERRNO(m().unlink(root(), "d"), EISDIR);
    EXPECT_ERRNO(m().unlink(root(), "nope"), ENOENT);
    EXPECT_ERRNO(m().unlink(f.ino, "x"), ENOTDIR);
    ASSERT_OK(m().set_dm_attr(f.ino, "hsm", "archived-at-42"));
    auto l = m().link(f.ino, d.ino, "hard");
    ASSERT_OK(l);
    EXPECT_EQ(l->nlink, 2u);
    auto u1 = m().unlink(root(), "f");
    ASSERT_OK(u1);
    EXPECT_FALSE(u1->freed);
    EXPECT_EQ(u1->inode.attr.nlink, 1u);
    EXPECT_EQ(m().stat(f.ino)->nlink, 1u);
    auto u2 = m().unlink(d.ino, "hard");
    ASSERT_OK(u2);
    EXPECT_TRUE(u2->freed);
    EXPECT_EQ(u2->inode.attr.ino, f.ino);
    EXPECT_EQ(u2->inode.attr.gen, f.gen);
    EXPECT_EQ(u2->inode.attr.layout, f.layout);
    EXPECT_EQ(u2->inode.dm.attrs.at("hsm"), "archived-at-42");  // for the destroy event
    EXPECT_ERRNO(m().stat(f.ino), ENOENT);
}

TEST_F(MetaTest, LinkRules) {
    const auto f = file(root(), "f");
    const auto d = dir(root(), "d");
    EXPECT_ERRNO(m().link(d.ino, root(), "d2"), EPERM);
    EXPECT_ERRNO(m().link(f.ino, root(), "d"), EEXIST);
    EXPECT_ERRNO(m().link(f.ino + 100, root(), "x"), ENOENT);
    EXPECT_ERRNO(m().link(f.ino, f.ino, "x"), ENOTDIR);
    const auto before = *m().stat(f.ino);
    auto l = m().link(f.ino, d.ino, "f2");
    ASSERT_OK(l);
    EXPECT_EQ(l->ino, f.ino);
    EXPECT_GT(l->change, before.change);
    EXPECT_EQ(m().lookup(d.ino, "f2")->ino, f.ino);
}

TEST_F(MetaTest, SymlinkAndReadlink) {
    auto s = m().symlink(root(), "s", "/some/where", 5, 6);
    ASSERT_OK(s);
    EXPECT_EQ(s->type, FileType::symlink);
    EXPECT_EQ(s->size, 11u);
    EXPECT_EQ(s->mode, 0777u);
    EXPECT_EQ(*m().readlink(s->ino), "/some/where");
    EXPECT_ERRNO(m().readlink(root()), EINVAL);
    EXPECT_ERRNO(m().readlink(file(root(), "f").ino), EINVAL);
    EXPECT_ERRNO(m().readlink(12345), ENOENT);
    EXPECT_ERRNO(m().symlink(root(), "e", "", 0, 0), ENOENT);
    EXPECT_ERRNO(m().symlink(root(), "e", std::string(4096, 'x'), 0, 0), ENAMETOOLONG);
    EXPECT_ERRNO(m().symlink(root(), "s", "x", 0, 0), EEXIST);
    ASSERT_OK(m().unlink(root(), "s"));
}

TEST_F(MetaTest, ReaddirPagesWithStableCookies) {
    const auto d = dir(root(), "d");
    std::vector<std::string> want;
    for (int i = 0; i < 10; ++i) {
        want.push_back("e" + std::to_string(i));
        if (i % 3 == 0)
            dir(d.ino, want.back());
        else
            file(d.ino, want.back());
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(names(d.ino), want);

    // Types and inos are reported.
    auto p = m().readdir(d.ino, 0, 100);
    ASSERT_OK(p);
    EXPECT_TRUE(p->eof);
    for (const auto& e : p->entries) {
        const auto a = m().lookup(d.ino, e.name);
        EXPECT_EQ(e.ino, a->ino);
        EXPECT_EQ(e.type, a->type);
    }
    // A cookie survives removal of entries already returned and of the next entry.
    auto first = m().readdir(d.ino, 0, 4);
    ASSERT_OK(first);
    ASSERT_EQ(first->entries.size(), 4u);
    EXPECT_FALSE(first->eof);
    ASSERT_OK(m().unlink(d.ino, first->entries[1].name));
    ASSERT_OK(m().unlink(d.ino, "e4"));
    auto rest = m().readdir(d.ino, first->next_cookie, 100);
    ASSERT_OK(rest);
    EXPECT_TRUE(rest->eof);
    EXPECT_EQ(rest->entries.size(), 5u);  // 10 - 4 already seen - e4
    // An exact-size page reports eof only when nothing follows.
    auto exact = m().readdir(d.ino, 0, 8);
    ASSERT_OK(exact);
    EXPECT_EQ(exact->entries.size(), 8u);
    EXPECT_TRUE(exact->eof);
    EXPECT_ERRNO(m().readdir(file(root(), "f").ino, 0), ENOTDIR);
    EXPECT_ERRNO(m().readdir(99999, 0), ENOENT);
    EXPECT_TRUE(m().readdir(dir(root(), "empty").ino, 0)->eof);
}

TEST_F(MetaTest, Setattr) {
    const auto f = file(root(), "f");
    SetAttr c;
    c.mode = 0600;
    c.uid = 42;
    c.gid = 43;
    c.atime_ns = 1000;
    c.mtime_ns = 2000;
    auto a = m().setattr(f.ino, c);
    ASSERT_OK(a);
    EXPECT_EQ(a->mode, 0600u);
    EXPECT_EQ(a->uid, 42u);
    EXPECT_EQ(a->gid, 43u);
    EXPECT_EQ(a->atime_ns, 1000);
    EXPECT_EQ(a->mtime_ns, 2000);
    EXPECT_GE(a->ctime_ns, f.ctime_ns);
    EXPECT_GT(a->change, f.change);
    EXPECT_EQ(a->layout, f.layout);

    SetAttr t;
    t.size = 12345;
    EXPECT_EQ(m().setattr(f.ino, t)->size, 12345u);
    t.size = 0;
    EXPECT_EQ(m().setattr(f.ino, t)->size, 0u);
    t.size = config::kMaxFileSize + 1;
    EXPECT_ERRNO(m().setattr(f.ino, t), EFBIG);
    t.size = 1;
    EXPECT_ERRNO(m().setattr(root(), t), EISDIR);
    const auto s = m().symlink(root(), "s", "f", 0, 0);
    EXPECT_ERRNO(m().setattr(s->ino, t), EINVAL);
    SetAttr badmode;
    badmode.mode = 0170000;
    EXPECT_ERRNO(m().setattr(f.ino, badmode), EINVAL);
    EXPECT_ERRNO(m().setattr(777777, c), ENOENT);
    SetAttr now;
    now.mtime_ns = SetAttr::kTimeNow;
    EXPECT_GT(m().setattr(f.ino, now)->mtime_ns, 2000);
}

TEST_F(MetaTest, ExtendSizeNeverShrinksUnderConcurrentWriters) {
    const auto f = file(root(), "f");
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                auto r = m().extend_size(f.ino, static_cast<std::uint64_t>(i * 4 + t) * 100);
                EXPECT_TRUE(r.ok());
            }
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(m().stat(f.ino)->size, 99u * 100);
    EXPECT_EQ(m().extend_size(f.ino, 10)->size, 9900u);
    EXPECT_ERRNO(m().extend_size(root(), 10), EISDIR);
    EXPECT_ERRNO(m().extend_size(f.ino, config::kMaxFileSize + 1), EFBIG);
    EXPECT_ERRNO(m().extend_size(4242, 1), ENOENT);
}

TEST_F(MetaTest, ConcurrentCreatesAndLookupsFromManyThreads) {
    const auto d = dir(root(), "shared");
    std::vector<std::thread> ts;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&, t] {
            for (int i = 0; i < 15; ++i) {
                const auto name = "t" + std::to_string(t) + "-" + std::to_string(i);
                auto a = m().create(d.ino, name, {});
                if (!a) ++failures;
                auto p = m().resolve("/shared/" + name);
                if (!p || p->ino != a.value_or(Attr{}).ino) ++failures;
                // A name another thread may be creating right now: either state is fine.
                auto other =
                    m().lookup(d.ino, "t" + std::to_string((t + 1) % 4) + "-" + std::to_string(i));
                if (!other && other.error() != ENOENT) ++failures;
            }
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(names(d.ino).size(), 60u);
}

TEST_F(MetaTest, DmSlotsPersistWithLimits) {
    const auto f = file(root(), "f");
    EXPECT_EQ(*m().get_dm(f.ino), DmSlots{});
    ASSERT_OK(m().set_dm_attr(f.ino, std::string("state\0\0\0", 8), "migrated", true));
    EXPECT_EQ(*m().get_dm_attr(f.ino, "state"), "migrated");  // NUL padding is insignificant
    EXPECT_ERRNO(m().get_dm_attr(f.ino, "other"), ENOENT);
    EXPECT_ERRNO(m().set_dm_attr(f.ino, "", "x"), EINVAL);
    EXPECT_ERRNO(m().set_dm_attr(f.ino, "ninechars", "x"), EINVAL);
    EXPECT_ERRNO(m().set_dm_attr(f.ino, "big", std::string(config::kDmAttrMaxValue + 1, 'x')),
                 E2BIG);
    // Per-file total: fill up to the limit, then one byte more fails.
    const std::string chunk(config::kDmAttrMaxValue, 'v');
    std::size_t used = 8;
    int i = 0;
    while (used + chunk.size() <= config::kDmAttrMaxTotal) {
        ASSERT_OK(m().set_dm_attr(f.ino, "a" + std::to_string(i++), chunk));
        used += chunk.size();
    }
    EXPECT_ERRNO(
        m().set_dm_attr(f.ino, "over", std::string(config::kDmAttrMaxTotal - used + 1, 'x')),
        E2BIG);
    // Replacing an attribute counts its new size only.
    ASSERT_OK(m().set_dm_attr(f.ino, "a0", "small"));

    ASSERT_OK(m().set_event_set(f.ino, 0xf0f0));
    std::vector<ManagedRegion> regions{{0, 4096, 1}, {1 << 20, 0, 3}};
    ASSERT_OK(m().set_regions(f.ino, regions));
    EXPECT_ERRNO(m().set_regions(f.ino, {{config::kMaxFileSize, 2, 0}}), EINVAL);
    EXPECT_ERRNO(m().set_regions(f.ino, std::vector<ManagedRegion>(config::kDmMaxRegions + 1)),
                 E2BIG);
    ASSERT_OK(m().set_dtime(f.ino, 777));
    ASSERT_OK(m().remove_dm_attr(f.ino, "a1"));
    EXPECT_ERRNO(m().remove_dm_attr(f.ino, "a1"), ENOENT);
    EXPECT_ERRNO(m().set_event_set(5555, 1), ENOENT);

    const auto change = m().stat(f.ino)->change;
    reopen();
    auto dm = m().get_dm(f.ino);
    ASSERT_OK(dm);
    EXPECT_EQ(dm->event_set, 0xf0f0u);
    EXPECT_EQ(dm->regions, regions);
    EXPECT_EQ(dm->dtime_ns, 777);
    EXPECT_EQ(dm->attrs.at("state"), "migrated");
    EXPECT_EQ(dm->attrs.at("a0"), "small");
    EXPECT_EQ(dm->attrs.count("a1"), 0u);
    EXPECT_EQ(m().stat(f.ino)->change, change);
    ASSERT_OK(m().set_event_set(f.ino, 1));
    EXPECT_EQ(m().stat(f.ino)->change, change + 1);
}

TEST_F(MetaTest, EverythingPersistsAcrossReopen) {
    const auto d = dir(root(), "d");
    const auto f = file(d.ino, "f");
    ASSERT_OK(m().extend_size(f.ino, 5000));
    ASSERT_OK(m().symlink(d.ino, "s", "f", 0, 0));
    reopen();
    EXPECT_EQ(m().resolve("/d/f")->size, 5000u);
    EXPECT_EQ(m().resolve("/d/s", true)->ino, f.ino);
    EXPECT_EQ(names(d.ino), (std::vector<std::string>{"f", "s"}));
}

}  // namespace
}  // namespace pfs::test
