// The DM access rights bookkeeping of the metadata server: XDSM's compatibility of shared and
// exclusive rights between tokens, upgrade/downgrade, the errnos, and dropping a token's or a
// failed rank's rights.
#include <gtest/gtest.h>

#include <cerrno>

#include "rights_table.hpp"

using pfs::server::RightsTable;

namespace {

const RightsTable::File kF{42, 1};
const RightsTable::File kG{43, 7};
const RightsTable::Holder kA{1, 100};
const RightsTable::Holder kB{1, 101};
const RightsTable::Holder kC{2, 200};

TEST(RightsTable, SharedRightsCoexistExclusiveExcludes) {
    RightsTable t;
    RightsTable::Effect e;
    EXPECT_EQ(t.request(kF, kA, 3, RightsTable::kShared, &e), 0);
    EXPECT_TRUE(e.stronger);
    EXPECT_TRUE(e.activated);
    EXPECT_EQ(t.request(kF, kB, 3, RightsTable::kShared, &e), 0);
    EXPECT_FALSE(e.stronger);  // shared was held already
    EXPECT_EQ(t.request(kF, kC, 4, RightsTable::kExcl, &e), EAGAIN);
    EXPECT_EQ(t.query(kF, kC), RightsTable::kNone);
    EXPECT_EQ(t.request(kG, kC, 4, RightsTable::kExcl, &e), 0);  // another file: independent
    EXPECT_EQ(t.request(kG, kA, 3, RightsTable::kShared, &e), EAGAIN);
    EXPECT_EQ(t.strongest(kF), RightsTable::kShared);
    EXPECT_EQ(t.strongest(kG), RightsTable::kExcl);
}

TEST(RightsTable, UserOperationConflicts) {
    RightsTable t;
    RightsTable::Effect e;
    EXPECT_FALSE(t.conflicts(kF, RightsTable::kExcl));
    ASSERT_EQ(t.request(kF, kA, 3, RightsTable::kShared, &e), 0);
    EXPECT_FALSE(t.conflicts(kF, RightsTable::kShared));  // a reader goes on under shared
    EXPECT_TRUE(t.conflicts(kF, RightsTable::kExcl));     // a writer waits
    ASSERT_EQ(t.upgrade(kF, kA, &e), 0);
    EXPECT_TRUE(e.stronger);
    EXPECT_TRUE(t.conflicts(kF, RightsTable::kShared));  // now readers wait too
}

TEST(RightsTable, RequestingWhatIsHeldIsNoChange) {
    RightsTable t;
    RightsTable::Effect e;
    ASSERT_EQ(t.request(kF, kA, 3, RightsTable::kExcl, &e), 0);
    EXPECT_EQ(t.request(kF, kA, 3, RightsTable::kShared, &e), 0);
    EXPECT_FALSE(e.stronger);
    EXPECT_EQ(t.query(kF, kA), RightsTable::kExcl);  // not weakened by a weaker request
}

TEST(RightsTable, UpgradeDowngradeErrnos) {
    RightsTable t;
    RightsTable::Effect e;
    EXPECT_EQ(t.upgrade(kF, kA, &e), EACCES);
    EXPECT_EQ(t.downgrade(kF, kA, &e), EACCES);
    EXPECT_EQ(t.release(kF, kA, &e), EACCES);
    ASSERT_EQ(t.request(kF, kA, 3, RightsTable::kShared, &e), 0);
    EXPECT_EQ(t.downgrade(kF, kA, &e), EACCES);  // shared is not excl
    ASSERT_EQ(t.request(kF, kB, 3, RightsTable::kShared, &e), 0);
    EXPECT_EQ(t.upgrade(kF, kA, &e), EAGAIN);  // B still shares it
    ASSERT_EQ(t.release(kF, kB, &e), 0);
    EXPECT_EQ(t.upgrade(kF, kA, &e), 0);
    EXPECT_EQ(t.upgrade(kF, kA, &e), 0);  // excl already: no-op
    EXPECT_EQ(t.downgrade(kF, kA, &e), 0);
    EXPECT_EQ(t.query(kF, kA), RightsTable::kShared);
    EXPECT_EQ(t.request(kF, kC, 4, RightsTable::kShared, &e), 0);
}

TEST(RightsTable, ReleaseTokenAndRank) {
    RightsTable t;
    RightsTable::Effect e;
    ASSERT_EQ(t.request(kF, kA, 3, RightsTable::kShared, &e), 0);
    ASSERT_EQ(t.request(kG, kA, 3, RightsTable::kExcl, &e), 0);
    ASSERT_EQ(t.request(kF, kC, 4, RightsTable::kShared, &e), 0);
    auto files = t.release_token(kA, &e);
    EXPECT_EQ(files.size(), 2u);
    EXPECT_FALSE(e.deactivated);  // C still holds one
    EXPECT_EQ(t.query(kG, kA), RightsTable::kNone);
    EXPECT_EQ(t.request(kG, kB, 3, RightsTable::kExcl, &e), 0);
    files = t.release_rank(4, &e);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0], kF);
    EXPECT_EQ(t.strongest(kF), RightsTable::kNone);
    files = t.release_rank(3, &e);
    EXPECT_EQ(files.size(), 1u);
    EXPECT_TRUE(e.deactivated);
    EXPECT_FALSE(t.active());
    EXPECT_TRUE(t.release_token(kA, &e).empty());
}

}  // namespace
