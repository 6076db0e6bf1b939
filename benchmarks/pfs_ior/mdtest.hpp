// Metadata mode (--mdtest), after mdtest: every task creates -n empty files, stats them and
// removes them, each phase between barriers; rate = all tasks' operations / (latest end -
// earliest start). Files live in the directory -o, or with -u in a directory per task.
#pragma once

#include "ior_test.hpp"

namespace pfs_ior {

void run_md_iteration(const Params& p, const TestContext& ctx, int iter, MdResult* out);

}  // namespace pfs_ior
