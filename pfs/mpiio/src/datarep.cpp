// The external32 data representation (MPI 4.0 section 14.5.2): file data in big-endian IEEE
// formats with fixed sizes. A transfer through an external32 view is converted as a whole with
// Open MPI's own MPI_Pack_external / MPI_Unpack_external: a write packs the user's data into a
// contiguous external32 stream that then moves through the view like MPI_BYTE data; a read
// moves the stream and unpacks its whole items into the user's buffer, so the format is Open
// MPI's own external32. Only types whose every basic element packs to its native size are
// accepted, in the view and in memory (Flat::external32_same_size, found while flattening), so a
// view's offsets and extents and the byte counts of statuses are the same in both
// representations and the rest of the driver needs no change. With Open MPI 4.1.4 on x86-64
// that is every predefined type except MPI_LONG, MPI_UNSIGNED_LONG and MPI_LONG_INT, whose
// longs Open MPI packs to 4 bytes.
#include <cstring>

#include "driver.hpp"

namespace pfs::mpiio {
namespace {
constexpr char kExternal32[] = "external32";
}  // namespace

Conversion::~Conversion() {
    if (user_type != MPI_DATATYPE_NULL) PMPI_Type_free(&user_type);
}

bool datarep_supported(const char* datarep, const Flat& etype, const Flat& filetype) {
    if (datarep == nullptr) return false;
    if (std::strcmp(datarep, "native") == 0 || std::strcmp(datarep, "internal") == 0) return true;
    return std::strcmp(datarep, kExternal32) == 0 && etype.external32_same_size &&
           filetype.external32_same_size;
}

int begin_conversion(PfsFile& f, MPI_Datatype dt, Transfer* t) {
    {
        std::lock_guard lk(f.mu);
        if (f.view.datarep != kExternal32) return MPI_SUCCESS;
    }
    const std::int64_t n = t->bytes();
    if (n == 0) return MPI_SUCCESS;
    // A memory type with a basic type of another external32 size (MPI_LONG) cannot match the
    // view's etype.
    if (!t->mem->external32_same_size) return MPI_ERR_UNSUPPORTED_DATAREP;
    int err = MPI_SUCCESS;
    auto bytes = flatten(MPI_BYTE, &err);
    if (!bytes) return err;
    auto c = std::make_shared<Conversion>();
    c->stream.resize(static_cast<std::size_t>(n));
    if (t->write) {
        MPI_Aint pos = 0;
        const int rc = PMPI_Pack_external(kExternal32, t->buf, static_cast<int>(t->count), dt,
                                          c->stream.data(), static_cast<MPI_Aint>(n), &pos);
        if (rc != MPI_SUCCESS) return rc;
        if (pos != n) return MPI_ERR_UNSUPPORTED_DATAREP;
    } else {
        // Kept (a duplicate) for the unpack after the read, which for a nonblocking call may
        // come after the application freed its type.
        c->user_buf = t->buf;
        c->user_count = static_cast<int>(t->count);
        if (int rc = PMPI_Type_dup(dt, &c->user_type); rc != MPI_SUCCESS) return rc;
    }
    t->buf = c->stream.data();
    t->count = n;
    t->mem = std::move(bytes);
    t->conv = std::move(c);
    return MPI_SUCCESS;
}

int finish_conversion(const Transfer& t, std::int64_t* bytes) {
    if (!t.conv || t.write || *bytes <= 0) return MPI_SUCCESS;
    const Conversion& c = *t.conv;
    int size = 0;
    PMPI_Type_size(c.user_type, &size);
    if (size <= 0) return MPI_SUCCESS;
    // Whole items only: a read that ended at EOF inside an item delivers the items before it.
    const auto items = static_cast<int>(std::min<std::int64_t>(*bytes / size, c.user_count));
    MPI_Aint pos = 0;
    const int rc =
        PMPI_Unpack_external(kExternal32, c.stream.data(), static_cast<MPI_Aint>(c.stream.size()),
                             &pos, c.user_buf, items, c.user_type);
    if (rc != MPI_SUCCESS) return rc;
    *bytes = static_cast<std::int64_t>(items) * size;
    return MPI_SUCCESS;
}

}  // namespace pfs::mpiio
