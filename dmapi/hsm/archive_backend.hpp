// The archive tier behind a small interface, so a tape or object-store backend can replace the
// default directory tree. Archive ids are made by the HSM from the file's identity (fsid, ino,
// generation, a copy stamp), never from user paths, and a backend refuses any id that is not of
// that shape: no archive path can escape the archive root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pfs::hsm {

// A copy being written. Nothing is visible under the id until commit() returned 0 (the data is
// then durable); abort() or destruction without commit leaves nothing behind.
class ArchiveWriter {
  public:
    virtual ~ArchiveWriter() = default;
    virtual int write(const void* buf, std::size_t len) = 0;  // 0 or an errno
    virtual int commit() = 0;                                 // 0 or an errno
};

class ArchiveReader {
  public:
    virtual ~ArchiveReader() = default;
    // Bytes read (short only at the end), or -errno. Thread-safe (positional reads).
    virtual ssize_t pread(void* buf, std::size_t len, std::uint64_t off) = 0;
    virtual std::uint64_t size() const = 0;
};

class ArchiveBackend {
  public:
    virtual ~ArchiveBackend() = default;
    // All return 0 or an errno; EINVAL for an id that valid_archive_id() refuses.
    virtual int create(const std::string& id, std::unique_ptr<ArchiveWriter>* out) = 0;
    virtual int open(const std::string& id, std::unique_ptr<ArchiveReader>* out) = 0;
    // Removes the copy and any unfinished write of it; ENOENT when there was neither.
    virtual int remove(const std::string& id) = 0;
    virtual int stat(const std::string& id, std::uint64_t* size) = 0;
    // Where the copy lives, for `pfs-hsm state` and the logs.
    virtual std::string location(const std::string& id) const = 0;
};

// "<fsid 16 hex>/<ino mod 256, 2 hex>/<ino>-<gen>-<stamp hex>": one copy of one file version.
std::string make_archive_id(std::uint64_t fsid, std::uint64_t ino, std::uint64_t gen,
                            std::uint64_t stamp);
// Only ids of make_archive_id's shape: [0-9a-f-] segments separated by '/', none empty.
bool valid_archive_id(std::string_view id);

// The default backend: one file per copy under `root` (created 0700; copies 0600), written
// to "<id>.tmp", fsynced, renamed, directory fsynced.
std::unique_ptr<ArchiveBackend> make_dir_backend(const std::string& root, int* error);

}  // namespace pfs::hsm
