#include <cstdio>

#include "../ft/portable/portable_ft.hpp"
#include "mpi_tools/ft.hpp"
#ifdef PFS_HAVE_ULFM
#include "../ft/ulfm/ulfm_ft.hpp"
#endif

namespace mpi_tools::ft {

std::unique_ptr<FaultTolerance> make(const Config& cfg, Engine& engine) {
#ifdef PFS_HAVE_ULFM
    if (cfg.ft_backend != "portable" && UlfmFt::active_in_this_run())
        return std::make_unique<UlfmFt>(cfg, engine);
#endif
    if (cfg.ft_backend == "ulfm" && engine.rank() == 0)
        std::fprintf(stderr, "mpi_tools: ULFM requested but %s; using the portable backend\n",
#ifdef PFS_HAVE_ULFM
                     "it is not active in this run (mpirun --with-ft ulfm)"
#else
                     "this MPI has no ULFM (OMPI_HAVE_MPI_EXT_FTMPI)"
#endif
        );
    return std::make_unique<PortableFt>(cfg, engine);
}

}  // namespace mpi_tools::ft
