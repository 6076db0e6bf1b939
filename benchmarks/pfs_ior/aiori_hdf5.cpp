// HDF5 backend (as IOR's -a HDF5): parallel HDF5 through its MPI-IO file driver
// (H5Pset_fapl_mpio on the test's communicator), one 1-D dataset "data" of bytes per file whose
// extent is the file's data (the shared file: every task's blocks; -F: one task's), created
// contiguous at file creation; each transfer is a hyperslab of it at the transfer's offset,
// independent or, with -c, collective (H5Pset_dxpl_mpio). On `pfs:` paths it runs through the
// PFS MPI-IO driver when that is preloaded (docs/mpiio.md), as -a MPIIO does. Removal and the
// namespace calls are the MPIIO backend's (MPI_File_delete, POSIX); get_file_size is the
// dataset's extent (the HDF5 file also holds HDF5's own metadata).
#include <hdf5.h>
#include <mpi.h>

#include <cerrno>

#include "aiori.hpp"

namespace pfs_ior {
namespace {

Status h5_status(std::string_view call, std::string_view path) {
    return errno_status(EIO, std::string(call) + " (HDF5)", path);
}

class Hdf5File : public File {
  public:
    ~Hdf5File() override {
        if (dset >= 0) H5Dclose(dset);
        if (file >= 0) H5Fclose(file);
    }
    hid_t file = -1, dset = -1;
    std::string path;
    bool collective = false;
};

hid_t make_fapl(MPI_Comm comm) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    return fapl;
}

class Hdf5Backend : public Backend {
  public:
    Hdf5Backend() : mpiio_(make_mpiio_backend()) { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
    const char* name() const override { return "HDF5"; }
    std::string version() const override {
        unsigned maj = 0, min = 0, rel = 0;
        H5get_libversion(&maj, &min, &rel);
        return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
    }
    bool collective_open() const override { return true; }

    Status create(const std::string& path, const OpenHints& h,
                  std::unique_ptr<File>* out) override {
        auto f = std::make_unique<Hdf5File>();
        f->path = path;
        f->collective = h.collective;
        hid_t fapl = make_fapl(h.comm);
        f->file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        H5Pclose(fapl);
        if (f->file < 0) return h5_status("H5Fcreate", path);
        const hsize_t dims[1] = {h.file_bytes};
        hid_t space = H5Screate_simple(1, dims, nullptr);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
        f->dset =
            H5Dcreate2(f->file, "data", H5T_NATIVE_UCHAR, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
        H5Sclose(space);
        if (f->dset < 0) return h5_status("H5Dcreate2", path);
        *out = std::move(f);
        return Status::ok();
    }
    Status open(const std::string& path, Access a, const OpenHints& h,
                std::unique_ptr<File>* out) override {
        auto f = std::make_unique<Hdf5File>();
        f->path = path;
        f->collective = h.collective;
        hid_t fapl = make_fapl(h.comm);
        f->file = H5Fopen(path.c_str(), a == Access::write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
        if (f->file < 0) return h5_status("H5Fopen", path);
        f->dset = H5Dopen2(f->file, "data", H5P_DEFAULT);
        if (f->dset < 0) return h5_status("H5Dopen2", path);
        *out = std::move(f);
        return Status::ok();
    }
    Status xfer(File& file, Access a, void* buf, std::size_t n, std::int64_t offset) override {
        auto& f = static_cast<Hdf5File&>(file);
        const hsize_t start[1] = {static_cast<hsize_t>(offset)}, count[1] = {n};
        hid_t space = H5Dget_space(f.dset);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
        hid_t mem = H5Screate_simple(1, count, nullptr);
        hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
        H5Pset_dxpl_mpio(dxpl, f.collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
        const herr_t rc = a == Access::write
                              ? H5Dwrite(f.dset, H5T_NATIVE_UCHAR, mem, space, dxpl, buf)
                              : H5Dread(f.dset, H5T_NATIVE_UCHAR, mem, space, dxpl, buf);
        H5Pclose(dxpl);
        H5Sclose(mem);
        H5Sclose(space);
        return rc < 0 ? h5_status(a == Access::write ? "H5Dwrite" : "H5Dread", f.path)
                      : Status::ok();
    }
    Status fsync(File& file) override {
        auto& f = static_cast<Hdf5File&>(file);
        return H5Fflush(f.file, H5F_SCOPE_GLOBAL) < 0 ? h5_status("H5Fflush", f.path)
                                                      : Status::ok();
    }
    Status close(std::unique_ptr<File> file) override {
        auto& f = static_cast<Hdf5File&>(*file);
        herr_t rc = H5Dclose(f.dset);
        f.dset = -1;
        if (H5Fclose(f.file) < 0) rc = -1;
        f.file = -1;
        return rc < 0 ? h5_status("H5Fclose", f.path) : Status::ok();
    }
    Status remove(const std::string& path) override { return mpiio_->remove(path); }
    Status get_file_size(const std::string& path, std::int64_t* size) override {
        hid_t fapl = make_fapl(MPI_COMM_SELF);
        hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
        if (file < 0) return h5_status("H5Fopen", path);
        hid_t dset = H5Dopen2(file, "data", H5P_DEFAULT);
        hsize_t dims[1] = {0};
        if (dset >= 0) {
            hid_t space = H5Dget_space(dset);
            H5Sget_simple_extent_dims(space, dims, nullptr);
            H5Sclose(space);
            H5Dclose(dset);
        }
        H5Fclose(file);
        if (dset < 0) return h5_status("H5Dopen2", path);
        *size = static_cast<std::int64_t>(dims[0]);
        return Status::ok();
    }
    Status mkdir(const std::string& path) override { return mpiio_->mkdir(path); }
    Status rmdir(const std::string& path) override { return mpiio_->rmdir(path); }
    Status stat(const std::string& path, std::int64_t* size) override {
        return mpiio_->stat(path, size);
    }
    Status mknod(const std::string& path) override { return mpiio_->mknod(path); }

  private:
    std::unique_ptr<Backend> mpiio_;
};

}  // namespace

std::unique_ptr<Backend> make_hdf5_backend() {
    return std::make_unique<Hdf5Backend>();
}

}  // namespace pfs_ior
