// Every message mpi_tools sends: one fixed header, then a payload. All message types of the
// control plane are declared here (values < 1000; the PFS and DMAPI layers declare theirs,
// >= 1000, in pfs/proto). The decoder validates before anything reads the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace mpi_tools::wire {

// Message types of mpi_tools itself.
enum class MsgType : std::uint16_t {
    // Failure detection and agreement (portable FT backend).
    heartbeat = 1,    // ring heartbeat to the successor
    fail_notice = 2,  // "these world ranks failed"; a rank that finds itself in it exits
    revoke = 3,       // revoke epoch e (body: the sender's failed set)
    propose = 4,      // agreement: participant -> coordinator (set, flag, decided)
    coord = 5,        // agreement: new coordinator asks "who already decided epoch e?"
    decide = 6,       // agreement: coordinator -> members (set, flag)
    // Failure-aware point-to-point collectives (on their own communicator).
    barrier_arrive = 20,
    barrier_release = 21,
    gather_part = 22,
    // Job lifecycle (mpi_tools::Job).
    job_done = 40,      // app rank -> leader: my exit code
    job_shutdown = 41,  // leader -> all: stop; body: exit code, failed set, reason
    job_shutdown_ack = 42,
    job_final = 43,  // leader -> all: the status file is written, finalize now
    job_abort = 44,  // any -> all: _exit(code) now
    // Request/response transport.
    ping = 60,  // health check: answered with pong by every rank's progress engine
    pong = 61,
    // "Are you still working on my request <header.id>?" and its answer (payload: one byte, 1 =
    // queued or running, 0 = unknown). Both on the rpc channel, so an answer "unknown" arrives
    // after the response it may have raced (MPI keeps one pair's order on one communicator).
    call_status = 62,
    call_status_reply = 63,
    kMaxControl = 999,
};

enum Flags : std::uint16_t {
    kRequest = 1u << 0,   // expects a response carrying the same id
    kResponse = 1u << 1,  // answers the request with this id
};

inline constexpr std::uint32_t kMagic = 0x31534650;  // "PFS1" little-endian
// Upper bound on one message; larger transfers are split by the sender. Protects receivers
// from allocating on a corrupt length field.
inline constexpr std::uint32_t kMaxPayload = 64u << 20;

struct Header {
    std::uint32_t magic = kMagic;
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    std::uint32_t epoch = 0;  // the sender's FT epoch; receivers drop older epochs
    std::int32_t src = -1;    // sender's world rank
    std::uint64_t id = 0;     // request id (requests and responses)
    std::uint32_t len = 0;    // payload bytes following the header
    std::uint32_t reserved = 0;
};
static_assert(sizeof(Header) == 32);

enum class DecodeError { ok, too_short, bad_magic, bad_length, bad_flags, bad_source };
const char* to_string(DecodeError e);

// Validates a received buffer; on success *h holds the header and the payload follows it.
DecodeError decode_header(std::span<const std::byte> buf, int mpi_source_world, Header* h);

// Writes h into the first sizeof(Header) bytes of `frame`, with the magic set and len covering
// the rest of the frame (the payload, already in place behind the header). The frame must be
// at least sizeof(Header) bytes and at most sizeof(Header) + kMaxPayload.
void put_header(const Header& h, std::span<std::byte> frame);

// Minimal bounded little-endian codec for control-message bodies. The reader never reads past
// the end; the first error sticks and every later read returns zero.
class Writer {
  public:
    explicit Writer(std::vector<std::byte>* out) : out_(out) {}
    template <typename T>
    void put(T v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        out_->insert(out_->end(), p, p + sizeof(T));
    }
    void put_ints(const std::vector<int>& v) {
        put<std::uint32_t>(static_cast<std::uint32_t>(v.size()));
        for (int x : v) put<std::int32_t>(x);
    }
    void put_string(const std::string& s) {
        put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        out_->insert(out_->end(), p, p + s.size());
    }

  private:
    std::vector<std::byte>* out_;
};

class Reader {
  public:
    explicit Reader(std::span<const std::byte> in) : in_(in) {}
    template <typename T>
    T get() {
        T v{};
        if (!ok_ || in_.size() - pos_ < sizeof(T)) {
            ok_ = false;
            return v;
        }
        std::memcpy(&v, in_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    // Ranks must lie in [0, max_rank); the count must fit in what is left.
    std::vector<int> get_ints(int max_rank) {
        auto n = get<std::uint32_t>();
        std::vector<int> v;
        if (!ok_ || n > (in_.size() - pos_) / sizeof(std::int32_t)) {
            ok_ = false;
            return v;
        }
        v.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            int x = get<std::int32_t>();
            if (x < 0 || x >= max_rank) ok_ = false;
            v.push_back(x);
        }
        return v;
    }
    std::string get_string(std::size_t max_len) {
        auto n = get<std::uint32_t>();
        if (!ok_ || n > max_len || n > in_.size() - pos_) {
            ok_ = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    bool ok() const { return ok_; }
    bool done() const { return ok_ && pos_ == in_.size(); }

  private:
    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace mpi_tools::wire
