// MetaStore::rename: POSIX replacement rules, loop prevention, link counts.
#include "meta_test_fixture.hpp"

namespace pfs::test {
namespace {

class MetaRename : public MetaTest {};

TEST_F(MetaRename, MovesAFileWithinAndAcrossDirectories) {
    const auto f = file(root(), "a");
    const auto d = dir(root(), "d");
    auto r = m().rename(root(), "a", root(), "b");
    ASSERT_OK(r);
    EXPECT_FALSE(r->replaced);
    EXPECT_ERRNO(m().lookup(root(), "a"), ENOENT);
    EXPECT_EQ(m().lookup(root(), "b")->ino, f.ino);
    ASSERT_OK(m().rename(root(), "b", d.ino, "c"));
    EXPECT_EQ(m().lookup(d.ino, "c")->ino, f.ino);
    EXPECT_EQ(names(root()), std::vector<std::string>{"d"});
    EXPECT_EQ(m().stat(f.ino)->gen, f.gen);  // identity (and objects) unchanged
}

TEST_F(MetaRename, AtomicallyReplacesAFileAndReportsTheFreedVictim) {
    const auto a = file(root(), "a");
    const auto b = file(root(), "b");
    auto r = m().rename(root(), "a", root(), "b");
    ASSERT_OK(r);
    ASSERT_TRUE(r->replaced.has_value());
    EXPECT_TRUE(r->replaced->freed);
    EXPECT_EQ(r->replaced->inode.attr.ino, b.ino);
    EXPECT_EQ(r->replaced->inode.attr.layout, b.layout);
    EXPECT_ERRNO(m().stat(b.ino), ENOENT);
    EXPECT_EQ(m().lookup(root(), "b")->ino, a.ino);
    EXPECT_EQ(names(root()), std::vector<std::string>{"b"});
}

TEST_F(MetaRename, ReplacingAHardLinkedFileKeepsIt) {
    const auto a = file(root(), "a");
    const auto b = file(root(), "b");
    ASSERT_OK(m().link(b.ino, root(), "b2"));
    auto r = m().rename(root(), "a", root(), "b");
    ASSERT_OK(r);
    ASSERT_TRUE(r->replaced.has_value());
    EXPECT_FALSE(r->replaced->freed);
    EXPECT_EQ(m().stat(b.ino)->nlink, 1u);
    EXPECT_EQ(m().lookup(root(), "b")->ino, a.ino);
}

TEST_F(MetaRename, NoOps) {
    const auto a = file(root(), "a");
    ASSERT_OK(m().link(a.ino, root(), "a2"));
    const auto before = *m().stat(root());
    auto self = m().rename(root(), "a", root(), "a");
    ASSERT_OK(self);
    EXPECT_FALSE(self->replaced);
    auto same = m().rename(root(), "a", root(), "a2");  // two names, one inode
    ASSERT_OK(same);
    EXPECT_EQ(names(root()), (std::vector<std::string>{"a", "a2"}));
    EXPECT_EQ(*m().stat(root()), before);
    EXPECT_ERRNO(m().rename(root(), "missing", root(), "missing"), ENOENT);
}

TEST_F(MetaRename, TypeMismatchesAndNonEmptyTargets) {
    const auto f = file(root(), "f");
    const auto d = dir(root(), "d");
    const auto e = dir(root(), "e");
    file(e.ino, "inside");
    EXPECT_ERRNO(m().rename(root(), "d", root(), "f"), ENOTDIR);
    EXPECT_ERRNO(m().rename(root(), "f", root(), "d"), EISDIR);
    EXPECT_ERRNO(m().rename(root(), "d", root(), "e"), ENOTEMPTY);
    EXPECT_ERRNO(m().rename(root(), "nope", root(), "x"), ENOENT);
    EXPECT_ERRNO(m().rename(root(), "f", f.ino, "x"), ENOTDIR);
    EXPECT_ERRNO(m().rename(root(), "f", 9999, "x"), ENOENT);
    EXPECT_ERRNO(m().rename(root(), "f", root(), std::string(256, 'n')), ENAMETOOLONG);
    EXPECT_ERRNO(m().rename(root(), "f", root(), "a/b"), EINVAL);
    // Nothing moved.
    EXPECT_EQ(names(root()), (std::vector<std::string>{"d", "e", "f"}));
    EXPECT_EQ(m().stat(root())->nlink, 4u);
    (void)d;
}

TEST_F(MetaRename, DirectoryOverEmptyDirectory) {
    const auto d = dir(root(), "d");
    file(d.ino, "child");
    const auto e = dir(root(), "e");
    auto r = m().rename(root(), "d", root(), "e");
    ASSERT_OK(r);
    ASSERT_TRUE(r->replaced.has_value());
    EXPECT_TRUE(r->replaced->freed);
    EXPECT_EQ(r->replaced->inode.attr.ino, e.ino);
    EXPECT_ERRNO(m().stat(e.ino), ENOENT);
    EXPECT_EQ(m().resolve("/e/child")->type, FileType::file);
    EXPECT_EQ(m().stat(root())->nlink, 3u);  // "." + ".." of root + d(now e)
}

TEST_F(MetaRename, DirectoryAcrossParentsFixesDotDotAndLinkCounts) {
    const auto a = dir(root(), "a");
    const auto b = dir(root(), "b");
    const auto c = dir(a.ino, "c");
    EXPECT_EQ(m().stat(a.ino)->nlink, 3u);
    ASSERT_OK(m().rename(a.ino, "c", b.ino, "c"));
    EXPECT_EQ(m().stat(a.ino)->nlink, 2u);
    EXPECT_EQ(m().stat(b.ino)->nlink, 3u);
    EXPECT_EQ(m().lookup(c.ino, "..")->ino, b.ino);
    // Across parents over an empty directory: destination count unchanged.
    dir(a.ino, "x");
    const auto x2 = dir(b.ino, "x");
    ASSERT_OK(m().rename(a.ino, "x", b.ino, "x"));
    EXPECT_EQ(m().stat(a.ino)->nlink, 2u);
    EXPECT_EQ(m().stat(b.ino)->nlink, 4u);
    EXPECT_ERRNO(m().stat(x2.ino), ENOENT);
}

TEST_F(MetaRename, RefusesToMoveADirectoryIntoItsOwnSubtree) {
    const auto a = dir(root(), "a");
    const auto b = dir(a.ino, "b");
    const auto c = dir(b.ino, "c");
    EXPECT_ERRNO(m().rename(root(), "a", c.ino, "a"), EINVAL);
    EXPECT_ERRNO(m().rename(root(), "a", a.ino, "self"), EINVAL);
    EXPECT_ERRNO(m().rename(root(), "a", b.ino, "x"), EINVAL);
    // The target being an ancestor of the source: it is not empty.
    EXPECT_ERRNO(m().rename(b.ino, "c", root(), "a"), ENOTEMPTY);
    // Moving up is fine.
    ASSERT_OK(m().rename(b.ino, "c", root(), "c"));
    EXPECT_EQ(m().lookup(c.ino, "..")->ino, root());
}

TEST_F(MetaRename, CookieOfRenamedEntryMovesToTheEnd) {
    file(root(), "a");
    file(root(), "b");
    ASSERT_OK(m().rename(root(), "a", root(), "z"));
    auto p = m().readdir(root(), 0, 10);
    ASSERT_OK(p);
    ASSERT_EQ(p->entries.size(), 2u);
    EXPECT_EQ(p->entries[0].name, "b");
    EXPECT_EQ(p->entries[1].name, "z");
}

}  // namespace
}  // namespace pfs::test
