#include "rights_table.hpp"

#include <cerrno>

namespace pfs::server {

bool RightsTable::compatible(File f, Holder h, Right right) const {
    auto it = files_.find(f);
    if (it == files_.end()) return true;
    for (const auto& [other, g] : it->second) {
        if (other == h) continue;
        if (right == kExcl || g.right == kExcl) return false;
    }
    return true;
}

int RightsTable::request(File f, Holder h, int rank, Right right, Effect* eff) {
    *eff = {};
    if (query(f, h) >= right) return 0;
    if (!compatible(f, h, right)) return EAGAIN;
    const Right before = strongest(f);
    eff->activated = !active();
    auto& g = files_[f][h];
    g.right = right;
    g.rank = rank;
    eff->stronger = right > before;
    return 0;
}

void RightsTable::erase(File f, Holder h, bool was_active, Effect* eff) {
    auto it = files_.find(f);
    if (it == files_.end()) return;
    it->second.erase(h);
    if (it->second.empty()) files_.erase(it);
    if (was_active && !active()) eff->deactivated = true;
}

int RightsTable::release(File f, Holder h, Effect* eff) {
    *eff = {};
    if (query(f, h) == kNone) return EACCES;
    erase(f, h, true, eff);
    return 0;
}

int RightsTable::upgrade(File f, Holder h, Effect* eff) {
    *eff = {};
    const Right cur = query(f, h);
    if (cur == kNone) return EACCES;
    if (cur == kExcl) return 0;
    if (!compatible(f, h, kExcl)) return EAGAIN;
    files_[f][h].right = kExcl;
    eff->stronger = true;
    return 0;
}

int RightsTable::downgrade(File f, Holder h, Effect* eff) {
    *eff = {};
    if (query(f, h) != kExcl) return EACCES;
    files_[f][h].right = kShared;
    return 0;
}

RightsTable::Right RightsTable::query(File f, Holder h) const {
    auto it = files_.find(f);
    if (it == files_.end()) return kNone;
    auto g = it->second.find(h);
    return g == it->second.end() ? kNone : g->second.right;
}

std::vector<RightsTable::File> RightsTable::release_token(Holder h, Effect* eff) {
    *eff = {};
    std::vector<File> out;
    const bool was_active = active();
    for (auto it = files_.begin(); it != files_.end();) {
        if (it->second.erase(h) > 0) out.push_back(it->first);
        it = it->second.empty() ? files_.erase(it) : std::next(it);
    }
    if (was_active && !active()) eff->deactivated = true;
    return out;
}

std::vector<RightsTable::File> RightsTable::release_rank(int rank, Effect* eff) {
    *eff = {};
    std::vector<File> out;
    const bool was_active = active();
    for (auto it = files_.begin(); it != files_.end();) {
        bool dropped = false;
        for (auto g = it->second.begin(); g != it->second.end();) {
            if (g->second.rank == rank) {
                g = it->second.erase(g);
                dropped = true;
            } else {
                ++g;
            }
        }
        if (dropped) out.push_back(it->first);
        it = it->second.empty() ? files_.erase(it) : std::next(it);
    }
    if (was_active && !active()) eff->deactivated = true;
    return out;
}

RightsTable::Right RightsTable::strongest(File f) const {
    auto it = files_.find(f);
    if (it == files_.end()) return kNone;
    Right r = kNone;
    for (const auto& [h, g] : it->second)
        if (g.right > r) r = g.right;
    return r;
}

bool RightsTable::conflicts(File f, Right want) const {
    const Right held = strongest(f);
    if (held == kNone) return false;
    return want == kExcl || held == kExcl;
}

}  // namespace pfs::server
