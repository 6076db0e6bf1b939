// Fortran bindings of the driver. Open MPI's Fortran wrappers (libmpi_mpifh for mpif.h and
// `use mpi`, libmpi_usempif08 for `use mpi_f08`) call PMPI_File_* directly, so they would pass
// a pfs: name, or a pfs: handle, to Open MPI's own MPI-IO. This file defines the same entry
// points the Fortran compiler's calls resolve to: `mpi_file_<op>_` (mpif.h and `use mpi`) and
// `ompi_file_<op>_f` (what the mpi_f08 module calls), each converting its arguments as Open
// MPI's wrapper does and calling the driver's C function (which passes anything that is not a
// pfs: file on to PMPI). Being earlier in the symbol search order (LD_PRELOAD, or linked before
// libmpi_mpifh), these definitions win.
//
// MPI_Init/MPI_Init_thread/MPI_Finalize are wrapped the same way, so an unmodified Fortran
// program's rank starts through the PFS Job; its MPI_COMM_WORLD (Fortran handle 0) then stands
// for the compute ranks (map_fortran_world).
#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "driver.hpp"

namespace pfs::mpiio::detail {
namespace {

// Open MPI's Fortran sentinels (common blocks defined in libmpi): a Fortran MPI_BOTTOM or
// MPI_STATUS_IGNORE arrives as the address of these.
extern "C" MPI_Fint mpi_fortran_bottom_;
extern "C" MPI_Fint mpi_fortran_status_ignore_;

void* c_buf(void* b) {
    return b == static_cast<void*>(&mpi_fortran_bottom_) ? MPI_BOTTOM : b;
}

bool status_ignored(const MPI_Fint* s) {
    return s == nullptr || s == &mpi_fortran_status_ignore_ || s == MPI_F_STATUS_IGNORE;
}

// A Fortran CHARACTER argument (with its hidden length): leading and trailing blanks dropped,
// as Open MPI's wrappers do.
std::string c_string(const char* s, int len) {
    if (s == nullptr || len <= 0) return {};
    int b = 0, e = len;
    while (b < e && s[b] == ' ') ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\0')) --e;
    return std::string(s + b, static_cast<std::size_t>(e - b));
}

// Copies a C string into a Fortran CHARACTER result, blank-padded.
void f_string(const char* c, char* f, int len) {
    if (f == nullptr || len <= 0) return;
    const std::size_t n = std::min(std::strlen(c), static_cast<std::size_t>(len));
    std::memcpy(f, c, n);
    std::memset(f + n, ' ', static_cast<std::size_t>(len) - n);
}

MPI_Fint f_logical(bool v) {
    return v ? 1 : 0;  // gfortran's .TRUE. is 1 (Open MPI's OMPI_FORTRAN_VALUE_TRUE)
}

// A C status for a Fortran status argument, copied back on success.
class Status {
  public:
    explicit Status(MPI_Fint* f) : f_(f) {}
    MPI_Status* c() { return status_ignored(f_) ? MPI_STATUS_IGNORE : &c_; }
    int done(int rc) {
        if (rc == MPI_SUCCESS && !status_ignored(f_)) PMPI_Status_c2f(&c_, f_);
        return rc;
    }

  private:
    MPI_Fint* f_;
    MPI_Status c_{};
};

MPI_File c_file(const MPI_Fint* fh) {
    return PMPI_File_f2c(*fh);
}

// The Fortran table's entry 0 (MPI_COMM_WORLD) while it stands for the compute ranks.
void* g_world_entry = nullptr;
using SetItem = int (*)(void*, int, void*);

SetItem set_item() {
    return reinterpret_cast<SetItem>(dlsym(RTLD_DEFAULT, "opal_pointer_array_set_item"));
}
void* f_to_c_table() {
    return dlsym(RTLD_DEFAULT, "ompi_comm_f_to_c_table");
}

}  // namespace

void map_fortran_world(MPI_Comm app) {
    // Fortran handles are indexes into Open MPI's ompi_comm_f_to_c_table, and every Fortran
    // wrapper converts with PMPI_Comm_f2c. Pointing index 0 at the application communicator
    // makes a Fortran MPI_COMM_WORLD the compute ranks in every call, as world_shim.cpp does
    // for C. (Open MPI 4.1 internals, resolved at run time; without them Fortran keeps the real
    // world, with a warning.)
    SetItem set = set_item();
    void* table = f_to_c_table();
    if (set == nullptr || table == nullptr || app == MPI_COMM_NULL) {
        std::fprintf(stderr,
                     "pfs-mpiio: cannot map Fortran MPI_COMM_WORLD to the compute ranks "
                     "(Open MPI's f2c table not found)\n");
        return;
    }
    g_world_entry = static_cast<void*>(MPI_COMM_WORLD);
    set(table, 0, static_cast<void*>(app));
}

void unmap_fortran_world() {
    if (g_world_entry == nullptr) return;
    if (SetItem set = set_item(); set != nullptr) set(f_to_c_table(), 0, g_world_entry);
    g_world_entry = nullptr;
}

}  // namespace pfs::mpiio::detail

using pfs::mpiio::detail::c_buf;
using pfs::mpiio::detail::c_file;
using pfs::mpiio::detail::c_string;
using pfs::mpiio::detail::f_logical;
using pfs::mpiio::detail::f_string;
using FStatus = pfs::mpiio::detail::Status;

// Defines the mpif.h / `use mpi` name as an alias of the mpi_f08 one.
#define PFS_FORTRAN_ALIAS(op) \
    extern "C" decltype(ompi_##op##_f) mpi_##op##_ __attribute__((alias("ompi_" #op "_f")));

// Fortran MPI_Comm_get_attr / MPI_Attr_get: the predefined keys of MPI_COMM_WORLD exist only on
// the real world, which Fortran handle 0 no longer names, so they are read there; anything else
// goes to Open MPI's own implementation. Value: MPI_Aint for MPI_Comm_get_attr, INTEGER for the
// MPI-1 MPI_Attr_get.
template <class Value>
void get_attr(MPI_Fint* comm, MPI_Fint* keyval, Value* value, MPI_Fint* flag, MPI_Fint* ierr,
              const char* open_mpi_symbol) {
    if (*comm == 0 && pfs::mpiio::detail::predefined_key(*keyval)) {
        int* v = nullptr;
        int f = 0;
        *ierr = PMPI_Comm_get_attr(MPI_COMM_WORLD, *keyval, &v, &f);
        *flag = f_logical(f != 0);
        if (f != 0 && v != nullptr) *value = *v;
        return;
    }
    using Fn = void (*)(MPI_Fint*, MPI_Fint*, Value*, MPI_Fint*, MPI_Fint*);
    auto real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, open_mpi_symbol));
    if (real == nullptr) {
        *ierr = MPI_ERR_INTERN;
        return;
    }
    real(comm, keyval, value, flag, ierr);
}
extern "C" {

// ---- start and end ---------------------------------------------------------------------------

void ompi_init_f(MPI_Fint* ierr) {
    int argc = 0;
    char** argv = nullptr;
    // caller nullptr: the application's own call (not the job runtime's).
    const int rc =
        pfs::mpiio::detail::init(&argc, &argv, MPI_THREAD_SINGLE, nullptr, nullptr, false);
    if (ierr) *ierr = rc;
}
void ompi_init_thread_f(MPI_Fint* required, MPI_Fint* provided, MPI_Fint* ierr) {
    int argc = 0;
    char** argv = nullptr;
    int p = 0;
    const int rc = pfs::mpiio::detail::init(&argc, &argv, *required, &p, nullptr, true);
    if (provided) *provided = p;
    if (ierr) *ierr = rc;
}
void ompi_finalize_f(MPI_Fint* ierr) {
    const int rc = pfs::mpiio::detail::finalize(nullptr);
    if (ierr) *ierr = rc;
}

// ---- attributes of MPI_COMM_WORLD (get_attr above) --------------------------------------------

void ompi_comm_get_attr_f(MPI_Fint* comm, MPI_Fint* keyval, MPI_Aint* value, MPI_Fint* flag,
                          MPI_Fint* ierr) {
    get_attr(comm, keyval, value, flag, ierr, "ompi_comm_get_attr_f");
}
void ompi_attr_get_f(MPI_Fint* comm, MPI_Fint* keyval, MPI_Fint* value, MPI_Fint* flag,
                     MPI_Fint* ierr) {
    get_attr(comm, keyval, value, flag, ierr, "ompi_attr_get_f");
}

// ---- open, close, delete, and the file's properties -----------------------------------------

void ompi_file_open_f(MPI_Fint* comm, char* filename, MPI_Fint* amode, MPI_Fint* info, MPI_Fint* fh,
                      MPI_Fint* ierr, int name_len) {
    MPI_File c = MPI_FILE_NULL;
    const std::string name = c_string(filename, name_len);
    *ierr = MPI_File_open(PMPI_Comm_f2c(*comm), name.c_str(), *amode, PMPI_Info_f2c(*info), &c);
    if (*ierr == MPI_SUCCESS) *fh = PMPI_File_c2f(c);
}
void ompi_file_close_f(MPI_Fint* fh, MPI_Fint* ierr) {
    MPI_File c = c_file(fh);
    *ierr = MPI_File_close(&c);
    if (*ierr == MPI_SUCCESS) *fh = PMPI_File_c2f(c);
}
void ompi_file_delete_f(char* filename, MPI_Fint* info, MPI_Fint* ierr, int name_len) {
    const std::string name = c_string(filename, name_len);
    *ierr = MPI_File_delete(name.c_str(), PMPI_Info_f2c(*info));
}
void ompi_file_set_size_f(MPI_Fint* fh, MPI_Offset* size, MPI_Fint* ierr) {
    *ierr = MPI_File_set_size(c_file(fh), *size);
}
void ompi_file_preallocate_f(MPI_Fint* fh, MPI_Offset* size, MPI_Fint* ierr) {
    *ierr = MPI_File_preallocate(c_file(fh), *size);
}
void ompi_file_get_size_f(MPI_Fint* fh, MPI_Offset* size, MPI_Fint* ierr) {
    *ierr = MPI_File_get_size(c_file(fh), size);
}
void ompi_file_get_group_f(MPI_Fint* fh, MPI_Fint* group, MPI_Fint* ierr) {
    MPI_Group g = MPI_GROUP_NULL;
    *ierr = MPI_File_get_group(c_file(fh), &g);
    if (*ierr == MPI_SUCCESS) *group = PMPI_Group_c2f(g);
}
void ompi_file_get_amode_f(MPI_Fint* fh, MPI_Fint* amode, MPI_Fint* ierr) {
    int a = 0;
    *ierr = MPI_File_get_amode(c_file(fh), &a);
    if (*ierr == MPI_SUCCESS) *amode = a;
}
void ompi_file_set_info_f(MPI_Fint* fh, MPI_Fint* info, MPI_Fint* ierr) {
    *ierr = MPI_File_set_info(c_file(fh), PMPI_Info_f2c(*info));
}
void ompi_file_get_info_f(MPI_Fint* fh, MPI_Fint* info_used, MPI_Fint* ierr) {
    MPI_Info i = MPI_INFO_NULL;
    *ierr = MPI_File_get_info(c_file(fh), &i);
    if (*ierr == MPI_SUCCESS) *info_used = PMPI_Info_c2f(i);
}
void ompi_file_set_view_f(MPI_Fint* fh, MPI_Offset* disp, MPI_Fint* etype, MPI_Fint* filetype,
                          char* datarep, MPI_Fint* info, MPI_Fint* ierr, int datarep_len) {
    const std::string rep = c_string(datarep, datarep_len);
    *ierr = MPI_File_set_view(c_file(fh), *disp, PMPI_Type_f2c(*etype), PMPI_Type_f2c(*filetype),
                              rep.c_str(), PMPI_Info_f2c(*info));
}
void ompi_file_get_view_f(MPI_Fint* fh, MPI_Offset* disp, MPI_Fint* etype, MPI_Fint* filetype,
                          char* datarep, MPI_Fint* ierr, int datarep_len) {
    MPI_Datatype e = MPI_DATATYPE_NULL, t = MPI_DATATYPE_NULL;
    char rep[MPI_MAX_DATAREP_STRING] = {};
    *ierr = MPI_File_get_view(c_file(fh), disp, &e, &t, rep);
    if (*ierr != MPI_SUCCESS) return;
    *etype = PMPI_Type_c2f(e);
    *filetype = PMPI_Type_c2f(t);
    f_string(rep, datarep, datarep_len);
}
void ompi_file_set_atomicity_f(MPI_Fint* fh, MPI_Fint* flag, MPI_Fint* ierr) {
    *ierr = MPI_File_set_atomicity(c_file(fh), *flag != 0 ? 1 : 0);
}
void ompi_file_get_atomicity_f(MPI_Fint* fh, MPI_Fint* flag, MPI_Fint* ierr) {
    int f = 0;
    *ierr = MPI_File_get_atomicity(c_file(fh), &f);
    if (*ierr == MPI_SUCCESS) *flag = f_logical(f != 0);
}
void ompi_file_sync_f(MPI_Fint* fh, MPI_Fint* ierr) {
    *ierr = MPI_File_sync(c_file(fh));
}
void ompi_file_get_type_extent_f(MPI_Fint* fh, MPI_Fint* datatype, MPI_Aint* extent,
                                 MPI_Fint* ierr) {
    *ierr = MPI_File_get_type_extent(c_file(fh), PMPI_Type_f2c(*datatype), extent);
}

// ---- positions -------------------------------------------------------------------------------

void ompi_file_seek_f(MPI_Fint* fh, MPI_Offset* offset, MPI_Fint* whence, MPI_Fint* ierr) {
    *ierr = MPI_File_seek(c_file(fh), *offset, *whence);
}
void ompi_file_seek_shared_f(MPI_Fint* fh, MPI_Offset* offset, MPI_Fint* whence, MPI_Fint* ierr) {
    *ierr = MPI_File_seek_shared(c_file(fh), *offset, *whence);
}
void ompi_file_get_position_f(MPI_Fint* fh, MPI_Offset* offset, MPI_Fint* ierr) {
    *ierr = MPI_File_get_position(c_file(fh), offset);
}
void ompi_file_get_position_shared_f(MPI_Fint* fh, MPI_Offset* offset, MPI_Fint* ierr) {
    *ierr = MPI_File_get_position_shared(c_file(fh), offset);
}
void ompi_file_get_byte_offset_f(MPI_Fint* fh, MPI_Offset* offset, MPI_Offset* disp,
                                 MPI_Fint* ierr) {
    *ierr = MPI_File_get_byte_offset(c_file(fh), *offset, disp);
}

}  // extern "C"

// ---- data access -----------------------------------------------------------------------------
// Blocking with an explicit offset / at the individual or shared pointer, nonblocking, and the
// split collectives, generated from one pattern each.

#define PFS_FORTRAN_AT(op)                                                                    \
    extern "C" void ompi_file_##op##_f(MPI_Fint* fh, MPI_Offset* offset, char* buf,           \
                                       MPI_Fint* count, MPI_Fint* datatype, MPI_Fint* status, \
                                       MPI_Fint* ierr) {                                      \
        FStatus s(status);                                                                    \
        *ierr = s.done(MPI_File_##op(c_file(fh), *offset, c_buf(buf), *count,                 \
                                     PMPI_Type_f2c(*datatype), s.c()));                       \
    }                                                                                         \
    PFS_FORTRAN_ALIAS(file_##op)
#define PFS_FORTRAN_POS(op)                                                                    \
    extern "C" void ompi_file_##op##_f(MPI_Fint* fh, char* buf, MPI_Fint* count,               \
                                       MPI_Fint* datatype, MPI_Fint* status, MPI_Fint* ierr) { \
        FStatus s(status);                                                                     \
        *ierr = s.done(                                                                        \
            MPI_File_##op(c_file(fh), c_buf(buf), *count, PMPI_Type_f2c(*datatype), s.c()));   \
    }                                                                                          \
    PFS_FORTRAN_ALIAS(file_##op)
#define PFS_FORTRAN_IAT(op)                                                                       \
    extern "C" void ompi_file_##op##_f(MPI_Fint* fh, MPI_Offset* offset, char* buf,               \
                                       MPI_Fint* count, MPI_Fint* datatype, MPI_Fint* request,    \
                                       MPI_Fint* ierr) {                                          \
        MPI_Request r = MPI_REQUEST_NULL;                                                         \
        *ierr =                                                                                   \
            MPI_File_##op(c_file(fh), *offset, c_buf(buf), *count, PMPI_Type_f2c(*datatype), &r); \
        if (*ierr == MPI_SUCCESS) *request = PMPI_Request_c2f(r);                                 \
    }                                                                                             \
    PFS_FORTRAN_ALIAS(file_##op)
#define PFS_FORTRAN_IPOS(op)                                                                    \
    extern "C" void ompi_file_##op##_f(MPI_Fint* fh, char* buf, MPI_Fint* count,                \
                                       MPI_Fint* datatype, MPI_Fint* request, MPI_Fint* ierr) { \
        MPI_Request r = MPI_REQUEST_NULL;                                                       \
        *ierr = MPI_File_##op(c_file(fh), c_buf(buf), *count, PMPI_Type_f2c(*datatype), &r);    \
        if (*ierr == MPI_SUCCESS) *request = PMPI_Request_c2f(r);                               \
    }                                                                                           \
    PFS_FORTRAN_ALIAS(file_##op)
#define PFS_FORTRAN_BEGIN_AT(op)                                                          \
    extern "C" void ompi_file_##op##_begin_f(MPI_Fint* fh, MPI_Offset* offset, char* buf, \
                                             MPI_Fint* count, MPI_Fint* datatype,         \
                                             MPI_Fint* ierr) {                            \
        *ierr = MPI_File_##op##_begin(c_file(fh), *offset, c_buf(buf), *count,            \
                                      PMPI_Type_f2c(*datatype));                          \
    }                                                                                     \
    PFS_FORTRAN_ALIAS(file_##op##_begin)
#define PFS_FORTRAN_BEGIN_POS(op)                                                                \
    extern "C" void ompi_file_##op##_begin_f(MPI_Fint* fh, char* buf, MPI_Fint* count,           \
                                             MPI_Fint* datatype, MPI_Fint* ierr) {               \
        *ierr = MPI_File_##op##_begin(c_file(fh), c_buf(buf), *count, PMPI_Type_f2c(*datatype)); \
    }                                                                                            \
    PFS_FORTRAN_ALIAS(file_##op##_begin)
#define PFS_FORTRAN_END(op)                                                           \
    extern "C" void ompi_file_##op##_end_f(MPI_Fint* fh, char* buf, MPI_Fint* status, \
                                           MPI_Fint* ierr) {                          \
        FStatus s(status);                                                            \
        *ierr = s.done(MPI_File_##op##_end(c_file(fh), c_buf(buf), s.c()));           \
    }                                                                                 \
    PFS_FORTRAN_ALIAS(file_##op##_end)

PFS_FORTRAN_AT(read_at)
PFS_FORTRAN_AT(read_at_all)
PFS_FORTRAN_AT(write_at)
PFS_FORTRAN_AT(write_at_all)
PFS_FORTRAN_POS(read)
PFS_FORTRAN_POS(read_all)
PFS_FORTRAN_POS(write)
PFS_FORTRAN_POS(write_all)
PFS_FORTRAN_POS(read_shared)
PFS_FORTRAN_POS(write_shared)
PFS_FORTRAN_POS(read_ordered)
PFS_FORTRAN_POS(write_ordered)
PFS_FORTRAN_IAT(iread_at)
PFS_FORTRAN_IAT(iwrite_at)
PFS_FORTRAN_IAT(iread_at_all)
PFS_FORTRAN_IAT(iwrite_at_all)
PFS_FORTRAN_IPOS(iread)
PFS_FORTRAN_IPOS(iwrite)
PFS_FORTRAN_IPOS(iread_all)
PFS_FORTRAN_IPOS(iwrite_all)
PFS_FORTRAN_IPOS(iread_shared)
PFS_FORTRAN_IPOS(iwrite_shared)
PFS_FORTRAN_BEGIN_AT(read_at_all)
PFS_FORTRAN_BEGIN_AT(write_at_all)
PFS_FORTRAN_BEGIN_POS(read_all)
PFS_FORTRAN_BEGIN_POS(write_all)
PFS_FORTRAN_BEGIN_POS(read_ordered)
PFS_FORTRAN_BEGIN_POS(write_ordered)
PFS_FORTRAN_END(read_at_all)
PFS_FORTRAN_END(write_at_all)
PFS_FORTRAN_END(read_all)
PFS_FORTRAN_END(write_all)
PFS_FORTRAN_END(read_ordered)
PFS_FORTRAN_END(write_ordered)

PFS_FORTRAN_ALIAS(init)
PFS_FORTRAN_ALIAS(init_thread)
PFS_FORTRAN_ALIAS(finalize)
PFS_FORTRAN_ALIAS(comm_get_attr)
PFS_FORTRAN_ALIAS(attr_get)
PFS_FORTRAN_ALIAS(file_open)
PFS_FORTRAN_ALIAS(file_close)
PFS_FORTRAN_ALIAS(file_delete)
PFS_FORTRAN_ALIAS(file_set_size)
PFS_FORTRAN_ALIAS(file_preallocate)
PFS_FORTRAN_ALIAS(file_get_size)
PFS_FORTRAN_ALIAS(file_get_group)
PFS_FORTRAN_ALIAS(file_get_amode)
PFS_FORTRAN_ALIAS(file_set_info)
PFS_FORTRAN_ALIAS(file_get_info)
PFS_FORTRAN_ALIAS(file_set_view)
PFS_FORTRAN_ALIAS(file_get_view)
PFS_FORTRAN_ALIAS(file_set_atomicity)
PFS_FORTRAN_ALIAS(file_get_atomicity)
PFS_FORTRAN_ALIAS(file_sync)
PFS_FORTRAN_ALIAS(file_get_type_extent)
PFS_FORTRAN_ALIAS(file_seek)
PFS_FORTRAN_ALIAS(file_seek_shared)
PFS_FORTRAN_ALIAS(file_get_position)
PFS_FORTRAN_ALIAS(file_get_position_shared)
PFS_FORTRAN_ALIAS(file_get_byte_offset)
