#include "state_record.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pfs::hsm {

namespace {

const char* const kStates[] = {"resident", "premigrated", "migrated", "dirty", "lost"};
const char* const kPhases[] = {"none", "archiving", "releasing", "recalling", "removing"};

std::string escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x21 || c == '%' || c >= 0x7f) {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

bool unescape(std::string_view s, std::string* out) {
    out->clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            *out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return false;
        char hex[3] = {s[i + 1], s[i + 2], 0};
        char* end = nullptr;
        const long v = std::strtol(hex, &end, 16);
        if (end != hex + 2) return false;
        *out += static_cast<char>(v);
        i += 2;
    }
    return true;
}

bool parse_u64(std::string_view v, int base, std::uint64_t* out) {
    if (v.empty() || v.size() > 20) return false;
    std::string s(v);
    char* end = nullptr;
    errno = 0;
    *out = std::strtoull(s.c_str(), &end, base);
    return errno == 0 && end == s.c_str() + s.size();
}

}  // namespace

std::uint64_t block_size_for(std::uint64_t size) {
    std::uint64_t b = 1ull << 20;
    while ((size + b - 1) / b > kMaxBlocks) b <<= 1;
    return b;
}

const char* to_string(FileState s) {
    return kStates[static_cast<int>(s)];
}
const char* to_string(Phase p) {
    return kPhases[static_cast<int>(p)];
}

std::string encode(const StateRecord& r) {
    char num[64];
    std::string t = "pfshsm 1\n";
    t += "state=";
    t += to_string(r.state);
    t += "\nphase=";
    t += to_string(r.phase);
    t += "\nid=" + r.archive_id + "\npending=" + r.pending_id;
    std::snprintf(num, sizeof num, "\nsize=%" PRIu64, r.size);
    t += num;
    std::snprintf(num, sizeof num, "\nxxh3=%016" PRIx64, r.checksum);
    t += num;
    std::snprintf(num, sizeof num, "\nat=%" PRId64, r.archived_at);
    t += num;
    std::snprintf(num, sizeof num, "\nblock=%" PRIu64, r.block_size);
    t += num;
    if (!r.recalled.empty()) {
        // One hex digit per 4 blocks, bit 0 = the lowest block of the four.
        t += "\nrecalled=";
        for (std::size_t i = 0; i < r.recalled.size(); i += 4) {
            unsigned v = 0;
            for (std::size_t b = 0; b < 4 && i + b < r.recalled.size(); ++b)
                if (r.recalled[i + b]) v |= 1u << b;
            t += "0123456789abcdef"[v];
        }
        std::snprintf(num, sizeof num, "/%zu", r.recalled.size());
        t += num;
    }
    t += "\npath=" + escape(r.path) + "\n";
    return t;
}

bool decode(std::string_view text, StateRecord* r, std::string* error) {
    *r = StateRecord{};
    auto fail = [&](const std::string& why) {
        *error = why;
        return false;
    };
    if (text.substr(0, 9) != "pfshsm 1\n") return fail("not a version-1 pfshsm record");
    text.remove_prefix(9);
    bool have_state = false;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        if (nl == std::string_view::npos) return fail("unterminated line");
        const auto line = text.substr(0, nl);
        text.remove_prefix(nl + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) return fail("line without '='");
        const auto key = line.substr(0, eq);
        const auto val = line.substr(eq + 1);
        std::uint64_t u = 0;
        if (key == "state") {
            bool found = false;
            for (int i = 0; i < 5; ++i)
                if (val == kStates[i]) r->state = static_cast<FileState>(i), found = true;
            if (!found) return fail("unknown state");
            have_state = true;
        } else if (key == "phase") {
            bool found = false;
            for (int i = 0; i < 5; ++i)
                if (val == kPhases[i]) r->phase = static_cast<Phase>(i), found = true;
            if (!found) return fail("unknown phase");
        } else if (key == "id") {
            r->archive_id = std::string(val);
        } else if (key == "pending") {
            r->pending_id = std::string(val);
        } else if (key == "size") {
            if (!parse_u64(val, 10, &r->size)) return fail("bad size");
        } else if (key == "xxh3") {
            if (!parse_u64(val, 16, &r->checksum)) return fail("bad checksum");
        } else if (key == "at") {
            if (!parse_u64(val, 10, &u)) return fail("bad time");
            r->archived_at = static_cast<std::int64_t>(u);
        } else if (key == "block") {
            if (!parse_u64(val, 10, &r->block_size)) return fail("bad block size");
        } else if (key == "recalled") {
            const auto slash = val.find('/');
            std::uint64_t n = 0;
            if (slash == std::string_view::npos || !parse_u64(val.substr(slash + 1), 10, &n) ||
                n > kMaxBlocks || (n + 3) / 4 != slash)
                return fail("bad recalled map");
            r->recalled.assign(n, false);
            for (std::size_t i = 0; i < slash; ++i) {
                const char c = val[i];
                const int v = c >= '0' && c <= '9'   ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                     : -1;
                if (v < 0) return fail("bad recalled map");
                for (std::size_t b = 0; b < 4 && i * 4 + b < n; ++b)
                    r->recalled[i * 4 + b] = (v >> b) & 1;
            }
        } else if (key == "path") {
            if (!unescape(val, &r->path)) return fail("bad path escape");
        }  // unknown keys: written by a newer version 1 writer; ignored
    }
    if (!have_state) return fail("no state");
    return true;
}

}  // namespace pfs::hsm
