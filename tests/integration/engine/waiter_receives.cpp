// mpi-tools-waiter-test: a thread waiting for a reply receives messages itself (Engine::assist)
// without breaking the engine's guarantees. Rank 1 answers each of rank 0's calls after first
// sending it four one-way messages, alternately of a type whose handler may run on a waiting
// thread (kSafe, allow_assist) and of one whose handler may not (kUnsafe). On rank 0 the main
// thread makes the calls and every handler records its sequence number and whether it ran on
// the main thread. Checked: every message handled once, in the order sent, and before the
// response that followed it; kUnsafe never on the waiting thread; with PFS_WAIT_ASSIST=1
// (--expect-assist) some kSafe messages on it, with 0 none.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "mpi_tools/job.hpp"

namespace {

constexpr std::uint16_t kSafe = 4901, kUnsafe = 4902, kCall = 4903;

struct Record {
    std::uint64_t seq;
    bool on_waiter;
    std::uint16_t type;
};

std::uint64_t seq_of(const mpi_tools::Incoming& in) {
    std::uint64_t s = 0;
    const auto p = in.payload();
    if (p.size() == sizeof s) std::memcpy(&s, p.data(), sizeof s);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    auto& job = mpi_tools::Job::init(&argc, &argv);
    int calls = 2000;
    bool expect_assist = false;
    CLI::App cli{"mpi-tools-waiter-test"};
    cli.add_option("--calls", calls, "calls rank 0 makes");
    cli.add_flag("--expect-assist", expect_assist, "PFS_WAIT_ASSIST=1: the waiter must receive");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (job.rank() == 0) cli.exit(e);
        job.finish(2);
    }
    if (job.size() != 2 || calls < 1) {
        if (job.rank() == 0) std::fprintf(stderr, "needs 2 ranks and --calls >= 1\n");
        job.finish(2);
    }
    auto& eng = job.engine();
    auto& tr = job.transport();
    const auto main_id = std::this_thread::get_id();
    std::mutex mu;
    std::vector<Record> seen;
    auto record = [&](mpi_tools::Incoming& in) {
        std::lock_guard lk(mu);
        seen.push_back({seq_of(in), std::this_thread::get_id() == main_id, in.header.type});
    };
    eng.on(kSafe, record);
    eng.on(kUnsafe, record);
    eng.allow_assist(kSafe);
    std::uint64_t next = 0;  // rank 1: the next sequence number it sends
    tr.serve(kCall, [&](mpi_tools::Incoming& in, mpi_tools::Responder r) {
        for (int k = 0; k < 4; ++k) {
            mpi_tools::wire::Header h;
            h.type = k % 2 ? kUnsafe : kSafe;
            h.epoch = in.header.epoch;
            const std::uint64_t s = next++;
            eng.send(mpi_tools::Channel::rpc, in.header.src, h,
                     std::as_bytes(std::span<const std::uint64_t>(&s, 1)));
        }
        r.reply({});
    });
    job.ft().barrier(mpi_tools::ft::after(std::chrono::seconds(60)));

    int failures = 0;
    auto check = [&](bool ok, const char* what, long long a, long long b) {
        if (ok) return;
        if (++failures <= 5) std::printf("WAITER-TEST FAIL: %s (%lld, %lld)\n", what, a, b);
    };
    if (job.rank() == 0) {
        for (int i = 0; i < calls; ++i) {
            auto rep = tr.call(1, kCall, {}, mpi_tools::ft::after(std::chrono::seconds(30)));
            check(rep.err == 0, "call failed", i, rep.err);
            std::lock_guard lk(mu);
            // Everything rank 1 sent before its response has been handled by now.
            check(seen.size() == 4u * static_cast<unsigned>(i + 1), "handled before the response",
                  static_cast<long long>(seen.size()), 4LL * (i + 1));
        }
        std::lock_guard lk(mu);
        long long safe_on_waiter = 0;
        for (std::size_t k = 0; k < seen.size(); ++k) {
            check(seen[k].seq == k, "order", static_cast<long long>(seen[k].seq),
                  static_cast<long long>(k));
            check(seen[k].type == (k % 2 ? kUnsafe : kSafe), "type", seen[k].type,
                  static_cast<long long>(k));
            check(!(seen[k].type == kUnsafe && seen[k].on_waiter), "unsafe handler on the waiter",
                  static_cast<long long>(k), 0);
            safe_on_waiter += seen[k].type == kSafe && seen[k].on_waiter;
        }
        if (expect_assist)
            check(safe_on_waiter > 0, "no message was received by the waiting thread",
                  safe_on_waiter, 0);
        else
            check(safe_on_waiter == 0, "the waiting thread received with PFS_WAIT_ASSIST=0",
                  safe_on_waiter, 0);
        std::printf(
            "WAITER-TEST %s: %d calls, %zu messages, %lld of %zu assist-safe ones "
            "handled on the waiting thread\n",
            failures ? "FAIL" : "PASS", calls, seen.size(), safe_on_waiter, seen.size() / 2);
    }
    std::fflush(stdout);
    job.finish(failures ? 1 : 0);
}
