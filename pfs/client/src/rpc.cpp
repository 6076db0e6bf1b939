// Request/response with deadlines and retries, and the pipelined fan-out of the data path.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "internal.hpp"

namespace pfs::client {

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{1};
constexpr std::chrono::milliseconds kMaxBackoff{50};
}  // namespace

int user_errno(int e) {
    switch (e) {
        case EHOSTDOWN:
        case ETIMEDOUT:
        case ECANCELED:
            return EIO;
        default:
            return e;
    }
}

int peek_err(std::span<const std::byte> frame) {
    if (frame.size() < 6) return EIO;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(frame[2 + i])) << (8 * i);
    const auto err = static_cast<std::int32_t>(v);
    return err < 0 || err > 4095 ? EIO : err;
}

std::vector<Chunk> make_chunks(const std::vector<ServerRange>& ranges, std::uint64_t max_bytes) {
    std::vector<Chunk> out;
    for (const auto& r : ranges) {
        Chunk c;
        c.server = r.server;
        c.object_offset = r.object_offset;
        for (const auto& seg : r.segments) {
            std::uint64_t done = 0;
            while (done < seg.length) {
                if (c.length == max_bytes) {
                    const std::uint64_t next_off = c.object_offset + c.length;
                    out.push_back(std::move(c));
                    c = Chunk{};
                    c.server = r.server;
                    c.object_offset = next_off;
                }
                const std::uint64_t take = std::min(seg.length - done, max_bytes - c.length);
                c.segments.push_back(BufferSegment{seg.buffer_offset + done, take});
                c.length += take;
                done += take;
            }
        }
        if (c.length > 0) out.push_back(std::move(c));
    }
    return out;
}

bool Client::Impl::await_adopter(int home, int to, mpi_tools::ft::Deadline dl) const {
    if (!adoption || !route) return false;
    for (;;) {
        const int now = route(home);
        if (now >= 0 && now != to) return true;
        if (Clock::now() > dl) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

bool Client::Impl::retry_after(int err, int home, int to, mpi_tools::ft::Deadline dl) const {
    if (err == ECANCELED) return Clock::now() < dl;
    if (err == EHOSTDOWN) return await_adopter(home, to, dl);
    return false;
}

mpi_tools::Reply Client::Impl::call(int dest, std::uint16_t type,
                                    std::span<const std::byte> frame) {
    if (dest == meta_home) {
        if (wb)
            wb->before_request(type);
        else if (auto other = WriteBack::find(t))  // another client of this process holds some
            other->before_request(type);
    }
    auto dl = deadline();
    auto backoff = kFirstBackoff;
    for (;;) {
        const int to = server_of(dest);
        auto r = t.call(to, type, frame, dl, hard(dl));
        if ((r.err == ECANCELED || r.err == EHOSTDOWN) && retry_after(r.err, dest, to, dl)) {
            dl = deadline();
            continue;
        }
        if (r.err != 0) {
            r.err = user_errno(r.err);
            return r;
        }
        const int e = peek_err(r.payload);
        // EAGAIN: busy or not ready; an adopter refuses (EOPNOTSUPP) until it serves the volume.
        if (busy_reply(e, dest, to) && Clock::now() + backoff < dl) {
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, kMaxBackoff);
            continue;
        }
        return r;
    }
}

int Client::Impl::pipeline(
    std::size_t n, std::uint16_t type, const std::function<int(std::size_t)>& dest,
    const std::function<mpi_tools::OutFrame(std::size_t)>& make_frame,
    const std::function<int(std::size_t, std::span<const std::byte>)>& on_reply) {
    struct Flight {
        std::size_t i;
        int home, to;
        std::shared_ptr<mpi_tools::PendingCall> pc;
        mpi_tools::ft::Deadline dl;
        std::chrono::milliseconds backoff;
    };
    std::deque<Flight> q;
    std::size_t next = 0;
    int err = 0;
    const std::size_t window = std::max(1u, opt.max_inflight);
    auto launch = [&](std::size_t i, mpi_tools::ft::Deadline dl,
                      std::chrono::milliseconds backoff) {
        const int home = dest(i);
        const int to = server_of(home);
        q.push_back(Flight{i, home, to, t.post(to, type, make_frame(i)), dl, backoff});
    };
    for (;;) {
        while (err == 0 && next < n && q.size() < window) {
            launch(next, deadline(), kFirstBackoff);
            ++next;
        }
        if (q.empty()) break;
        Flight f = std::move(q.front());
        q.pop_front();
        auto r = t.await(f.pc, f.dl, hard(f.dl));
        if ((r.err == ECANCELED || r.err == EHOSTDOWN) && err == 0 &&
            retry_after(r.err, f.home, f.to, deadline())) {
            launch(f.i, deadline(), f.backoff);  // re-routed to the volume's server now
            continue;
        }
        if (r.err != 0) {
            if (err == 0) err = user_errno(r.err);
            continue;
        }
        const int e = peek_err(r.payload);
        if (busy_reply(e, f.home, f.to) && err == 0 && Clock::now() + f.backoff < f.dl) {
            std::this_thread::sleep_for(f.backoff);
            launch(f.i, f.dl, std::min(f.backoff * 2, kMaxBackoff));
            continue;
        }
        const int rc = on_reply(f.i, r.payload);
        if (rc != 0 && err == 0) err = rc;
    }
    return err;
}

}  // namespace pfs::client
