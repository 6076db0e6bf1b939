// PMPI wrappers of the MPI_File functions that are not data transfers: open/close/delete, size,
// info and hints, views, pointers, atomicity, sync. A handle that is not a pfs: file goes to
// the real PMPI_File_* untouched; a pfs: handle that was closed gives MPI_ERR_FILE. The
// collective ones first drain the file's queue of nonblocking collectives (data_ops.cpp): the
// communicator is the worker's until the earlier i*_all calls are done.
#include <fcntl.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "driver.hpp"
#include "pfs/client/client.hpp"

using namespace pfs::mpiio;

namespace {

constexpr const char* kPrefix = "pfs:";

int check_amode(int amode) {
    const int access = amode & (MPI_MODE_RDONLY | MPI_MODE_WRONLY | MPI_MODE_RDWR);
    const int known = MPI_MODE_RDONLY | MPI_MODE_WRONLY | MPI_MODE_RDWR | MPI_MODE_CREATE |
                      MPI_MODE_EXCL | MPI_MODE_DELETE_ON_CLOSE | MPI_MODE_UNIQUE_OPEN |
                      MPI_MODE_SEQUENTIAL | MPI_MODE_APPEND;
    if (amode & ~known) return MPI_ERR_AMODE;
    if (access != MPI_MODE_RDONLY && access != MPI_MODE_WRONLY && access != MPI_MODE_RDWR)
        return MPI_ERR_AMODE;
    if ((amode & MPI_MODE_RDONLY) && (amode & (MPI_MODE_CREATE | MPI_MODE_EXCL)))
        return MPI_ERR_AMODE;
    if ((amode & MPI_MODE_RDWR) && (amode & MPI_MODE_SEQUENTIAL)) return MPI_ERR_AMODE;
    return MPI_SUCCESS;
}

std::string pfs_path(const char* name) {
    std::string p(name + std::strlen(kPrefix));
    if (p.empty() || p[0] != '/') p.insert(p.begin(), '/');
    return p;
}

// Returns the errhandler-raised code for a stale pfs: handle, or -1 when fh is usable.
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

pfs::client::Client* client_or(int* rc) {
    int err = MPI_SUCCESS;
    pfs::client::Client* c = get_client(&err);
    if (c == nullptr && *rc == MPI_SUCCESS) *rc = err;
    return c;
}

int open_pfs(MPI_Comm comm, const char* name, int amode, MPI_Info info, MPI_File* fh) {
    int inter = 0;
    if (comm == MPI_COMM_NULL || PMPI_Comm_test_inter(comm, &inter) != MPI_SUCCESS || inter)
        return raise_error(MPI_FILE_NULL, MPI_ERR_COMM);
    // A local check before anything collective: every compute rank of such a communicator
    // fails the same way at once, instead of waiting forever for the server ranks.
    if (!comm_is_app_only(comm)) {
        std::fprintf(stderr,
                     "pfs-mpiio: MPI_File_open(\"%s\"): the communicator holds PFS server ranks "
                     "(MPI_COMM_WORLD of a PFS job?); use the application communicator\n",
                     name);
        return raise_error(MPI_FILE_NULL, MPI_ERR_COMM);
    }
    MPI_Comm dup = MPI_COMM_NULL;
    if (PMPI_Comm_dup(comm, &dup) != MPI_SUCCESS) return raise_error(MPI_FILE_NULL, MPI_ERR_COMM);
    PMPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    int rank = 0, size = 1;
    PMPI_Comm_rank(dup, &rank);
    PMPI_Comm_size(dup, &size);
    const std::string path = pfs_path(name);
    int rc = check_amode(amode);
    pfs::client::Client* c = client_or(&rc);
    rc = agree(dup, rc);
    if (rc != MPI_SUCCESS) {
        PMPI_Comm_free(&dup);
        return raise_error(MPI_FILE_NULL, rc);
    }
    auto f = std::make_shared<PfsFile>();
    f->comm = dup;
    f->rank = rank;
    f->nprocs = size;
    f->amode = amode;
    f->path = path;
    f->delete_on_close = (amode & MPI_MODE_DELETE_ON_CLOSE) != 0;
    f->hints.apply(info);
    int flags = (amode & MPI_MODE_RDONLY)   ? O_RDONLY
                : (amode & MPI_MODE_WRONLY) ? O_WRONLY
                                            : O_RDWR;
    // Rank 0 creates (so O_EXCL means "exists before this open" for the whole communicator),
    // then the others open what it created.
    if (rank == 0) {
        int cflags = flags;
        if (amode & MPI_MODE_CREATE) cflags |= O_CREAT | ((amode & MPI_MODE_EXCL) ? O_EXCL : 0);
        pfs::LayoutHint lh;
        lh.stripe_size = f->hints.striping_unit;
        lh.stripe_count = f->hints.striping_factor;
        auto r = c->open(path, cflags, 0644, lh);
        if (r)
            f->fd = *r;
        else
            rc = client_error_code(r.error());
    }
    rc = agree(dup, rc);  // rank 0's create: the same verdict everywhere
    if (rc == MPI_SUCCESS) {
        int lrc = MPI_SUCCESS;
        if (rank != 0) {
            auto r = c->open(path, flags);
            if (r)
                f->fd = *r;
            else
                lrc = client_error_code(r.error());
        }
        rc = agree(dup, lrc);
    }
    if (rc == MPI_SUCCESS) rc = acquire_handle(&f->handle);
    rc = agree(dup, rc);
    if (rc != MPI_SUCCESS) {
        if (f->fd >= 0) (void)c->close(f->fd);
        if (f->handle != MPI_FILE_NULL) PMPI_File_close(&f->handle);
        PMPI_Comm_free(&dup);
        return raise_error(MPI_FILE_NULL, rc);
    }
    set_default_view(f->view);
    if (amode & MPI_MODE_APPEND) {
        auto a = c->fstat(f->fd);
        if (a) f->pos = static_cast<std::int64_t>(a->size);
    }
    // The shared file pointer: a counter on comm rank 0 (APPEND: at the end of file).
    std::int64_t init = f->pos;
    PMPI_Bcast(&init, 1, MPI_INT64_T, 0, dup);
    if (rank == 0) {
        f->fp_id = shared_fp_create(init);
        range_locks_create(f->fp_id);  // atomic mode's lock table (empty until used)
    }
    PMPI_Bcast(&f->fp_id, 1, MPI_UINT64_T, 0, dup);
    {
        MPI_Group g, world;
        PMPI_Comm_group(dup, &g);
        PMPI_Comm_group(MPI_COMM_WORLD, &world);
        int zero = 0;
        PMPI_Group_translate_ranks(g, 1, &zero, world, &f->fp_owner);
        PMPI_Group_free(&g);
        PMPI_Group_free(&world);
    }
    register_file(f);
    *fh = f->handle;
    return MPI_SUCCESS;
}

}  // namespace

extern "C" {

int MPI_File_open(MPI_Comm comm, const char* filename, int amode, MPI_Info info, MPI_File* fh) {
    comm = pfs::mpiio::detail::app_world(comm, __builtin_return_address(0));
    if (filename == nullptr || std::strncmp(filename, kPrefix, std::strlen(kPrefix)) != 0)
        return PMPI_File_open(comm, filename, amode, info, fh);
    if (fh == nullptr) return raise_error(MPI_FILE_NULL, MPI_ERR_ARG);
    return open_pfs(comm, filename, amode, info, fh);
}

int MPI_File_close(MPI_File* fh) {
    if (fh == nullptr) return PMPI_File_close(fh);
    PFS_DISPATCH(*fh, f, PMPI_File_close(fh));
    f->coll_queue.stop();  // pending i*_all calls (only an erroneous program has any) go first
    int rc = MPI_SUCCESS;
    pfs::client::Client* c = client_or(&rc);
    range_unlock_all(*f);  // locks this rank still holds (none unless requests are pending)
    if (c != nullptr) {
        auto r = c->close(f->fd);
        if (!r) rc = client_error_code(r.error());
    }
    rc = agree(f->comm, rc);
    if (f->rank == 0) {  // every rank is done with them: close agreed
        shared_fp_destroy(f->fp_id);
        range_locks_destroy(f->fp_id);
    }
    if (f->delete_on_close && f->rank == 0 && c != nullptr) (void)c->unlink(f->path);
    if (f->delete_on_close) PMPI_Barrier(f->comm);
    {
        std::lock_guard lk(f->mu);
        release_view(f->view);
    }
    PMPI_Comm_free(&f->comm);
    retire_file(f);
    *fh = MPI_FILE_NULL;
    return raise_error(MPI_FILE_NULL, rc);
}

int MPI_File_delete(const char* filename, MPI_Info info) {
    if (filename == nullptr || std::strncmp(filename, kPrefix, std::strlen(kPrefix)) != 0)
        return PMPI_File_delete(filename, info);
    int rc = MPI_SUCCESS;
    pfs::client::Client* c = client_or(&rc);
    if (c != nullptr) {
        auto r = c->unlink(pfs_path(filename));
        if (!r) rc = client_error_code(r.error());
    }
    return raise_error(MPI_FILE_NULL, rc);
}

int MPI_File_get_size(MPI_File fh, MPI_Offset* size) {
    PFS_DISPATCH(fh, f, PMPI_File_get_size(fh, size));
    int rc = MPI_SUCCESS;
    pfs::client::Client* c = client_or(&rc);
    if (c != nullptr) {
        auto a = c->fstat(f->fd);
        if (a)
            *size = static_cast<MPI_Offset>(a->size);
        else
            rc = client_error_code(a.error());
    }
    return raise_error(fh, rc);
}

int MPI_File_set_size(MPI_File fh, MPI_Offset size) {
    PFS_DISPATCH(fh, f, PMPI_File_set_size(fh, size));
    f->coll_queue.drain();
    int rc = size < 0 ? MPI_ERR_ARG : MPI_SUCCESS;
    if (rc == MPI_SUCCESS && (f->amode & MPI_MODE_RDONLY)) rc = MPI_ERR_READ_ONLY;
    pfs::client::Client* c = client_or(&rc);
    MPI_Offset s0 = size;
    PMPI_Bcast(&s0, 1, MPI_OFFSET, 0, f->comm);
    if (rc == MPI_SUCCESS && s0 != size) rc = MPI_ERR_ARG;  // ranks disagree on the size
    rc = agree(f->comm, rc);
    if (rc == MPI_SUCCESS && f->rank == 0) {
        auto r = c->ftruncate(f->fd, size);
        if (!r) rc = client_error_code(r.error());
    }
    return raise_error(fh, agree(f->comm, rc));
}

int MPI_File_preallocate(MPI_File fh, MPI_Offset size) {
    PFS_DISPATCH(fh, f, PMPI_File_preallocate(fh, size));
    f->coll_queue.drain();
    int rc = size < 0 ? MPI_ERR_ARG : MPI_SUCCESS;
    if (rc == MPI_SUCCESS && (f->amode & MPI_MODE_RDONLY)) rc = MPI_ERR_READ_ONLY;
    pfs::client::Client* c = client_or(&rc);
    rc = agree(f->comm, rc);
    if (rc == MPI_SUCCESS && f->rank == 0) {
        // PFS objects are sparse: preallocation guarantees the size, not reserved blocks.
        auto a = c->fstat(f->fd);
        if (!a)
            rc = client_error_code(a.error());
        else if (static_cast<MPI_Offset>(a->size) < size) {
            auto r = c->ftruncate(f->fd, size);
            if (!r) rc = client_error_code(r.error());
        }
    }
    return raise_error(fh, agree(f->comm, rc));
}

int MPI_File_get_group(MPI_File fh, MPI_Group* group) {
    PFS_DISPATCH(fh, f, PMPI_File_get_group(fh, group));
    return raise_error(fh, PMPI_Comm_group(f->comm, group));
}

int MPI_File_get_amode(MPI_File fh, int* amode) {
    PFS_DISPATCH(fh, f, PMPI_File_get_amode(fh, amode));
    *amode = f->amode;
    return MPI_SUCCESS;
}

int MPI_File_set_info(MPI_File fh, MPI_Info info) {
    PFS_DISPATCH(fh, f, PMPI_File_set_info(fh, info));
    f->coll_queue.drain();  // queued i*_all calls keep the hints they were started with
    std::lock_guard lk(f->mu);
    f->hints.apply(info);
    return MPI_SUCCESS;
}

int MPI_File_get_info(MPI_File fh, MPI_Info* info) {
    PFS_DISPATCH(fh, f, PMPI_File_get_info(fh, info));
    int err = MPI_SUCCESS;
    pfs::client::Client* c = get_client(&err);
    const int servers = c ? static_cast<int>(c->data_servers()) : 1;
    std::lock_guard lk(f->mu);
    *info = f->hints.to_info(std::min(servers, f->nprocs));
    return MPI_SUCCESS;
}

int MPI_File_set_view(MPI_File fh, MPI_Offset disp, MPI_Datatype etype, MPI_Datatype filetype,
                      const char* datarep, MPI_Info info) {
    PFS_DISPATCH(fh, f, PMPI_File_set_view(fh, disp, etype, filetype, datarep, info));
    f->coll_queue.drain();  // queued i*_all calls keep the view they were started in
    int rc = MPI_SUCCESS;
    const bool seq = (f->amode & MPI_MODE_SEQUENTIAL) != 0;
    if (disp == MPI_DISPLACEMENT_CURRENT) {
        if (!seq) rc = MPI_ERR_ARG;
        std::int64_t sp = 0;
        if (rc == MPI_SUCCESS) rc = shared_fp_op(*f, FpOp::fetch_add, 0, &sp);
        std::lock_guard lk(f->mu);
        auto segs = map_view(f->view, sp, 1);
        disp = segs.empty() ? f->view.disp : segs.front().off;
    } else if (disp < 0) {
        rc = MPI_ERR_ARG;
    }
    int e1 = MPI_SUCCESS, e2 = MPI_SUCCESS;
    auto ef = flatten(etype, &e1);
    auto ft = flatten(filetype, &e2);
    if (rc == MPI_SUCCESS && (!ef || !ft)) rc = MPI_ERR_TYPE;
    if (rc == MPI_SUCCESS && (ef->size <= 0 || ft->size <= 0)) rc = MPI_ERR_TYPE;
    if (rc == MPI_SUCCESS && ft->size % ef->size != 0) rc = MPI_ERR_ARG;
    // MPI: etype and filetype displacements must be non-negative and monotonically
    // non-decreasing (which also rules out overlap).
    if (rc == MPI_SUCCESS && (!ft->nonneg || !ft->monotonic || !ef->nonneg || !ef->monotonic))
        rc = MPI_ERR_TYPE;
    // Tiles whose data reaches into the next tile (an extent shorter than the data, e.g.
    // HDF5's chunked-dataset filetypes with a sticky lower bound) are accepted: MPI only makes
    // overlapping *accesses* erroneous, and such views are used for a single tile.
    if (rc == MPI_SUCCESS && !datarep_supported(datarep, *ef, *ft))
        rc = MPI_ERR_UNSUPPORTED_DATAREP;
    rc = agree(f->comm, rc);
    if (rc != MPI_SUCCESS) return raise_error(fh, rc);
    std::unique_lock lk(f->mu);
    release_view(f->view);
    View& v = f->view;
    v.disp = disp;
    v.datarep = datarep;
    v.esize = ef->size;
    v.ft = ft;
    int ni = 0, na = 0, nt = 0, comb = 0;
    PMPI_Type_get_envelope(etype, &ni, &na, &nt, &comb);
    if (comb == MPI_COMBINER_NAMED)
        v.etype = etype;
    else
        PMPI_Type_dup(etype, &v.etype);
    PMPI_Type_get_envelope(filetype, &ni, &na, &nt, &comb);
    if (comb == MPI_COMBINER_NAMED)
        v.filetype = filetype;
    else
        PMPI_Type_dup(filetype, &v.filetype);
    v.prefix.assign(1, 0);
    for (const Block& b : ft->blocks) v.prefix.push_back(v.prefix.back() + b.len);
    f->pos = 0;
    f->hints.apply(info);
    lk.unlock();
    // The shared pointer restarts at 0 in the new view; nobody uses it before all ranks left
    // set_view (the barrier), so no rank's *_shared call can race the reset.
    std::int64_t old = 0;
    if (f->rank == 0) (void)shared_fp_op(*f, FpOp::set, 0, &old);
    PMPI_Barrier(f->comm);
    return MPI_SUCCESS;
}

int MPI_File_get_view(MPI_File fh, MPI_Offset* disp, MPI_Datatype* etype, MPI_Datatype* filetype,
                      char* datarep) {
    PFS_DISPATCH(fh, f, PMPI_File_get_view(fh, disp, etype, filetype, datarep));
    std::lock_guard lk(f->mu);
    *disp = f->view.disp;
    auto ret = [](MPI_Datatype t, MPI_Datatype* out) {
        int ni = 0, na = 0, nt = 0, comb = 0;
        PMPI_Type_get_envelope(t, &ni, &na, &nt, &comb);
        if (comb == MPI_COMBINER_NAMED)
            *out = t;
        else
            PMPI_Type_dup(t, out);  // "new handles": the caller frees them
    };
    ret(f->view.etype, etype);
    ret(f->view.filetype, filetype);
    std::strncpy(datarep, f->view.datarep.c_str(), MPI_MAX_DATAREP_STRING - 1);
    datarep[MPI_MAX_DATAREP_STRING - 1] = '\0';
    return MPI_SUCCESS;
}

int MPI_File_seek(MPI_File fh, MPI_Offset offset, int whence) {
    PFS_DISPATCH(fh, f, PMPI_File_seek(fh, offset, whence));
    if (f->amode & MPI_MODE_SEQUENTIAL) return raise_error(fh, MPI_ERR_UNSUPPORTED_OPERATION);
    std::int64_t base = 0;
    if (whence == MPI_SEEK_CUR) {
        std::lock_guard lk(f->mu);
        base = f->pos / f->view.esize;
    } else if (whence == MPI_SEEK_END) {
        int rc = MPI_SUCCESS;
        pfs::client::Client* c = client_or(&rc);
        if (c == nullptr) return raise_error(fh, rc);
        auto a = c->fstat(f->fd);
        if (!a) return raise_error(fh, client_error_code(a.error()));
        std::lock_guard lk(f->mu);
        base = view_bytes_before(f->view, static_cast<std::int64_t>(a->size)) / f->view.esize;
    } else if (whence != MPI_SEEK_SET) {
        return raise_error(fh, MPI_ERR_ARG);
    }
    if (base + offset < 0) return raise_error(fh, MPI_ERR_ARG);
    std::lock_guard lk(f->mu);
    f->pos = (base + offset) * f->view.esize;
    return MPI_SUCCESS;
}

int MPI_File_get_position(MPI_File fh, MPI_Offset* offset) {
    PFS_DISPATCH(fh, f, PMPI_File_get_position(fh, offset));
    std::lock_guard lk(f->mu);
    *offset = f->pos / f->view.esize;
    return MPI_SUCCESS;
}

int MPI_File_get_byte_offset(MPI_File fh, MPI_Offset offset, MPI_Offset* disp) {
    PFS_DISPATCH(fh, f, PMPI_File_get_byte_offset(fh, offset, disp));
    if (offset < 0) return raise_error(fh, MPI_ERR_ARG);
    std::lock_guard lk(f->mu);
    auto segs = map_view(f->view, offset * f->view.esize, 1);
    *disp = segs.empty() ? f->view.disp : segs.front().off;
    return MPI_SUCCESS;
}

int MPI_File_get_type_extent(MPI_File fh, MPI_Datatype datatype, MPI_Aint* extent) {
    PFS_DISPATCH(fh, f, PMPI_File_get_type_extent(fh, datatype, extent));
    MPI_Aint lb = 0;
    const int rc = PMPI_Type_get_extent(datatype, &lb, extent);  // native representation
    return raise_error(fh, rc == MPI_SUCCESS ? rc : MPI_ERR_TYPE);
}

int MPI_File_set_atomicity(MPI_File fh, int flag) {
    PFS_DISPATCH(fh, f, PMPI_File_set_atomicity(fh, flag));
    f->coll_queue.drain();
    int mm[2] = {flag ? 1 : 0, flag ? -1 : 0};
    PMPI_Allreduce(MPI_IN_PLACE, mm, 2, MPI_INT, MPI_MAX, f->comm);
    const int rc = mm[0] == -mm[1] ? MPI_SUCCESS : MPI_ERR_ARG;  // every rank the same flag
    if (rc == MPI_SUCCESS) {
        std::lock_guard lk(f->mu);
        f->atomic = flag != 0;
    }
    return raise_error(fh, rc);
}

int MPI_File_get_atomicity(MPI_File fh, int* flag) {
    PFS_DISPATCH(fh, f, PMPI_File_get_atomicity(fh, flag));
    std::lock_guard lk(f->mu);
    *flag = f->atomic ? 1 : 0;
    return MPI_SUCCESS;
}

int MPI_File_sync(MPI_File fh) {
    PFS_DISPATCH(fh, f, PMPI_File_sync(fh));
    f->coll_queue.drain();
    int rc = MPI_SUCCESS;
    pfs::client::Client* c = client_or(&rc);
    // Writes are on the servers when they return; after the agreement (a barrier) one fsync
    // makes every rank's data durable on every data server of the file.
    rc = agree(f->comm, rc);
    if (rc == MPI_SUCCESS && f->rank == 0) {
        auto r = c->fsync(f->fd);
        if (!r) rc = client_error_code(r.error());
    }
    return raise_error(fh, agree(f->comm, rc));
}

int MPI_File_seek_shared(MPI_File fh, MPI_Offset offset, int whence) {
    PFS_DISPATCH(fh, f, PMPI_File_seek_shared(fh, offset, whence));
    f->coll_queue.drain();
    std::int64_t base = 0, esize = 1;
    int rc = MPI_SUCCESS;
    {
        std::lock_guard lk(f->mu);
        esize = f->view.esize;
    }
    if (whence == MPI_SEEK_CUR) {
        rc = shared_fp_op(*f, FpOp::fetch_add, 0, &base);
        base /= esize;
    } else if (whence == MPI_SEEK_END) {
        pfs::client::Client* c = client_or(&rc);
        if (c != nullptr) {
            auto a = c->fstat(f->fd);
            if (!a)
                rc = client_error_code(a.error());
            else {
                std::lock_guard lk(f->mu);
                base =
                    view_bytes_before(f->view, static_cast<std::int64_t>(a->size)) / f->view.esize;
            }
        }
    } else if (whence != MPI_SEEK_SET) {
        rc = MPI_ERR_ARG;
    }
    if (rc == MPI_SUCCESS && base + offset < 0) rc = MPI_ERR_ARG;
    MPI_Offset o0 = base + offset;
    PMPI_Bcast(&o0, 1, MPI_OFFSET, 0, f->comm);
    if (rc == MPI_SUCCESS && o0 != base + offset) rc = MPI_ERR_ARG;
    // Everyone read the old value before the owner changes it; nobody moves it before all
    // ranks know the seek is done.
    rc = agree(f->comm, rc);
    if (rc == MPI_SUCCESS && f->rank == 0) {
        std::int64_t old = 0;
        rc = shared_fp_op(*f, FpOp::set, o0 * esize, &old);
    }
    return raise_error(fh, agree(f->comm, rc));
}

int MPI_File_get_position_shared(MPI_File fh, MPI_Offset* offset) {
    PFS_DISPATCH(fh, f, PMPI_File_get_position_shared(fh, offset));
    std::int64_t sp = 0;
    const int rc = shared_fp_op(*f, FpOp::fetch_add, 0, &sp);
    if (rc != MPI_SUCCESS) return raise_error(fh, rc);
    std::lock_guard lk(f->mu);
    *offset = sp / f->view.esize;
    return MPI_SUCCESS;
}

}  // extern "C"
