// Datatypes covering every combiner, for the flattening and file-view tests. Each entry is a
// committed type and whether it is legal as a filetype (non-negative, non-decreasing).
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace mpiio_test {

struct ZooType {
    std::string name;
    MPI_Datatype type;
    bool filetype_ok;
};

inline MPI_Datatype commit(MPI_Datatype t) {
    MPI_Type_commit(&t);
    return t;
}

// `rank`/`nprocs` parameterize DARRAY (which depends on the calling process).
inline std::vector<ZooType> make_zoo(int rank, int nprocs) {
    std::vector<ZooType> z;
    MPI_Datatype t, u, v;
    z.push_back({"named_int", MPI_INT, true});
    z.push_back({"named_short_int", MPI_SHORT_INT, true});
    MPI_Type_dup(MPI_DOUBLE, &t);
    z.push_back({"dup_double", commit(t), true});
    MPI_Type_contiguous(3, MPI_INT, &t);
    z.push_back({"contiguous", commit(t), true});
    MPI_Type_vector(4, 2, 5, MPI_INT, &t);
    z.push_back({"vector", commit(t), true});
    MPI_Type_create_hvector(3, 1, 24, MPI_DOUBLE, &t);
    z.push_back({"hvector", commit(t), true});
    {
        int bl[] = {1, 2, 3}, d[] = {0, 3, 8};
        MPI_Type_indexed(3, bl, d, MPI_INT, &t);
        z.push_back({"indexed", commit(t), true});
    }
    {
        int bl[] = {2, 1};
        MPI_Aint d[] = {4, 40};
        MPI_Type_create_hindexed(2, bl, d, MPI_INT, &t);
        z.push_back({"hindexed", commit(t), true});
    }
    {
        int d[] = {1, 4, 9};
        MPI_Type_create_indexed_block(3, 2, d, MPI_INT, &t);
        z.push_back({"indexed_block", commit(t), true});
    }
    {
        MPI_Aint d[] = {0, 64};
        MPI_Type_create_hindexed_block(2, 3, d, MPI_SHORT, &t);
        z.push_back({"hindexed_block", commit(t), true});
    }
    {
        int bl[] = {2, 1, 3};
        MPI_Aint d[] = {0, 16, 32};
        MPI_Datatype ty[] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
        MPI_Type_create_struct(3, bl, d, ty, &t);
        z.push_back({"struct", commit(t), true});
    }
    {
        int sizes[] = {4, 5, 6}, subs[] = {2, 3, 2}, starts[] = {1, 1, 3};
        MPI_Type_create_subarray(3, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &t);
        z.push_back({"subarray_c", commit(t), true});
        MPI_Type_create_subarray(3, sizes, subs, starts, MPI_ORDER_FORTRAN, MPI_INT, &t);
        z.push_back({"subarray_fortran", commit(t), true});
    }
    {
        // 2 x 2 process grid (any job size: the rank is taken modulo 4).
        int gs[] = {6, 7}, dist[] = {MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_CYCLIC},
            darg[] = {MPI_DISTRIBUTE_DFLT_DARG, 2}, ps[] = {2, 2};
        MPI_Type_create_darray(4, rank % 4, 2, gs, dist, darg, ps, MPI_ORDER_C, MPI_INT, &t);
        z.push_back({"darray_c", commit(t), true});
        int gs3[] = {5, 4, 3},
            dist3[] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_NONE, MPI_DISTRIBUTE_BLOCK},
            darg3[] = {1, MPI_DISTRIBUTE_DFLT_DARG, MPI_DISTRIBUTE_DFLT_DARG}, ps3[] = {2, 1, 2};
        MPI_Type_create_darray(4, rank % 4, 3, gs3, dist3, darg3, ps3, MPI_ORDER_FORTRAN,
                               MPI_DOUBLE, &t);
        z.push_back({"darray_fortran", commit(t), true});
    }
    (void)nprocs;
    MPI_Type_vector(2, 1, 3, MPI_INT, &u);
    MPI_Type_create_resized(u, 0, 40, &t);  // tiles every 40 bytes, not every 16
    z.push_back({"resized_vector", commit(t), true});
    MPI_Type_free(&u);
    {
        // Nested: vector of (struct of resized indexed), as HDF5-style and ROMIO tests do.
        int bl[] = {1, 1}, d[] = {0, 2};
        MPI_Type_indexed(2, bl, d, MPI_SHORT, &u);  // shorts at 0 and 4
        MPI_Type_create_resized(u, 0, 8, &v);
        MPI_Type_free(&u);
        int sbl[] = {2, 1};
        MPI_Aint sd[] = {0, 24};
        MPI_Datatype sty[] = {v, MPI_INT};
        MPI_Type_create_struct(2, sbl, sd, sty, &u);  // two resized at 0, 8; int at 24
        MPI_Type_free(&v);
        // The resized child's bounds are sticky: the struct's extent is 16 (not 28), so it is
        // resized again to tile without overlap.
        MPI_Type_create_resized(u, 0, 32, &v);
        MPI_Type_free(&u);
        MPI_Type_create_hvector(3, 2, 80, v, &t);
        MPI_Type_free(&v);
        z.push_back({"nested", commit(t), true});
    }
    {
        // HDF5 chunked-dataset style: struct of hindexed pieces.
        int bl[] = {16, 8};
        MPI_Aint d[] = {0, 128};
        MPI_Type_create_hindexed(2, bl, d, MPI_BYTE, &u);
        int sbl[] = {1, 1};
        MPI_Aint sd[] = {0, 512};
        MPI_Datatype sty[] = {u, u};
        MPI_Type_create_struct(2, sbl, sd, sty, &t);
        MPI_Type_free(&u);
        z.push_back({"hdf5_struct_hindexed", commit(t), true});
    }
    // Memory-only shapes: negative and decreasing displacements.
    {
        int bl[] = {1, 2, 1};
        MPI_Aint d[] = {40, 0, -16};
        MPI_Type_create_hindexed(3, bl, d, MPI_INT, &t);
        z.push_back({"hindexed_decreasing_negative", commit(t), false});
    }
    {
        MPI_Type_create_resized(MPI_INT, -8, 16, &u);
        MPI_Type_contiguous(3, u, &t);
        MPI_Type_free(&u);
        z.push_back({"contiguous_of_negative_lb_resized", commit(t), true});
    }
    {
        MPI_Type_vector(3, 1, -2, MPI_DOUBLE, &t);  // negative stride: decreasing
        z.push_back({"vector_negative_stride", commit(t), false});
    }
    return z;
}

inline void free_zoo(std::vector<ZooType>& z) {
    for (auto& e : z) {
        int ni, na, nt, c;
        MPI_Type_get_envelope(e.type, &ni, &na, &nt, &c);
        if (c != MPI_COMBINER_NAMED) MPI_Type_free(&e.type);
    }
}

}  // namespace mpiio_test
