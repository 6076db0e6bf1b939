// Flattening by recursive decoding (MPI_Type_get_envelope / get_contents), children first, each
// child flattened once and replicated at its displacements. PMPI_ is used throughout so that a
// profiling tool stacked on top never sees the driver's internal datatype queries.
#include "pfs/mpiio/flatten.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace pfs::mpiio {
namespace {

// A predefined type: does one element pack to external32 in its native size? Measured by
// packing, not asked of MPI_Pack_external_size: Open MPI 4.1.4 counts 8 bytes for MPI_LONG but
// packs 4 (the standard's external32 size, truncating the value).
bool external32_same_size(MPI_Datatype t) {
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
        ok = PMPI_Pack_external("external32", in.data(), 1, t, out.data(),
                                static_cast<MPI_Aint>(out.size()), &pos) == MPI_SUCCESS &&
             pos == native;
    }
    known->emplace(t, ok);
    return ok;
}

// Appends a block, merging it into the previous one when it continues it.
void push(Flat& f, std::int64_t off, std::int64_t len) {
    if (len <= 0) return;
    if (!f.blocks.empty()) {
        Block& last = f.blocks.back();
        if (last.off + last.len == off) {
            last.len += len;
            return;
        }
    }
    f.blocks.push_back({off, len});
}

// Appends `child` placed at displacement `disp`.
void place(Flat& f, const Flat& child, std::int64_t disp) {
    for (const Block& b : child.blocks) push(f, disp + b.off, b.len);
}

// `n` consecutive copies of child starting at `disp` (the child tiles by its extent).
void place_run(Flat& f, const Flat& child, std::int64_t disp, std::int64_t n) {
    if (child.contiguous() && n > 0) {
        push(f, disp + child.lb, n * child.size);
        return;
    }
    for (std::int64_t i = 0; i < n; ++i) place(f, child, disp + i * child.extent);
}

struct Contents {
    int combiner = MPI_COMBINER_NAMED;
    std::vector<int> ints;
    std::vector<MPI_Aint> addrs;
    std::vector<MPI_Datatype> types;
    ~Contents() {
        for (MPI_Datatype t : types) {
            int ni = 0, na = 0, nt = 0, c = 0;
            if (PMPI_Type_get_envelope(t, &ni, &na, &nt, &c) == MPI_SUCCESS &&
                c != MPI_COMBINER_NAMED)
                PMPI_Type_free(&t);
        }
    }
};

int decode(MPI_Datatype type, Contents& c) {
    int ni = 0, na = 0, nt = 0;
    int rc = PMPI_Type_get_envelope(type, &ni, &na, &nt, &c.combiner);
    if (rc != MPI_SUCCESS) return rc;
    if (c.combiner == MPI_COMBINER_NAMED || c.combiner == MPI_COMBINER_F90_REAL ||
        c.combiner == MPI_COMBINER_F90_COMPLEX || c.combiner == MPI_COMBINER_F90_INTEGER)
        return MPI_SUCCESS;
    c.ints.resize(static_cast<std::size_t>(ni));
    c.addrs.resize(static_cast<std::size_t>(na));
    c.types.resize(static_cast<std::size_t>(nt));
    return PMPI_Type_get_contents(type, ni, na, nt, c.ints.data(), c.addrs.data(), c.types.data());
}

// Per dimension, the ascending index runs [first, end) a DARRAY gives this process.
std::vector<std::pair<std::int64_t, std::int64_t>> darray_runs(int gsize, int distrib, int darg,
                                                               int psize, int coord) {
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;
    if (distrib == MPI_DISTRIBUTE_NONE) {
        runs.emplace_back(0, gsize);
    } else if (distrib == MPI_DISTRIBUTE_BLOCK) {
        std::int64_t b = darg == MPI_DISTRIBUTE_DFLT_DARG ? (gsize + psize - 1) / psize : darg;
        std::int64_t lo = coord * b, hi = std::min<std::int64_t>(lo + b, gsize);
        if (lo < hi) runs.emplace_back(lo, hi);
    } else {  // CYCLIC
        std::int64_t b = darg == MPI_DISTRIBUTE_DFLT_DARG ? 1 : darg;
        for (std::int64_t s = coord * b; s < gsize; s += static_cast<std::int64_t>(psize) * b)
            runs.emplace_back(s, std::min<std::int64_t>(s + b, gsize));
    }
    return runs;
}

// Emits the elements of an n-dimensional selection in array order. dims are given slowest
// first; each dimension has its own ascending runs; stride[d] is the element stride of d.
void emit_nd(Flat& f, const Flat& elem,
             const std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>>& runs,
             const std::vector<std::int64_t>& stride, std::size_t d, std::int64_t base) {
    const bool last = d + 1 == runs.size();
    for (auto [lo, hi] : runs[d]) {
        if (last) {
            // The fastest dimension has unit stride: a run is consecutive elements.
            place_run(f, elem, (base + lo) * elem.extent, hi - lo);
        } else {
            for (std::int64_t i = lo; i < hi; ++i)
                emit_nd(f, elem, runs, stride, d + 1, base + i * stride[d]);
        }
    }
}

int flatten_into(MPI_Datatype type, Flat& f);

std::shared_ptr<const Flat> child_flat(MPI_Datatype t, int* err) {
    return flatten(t, err);
}

int flatten_into(MPI_Datatype type, Flat& f) {
    Contents c;
    int rc = decode(type, c);
    if (rc != MPI_SUCCESS) return rc;
    int err = MPI_SUCCESS;
    // Every child goes through here: the type keeps external32 sizes when all its children do.
    auto child = [&](std::size_t i) {
        auto ch = child_flat(c.types[i], &err);
        if (ch) f.external32_same_size = f.external32_same_size && ch->external32_same_size;
        return ch;
    };
    switch (c.combiner) {
        case MPI_COMBINER_NAMED:
        case MPI_COMBINER_F90_REAL:
        case MPI_COMBINER_F90_COMPLEX:
        case MPI_COMBINER_F90_INTEGER:
            if (type == MPI_SHORT_INT) {  // the one predefined pair type with a gap
                int si = 0;
                PMPI_Type_size(MPI_SHORT, &si);
                push(f, 0, si);
                push(f, f.extent - static_cast<std::int64_t>(sizeof(int)), sizeof(int));
            } else {
                push(f, f.lb, f.size);
            }
            f.external32_same_size = external32_same_size(type);
            return MPI_SUCCESS;
        case MPI_COMBINER_DUP:
        case MPI_COMBINER_RESIZED: {  // RESIZED only changes lb/extent (MPI reports them)
            auto ch = child(0);
            if (!ch) return err;
            place(f, *ch, 0);
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_CONTIGUOUS: {
            auto ch = child(0);
            if (!ch) return err;
            place_run(f, *ch, 0, c.ints[0]);
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_VECTOR:
        case MPI_COMBINER_HVECTOR: {
            auto ch = child(0);
            if (!ch) return err;
            const std::int64_t count = c.ints[0], blen = c.ints[1];
            const std::int64_t stride = c.combiner == MPI_COMBINER_VECTOR
                                            ? static_cast<std::int64_t>(c.ints[2]) * ch->extent
                                            : c.addrs[0];
            for (std::int64_t i = 0; i < count; ++i) place_run(f, *ch, i * stride, blen);
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_INDEXED:
        case MPI_COMBINER_HINDEXED: {
            auto ch = child(0);
            if (!ch) return err;
            const int count = c.ints[0];
            for (int i = 0; i < count; ++i) {
                const std::int64_t d =
                    c.combiner == MPI_COMBINER_INDEXED
                        ? static_cast<std::int64_t>(c.ints[1 + count + i]) * ch->extent
                        : c.addrs[i];
                place_run(f, *ch, d, c.ints[1 + i]);
            }
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_INDEXED_BLOCK:
        case MPI_COMBINER_HINDEXED_BLOCK: {
            auto ch = child(0);
            if (!ch) return err;
            const int count = c.ints[0], blen = c.ints[1];
            for (int i = 0; i < count; ++i) {
                const std::int64_t d = c.combiner == MPI_COMBINER_INDEXED_BLOCK
                                           ? static_cast<std::int64_t>(c.ints[2 + i]) * ch->extent
                                           : c.addrs[i];
                place_run(f, *ch, d, blen);
            }
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_STRUCT: {
            const int count = c.ints[0];
            for (int i = 0; i < count; ++i) {
                auto ch = child(static_cast<std::size_t>(i));
                if (!ch) return err;
                place_run(f, *ch, c.addrs[i], c.ints[1 + i]);
            }
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_SUBARRAY: {
            auto ch = child(0);
            if (!ch) return err;
            const int nd = c.ints[0];
            const int* sizes = &c.ints[1];
            const int* subs = &c.ints[1 + nd];
            const int* starts = &c.ints[1 + 2 * nd];
            const bool fortran = c.ints[1 + 3 * nd] == MPI_ORDER_FORTRAN;
            std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> runs(nd);
            std::vector<std::int64_t> stride(nd);
            std::int64_t s = 1;
            for (int k = nd - 1; k >= 0; --k) {  // k: position slowest..fastest
                const int dim = fortran ? nd - 1 - k : k;
                runs[k] = {{starts[dim], starts[dim] + subs[dim]}};
                stride[k] = s;
                s *= sizes[dim];
            }
            for (auto& r : runs)
                if (r[0].first == r[0].second) return MPI_SUCCESS;  // empty selection
            emit_nd(f, *ch, runs, stride, 0, 0);
            return MPI_SUCCESS;
        }
        case MPI_COMBINER_DARRAY: {
            auto ch = child(0);
            if (!ch) return err;
            const int size = c.ints[0], rank = c.ints[1], nd = c.ints[2];
            const int* gs = &c.ints[3];
            const int* dist = &c.ints[3 + nd];
            const int* darg = &c.ints[3 + 2 * nd];
            const int* ps = &c.ints[3 + 3 * nd];
            const bool fortran = c.ints[3 + 4 * nd] == MPI_ORDER_FORTRAN;
            (void)size;
            // The process grid is row-major whatever the array order.
            std::vector<int> coord(nd);
            for (int d = nd - 1, r = rank; d >= 0; --d) {
                coord[d] = r % ps[d];
                r /= ps[d];
            }
            std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> runs(nd);
            std::vector<std::int64_t> stride(nd);
            std::int64_t s = 1;
            for (int k = nd - 1; k >= 0; --k) {
                const int dim = fortran ? nd - 1 - k : k;
                runs[k] = darray_runs(gs[dim], dist[dim], darg[dim], ps[dim], coord[dim]);
                stride[k] = s;
                s *= gs[dim];
            }
            for (auto& r : runs)
                if (r.empty()) return MPI_SUCCESS;
            emit_nd(f, *ch, runs, stride, 0, 0);
            return MPI_SUCCESS;
        }
        default:
            return MPI_ERR_TYPE;
    }
}

void set_flags(Flat& f) {
    std::int64_t end = INT64_MIN;
    for (const Block& b : f.blocks) {
        if (b.off < 0) f.nonneg = false;
        if (b.off < end) f.monotonic = false;
        end = std::max(end, b.off + b.len);
    }
}

int keyval() {
    static int kv = MPI_KEYVAL_INVALID;
    static std::once_flag once;
    std::call_once(once, [] {
        PMPI_Type_create_keyval(
            MPI_TYPE_NULL_COPY_FN,
            [](MPI_Datatype, int, void* attr, void*) -> int {
                delete static_cast<std::shared_ptr<const Flat>*>(attr);
                return MPI_SUCCESS;
            },
            &kv, nullptr);
    });
    return kv;
}

std::mutex cache_mu;

}  // namespace

std::shared_ptr<const Flat> flatten(MPI_Datatype type, int* err) {
    if (err) *err = MPI_SUCCESS;
    if (type == MPI_DATATYPE_NULL) {
        if (err) *err = MPI_ERR_TYPE;
        return nullptr;
    }
    int ni = 0, na = 0, nt = 0, comb = 0;
    int rc = PMPI_Type_get_envelope(type, &ni, &na, &nt, &comb);
    if (rc != MPI_SUCCESS) {
        if (err) *err = rc;
        return nullptr;
    }
    const bool named = comb == MPI_COMBINER_NAMED;
    if (!named) {
        std::lock_guard lk(cache_mu);
        void* attr = nullptr;
        int found = 0;
        if (PMPI_Type_get_attr(type, keyval(), &attr, &found) == MPI_SUCCESS && found)
            return *static_cast<std::shared_ptr<const Flat>*>(attr);
    }
    auto f = std::make_shared<Flat>();
    MPI_Count size = 0, lb = 0, extent = 0;
    PMPI_Type_size_x(type, &size);
    PMPI_Type_get_extent_x(type, &lb, &extent);
    f->size = size;
    f->lb = lb;
    f->extent = extent;
    rc = flatten_into(type, *f);
    if (rc != MPI_SUCCESS) {
        if (err) *err = rc;
        return nullptr;
    }
    set_flags(*f);
    std::shared_ptr<const Flat> out = f;
    if (!named) {
        std::lock_guard lk(cache_mu);
        PMPI_Type_set_attr(type, keyval(), new std::shared_ptr<const Flat>(out));
    }
    return out;
}

void gather(const void* base, std::int64_t count, const Flat& f, void* dst, std::int64_t nbytes) {
    auto* out = static_cast<char*>(dst);
    const auto* in = static_cast<const char*>(base);
    if (f.contiguous()) {
        std::memcpy(out, in + f.lb, static_cast<std::size_t>(nbytes));
        return;
    }
    for (std::int64_t i = 0; i < count && nbytes > 0; ++i)
        for (const Block& b : f.blocks) {
            const std::int64_t n = std::min(b.len, nbytes);
            std::memcpy(out, in + i * f.extent + b.off, static_cast<std::size_t>(n));
            out += n;
            nbytes -= n;
            if (nbytes == 0) return;
        }
}

void scatter(void* base, std::int64_t count, const Flat& f, const void* src, std::int64_t nbytes) {
    auto* out = static_cast<char*>(base);
    const auto* in = static_cast<const char*>(src);
    if (f.contiguous()) {
        std::memcpy(out + f.lb, in, static_cast<std::size_t>(nbytes));
        return;
    }
    for (std::int64_t i = 0; i < count && nbytes > 0; ++i)
        for (const Block& b : f.blocks) {
            const std::int64_t n = std::min(b.len, nbytes);
            std::memcpy(out + i * f.extent + b.off, in, static_cast<std::size_t>(n));
            in += n;
            nbytes -= n;
            if (nbytes == 0) return;
        }
}

}  // namespace pfs::mpiio
