// Field-visitor serialization: each wire struct lists its fields once, in order, with the limit
// that applies to each variable-length field, and the same list drives encoding, decoding and
// the tests' generators. Limits live next to the field, so decode can never allocate more than
// the protocol allows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "pfs/common/config.hpp"
#include "pfs/common/types.hpp"
#include "pfs/proto/codec.hpp"

namespace pfs::proto {

// Field-list adaptor. Message structs provide `static void fields(Self&, F&)`; the shared value
// types from pfs/common are adapted below.
template <class T>
struct Fields {
    template <class S, class F>
    static void apply(S& s, F& f) {
        T::fields(s, f);
    }
};

// Tag: an int32 field holding 0 or a positive errno below 4096 (Linux MAX_ERRNO).
struct ErrnoField {};
inline constexpr ErrnoField kErrno{};
inline constexpr std::int32_t kMaxErrno = 4095;

class Encoder {
  public:
    explicit Encoder(Writer& w) noexcept : w_(w) {}

    template <class T>
    requires std::is_integral_v<T>
    void operator()(const T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            w_.boolean(v);
        } else if constexpr (sizeof(T) == 1) {
            w_.u8(static_cast<std::uint8_t>(v));
        } else if constexpr (sizeof(T) == 2) {
            w_.u16(static_cast<std::uint16_t>(v));
        } else if constexpr (sizeof(T) == 4) {
            w_.u32(static_cast<std::uint32_t>(v));
        } else {
            static_assert(sizeof(T) == 8);
            w_.u64(static_cast<std::uint64_t>(v));
        }
    }
    // A bounded integer (a length or count): the bound is checked by the decoder only.
    template <class T>
    requires std::is_integral_v<T>
    void operator()(const T& v, std::uint64_t /*max*/) { (*this)(v); }
    void operator()(const std::int32_t& v, ErrnoField) { w_.i32(v); }
    void operator()(const FileType& t) { w_.u8(static_cast<std::uint8_t>(t)); }
    void operator()(const std::string& s, std::size_t /*max*/) { w_.str(s); }
    template <class T>
    void operator()(const std::optional<T>& o) {
        w_.boolean(o.has_value());
        if (o) (*this)(*o);
    }
    template <class T>
    void operator()(const std::vector<T>& v, std::size_t /*max*/) {
        w_.u32(static_cast<std::uint32_t>(v.size()));
        for (const auto& e : v) (*this)(e);
    }
    // DM attribute map: names bounded by the XDSM name size, values by kDmAttrMaxValue.
    void operator()(const std::map<std::string, std::string>& m, std::size_t /*max*/) {
        w_.u32(static_cast<std::uint32_t>(m.size()));
        for (const auto& [k, v] : m) {
            w_.str(k);
            w_.str(v);
        }
    }
    template <class T>
    void operator()(const T& s) {
        Fields<T>::apply(s, *this);
    }

  private:
    Writer& w_;
};

class Decoder {
  public:
    explicit Decoder(Reader& r) noexcept : r_(r) {}

    template <class T>
    requires std::is_integral_v<T>
    void operator()(T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            v = r_.boolean();
        } else if constexpr (sizeof(T) == 1) {
            v = static_cast<T>(r_.u8());
        } else if constexpr (sizeof(T) == 2) {
            v = static_cast<T>(r_.u16());
        } else if constexpr (sizeof(T) == 4) {
            v = static_cast<T>(r_.u32());
        } else {
            v = static_cast<T>(r_.u64());
        }
    }
    template <class T>
    requires std::is_integral_v<T>
    void operator()(T& v, std::uint64_t max) {
        (*this)(v);
        if (static_cast<std::uint64_t>(v) > max) r_.fail(CodecError::too_long);
    }
    void operator()(std::int32_t& v, ErrnoField) {
        v = r_.i32();
        if (v < 0 || v > kMaxErrno) r_.fail(CodecError::bad_value);
    }
    void operator()(FileType& t) {
        const auto v = r_.u8();
        if (!valid_file_type(v)) {
            r_.fail(CodecError::bad_value);
            return;
        }
        t = static_cast<FileType>(v);
    }
    void operator()(std::string& s, std::size_t max) { s = r_.str(max); }
    // "No identity" has a single encoding, so a server never caches under a half-set id.
    void operator()(ReqId& id) {
        (*this)(id.client, config::kMaxClientRank);
        (*this)(id.incarnation);
        (*this)(id.seq);
        if (id.seq == 0 && (id.client != 0 || id.incarnation != 0)) r_.fail(CodecError::bad_value);
    }
    template <class T>
    void operator()(std::optional<T>& o) {
        if (r_.boolean()) {
            T v{};
            (*this)(v);
            o = std::move(v);
        } else {
            o.reset();
        }
    }
    template <class T>
    void operator()(std::vector<T>& v, std::size_t max) {
        const auto n = r_.count(max, 1);
        v.clear();
        v.reserve(n);
        for (std::uint32_t i = 0; i < n && r_.ok(); ++i) {
            T e{};
            (*this)(e);
            v.push_back(std::move(e));
        }
    }
    void operator()(std::map<std::string, std::string>& m, std::size_t max) {
        const auto n = r_.count(max, 8);  // two u32 length prefixes per entry
        m.clear();
        for (std::uint32_t i = 0; i < n && r_.ok(); ++i) {
            auto k = r_.str(config::kDmAttrNameSize);
            auto v = r_.str(config::kDmAttrMaxValue);
            if (r_.ok() && !m.emplace(std::move(k), std::move(v)).second)
                r_.fail(CodecError::bad_value);  // duplicate keys are not canonical
        }
    }
    template <class T>
    void operator()(T& s) {
        Fields<T>::apply(s, *this);
    }

  private:
    Reader& r_;
};

// ---- Field lists of the shared value types ----------------------------------------------------

template <>
struct Fields<Layout> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.stripe_size, config::kMaxStripeSize);
        f(s.stripe_count, config::kMaxStripeCount);
        f(s.first_server, config::kMaxStripeCount);
    }
};

template <>
struct Fields<LayoutHint> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.stripe_size, config::kMaxStripeSize);
        f(s.stripe_count, config::kMaxStripeCount);
        f(s.first_server);
    }
};

template <>
struct Fields<Attr> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.ino);
        f(s.gen);
        f(s.type);
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.nlink);
        f(s.size);
        f(s.atime_ns);
        f(s.mtime_ns);
        f(s.ctime_ns);
        f(s.layout);
        f(s.change);
    }
};

template <>
struct Fields<ManagedRegion> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.offset);
        f(s.size);
        f(s.flags);
    }
};

template <>
struct Fields<DmSlots> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.attrs, config::kDmAttrMaxCount);
        f(s.event_set);
        f(s.regions, config::kDmMaxRegions);
        f(s.dtime_ns);
    }
};

template <>
struct Fields<DirEntry> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.name, config::kNameMax);
        f(s.ino);
        f(s.type);
    }
};

template <>
struct Fields<SetAttr> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.size);
        f(s.atime_ns);
        f(s.mtime_ns);
    }
};

template <>
struct Fields<InoPool> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.first);
        f(s.count, config::kDelegationPool);
        f(s.gen0);
    }
};

template <>
struct Fields<NsOp> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.kind, kNsUnlink);
        f(s.name, config::kNameMax);
        f(s.ino);
        f(s.mode);
        f(s.uid);
        f(s.gid);
        f(s.time_ns);
        f(s.layout);
    }
};

template <>
struct Fields<ReqId> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.client, config::kMaxClientRank);
        f(s.incarnation);
        f(s.seq);
    }
};

template <>
struct Fields<ObjectId> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.ino);
        f(s.gen);
    }
};

template <>
struct Fields<Extent> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.offset);
        f(s.length);
        f(s.is_data);
    }
};

template <>
struct Fields<VolumeStat> {
    template <class S, class F>
    static void apply(S& s, F& f) {
        f(s.total_bytes);
        f(s.free_bytes);
        f(s.used_bytes);
    }
};

}  // namespace pfs::proto
