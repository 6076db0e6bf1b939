// Zero-copy object ranges: mmap(MAP_SHARED) so a server can receive network data straight into
// the object's page-cache pages (and send from them).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "store_impl.hpp"

namespace pfs::data {

Mapping::Mapping(Mapping&& o) noexcept {
    *this = std::move(o);
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        release();
        base_ = std::exchange(o.base_, nullptr);
        map_len_ = std::exchange(o.map_len_, 0);
        ptr_ = std::exchange(o.ptr_, nullptr);
        len_ = std::exchange(o.len_, 0);
        writable_ = std::exchange(o.writable_, false);
        fd_ = std::move(o.fd_);
    }
    return *this;
}

Mapping::~Mapping() {
    release();
}

void Mapping::release() noexcept {
    if (base_ != nullptr) ::munmap(base_, map_len_);
    base_ = nullptr;
    ptr_ = nullptr;
    map_len_ = len_ = 0;
    fd_.reset();
}

Result<void> Mapping::sync() const {
    if (base_ == nullptr || !writable_) return {};
    if (::msync(base_, map_len_, MS_SYNC) != 0) return Errno{errno};
    return {};
}

Result<Mapping> ObjectStore::map_range(ObjectId id, std::uint64_t off, std::uint64_t len,
                                       bool writable) {
    if (len == 0 || off > config::kMaxFileSize || len > config::kMaxFileSize - off)
        return Errno{EINVAL};
    if (len > SIZE_MAX / 2) return Errno{ENOMEM};
    auto e = writable ? impl_->acquire_for_write(id, len) : impl_->acquire(id, false);
    if (!e) return e.error() == ENOENT ? Result<Mapping>(Mapping{}) : Errno{e.error()};
    const int fd = (*e)->fd;

    if (writable) {
        // Allocate (and extend) first: a later page fault then cannot fail for lack of space,
        // which under MAP_SHARED would be a SIGBUS in the server instead of an errno.
        auto r = with_usage(*impl_, **e, off, len, [&]() -> Result<void> {
            if (::fallocate(fd, 0, static_cast<off_t>(off), static_cast<off_t>(len)) == 0)
                return {};
            if (errno != EOPNOTSUPP) return Errno{errno};
            // File systems without fallocate: extend only (no SIGBUS guard there).
            struct stat st {};
            if (::fstat(fd, &st) != 0) return Errno{errno};
            if (static_cast<std::uint64_t>(st.st_size) < off + len &&
                ::ftruncate(fd, static_cast<off_t>(off + len)) != 0)
                return Errno{errno};
            return {};
        });
        if (!r) return Errno{r.error()};
    } else {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return Errno{errno};
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (off >= size) return Mapping{};
        len = std::min(len, size - off);  // never map past EOF: touching it would SIGBUS
    }

    static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t base_off = off / page * page;
    const std::size_t map_len = static_cast<std::size_t>(off - base_off + len);
    void* base = ::mmap(nullptr, map_len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                        fd, static_cast<off_t>(base_off));
    if (base == MAP_FAILED) return Errno{errno};
    Mapping m;
    m.base_ = base;
    m.map_len_ = map_len;
    m.ptr_ = static_cast<std::byte*>(base) + (off - base_off);
    m.len_ = static_cast<std::size_t>(len);
    m.writable_ = writable;
    m.fd_ = *e;  // keeps the fd (and thus the inode) alive while mapped
    return m;
}

}  // namespace pfs::data
