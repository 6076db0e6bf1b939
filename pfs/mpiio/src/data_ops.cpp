// PMPI wrappers of the data-transfer functions: explicit offset (_at), individual file pointer,
// collective (_all, _at_all), split collectives (_begin/_end), nonblocking (i*) and the
// shared-pointer family. Nonblocking calls hand out a generalized request (a real MPI_Request:
// MPI_Wait/Test/Waitall on mixed arrays work) that a thread completes: its own thread for an
// independent call, the file's collective worker (collective_queue.cpp) for an i*_all.
// MPI_Status is filled only through MPI_Status_set_elements_x and MPI_Status_set_cancelled.
// Shared-pointer calls claim their range with a fetch-and-add at the pointer's owner
// (shared_fp.cpp); the ordered calls claim all ranks' ranges at once.
#include <cstring>
#include <mutex>
#include <new>
#include <thread>

#include "driver.hpp"

using namespace pfs::mpiio;

namespace {

enum class Where { at, individual, shared, ordered };

void fill_status(MPI_Status* st, std::int64_t bytes) {
    if (st == MPI_STATUS_IGNORE || st == nullptr) return;
    PMPI_Status_set_elements_x(st, MPI_BYTE, bytes);
    PMPI_Status_set_cancelled(st, 0);
}

// Argument checks shared by every transfer. Returns an MPI error code.
int check_args(PfsFile& f, Where w, bool write, MPI_Offset off, const void* buf, int count,
               MPI_Datatype dt, std::shared_ptr<const Flat>* mem) {
    if (count < 0) return MPI_ERR_COUNT;
    int err = MPI_SUCCESS;
    *mem = flatten(dt, &err);
    if (!*mem) return MPI_ERR_TYPE;
    if (write && (f.amode & MPI_MODE_RDONLY)) return MPI_ERR_READ_ONLY;
    if (!write && (f.amode & MPI_MODE_WRONLY)) return MPI_ERR_ACCESS;
    if (w == Where::at && (f.amode & MPI_MODE_SEQUENTIAL)) return MPI_ERR_UNSUPPORTED_OPERATION;
    if (w == Where::at && off < 0) return MPI_ERR_ARG;
    if (buf == nullptr && count > 0 && (*mem)->size > 0) return MPI_ERR_BUFFER;
    std::lock_guard lk(f.mu);
    if ((static_cast<std::int64_t>(count) * (*mem)->size) % f.view.esize != 0) return MPI_ERR_TYPE;
    return MPI_SUCCESS;
}

// Fills *t with the user's buffer, count and flattened type, checks the arguments every
// transfer shares, and in an external32 view turns *t into a transfer of the converted stream
// (begin_conversion). Returns an MPI error code.
int prepare_transfer(PfsFile& f, Where w, bool write, MPI_Offset off, void* buf, int count,
                     MPI_Datatype dt, Transfer* t) {
    t->write = write;
    t->buf = buf;
    t->count = count;
    int rc = check_args(f, w, write, off, buf, count, dt, &t->mem);
    return rc == MPI_SUCCESS ? begin_conversion(f, dt, t) : rc;
}

// One transfer. Collective calls agree on argument errors before moving data, so a rank with
// bad arguments does not leave the others waiting in the exchange.
int transfer(PfsFile& f, Where w, bool write, bool coll, MPI_Offset off, void* buf, int count,
             MPI_Datatype dt, std::int64_t* bytes) {
    *bytes = 0;
    Transfer t;
    int rc = prepare_transfer(f, w, write, off, buf, count, dt, &t);
    // Plain collectives carry the argument verdict into io_collective's first exchange.
    if (coll && w != Where::ordered) {
        if (rc == MPI_SUCCESS) {
            std::lock_guard lk(f.mu);
            t.pos = w == Where::at ? off * f.view.esize : f.pos;
        }
        rc = io_collective(f, t, bytes, rc);
        if (rc == MPI_SUCCESS) rc = finish_conversion(t, bytes);
        if (rc == MPI_SUCCESS && w == Where::individual) {
            std::lock_guard lk(f.mu);
            f.pos = t.pos + *bytes / f.view.esize * f.view.esize;
        }
        return rc;
    }
    if (w == Where::ordered) rc = agree(f.comm, rc);
    if (rc != MPI_SUCCESS) return rc;
    {
        std::lock_guard lk(f.mu);
        if (w == Where::at)
            t.pos = off * f.view.esize;
        else if (w == Where::individual)
            t.pos = f.pos;
    }
    if (w == Where::shared) {
        // Claim the range at the shared pointer (one fetch-and-add at its owner).
        rc = shared_fp_op(f, FpOp::fetch_add, t.bytes(), &t.pos);
        if (rc != MPI_SUCCESS) return rc;
    }
    if (w == Where::ordered) {
        // Rank order from the shared pointer: rank 0 claims the total, the others their offset.
        std::int64_t mine = t.bytes(), before = 0, total = 0, base[2] = {0, MPI_SUCCESS};
        PMPI_Exscan(&mine, &before, 1, MPI_INT64_T, MPI_SUM, f.comm);
        if (f.rank == 0) before = 0;
        PMPI_Allreduce(&mine, &total, 1, MPI_INT64_T, MPI_SUM, f.comm);
        if (f.rank == 0) base[1] = shared_fp_op(f, FpOp::fetch_add, total, &base[0]);
        PMPI_Bcast(base, 2, MPI_INT64_T, 0, f.comm);
        if (base[1] != MPI_SUCCESS) return static_cast<int>(base[1]);
        t.pos = base[0] + before;
    }
    rc =
        w == Where::ordered ? io_collective(f, t, bytes, MPI_SUCCESS) : io_independent(f, t, bytes);
    if (rc == MPI_SUCCESS) rc = finish_conversion(t, bytes);
    if (w == Where::individual) {
        std::lock_guard lk(f.mu);
        f.pos = t.pos + *bytes / f.view.esize * f.view.esize;
    }
    return rc;
}

int sync_op(MPI_File fh, PfsFile& f, Where w, bool write, bool coll, MPI_Offset off, void* buf,
            int count, MPI_Datatype dt, MPI_Status* st) {
    if (coll) f.coll_queue.drain();  // earlier i*_all calls own f.comm until they are done
    std::int64_t bytes = 0;
    const int rc = transfer(f, w, write, coll, off, buf, count, dt, &bytes);
    if (rc == MPI_SUCCESS) fill_status(st, bytes);
    return raise_error(fh, rc);
}

// The outcome of a nonblocking transfer. The thread that did the transfer sets it under `mu`
// before MPI_Grequest_complete; query_fn, which MPI_Wait/MPI_Test run on the waiting thread
// before they return, reads it under `mu`. That lock pair orders the transfer's writes (into the
// user's buffer too) before everything the waiter does next, in the C++ memory model itself,
// not only through Open MPI's internal atomics (which TSan cannot see).
struct ReqState {
    std::mutex mu;
    int rc = MPI_SUCCESS;
    std::int64_t bytes = 0;
    void finish(int r, std::int64_t b) {
        std::lock_guard lk(mu);
        rc = r;
        bytes = b;
    }
};

int query_fn(void* extra, MPI_Status* st) {
    auto* s = static_cast<ReqState*>(extra);
    std::lock_guard lk(s->mu);
    PMPI_Status_set_elements_x(st, MPI_BYTE, s->bytes);
    PMPI_Status_set_cancelled(st, 0);
    st->MPI_SOURCE = MPI_UNDEFINED;
    st->MPI_TAG = MPI_UNDEFINED;
    // Older Open MPI releases ignore the return value and report only the status's error.
    st->MPI_ERROR = s->rc;
    return s->rc;
}
int free_fn(void* extra) {
    delete static_cast<ReqState*>(extra);
    return MPI_SUCCESS;
}
int cancel_fn(void*, int) {
    return MPI_SUCCESS;  // a transfer once started runs to its end: MPI_Cancel changes nothing
}

// A nonblocking call's position is taken when it starts, as MPI requires: an explicit offset,
// or the individual pointer, which moves at once by the requested amount.
void take_position(PfsFile& f, Where w, MPI_Offset off, Transfer* t) {
    std::lock_guard lk(f.mu);
    if (w == Where::at) {
        t->pos = off * f.view.esize;
    } else {
        t->pos = f.pos;
        f.pos += t->bytes() / f.view.esize * f.view.esize;
    }
}

// Independent nonblocking calls run on a thread of their own and complete the generalized
// request from there (MPI_THREAD_MULTIPLE, which the job runtime always provides), so the
// caller overlaps them with computation and with each other. The position is taken when the
// call starts, as MPI requires: the individual pointer moves by the requested amount, the shared
// pointer by a fetch-and-add.
int async_independent(MPI_File fh, const std::shared_ptr<PfsFile>& fp, Where w, bool write,
                      MPI_Offset off, void* buf, int count, MPI_Datatype dt, MPI_Request* req) {
    PfsFile& f = *fp;
    Transfer t;
    // Argument errors are reported by the call itself, I/O errors through the request.
    int rc = prepare_transfer(f, w, write, off, buf, count, dt, &t);
    if (rc != MPI_SUCCESS) return raise_error(fh, rc);
    if (w == Where::shared) {
        rc = shared_fp_op(f, FpOp::fetch_add, t.bytes(), &t.pos);
        if (rc != MPI_SUCCESS) return raise_error(fh, rc);
    } else {
        take_position(f, w, off, &t);
    }
    auto* s = new ReqState;
    int grc = PMPI_Grequest_start(query_fn, free_fn, cancel_fn, s, req);
    if (grc != MPI_SUCCESS) {
        delete s;
        return raise_error(fh, grc);
    }
    std::thread([fp, t, s, r = *req]() mutable {
        std::int64_t done = 0;
        int jrc = io_independent(*fp, t, &done);
        if (jrc == MPI_SUCCESS) jrc = finish_conversion(t, &done);
        s->finish(jrc, done);
        PMPI_Grequest_complete(r);
    }).detach();
    return MPI_SUCCESS;
}

// Nonblocking collectives (i*_all, i*_at_all): what MPI ties to the call is done here (the
// argument check, the position: the individual pointer moves by the requested amount, as for
// the independent calls), the rest (the agreement and the transfer, both on f.comm) is queued
// on the file's collective worker, which completes the request. So a rank may start one, then
// exchange messages with a rank that has not started it yet, and only then wait.
int async_collective(MPI_File fh, const std::shared_ptr<PfsFile>& fp, Where w, bool write,
                     MPI_Offset off, void* buf, int count, MPI_Datatype dt, MPI_Request* req) {
    PfsFile& f = *fp;
    Transfer t;
    int rc = prepare_transfer(f, w, write, off, buf, count, dt, &t);
    auto* s = new ReqState;
    if (rc == MPI_SUCCESS) rc = PMPI_Grequest_start(query_fn, free_fn, cancel_fn, s, req);
    if (rc != MPI_SUCCESS) {
        delete s;
        // This rank still takes its turn in the agreement (io_collective's first exchange), so
        // the other ranks' requests complete with the error, as the blocking call's would.
        f.coll_queue.push([fp, t, rc] {
            std::int64_t done = 0;
            (void)io_collective(*fp, t, &done, rc);
        });
        return raise_error(fh, rc);
    }
    take_position(f, w, off, &t);
    f.coll_queue.push([fp, t, s, r = *req] {
        std::int64_t done = 0;
        int jrc = MPI_ERR_INTERN;
        try {
            jrc = io_collective(*fp, t, &done, MPI_SUCCESS);
            if (jrc == MPI_SUCCESS) jrc = finish_conversion(t, &done);
        } catch (const std::bad_alloc&) {
            jrc = MPI_ERR_NO_MEM;
        } catch (...) {
            jrc = MPI_ERR_INTERN;
        }
        s->finish(jrc, jrc == MPI_SUCCESS ? done : 0);
        PMPI_Grequest_complete(r);
    });
    return MPI_SUCCESS;
}

int async_op(MPI_File fh, const std::shared_ptr<PfsFile>& fp, Where w, bool write, bool coll,
             MPI_Offset off, void* buf, int count, MPI_Datatype dt, MPI_Request* req) {
    return coll ? async_collective(fh, fp, w, write, off, buf, count, dt, req)
                : async_independent(fh, fp, w, write, off, buf, count, dt, req);
}

int split_begin(MPI_File fh, PfsFile& f, Where w, bool write, MPI_Offset off, void* buf, int count,
                MPI_Datatype dt) {
    f.coll_queue.drain();
    {
        std::lock_guard lk(f.mu);
        if (f.split_active) return raise_error(fh, MPI_ERR_IO);  // one split at a time
    }
    std::int64_t bytes = 0;
    const int rc = transfer(f, w, write, true, off, buf, count, dt, &bytes);
    std::lock_guard lk(f.mu);
    f.split_active = true;
    f.split_rc = rc;
    f.split_bytes = bytes;
    return MPI_SUCCESS;
}

int split_end(MPI_File fh, PfsFile& f, MPI_Status* st) {
    int rc = MPI_SUCCESS;
    std::int64_t bytes = 0;
    {
        std::lock_guard lk(f.mu);
        if (!f.split_active) return raise_error(fh, MPI_ERR_IO);  // no matching _begin
        f.split_active = false;
        rc = f.split_rc;
        bytes = f.split_bytes;
    }
    if (rc == MPI_SUCCESS) fill_status(st, bytes);
    return raise_error(fh, rc);
}

#define PFS_DISPATCH(fh, f, passthrough)                     \
    std::shared_ptr<PfsFile> f;                              \
    switch (lookup(fh, &f)) {                                \
        case Lookup::not_ours:                               \
            return passthrough;                              \
        case Lookup::closed:                                 \
            return raise_error(MPI_FILE_NULL, MPI_ERR_FILE); \
        case Lookup::open:                                   \
            break;                                           \
    }

}  // namespace

extern "C" {

// ---- explicit offsets ---------------------------------------------------------------------------
int MPI_File_read_at(MPI_File fh, MPI_Offset o, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_at(fh, o, b, n, t, s));
    return sync_op(fh, *f, Where::at, false, false, o, b, n, t, s);
}
int MPI_File_write_at(MPI_File fh, MPI_Offset o, const void* b, int n, MPI_Datatype t,
                      MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_at(fh, o, b, n, t, s));
    return sync_op(fh, *f, Where::at, true, false, o, const_cast<void*>(b), n, t, s);
}
int MPI_File_read_at_all(MPI_File fh, MPI_Offset o, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_at_all(fh, o, b, n, t, s));
    return sync_op(fh, *f, Where::at, false, true, o, b, n, t, s);
}
int MPI_File_write_at_all(MPI_File fh, MPI_Offset o, const void* b, int n, MPI_Datatype t,
                          MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_at_all(fh, o, b, n, t, s));
    return sync_op(fh, *f, Where::at, true, true, o, const_cast<void*>(b), n, t, s);
}
int MPI_File_iread_at(MPI_File fh, MPI_Offset o, void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iread_at(fh, o, b, n, t, r));
    return async_op(fh, f, Where::at, false, false, o, b, n, t, r);
}
int MPI_File_iwrite_at(MPI_File fh, MPI_Offset o, const void* b, int n, MPI_Datatype t,
                       MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iwrite_at(fh, o, b, n, t, r));
    return async_op(fh, f, Where::at, true, false, o, const_cast<void*>(b), n, t, r);
}
int MPI_File_iread_at_all(MPI_File fh, MPI_Offset o, void* b, int n, MPI_Datatype t,
                          MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iread_at_all(fh, o, b, n, t, r));
    return async_op(fh, f, Where::at, false, true, o, b, n, t, r);
}
int MPI_File_iwrite_at_all(MPI_File fh, MPI_Offset o, const void* b, int n, MPI_Datatype t,
                           MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iwrite_at_all(fh, o, b, n, t, r));
    return async_op(fh, f, Where::at, true, true, o, const_cast<void*>(b), n, t, r);
}

// ---- individual file pointer --------------------------------------------------------------------
int MPI_File_read(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read(fh, b, n, t, s));
    return sync_op(fh, *f, Where::individual, false, false, 0, b, n, t, s);
}
int MPI_File_write(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write(fh, b, n, t, s));
    return sync_op(fh, *f, Where::individual, true, false, 0, const_cast<void*>(b), n, t, s);
}
int MPI_File_read_all(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_all(fh, b, n, t, s));
    return sync_op(fh, *f, Where::individual, false, true, 0, b, n, t, s);
}
int MPI_File_write_all(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_all(fh, b, n, t, s));
    return sync_op(fh, *f, Where::individual, true, true, 0, const_cast<void*>(b), n, t, s);
}
int MPI_File_iread(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iread(fh, b, n, t, r));
    return async_op(fh, f, Where::individual, false, false, 0, b, n, t, r);
}
int MPI_File_iwrite(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iwrite(fh, b, n, t, r));
    return async_op(fh, f, Where::individual, true, false, 0, const_cast<void*>(b), n, t, r);
}
int MPI_File_iread_all(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iread_all(fh, b, n, t, r));
    return async_op(fh, f, Where::individual, false, true, 0, b, n, t, r);
}
int MPI_File_iwrite_all(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iwrite_all(fh, b, n, t, r));
    return async_op(fh, f, Where::individual, true, true, 0, const_cast<void*>(b), n, t, r);
}

// ---- split collectives
// ----------------------------------------------------------------------------
int MPI_File_read_at_all_begin(MPI_File fh, MPI_Offset o, void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_read_at_all_begin(fh, o, b, n, t));
    return split_begin(fh, *f, Where::at, false, o, b, n, t);
}
int MPI_File_read_at_all_end(MPI_File fh, void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_at_all_end(fh, b, s));
    return split_end(fh, *f, s);
}
int MPI_File_write_at_all_begin(MPI_File fh, MPI_Offset o, const void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_write_at_all_begin(fh, o, b, n, t));
    return split_begin(fh, *f, Where::at, true, o, const_cast<void*>(b), n, t);
}
int MPI_File_write_at_all_end(MPI_File fh, const void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_at_all_end(fh, b, s));
    return split_end(fh, *f, s);
}
int MPI_File_read_all_begin(MPI_File fh, void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_read_all_begin(fh, b, n, t));
    return split_begin(fh, *f, Where::individual, false, 0, b, n, t);
}
int MPI_File_read_all_end(MPI_File fh, void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_all_end(fh, b, s));
    return split_end(fh, *f, s);
}
int MPI_File_write_all_begin(MPI_File fh, const void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_write_all_begin(fh, b, n, t));
    return split_begin(fh, *f, Where::individual, true, 0, const_cast<void*>(b), n, t);
}
int MPI_File_write_all_end(MPI_File fh, const void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_all_end(fh, b, s));
    return split_end(fh, *f, s);
}

// ---- shared file pointer ------------------------------------------------------------------------
int MPI_File_read_shared(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_shared(fh, b, n, t, s));
    return sync_op(fh, *f, Where::shared, false, false, 0, b, n, t, s);
}
int MPI_File_write_shared(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_shared(fh, b, n, t, s));
    return sync_op(fh, *f, Where::shared, true, false, 0, const_cast<void*>(b), n, t, s);
}
int MPI_File_iread_shared(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iread_shared(fh, b, n, t, r));
    return async_op(fh, f, Where::shared, false, false, 0, b, n, t, r);
}
int MPI_File_iwrite_shared(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Request* r) {
    PFS_DISPATCH(fh, f, PMPI_File_iwrite_shared(fh, b, n, t, r));
    return async_op(fh, f, Where::shared, true, false, 0, const_cast<void*>(b), n, t, r);
}
int MPI_File_read_ordered(MPI_File fh, void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_ordered(fh, b, n, t, s));
    return sync_op(fh, *f, Where::ordered, false, true, 0, b, n, t, s);
}
int MPI_File_write_ordered(MPI_File fh, const void* b, int n, MPI_Datatype t, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_ordered(fh, b, n, t, s));
    return sync_op(fh, *f, Where::ordered, true, true, 0, const_cast<void*>(b), n, t, s);
}
int MPI_File_read_ordered_begin(MPI_File fh, void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_read_ordered_begin(fh, b, n, t));
    return split_begin(fh, *f, Where::ordered, false, 0, b, n, t);
}
int MPI_File_read_ordered_end(MPI_File fh, void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_read_ordered_end(fh, b, s));
    return split_end(fh, *f, s);
}
int MPI_File_write_ordered_begin(MPI_File fh, const void* b, int n, MPI_Datatype t) {
    PFS_DISPATCH(fh, f, PMPI_File_write_ordered_begin(fh, b, n, t));
    return split_begin(fh, *f, Where::ordered, true, 0, const_cast<void*>(b), n, t);
}
int MPI_File_write_ordered_end(MPI_File fh, const void* b, MPI_Status* s) {
    PFS_DISPATCH(fh, f, PMPI_File_write_ordered_end(fh, b, s));
    return split_end(fh, *f, s);
}

}  // extern "C"
