// Superblock: JSON round trip, validation, clear errors for missing and corrupt files.
#include <fstream>

#include "pfs/meta/superblock.hpp"
#include "test_util.hpp"

namespace pfs::test {
namespace {

using meta::Superblock;

Superblock sample() {
    Superblock sb;
    sb.fsid = 0xfedcba9876543210ull;  // above 2^53: must survive JSON
    sb.stripe_size = 4 << 20;
    sb.stripe_count = 2;
    sb.quota_per_volume = 1 << 30;
    sb.meta_volumes = {"meta-0"};
    sb.data_volumes = {"data-0", "data-1", "data-2"};
    sb.created_unix = 1700000000;
    return sb;
}

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

TEST(Superblock, RoundTrip) {
    TempDir d;
    const auto sb = sample();
    ASSERT_OK(sb.save(d.path()));
    std::string why;
    auto back = Superblock::load(d.path(), &why);
    ASSERT_OK(back);
    EXPECT_EQ(back->fsid, sb.fsid);
    EXPECT_EQ(back->stripe_size, sb.stripe_size);
    EXPECT_EQ(back->stripe_count, sb.stripe_count);
    EXPECT_EQ(back->quota_per_volume, sb.quota_per_volume);
    EXPECT_EQ(back->meta_volumes, sb.meta_volumes);
    EXPECT_EQ(back->data_volumes, sb.data_volumes);
    EXPECT_EQ(back->created_unix, sb.created_unix);
    EXPECT_FALSE(std::filesystem::exists(d.path() / "superblock.json.tmp"));
}

TEST(Superblock, MissingAndCorruptFilesGiveClearErrors) {
    TempDir d;
    std::string why;
    EXPECT_ERRNO(Superblock::load(d.path(), &why), ENOENT);
    EXPECT_NE(why.find("superblock.json"), std::string::npos) << why;

    write_file(Superblock::path_in(d.path()), "{ not json");
    EXPECT_ERRNO(Superblock::load(d.path(), &why), EUCLEAN);
    EXPECT_NE(why.find("corrupt"), std::string::npos) << why;

    write_file(Superblock::path_in(d.path()), R"({"version": 1})");
    EXPECT_ERRNO(Superblock::load(d.path(), &why), EUCLEAN);
    EXPECT_NE(why.find("fsid"), std::string::npos) << why;

    ASSERT_OK(sample().save(d.path()));
    std::ifstream in(Superblock::path_in(d.path()));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto bad = text;
    bad.replace(bad.find("\"stripe_count\": 2"), 17, "\"stripe_count\": 9");
    write_file(Superblock::path_in(d.path()), bad);
    EXPECT_ERRNO(Superblock::load(d.path(), &why), EUCLEAN);
    EXPECT_NE(why.find("stripe_count"), std::string::npos) << why;
}

TEST(Superblock, ValidationRejectsBadFields) {
    auto check = [](auto mutate, const char* needle) {
        auto sb = sample();
        mutate(sb);
        std::string why;
        EXPECT_ERRNO(sb.validate(&why), EINVAL);
        EXPECT_NE(why.find(needle), std::string::npos) << why;
    };
    check([](Superblock& s) { s.fsid = 0; }, "fsid");
    check([](Superblock& s) { s.version = 2; }, "version");
    check([](Superblock& s) { s.stripe_size = 1000; }, "stripe_size");
    check([](Superblock& s) { s.data_volumes.clear(); }, "at least one");
    check([](Superblock& s) { s.meta_volumes = {"/abs"}; }, "relative");
    check([](Superblock& s) { s.data_volumes = {"../up", "d1"}; }, "relative");
    check([](Superblock& s) { s.data_volumes.push_back("meta-0"); }, "repeated");
    check([](Superblock& s) { s.stripe_count = 4; }, "stripe_count");
    EXPECT_TRUE(sample().validate().ok());
    TempDir d;
    auto bad = sample();
    bad.fsid = 0;
    EXPECT_ERRNO(bad.save(d.path()), EINVAL);
    EXPECT_FALSE(std::filesystem::exists(Superblock::path_in(d.path())));
}

TEST(Superblock, RandomFsidIsNonZeroAndVaries) {
    const auto a = Superblock::random_fsid(), b = Superblock::random_fsid();
    EXPECT_NE(a, 0u);
    EXPECT_NE(a, b);
}

}  // namespace
}  // namespace pfs::test
