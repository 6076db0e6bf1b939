// Helpers shared by the pfs unit tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace pfs::test {

// A private directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
  public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/pfs-unit-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace pfs::test

// Asserts a pfs::Result failed with exactly `err`.
#define EXPECT_ERRNO(expr, err)                                                               \
    do {                                                                                      \
        const auto& pfs_r_ = (expr);                                                          \
        EXPECT_FALSE(pfs_r_.ok()) << #expr " unexpectedly succeeded";                         \
        EXPECT_EQ(pfs_r_.error(), (err)) << #expr ": got " << strerrorname_np(pfs_r_.error()) \
                                         << " want " << strerrorname_np(err);                 \
    } while (0)

#define ASSERT_OK(expr)                                                            \
    do {                                                                           \
        const auto& pfs_r_ = (expr);                                               \
        ASSERT_TRUE(pfs_r_.ok()) << #expr ": " << strerrorname_np(pfs_r_.error()); \
    } while (0)
