// The external32 data representation (MPI 4.0 section 14.5.2): file data in big-endian IEEE
// formats with fixed sizes. A transfer through an external32 view is converted as a whole with
// Open MPI's own MPI_Pack_external / MPI_Unpack_external: a write packs the user's data into a
// contiguous external32 stream that then moves through the view like MPI_BYTE data; a read
// moves the stream and unpacks its whole items into the user's buffer, so the format is Open
// MPI's own external32. Only types whose every basic element packs to its native size are
// accepted (in the view and in memory), so a view's offsets and extents and the byte counts of
// statuses are the same in both representations and the rest of the driver needs no change.
// With Open MPI 4.1.4 on x86-64 that is every predefined type except MPI_LONG,
// MPI_UNSIGNED_LONG and MPI_LONG_INT: their longs pack to 4 bytes (the standard's external32
// size, truncating the value), while MPI_Pack_external_size counts 8, so the size is measured
// by packing one element, not asked for.
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "driver.hpp"

namespace pfs::mpiio {
namespace {

constexpr char kExternal32[] = "external32";

// A predefined type: does one element pack to external32 in its native size?
bool named_convertible(MPI_Datatype t) {
    static std::mutex mu;
    static auto* known = new std::map<MPI_Datatype, bool>;
    std::lock_guard lk(mu);
    if (auto it = known->find(t); it != known->end()) return it->second;
    int native = 0;
    MPI_Aint lb = 0, extent = 0, pos = 0;
    bool ok = PMPI_Type_size(t, &native) == MPI_SUCCESS &&
              PMPI_Type_get_true_extent(t, &lb, &extent) == MPI_SUCCESS && lb == 0 && extent >= 0 &&
              extent <= 256;
    if (ok) {
        const std::vector<char> in(static_cast<std::size_t>(extent) + 1, 0);
        std::vector<char> out(512);
        ok = PMPI_Pack_external(kExternal32, in.data(), 1, t, out.data(),
                                static_cast<MPI_Aint>(out.size()), &pos) == MPI_SUCCESS &&
             pos == native;
    }
    known->emplace(t, ok);
    return ok;
}

// Every basic element of t (walked through its constructors) keeps its size in external32.
bool convertible(MPI_Datatype t, int depth = 0) {
    if (t == MPI_DATATYPE_NULL || depth > 64) return false;
    int ni = 0, na = 0, nt = 0, comb = 0;
    if (PMPI_Type_get_envelope(t, &ni, &na, &nt, &comb) != MPI_SUCCESS) return false;
    if (comb == MPI_COMBINER_NAMED) return named_convertible(t);
    std::vector<int> ints(static_cast<std::size_t>(ni));
    std::vector<MPI_Aint> addrs(static_cast<std::size_t>(na));
    std::vector<MPI_Datatype> types(static_cast<std::size_t>(nt));
    if (PMPI_Type_get_contents(t, ni, na, nt, ints.data(), addrs.data(), types.data()) !=
        MPI_SUCCESS)
        return false;
    bool ok = true;
    for (MPI_Datatype inner : types) {
        ok = ok && convertible(inner, depth + 1);
        int ii = 0, ia = 0, it = 0, ic = 0;
        PMPI_Type_get_envelope(inner, &ii, &ia, &it, &ic);
        if (ic != MPI_COMBINER_NAMED) PMPI_Type_free(&inner);  // get_contents made a copy
    }
    return ok;
}

}  // namespace

Conversion::~Conversion() {
    if (user_type != MPI_DATATYPE_NULL) PMPI_Type_free(&user_type);
}

bool datarep_supported(const char* datarep, MPI_Datatype etype, MPI_Datatype filetype) {
    if (datarep == nullptr) return false;
    if (std::strcmp(datarep, "native") == 0 || std::strcmp(datarep, "internal") == 0) return true;
    if (std::strcmp(datarep, kExternal32) != 0) return false;
    return convertible(etype) && convertible(filetype);
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
    if (!convertible(dt)) return MPI_ERR_UNSUPPORTED_DATAREP;
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
