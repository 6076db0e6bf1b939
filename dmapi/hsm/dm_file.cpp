#include "dm_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace pfs::hsm {

namespace {

dm_attrname_t attr_name(const char* name) {
    dm_attrname_t n{};
    std::memcpy(n.an_chars, name, std::min<std::size_t>(std::strlen(name), DM_ATTR_NAME_SIZE));
    return n;
}

dm_attrname_t record_name() {
    return attr_name(kRecordAttr);
}

int rc(int r) {
    return r == 0 ? 0 : (errno != 0 ? errno : EIO);
}

}  // namespace

DmFile::DmFile(dm_sessid_t sid, const dm_handle_t& h, std::string path)
    : sid_(sid), h_(h), path_(std::move(path)) {
    id_ = FileId{h.ha_fsid, h.ha_fid.dm_fid_ino, h.ha_fid.dm_fid_gen};
}

int DmFile::from_path(dm_sessid_t sid, const std::string& path, DmFile* out) {
    void* hp = nullptr;
    std::size_t hl = 0;
    std::string p = path;
    if (dm_path_to_handle(p.data(), &hp, &hl) != 0) return errno;
    if (hl != sizeof(dm_handle_t)) {
        dm_handle_free(hp, hl);
        return EINVAL;  // a file-system handle: not a file
    }
    dm_handle_t h;
    std::memcpy(&h, hp, sizeof h);
    dm_handle_free(hp, hl);
    *out = DmFile(sid, h, path);
    return 0;
}

int DmFile::from_handle(dm_sessid_t sid, const void* hanp, std::size_t hlen, DmFile* out) {
    if (hlen != sizeof(dm_handle_t)) return EINVAL;
    dm_handle_t h;
    std::memcpy(&h, hanp, sizeof h);
    *out = DmFile(sid, h);
    return 0;
}

int DmFile::get_record(StateRecord* r) {
    dm_attrname_t n = record_name();
    std::vector<char> buf(16384);
    std::size_t rlen = 0;
    if (dm_get_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, &n, buf.size(), buf.data(), &rlen) != 0)
        return errno;
    std::string err;
    if (!decode(std::string_view(buf.data(), rlen), r, &err)) return EBADMSG;
    return 0;
}

int DmFile::set_record(const StateRecord& r) {
    dm_attrname_t n = record_name();
    std::string t = encode(r);
    return rc(dm_set_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, &n, 0, t.size(), t.data()));
}

int DmFile::remove_record() {
    dm_attrname_t n = record_name();
    if (dm_remove_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, 0, &n) != 0)
        return errno == ENOENT ? 0 : errno;
    return 0;
}

int DmFile::get_attr(const char* name, std::string* value) {
    dm_attrname_t n = attr_name(name);
    std::vector<char> buf(16384);
    std::size_t rlen = 0;
    if (dm_get_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, &n, buf.size(), buf.data(), &rlen) != 0)
        return errno;
    value->assign(buf.data(), rlen);
    return 0;
}

int DmFile::set_attr(const char* name, const std::string& value) {
    dm_attrname_t n = attr_name(name);
    std::string v = value;
    return rc(dm_set_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, &n, 0, v.size(), v.data()));
}

int DmFile::remove_attr(const char* name) {
    dm_attrname_t n = attr_name(name);
    if (dm_remove_dmattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, 0, &n) != 0)
        return errno == ENOENT ? 0 : errno;
    return 0;
}

int DmFile::set_regions(unsigned flags) {
    dm_region_t r{};
    r.rg_offset = 0;
    r.rg_size = 0;  // to the end of the file, whatever its size becomes
    r.rg_flags = flags;
    dm_boolean_t exact = DM_FALSE;
    return rc(dm_set_region(sid_, &h_, sizeof h_, DM_NO_TOKEN, flags ? 1 : 0, &r, &exact));
}

int DmFile::get_regions(unsigned* flags) {
    dm_region_t r[64];
    unsigned n = 0;
    if (dm_get_region(sid_, &h_, sizeof h_, DM_NO_TOKEN, 64, r, &n) != 0) return errno;
    *flags = 0;
    for (unsigned i = 0; i < n; ++i) *flags |= r[i].rg_flags;
    return 0;
}

int DmFile::stat(dm_stat_t* st) {
    return rc(dm_get_fileattr(sid_, &h_, sizeof h_, DM_NO_TOKEN, DM_AT_STAT, st));
}

int DmFile::size(std::uint64_t* size) {
    dm_stat_t st{};
    if (int e = stat(&st)) return e;
    *size = static_cast<std::uint64_t>(st.dt_size);
    return 0;
}

dm_ssize_t DmFile::read_invis(void* buf, std::uint64_t len, std::uint64_t off) {
    const dm_ssize_t n =
        dm_read_invis(sid_, &h_, sizeof h_, DM_NO_TOKEN, static_cast<dm_off_t>(off), len, buf);
    return n < 0 ? -static_cast<dm_ssize_t>(errno ? errno : EIO) : n;
}

dm_ssize_t DmFile::write_invis(const void* buf, std::uint64_t len, std::uint64_t off) {
    const dm_ssize_t n = dm_write_invis(sid_, &h_, sizeof h_, DM_NO_TOKEN, 0,
                                        static_cast<dm_off_t>(off), len, const_cast<void*>(buf));
    return n < 0 ? -static_cast<dm_ssize_t>(errno ? errno : EIO) : n;
}

int DmFile::punch(std::uint64_t off, std::uint64_t len) {
    return rc(dm_punch_hole(sid_, &h_, sizeof h_, DM_NO_TOKEN, static_cast<dm_off_t>(off), len));
}

int DmFile::set_region_list(const std::vector<dm_region_t>& regions) {
    std::vector<dm_region_t> r = regions;
    dm_boolean_t exact = DM_FALSE;
    return rc(dm_set_region(sid_, &h_, sizeof h_, DM_NO_TOKEN, static_cast<unsigned>(r.size()),
                            r.empty() ? nullptr : r.data(), &exact));
}

int DmFile::request_right(dm_token_t token, dm_right_t right, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        // Without DM_RR_WAIT: a conflicting right held by another DM application's token is
        // EAGAIN here instead of an unbounded wait; user operations in flight are still waited
        // for inside the grant (they end on their own).
        if (dm_request_right(sid_, &h_, sizeof h_, token, 0, right) == 0) return 0;
        if (errno != EAGAIN) return errno != 0 ? errno : EIO;
        if (std::chrono::steady_clock::now() >= deadline) return ETIMEDOUT;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
}

RightToken::~RightToken() {
    finish();
}

RightToken::RightToken(RightToken&& o) noexcept : sid_(o.sid_), tok_(o.tok_), own_(o.own_) {
    o.tok_ = DM_NO_TOKEN;
    o.own_ = false;
}

int RightToken::take(DmFile& f, dm_right_t right) {
    if (tok_ != DM_NO_TOKEN) {
        const int e = f.request_right(tok_, right);
        if (own_ || (e != ESRCH && e != EINVAL)) return e;
        tok_ = DM_NO_TOKEN;  // a stale event token: hold the right with one of our own
    }
    if (dm_create_userevent(sid_, 0, nullptr, &tok_) != 0) {
        tok_ = DM_NO_TOKEN;
        return errno != 0 ? errno : EIO;
    }
    own_ = true;
    return f.request_right(tok_, right);
}

void RightToken::finish() {
    if (own_ && tok_ != DM_NO_TOKEN)
        (void)dm_respond_event(sid_, tok_, DM_RESP_CONTINUE, 0, 0, nullptr);
    if (own_) tok_ = DM_NO_TOKEN;
    own_ = false;
}

int DmFile::sync() {
    return rc(dm_sync_by_handle(sid_, &h_, sizeof h_, DM_NO_TOKEN));
}

int DmFile::resident_bytes(std::uint64_t* bytes) {
    *bytes = 0;
    dm_off_t off = 0;
    for (int guard = 0; guard < 100000; ++guard) {
        dm_extent_t ex[64];
        unsigned n = 0;
        const int r = dm_get_allocinfo(sid_, &h_, sizeof h_, DM_NO_TOKEN, &off, 64, ex, &n);
        if (r < 0) return errno;
        for (unsigned i = 0; i < n; ++i)
            if (ex[i].ex_type == DM_EXTENT_RES) *bytes += ex[i].ex_length;
        if (r == 0) return 0;
    }
    return EIO;
}

}  // namespace pfs::hsm
