#include "dmapi/core/queue.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dmapi::core {

void write_eventmsg(std::byte* p, const QueuedEvent& ev) {
    dm_eventmsg_t m;
    std::memset(&m, 0, sizeof m);
    m._link = 0;
    m.ev_type = ev.type;
    m.ev_token = ev.sync ? ev.token : DM_INVALID_TOKEN;
    m.ev_sequence = ev.sequence;
    m.ev_data.vd_offset = ev.data.empty() ? 0 : static_cast<int>(sizeof(dm_eventmsg_t));
    m.ev_data.vd_length = static_cast<unsigned>(ev.data.size());
    std::memcpy(p, &m, sizeof m);
    if (!ev.data.empty()) std::memcpy(p + sizeof m, ev.data.data(), ev.data.size());
    // Padding to the next 8-byte boundary is zeroed: no stale bytes leak to the application.
    std::size_t pad = eventmsg_size(ev.data.size()) - sizeof m - ev.data.size();
    if (pad) std::memset(p + sizeof m + ev.data.size(), 0, pad);
}

SessionQueue::Push SessionQueue::push(QueuedEvent ev, bool enforce_bound) {
    if (state(ev.token) != TokenState::unknown) return Push::duplicate;
    if (enforce_bound && new_.size() >= max_) return Push::full;
    new_tokens_.insert(ev.token);
    new_.push_back(std::move(ev));
    return Push::ok;
}

int SessionQueue::take(unsigned maxmsgs, std::size_t buflen, void* buf, std::size_t* rlen) {
    if (new_.empty()) {
        *rlen = 0;
        return EAGAIN;
    }
    const std::size_t first = eventmsg_size(new_.front().data.size());
    if (first > buflen) {
        *rlen = first;
        return E2BIG;
    }
    auto* base = static_cast<std::byte*>(buf);
    std::size_t used = 0, last = 0;
    unsigned n = 0;
    while (!new_.empty() && (maxmsgs == 0 || n < maxmsgs)) {
        QueuedEvent& ev = new_.front();
        const std::size_t sz = eventmsg_size(ev.data.size());
        if (used + sz > buflen) break;
        write_eventmsg(base + used, ev);
        if (n > 0) {
            int link = static_cast<int>(used - last);
            std::memcpy(base + last + offsetof(dm_eventmsg_t, _link), &link, sizeof link);
        }
        last = used;
        used += sz;
        ++n;
        new_tokens_.erase(ev.token);
        if (ev.sync) delivered_.emplace(ev.token, std::move(ev));
        new_.pop_front();
    }
    *rlen = used;
    return 0;
}

int SessionQueue::find(dm_token_t token, std::size_t buflen, void* buf, std::size_t* rlen) const {
    auto it = delivered_.find(token);
    if (it == delivered_.end()) return state(token) == TokenState::unknown ? EINVAL : ESRCH;
    const std::size_t sz = eventmsg_size(it->second.data.size());
    *rlen = sz;
    if (sz > buflen) return E2BIG;
    write_eventmsg(static_cast<std::byte*>(buf), it->second);
    return 0;
}

SessionQueue::TokenState SessionQueue::state(dm_token_t token) const {
    if (delivered_.count(token)) return TokenState::outstanding;
    if (new_tokens_.count(token)) return TokenState::undelivered;
    return TokenState::unknown;
}

std::optional<QueuedEvent> SessionQueue::take_outstanding(dm_token_t token) {
    auto it = delivered_.find(token);
    if (it == delivered_.end()) return std::nullopt;
    QueuedEvent ev = std::move(it->second);
    delivered_.erase(it);
    return ev;
}

const QueuedEvent* SessionQueue::outstanding(dm_token_t token) const {
    auto it = delivered_.find(token);
    return it == delivered_.end() ? nullptr : &it->second;
}

bool SessionQueue::add_outstanding(QueuedEvent ev) {
    if (state(ev.token) != TokenState::unknown) return false;
    dm_token_t t = ev.token;
    delivered_.emplace(t, std::move(ev));
    return true;
}

std::vector<dm_token_t> SessionQueue::tokens() const {
    std::vector<dm_token_t> v;
    v.reserve(delivered_.size());
    for (const auto& [t, e] : delivered_) v.push_back(t);
    return v;
}

}  // namespace dmapi::core
