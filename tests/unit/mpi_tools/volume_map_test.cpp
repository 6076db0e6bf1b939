#include "mpi_tools/volume_map.hpp"

#include <gtest/gtest.h>

using mpi_tools::Layout;
using mpi_tools::VolumeMap;

namespace {
// meta 0,1 (1 = standby); data 2,3,4; compute 5,6
Layout layout(int meta = 2) {
    std::string err;
    auto l = Layout::make(meta, 3, 0, 2, &err);
    EXPECT_TRUE(l) << err;
    return *l;
}
using V = std::vector<std::uint32_t>;
}  // namespace

TEST(VolumeMap, EveryVolumeAtHomeWhileItsRankLives) {
    VolumeMap m(layout(), {0, 1, 2, 3, 4, 5, 6});
    EXPECT_EQ(m.meta_server(), 0);
    EXPECT_EQ(m.data_server(0), 2);
    EXPECT_EQ(m.data_server(2), 4);
    EXPECT_EQ(m.serving(3), 3);
    EXPECT_EQ(m.serving(5), 5);  // not a volume's home
    EXPECT_EQ(m.data_volumes_of(3), V{1});
    EXPECT_TRUE(m.complete());
}

TEST(VolumeMap, DeadDataRankVolumeGoesToLowestLiveDataRank) {
    VolumeMap m(layout(), {0, 1, 2, 4, 5, 6});
    EXPECT_EQ(m.data_server(1), 2);
    EXPECT_EQ(m.serving(3), 2);
    EXPECT_EQ(m.data_volumes_of(2), (V{0, 1}));
    EXPECT_EQ(m.data_volumes_of(4), V{2});
    EXPECT_TRUE(m.data_volumes_of(3).empty());
    // The adopter dies too: both its volumes move to the next lowest.
    VolumeMap m2(layout(), {6, 5, 4, 1, 0});  // any order
    EXPECT_EQ(m2.data_volumes_of(4), (V{2, 0, 1}));
}

TEST(VolumeMap, MetaVolumeGoesToStandbyMetaThenDataRank) {
    EXPECT_EQ(VolumeMap(layout(), {1, 2, 3, 4}).meta_server(), 1);
    EXPECT_EQ(VolumeMap(layout(), {2, 3, 4}).meta_server(), 2);
    EXPECT_EQ(VolumeMap(layout(1), {2, 3}).meta_server(), 2);  // no standby: rank 1 is data
    EXPECT_EQ(VolumeMap(layout(), {3, 4}).serving(0), 3);
    EXPECT_TRUE(VolumeMap(layout(), {3, 5}).serves_meta(3));
}

TEST(VolumeMap, NoDataRankLeftIsIncomplete) {
    VolumeMap m(layout(), {0, 1, 5, 6});
    EXPECT_EQ(m.data_server(0), -1);
    EXPECT_FALSE(m.complete());
    EXPECT_EQ(m.data_server(7), -1);  // no such volume
}
