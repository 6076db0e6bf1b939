// SGI payload layout of the PFS's events (see events.hpp).
#include <cstring>
#include <string>

#include "dmapi.h"
#include "dmapi/events/events.hpp"
#include "dmapi_pfs.h"

namespace dmapi::events {

using pfs::client::FsEvent;
namespace ev = pfs::client::ev;

static_assert(ev::kMount == DM_EVENT_MOUNT && ev::kCreate == DM_EVENT_CREATE &&
              ev::kClose == DM_EVENT_CLOSE && ev::kPostcreate == DM_EVENT_POSTCREATE &&
              ev::kRemove == DM_EVENT_REMOVE && ev::kPostremove == DM_EVENT_POSTREMOVE &&
              ev::kRename == DM_EVENT_RENAME && ev::kPostrename == DM_EVENT_POSTRENAME &&
              ev::kLink == DM_EVENT_LINK && ev::kPostlink == DM_EVENT_POSTLINK &&
              ev::kSymlink == DM_EVENT_SYMLINK && ev::kPostsymlink == DM_EVENT_POSTSYMLINK &&
              ev::kRead == DM_EVENT_READ && ev::kWrite == DM_EVENT_WRITE &&
              ev::kTruncate == DM_EVENT_TRUNCATE && ev::kAttribute == DM_EVENT_ATTRIBUTE &&
              ev::kDestroy == DM_EVENT_DESTROY && ev::kNospace == DM_EVENT_NOSPACE &&
              ev::kPreunmount == DM_EVENT_PREUNMOUNT && ev::kUnmount == DM_EVENT_UNMOUNT);
static_assert(ev::kRegionRead == DM_REGION_READ && ev::kRegionWrite == DM_REGION_WRITE &&
              ev::kRegionTruncate == DM_REGION_TRUNCATE);

namespace {

// Builds "struct + variable data" with offsets relative to the struct.
class Builder {
  public:
    explicit Builder(std::size_t struct_size) : buf_(struct_size) {}
    template <class S>
    S* head() {
        return reinterpret_cast<S*>(buf_.data());
    }
    // Appends bytes (8-aligned) and returns their vardata; empty input gives {0, 0}.
    dm_vardata_t add(const void* p, std::size_t n) {
        if (n == 0) return dm_vardata_t{0, 0};
        buf_.resize((buf_.size() + 7) & ~std::size_t{7});
        const std::size_t at = buf_.size();
        buf_.resize(at + n);
        std::memcpy(buf_.data() + at, p, n);
        return dm_vardata_t{static_cast<int>(at), static_cast<unsigned>(n)};
    }
    dm_vardata_t add_handle(const pfs::Handle& h) {
        if (h.fsid == 0) return dm_vardata_t{0, 0};
        if (h.ino == 0) return add(&h.fsid, sizeof h.fsid);
        dm_handle_t x{};
        x.ha_fsid = h.fsid;
        x.ha_fid.dm_fid_len = DM_PFS_FID_LEN;
        x.ha_fid.dm_fid_pad = 0;
        x.ha_fid.dm_fid_gen = h.gen;
        x.ha_fid.dm_fid_ino = h.ino;
        return add(&x, sizeof x);
    }
    dm_vardata_t add_name(const std::string& s) {
        if (s.empty()) return dm_vardata_t{0, 0};
        return add(s.c_str(), s.size() + 1);
    }
    std::vector<std::byte> take() {
        std::vector<std::byte> out(buf_.size());
        std::memcpy(out.data(), buf_.data(), buf_.size());
        return out;
    }

  private:
    // char storage, re-read through the struct types only at offset 0 of a fresh vector.
    std::vector<unsigned char> buf_;
};

}  // namespace

std::vector<std::byte> encode_payload(const FsEvent& e) {
    switch (e.type) {
        case DM_EVENT_READ:
        case DM_EVENT_WRITE:
        case DM_EVENT_TRUNCATE: {
            Builder b(sizeof(dm_data_event_t));
            const auto h = b.add_handle(e.handle1);
            auto* d = b.head<dm_data_event_t>();
            d->de_handle = h;
            d->de_offset = static_cast<dm_off_t>(e.offset);
            d->de_length = e.length;
            return b.take();
        }
        case DM_EVENT_DESTROY: {
            Builder b(sizeof(dm_destroy_event_t));
            const auto h = b.add_handle(e.handle1);
            const auto copy = e.has_attr_copy ? b.add(e.attr_copy.data(), e.attr_copy.size())
                                              : dm_vardata_t{0, 0};
            auto* d = b.head<dm_destroy_event_t>();
            d->ds_handle = h;
            std::memset(&d->ds_attrname, 0, sizeof d->ds_attrname);
            std::memcpy(d->ds_attrname.an_chars, e.attr_name.data(),
                        std::min(e.attr_name.size(), sizeof d->ds_attrname.an_chars));
            d->ds_attrcopy = copy;
            return b.take();
        }
        case DM_EVENT_MOUNT: {
            Builder b(sizeof(dm_mount_event_t));
            const auto h1 = b.add_handle(e.handle1);
            const auto h2 = b.add_handle(e.handle2);
            const auto n1 = b.add_name(e.name1);
            const auto n2 = b.add_name(e.name2);
            const auto root = b.add_handle(e.handle2);
            auto* m = b.head<dm_mount_event_t>();
            m->me_mode = static_cast<dm_mode_t>(e.mode);
            m->me_handle1 = h1;
            m->me_handle2 = h2;
            m->me_name1 = n1;
            m->me_name2 = n2;
            m->me_roothandle = root;
            return b.take();
        }
        default: {  // namespace, attribute, close, nospace, (pre)unmount
            Builder b(sizeof(dm_namesp_event_t));
            const auto h1 = b.add_handle(e.handle1);
            const auto h2 = b.add_handle(e.handle2);
            const auto n1 = b.add_name(e.name1);
            const auto n2 = b.add_name(e.name2);
            auto* n = b.head<dm_namesp_event_t>();
            n->ne_mode = static_cast<dm_mode_t>(e.mode);
            n->ne_handle1 = h1;
            n->ne_handle2 = h2;
            n->ne_name1 = n1;
            n->ne_name2 = n2;
            n->ne_retcode = e.retcode;
            return b.take();
        }
    }
}

}  // namespace dmapi::events
