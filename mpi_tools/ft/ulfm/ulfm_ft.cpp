#include "ulfm_ft.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace mpi_tools::ft {
namespace {
constexpr int kDetectTag = 4242;
}  // namespace

bool UlfmFt::active_in_this_run() {
#ifdef MPIX_FT
    int* value = nullptr;
    int flag = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPIX_FT, &value, &flag);
    return flag && value && *value == 1;
#else
    return false;  // cannot tell: use the portable backend
#endif
}

UlfmFt::UlfmFt(const Config& cfg, Engine& engine)
    : cfg_(cfg), engine_(engine), me_(engine.rank()), n_(engine.size()), failed_(n_) {
    for (int i = 0; i < n_; ++i) members_.push_back(i);
    MPI_Comm_dup(MPI_COMM_WORLD, &cur_);
    MPI_Comm_set_errhandler(cur_, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &detect_comm_);
    MPI_Comm_set_errhandler(detect_comm_, MPI_ERRORS_RETURN);
    engine_.set_failure_oracle([this](int r) { return is_failed(r); });
    FailureSet::serve_abort(engine_);
    engine_.add_poller([this] { poll_failures(); });
}

void UlfmFt::start(std::vector<int>, std::vector<std::uint64_t>) {
    detect_buf_ = new int[1];
    MPI_Irecv(detect_buf_, 1, MPI_INT, MPI_ANY_SOURCE, kDetectTag, detect_comm_, &detect_req_);
    detection_on_ = true;
}

std::vector<int> UlfmFt::acked_world_ranks(MPI_Comm c) {
    MPI_Group fg, wg;
    int nf = 0;
#if defined(OMPI_HAVE_MPIX_COMM_GET_FAILED) && OMPI_HAVE_MPIX_COMM_GET_FAILED
    // MPI-4 ULFM: the failed group only grows; acknowledge all of it.
    MPIX_Comm_get_failed(c, &fg);
    MPI_Group_size(fg, &nf);
    int acked = 0;
    MPIX_Comm_ack_failed(c, nf, &acked);
#else
    MPIX_Comm_failure_ack(c);
    MPIX_Comm_failure_get_acked(c, &fg);
    MPI_Group_size(fg, &nf);
#endif
    std::vector<int> local(static_cast<std::size_t>(nf)), world(static_cast<std::size_t>(nf));
    for (int i = 0; i < nf; ++i) local[static_cast<std::size_t>(i)] = i;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    MPI_Group_translate_ranks(fg, nf, local.data(), wg, world.data());
    MPI_Group_free(&fg);
    MPI_Group_free(&wg);
    return world;
}

void UlfmFt::poll_failures() {
    if (!detection_on_.load(std::memory_order_relaxed)) return;
    int flag = 0;
    MPI_Status st;
    int rc = MPI_Test(&detect_req_, &flag, &st);
    if (rc == MPI_SUCCESS) return;  // nobody ever sends on this tag: only errors complete it
    int cls = MPI_SUCCESS;
    MPI_Error_class(rc, &cls);
    if (cls == MPIX_ERR_PROC_FAILED_PENDING || cls == MPIX_ERR_PROC_FAILED) {
        for (int r : acked_world_ranks(detect_comm_)) mark_failed(r, "ulfm");
        if (cls == MPIX_ERR_PROC_FAILED) {  // the receive completed in error: post a new one
            detect_buf_ = new int[1];
            MPI_Irecv(detect_buf_, 1, MPI_INT, MPI_ANY_SOURCE, kDetectTag, detect_comm_,
                      &detect_req_);
        }
    }
}

void UlfmFt::mark_failed(int r, const std::string& how) {
    std::vector<FailureSet::Callback> cbs;
    if (r == me_ || !failed_.mark(r, how, &cbs)) return;
    for (auto& cb : cbs) cb(r, how);
}

bool UlfmFt::is_failed(int r) const {
    return failed_.contains(r);
}

std::vector<int> UlfmFt::failed() const {
    return failed_.sorted();
}

std::vector<FailureRecord> UlfmFt::failure_log() const {
    return failed_.log();
}

bool UlfmFt::failure_pending() const {
    std::lock_guard lk(mu_);
    for (int m : members_)
        if (failed_.contains(m)) return true;
    return false;
}

void UlfmFt::on_failure(std::function<void(int, const std::string&)> cb) {
    failed_.on_failure(std::move(cb));
}

// ULFM has no "declare this live rank failed"; a suspicion from above revokes so that every
// member stops and the next agreement settles who is really gone.
void UlfmFt::report_failure(int, const std::string&) {
    revoke();
}

void UlfmFt::revoke() {
    std::lock_guard lk(mu_);
    revoked_ = true;
    MPIX_Comm_revoke(cur_);
}

bool UlfmFt::is_revoked() const {
    std::lock_guard lk(mu_);
    int flag = 0;
    MPIX_Comm_is_revoked(cur_, &flag);
    return revoked_ || flag;
}

Rc UlfmFt::classify(int rc) const {
    if (rc == MPI_SUCCESS) return Rc::ok;
    int cls = MPI_SUCCESS;
    MPI_Error_class(rc, &cls);
    if (cls == MPIX_ERR_REVOKED) return Rc::revoked;
    return Rc::proc_failed;
}

Decision UlfmFt::agree(int flag) {
    MPI_Comm c;
    {
        std::lock_guard lk(mu_);
        c = cur_;
    }
    // The man page's idiom: acknowledge, agree, until the agreement raises no new failure; the
    // acknowledged group is then the same on every survivor.
    int f = flag;
    std::vector<int> world;
    for (;;) {
        world = acked_world_ranks(c);
        f = flag;
        if (MPIX_Comm_agree(c, &f) == MPI_SUCCESS) break;
    }
    for (int r : world) mark_failed(r, "agreement");
    std::sort(world.begin(), world.end());
    return Decision{world, f};
}

Decision UlfmFt::shrink() {
    Decision d = agree(1);
    MPI_Comm old, nc;
    {
        std::lock_guard lk(mu_);
        old = cur_;
    }
    MPIX_Comm_shrink(old, &nc);
    MPI_Comm_set_errhandler(nc, MPI_ERRORS_RETURN);
    MPI_Group ng, wg;
    MPI_Comm_group(nc, &ng);
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    int size = 0;
    MPI_Comm_size(nc, &size);
    std::vector<int> local(static_cast<std::size_t>(size)), world(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i) local[static_cast<std::size_t>(i)] = i;
    MPI_Group_translate_ranks(ng, size, local.data(), wg, world.data());
    MPI_Group_free(&ng);
    MPI_Group_free(&wg);
    std::lock_guard lk(mu_);
    // Members that left in the shrink are failed even if this rank had not seen them yet.
    for (int m : members_)
        if (std::find(world.begin(), world.end(), m) == world.end()) failed_.mark_silently(m);
    cur_ = nc;  // the old communicator is not freed: requests on it may be pending
    members_ = world;
    revoked_ = false;
    engine_.set_epoch(++epoch_);
    return d;
}

std::vector<int> UlfmFt::members() const {
    std::lock_guard lk(mu_);
    return members_;
}

std::uint32_t UlfmFt::epoch() const {
    std::lock_guard lk(mu_);
    return epoch_;
}

MPI_Comm UlfmFt::comm() {
    std::lock_guard lk(mu_);
    return cur_;
}

Rc UlfmFt::wait(MPI_Request* req, int peer, MPI_Status* st, Deadline dl) {
    for (;;) {
        int flag = 0;
        int rc = MPI_Test(req, &flag, st ? st : MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return classify(rc);
        if (flag) return Rc::ok;
        if (peer >= 0 ? is_failed(peer) : failure_pending()) return Rc::proc_failed;
        if (is_revoked()) return Rc::revoked;
        if (Clock::now() > dl) return Rc::timeout;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

Rc UlfmFt::barrier(Deadline dl) {
    MPI_Request req;
    MPI_Comm c = comm();
    int rc = MPI_Ibarrier(c, &req);
    if (rc != MPI_SUCCESS) return classify(rc);
    return wait(&req, -1, nullptr, dl);
}

Rc UlfmFt::gather(int root, std::span<const std::byte> mine,
                  std::vector<std::pair<int, std::vector<std::byte>>>* out, Deadline dl) {
    MPI_Comm c = comm();
    auto m = members();
    auto pos = [&](int w) {
        return static_cast<int>(std::find(m.begin(), m.end(), w) - m.begin());
    };
    const int root_local = pos(root);
    if (root_local == static_cast<int>(m.size())) return Rc::proc_failed;
    if (me_ != root) {
        auto* buf = new std::vector<std::byte>(mine.begin(), mine.end());  // kept if abandoned
        MPI_Request req;
        MPI_Isend(buf->data(), static_cast<int>(buf->size()), MPI_BYTE, root_local, 7, c, &req);
        Rc rc = wait(&req, root, nullptr, dl);
        if (rc == Rc::ok) delete buf;
        return rc;
    }
    out->clear();
    for (int w : m) {
        if (w == me_) {
            out->emplace_back(w, std::vector<std::byte>(mine.begin(), mine.end()));
            continue;
        }
        // Probe for the size, then receive; a failed sender is skipped.
        MPI_Message msg;
        MPI_Status st;
        for (;;) {
            int flag = 0;
            int rc = MPI_Improbe(pos(w), 7, c, &flag, &msg, &st);
            if (rc != MPI_SUCCESS || is_failed(w)) break;
            if (flag) {
                int count = 0;
                MPI_Get_count(&st, MPI_BYTE, &count);
                auto* buf = new std::vector<std::byte>(static_cast<std::size_t>(count));
                MPI_Request req;
                MPI_Imrecv(buf->data(), count, MPI_BYTE, &msg, &req);
                if (wait(&req, w, nullptr, dl) == Rc::ok) {
                    out->emplace_back(w, std::move(*buf));
                    delete buf;
                }
                break;
            }
            if (Clock::now() > dl) return Rc::timeout;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }
    return Rc::ok;
}

void UlfmFt::abort_all(int code) {
    failed_.abort_all(engine_, code);
}

}  // namespace mpi_tools::ft
