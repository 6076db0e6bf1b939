#pragma once

#include "pfs/meta/meta_store.hpp"
#include "test_util.hpp"

namespace pfs::test {

// A freshly formatted store with 4 data servers and 64 KiB default stripes.
class MetaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        meta::FormatOptions fo;
        fo.fsid = 0x1234;
        fo.data_servers = 4;
        fo.stripe_size = 64 * 1024;
        ASSERT_OK(meta::MetaStore::format(dir_.path() / "meta", fo));
        reopen();
    }
    void reopen() {
        store_.reset();
        auto s = meta::MetaStore::open(dir_.path() / "meta");
        ASSERT_TRUE(s.ok()) << strerrorname_np(s.error());
        store_ = std::move(*s);
    }
    meta::MetaStore& m() { return *store_; }
    Ino root() const { return meta::MetaStore::root(); }
    Attr file(Ino parent, const std::string& name) {
        auto a = store_->create(parent, name, {});
        EXPECT_TRUE(a.ok()) << name << ": " << strerrorname_np(a.error());
        return a.value_or(Attr{});
    }
    Attr dir(Ino parent, const std::string& name) {
        auto a = store_->mkdir(parent, name, 0755, 0, 0);
        EXPECT_TRUE(a.ok()) << name << ": " << strerrorname_np(a.error());
        return a.value_or(Attr{});
    }
    std::vector<std::string> names(Ino d) {
        std::vector<std::string> out;
        std::uint64_t cookie = 0;
        for (;;) {
            auto p = store_->readdir(d, cookie, 3);
            EXPECT_TRUE(p.ok());
            if (!p) break;
            for (auto& e : p->entries) out.push_back(e.name);
            cookie = p->next_cookie;
            if (p->eof) break;
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    TempDir dir_;
    std::unique_ptr<meta::MetaStore> store_;
};

}  // namespace pfs::test
