// What a sweep is: the `ivsim run` arguments every point shares and the
// fields it varies (`--vary key.path=v1,v2,...`), whose cartesian product
// gives the points, and which slice of them one process runs (`--shard I/N`).
#pragma once

#include <string>
#include <vector>

#include "platforms/config_error.h"
#include "sim/report.h"

namespace ivsim {

struct Vary {
  std::string key;                  // a --set path, e.g. workloads[0].params.message_bytes
  std::vector<std::string> values;  // as given, each passed as --set key=value
};

struct SweepSpec {
  std::vector<std::string> run_args;  // SCENARIO, --board, --scenario, --workloads, --set, --seed as given
  std::vector<Vary> vary;

  // The number of points: the product of the value counts.
  std::size_t points() const;
  // Point `index`'s value of each varied key: the last --vary changes fastest.
  std::vector<std::string> values(std::size_t index) const;

  Json to_json() const;
  // Throws ConfigError at `where` when `j` is not a sweep definition.
  static SweepSpec from_json(const Json& j, const SourceLocation& where);
};

// `key.path=v1,v2,...`; throws ConfigError at --vary.
Vary parse_vary(const std::string& text);

// Which slice of the points a process runs: those whose index % count == index.
struct Shard {
  unsigned index = 0;
  unsigned count = 1;
  bool sharded() const { return count > 1; }
  bool has(std::size_t point) const { return point % count == index; }
  std::string name() const { return std::to_string(index) + "-of-" + std::to_string(count); }
};

// `I/N` with 0 <= I < N; throws ConfigError at --shard.
Shard parse_shard(const std::string& text);
// A Slurm job array's slice (SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN,
// of SLURM_ARRAY_TASK_COUNT), or a single slice outside one.
Shard shard_from_environment();

// A value as JSON: a number when the text is one, else the text.
Json value_json(const std::string& text);

}  // namespace ivsim
