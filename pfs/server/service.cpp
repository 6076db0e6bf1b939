#include "service.hpp"

#include <cstdio>
#include <exception>
#include <map>
#include <thread>

#include "request_delay.hpp"
#include "server_config.hpp"

namespace pfs::server {

void serve_raw(mpi_tools::Transport& t, WorkerPool& pool, std::uint16_t type, RawWork work,
               std::function<Bytes(int)> err_reply, FastPath fast) {
    auto busy = std::make_shared<const Bytes>(err_reply(EAGAIN));
    t.serve(type, [&pool, work = std::move(work), err_reply = std::move(err_reply), busy,
                   fast = std::move(fast)](mpi_tools::Incoming& in, mpi_tools::Responder r) {
        if (fast && fast(in.payload(), r)) return;
        // The engine drops `in` after this returns: the worker owns the buffer from here on.
        auto msg = std::make_shared<mpi_tools::Incoming>(std::move(in));
        const std::size_t bytes = msg->buffer.size();
        auto job = [msg, r, work, err_reply] {
            if (const auto d = request_delay(msg->header.type); d.count() > 0)
                std::this_thread::sleep_for(d);
            try {
                work(msg->payload(), r);
            } catch (const std::bad_alloc&) {
                r.reply(err_reply(ENOMEM));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "pfs-server: request type %u failed: %s\n",
                             static_cast<unsigned>(msg->header.type), e.what());
                r.reply(err_reply(EIO));
            }
        };
        if (!pool.submit(std::move(job), bytes)) r.reply(*busy);
    });
}

void serve_raw_inline(mpi_tools::Transport& t, std::uint16_t type, RawWork work,
                      std::function<Bytes(int)> err_reply) {
    t.serve(type, [work = std::move(work), err_reply = std::move(err_reply)](
                      mpi_tools::Incoming& in, mpi_tools::Responder r) {
        try {
            work(in.payload(), r);
        } catch (const std::bad_alloc&) {
            r.reply(err_reply(ENOMEM));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "pfs-server: request type %u failed: %s\n",
                         static_cast<unsigned>(in.header.type), e.what());
            r.reply(err_reply(EIO));
        }
    });
}

void refuse(mpi_tools::Transport& t, Requests which, int err) {
    // One registration per type with its final answer, so that no type is ever briefly
    // answered with the wrong errno (a client probing a starting server relies on EAGAIN).
    std::map<std::uint16_t, Bytes> replies;
    if (which == Requests::all)
        for (unsigned v = config::kFirstPfsType; v <= config::kLastPfsType; ++v)
            replies[static_cast<std::uint16_t>(v)] = error_reply<proto::StatusResp>(ENOSYS);
    for_each_request([&]<class Req>() {
        const bool data_type =
            static_cast<unsigned>(Req::kType) >= static_cast<unsigned>(proto::MsgType::read_req);
        if (which == Requests::meta && data_type) return;
        if (which == Requests::data && !data_type) return;
        replies[static_cast<std::uint16_t>(Req::kType)] =
            error_reply<typename ResponseOf<Req>::type>(err);
    });
    for (auto& [type, bytes] : replies)
        t.serve(type, [reply = std::move(bytes)](mpi_tools::Incoming&, mpi_tools::Responder r) {
            r.reply(reply);
        });
}

}  // namespace pfs::server
