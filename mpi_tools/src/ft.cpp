#include "mpi_tools/ft.hpp"

namespace mpi_tools::ft {

const char* to_string(Rc rc) {
    switch (rc) {
        case Rc::ok:
            return "ok";
        case Rc::proc_failed:
            return "proc_failed";
        case Rc::revoked:
            return "revoked";
        case Rc::timeout:
            return "timeout";
    }
    return "?";
}

}  // namespace mpi_tools::ft
