// Datatype flattening for file views and memory buffers (ROMIO's flatten.c, done with the
// portable MPI_Type_get_envelope / MPI_Type_get_contents decoding).
//
// A Flat is the type map of one datatype reduced to byte blocks {offset, length} in type-map
// order (adjacent blocks merged), plus its size, lower bound and extent as MPI reports them
// (so RESIZED, SUBARRAY and DARRAY bounds are MPI's own). Every combiner Open MPI 4.1 produces
// is decoded: NAMED, DUP, CONTIGUOUS, VECTOR, HVECTOR, INDEXED, HINDEXED, INDEXED_BLOCK,
// HINDEXED_BLOCK, STRUCT, SUBARRAY, DARRAY, RESIZED and the F90 parameterized types.
// Negative and decreasing displacements are kept as they are (legal in memory types); the
// flags say whether the type is usable as a filetype.
//
// flatten() caches the result on the datatype with a type attribute (one keyval for the
// process), so a view set once is decoded once; predefined types are computed without cache.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace pfs::mpiio {

struct Block {
    std::int64_t off = 0;  // bytes from the start of the buffer / tile
    std::int64_t len = 0;  // bytes
    friend bool operator==(const Block&, const Block&) = default;
};

struct Flat {
    std::vector<Block> blocks;  // type-map order, zero-length blocks dropped, neighbours merged
    std::int64_t size = 0;      // MPI_Type_size_x: data bytes of one element
    std::int64_t lb = 0;        // MPI_Type_get_extent_x
    std::int64_t extent = 0;
    bool nonneg = true;     // no block starts below 0
    bool monotonic = true;  // every block starts at or after the end of the previous one
    // Every basic element packs to external32 (MPI_Pack_external) in its native size, so the
    // type's offsets, extent and size are the same in both representations (datarep.cpp).
    bool external32_same_size = true;
    // One block of `size` bytes at offset lb whose extent equals its size: `count` elements
    // of the type are one contiguous run.
    bool contiguous() const {
        return blocks.size() <= 1 && extent == size && (blocks.empty() || blocks[0].off == lb);
    }
};

// The flattened form of `type` (cached on derived types). Returns nullptr only when MPI
// rejects the type (e.g. MPI_DATATYPE_NULL); `err` then holds the MPI error code.
std::shared_ptr<const Flat> flatten(MPI_Datatype type, int* err = nullptr);

// Copies `nbytes` data bytes of `count` elements of a buffer described by `f` out of `base`
// into the contiguous `dst` (gather) or from `src` into `base` (scatter). Stops after nbytes,
// so a short read never touches user memory beyond the data it got.
void gather(const void* base, std::int64_t count, const Flat& f, void* dst, std::int64_t nbytes);
void scatter(void* base, std::int64_t count, const Flat& f, const void* src, std::int64_t nbytes);

}  // namespace pfs::mpiio
