// `ivsim merge DIR... --out DIR`: joins the slices of a sweep that ran as
// separate processes (`--shard I/N`, a Slurm job array, GNU parallel) into
// the one table a single `ivsim sweep` of all the points would have written.
#pragma once

#include <string>
#include <vector>

namespace ivsim {

// Reads every results.json and results.shard-*.json in `inputs` (folders, or
// the files themselves), checks they are slices of one sweep and agree where
// they overlap, and writes out_dir/results.json, .csv and sweep.json.
// Returns 0, or kExitPointsFailed (sim/sweep.h) when a point failed or is
// missing (each named on stderr). Throws ConfigError for bad input.
int merge_results(const std::vector<std::string>& inputs, const std::string& out_dir);

}  // namespace ivsim
