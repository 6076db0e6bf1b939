// One session's event queue at the session rank, as in SGI (reference/dmapi.md 4.3): a list of
// new (undelivered) events and a list of delivered, outstanding ones (tokens the DM application
// holds until it responds). The new list is bounded: a full queue refuses the event and the
// source retries (back-pressure). Not thread-safe: the Node locks around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_set>
#include <vector>

#include "dmapi/core/types.hpp"

namespace dmapi::core {

struct QueuedEvent {
    dm_token_t token = DM_INVALID_TOKEN;  // the source-assigned token (also for async events)
    dm_eventtype_t type = DM_EVENT_USER;
    bool sync = false;
    int source = -1;  // world rank of the source (= token_source(token))
    dm_sequence_t sequence = 0;
    std::vector<std::byte> data;  // ev_data
    bool reply = true;            // false: nobody waits for the response (dm_create_userevent)
};

// Bytes one event takes in a dm_get_events buffer: the header, the data, 8-byte aligned.
constexpr std::size_t eventmsg_size(std::size_t data_len) {
    return (sizeof(dm_eventmsg_t) + data_len + 7) & ~std::size_t{7};
}

// Writes one SGI-layout dm_eventmsg_t (+ data) at p (_link = 0). Async events show
// DM_INVALID_TOKEN, as SGI delivers them. p must have eventmsg_size(ev.data.size()) bytes.
void write_eventmsg(std::byte* p, const QueuedEvent& ev);

class SessionQueue {
  public:
    explicit SessionQueue(std::size_t max_undelivered) : max_(max_undelivered) {}

    enum class Push { ok, full, duplicate };
    // Appends to the undelivered list. The bound applies only when enforce_bound (resubmitted
    // and moved events are never refused).
    Push push(QueuedEvent ev, bool enforce_bound = true);

    // dm_get_events: copies up to maxmsgs (0 = no limit) undelivered events that fit in buflen
    // into buf as a _link-chained list, removes them from the undelivered list and puts the
    // synchronous ones on the delivered list. Returns 0, EAGAIN (nothing queued) or E2BIG (the
    // first one does not fit; *rlen = its size). buf must be 8-byte aligned (checked by caller).
    int take(unsigned maxmsgs, std::size_t buflen, void* buf, std::size_t* rlen);

    // dm_find_eventmsg: one outstanding event. 0, E2BIG (+*rlen), or ESRCH/EINVAL via state().
    int find(dm_token_t token, std::size_t buflen, void* buf, std::size_t* rlen) const;

    enum class TokenState { unknown, undelivered, outstanding };
    TokenState state(dm_token_t token) const;

    // Removes an outstanding event (dm_respond_event, dm_move_event).
    std::optional<QueuedEvent> take_outstanding(dm_token_t token);
    const QueuedEvent* outstanding(dm_token_t token) const;
    // Puts an event straight on the delivered list (dm_create_userevent, dm_move_event target).
    bool add_outstanding(QueuedEvent ev);

    std::vector<dm_token_t> tokens() const;  // outstanding, ascending
    std::size_t undelivered() const { return new_.size(); }
    std::size_t outstanding_count() const { return delivered_.size(); }
    bool empty() const { return new_.empty() && delivered_.empty(); }
    std::size_t bound() const { return max_; }

  private:
    std::size_t max_;
    std::deque<QueuedEvent> new_;
    std::unordered_set<dm_token_t> new_tokens_;  // tokens on new_
    std::map<dm_token_t, QueuedEvent> delivered_;
};

}  // namespace dmapi::core
