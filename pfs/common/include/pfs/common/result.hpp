// pfs::Result<T>: a value or a positive POSIX errno. C++20 has no std::expected, and the PFS
// reports every failure to its callers (and over the wire) as an errno, so errno is the only
// error type we need: no messages, no exceptions on the I/O paths.
#pragma once

#include <cassert>
#include <cerrno>
#include <type_traits>
#include <utility>
#include <variant>

namespace pfs {

// A failure. Construct with a positive errno; a non-positive value is a programming error and
// is turned into EIO so that it can never be mistaken for success.
struct Errno {
    int code;
    constexpr explicit Errno(int c) noexcept : code(c > 0 ? c : EIO) {}
};

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_same_v<std::remove_cv_t<T>, Errno>, "Result<Errno> is ambiguous");

  public:
    Result(const T& v) : v_(std::in_place_index<0>, v) {}
    Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
    Result(Errno e) : v_(std::in_place_index<1>, e) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    // 0 on success, else the positive errno.
    int error() const noexcept { return ok() ? 0 : std::get<1>(v_).code; }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    std::variant<T, Errno> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() noexcept = default;
    Result(Errno e) noexcept : err_(e.code) {}

    bool ok() const noexcept { return err_ == 0; }
    explicit operator bool() const noexcept { return ok(); }
    int error() const noexcept { return err_; }

  private:
    int err_ = 0;
};

// Convenience for the common "success with no value" return.
inline Result<void> ok() noexcept {
    return {};
}

}  // namespace pfs

// Propagate the error of an expression yielding a Result; evaluates to nothing on success.
// Only for use inside functions that themselves return some pfs::Result.
#define PFS_TRY(expr)                                                                            \
    do {                                                                                         \
        if (auto pfs_try_r_ = (expr); !pfs_try_r_.ok()) return ::pfs::Errno{pfs_try_r_.error()}; \
    } while (0)
