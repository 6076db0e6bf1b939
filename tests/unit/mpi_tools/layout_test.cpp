#include "mpi_tools/layout.hpp"

#include <gtest/gtest.h>

using mpi_tools::Layout;
using mpi_tools::Role;

TEST(Layout, AssignsRolesInBlockOrder) {
    std::string err;
    auto l = Layout::make(1, 2, 1, 4, &err);
    ASSERT_TRUE(l) << err;
    EXPECT_EQ(l->total(), 8);
    EXPECT_EQ(l->role_of(0), Role::meta);
    EXPECT_EQ(l->role_of(1), Role::data);
    EXPECT_EQ(l->role_of(2), Role::data);
    EXPECT_EQ(l->role_of(3), Role::dm);
    EXPECT_EQ(l->role_of(4), Role::compute);
    EXPECT_EQ(l->role_of(7), Role::compute);
    EXPECT_EQ(l->first_rank(Role::compute), 4);
    EXPECT_EQ(l->index_in_role(6), 2);
}

TEST(Layout, RoundTripsThroughText) {
    std::string err;
    auto l = Layout::parse("meta:2,data:3,dm:0,compute:5", &err);
    ASSERT_TRUE(l) << err;
    EXPECT_EQ(l->to_string(), "meta:2,data:3,dm:0,compute:5");
    auto p = Layout::parse("plain:6", &err);
    ASSERT_TRUE(p) << err;
    EXPECT_TRUE(p->plain);
    EXPECT_EQ(p->total(), 6);
    EXPECT_EQ(p->to_string(), "plain:6");
}

TEST(Layout, RejectsBadLayoutsWithAReason) {
    std::string err;
    EXPECT_FALSE(Layout::make(1, 0, 1, 2, &err));
    EXPECT_NE(err.find("data"), std::string::npos);
    EXPECT_FALSE(Layout::make(0, 1, 0, 1, &err));
    EXPECT_NE(err.find("meta"), std::string::npos);
    EXPECT_FALSE(Layout::make(1, 1, 0, 0, &err));
    EXPECT_NE(err.find("compute"), std::string::npos);
    EXPECT_FALSE(Layout::parse("meta:1,data:1,gpu:1,compute:1", &err));
    EXPECT_NE(err.find("unknown role 'gpu'"), std::string::npos);
    EXPECT_FALSE(Layout::parse("meta:1,meta:1,data:1,compute:1", &err));
    EXPECT_FALSE(Layout::parse("meta:x,data:1,compute:1", &err));
    EXPECT_FALSE(Layout::parse("meta:-1,data:1,compute:1", &err));
    EXPECT_FALSE(Layout::parse("", &err));
    EXPECT_FALSE(Layout::parse("plain:0", &err));
    EXPECT_FALSE(Layout::parse("plain:", &err));
}
