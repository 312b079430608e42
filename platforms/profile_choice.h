// Which timing profile a run uses for a board, and what the board changes
// in it: the scenario's timing.profile; else the one a YAML board names;
// else the CPU model map's (platforms/cpu-models.yaml); else, for a CPU the
// map lacks, the nearest profile by core types, cache sizes, sockets,
// frequency and model id (one warning names it; the report records it).
// The board's frequency replaces core_mhz (a scenario override still wins),
// so cycle entries convert at the board's clock.
#pragma once

#include <string>

#include "platforms/board.h"
#include "platforms/scenario.h"
#include "platforms/timing_profile.h"

namespace ivsim {

struct ProfileChoice {
  std::string profile;
  std::string chosen_by;  // "scenario", "board", "cpu model", "nearest"
  std::string why;
  std::string cpu;  // the board's CPU, as the map names it
};

// `warn`: print the warnings of a nearest choice and of core types the
// profile lacks (a run does; validation, which chooses too, does not repeat them).
ProfileChoice choose_timing_profile(const Scenario& scenario, const Board& board, bool warn = true);

// The profile a run of `scenario` on `board` uses: chosen, loaded, at the
// board's frequency, with the scenario's overrides, its choice recorded.
// Throws ConfigError.
TimingProfile timing_profile_for_run(const Scenario& scenario, const Board& board, bool warn = true);

// The profile's core type for a pCPU: the board's <core_type> when the
// profile models it; for a thread naming none, the map row's `threads`, else
// the profile's first core type.
std::string profile_core_type(const TimingProfile& profile, const Board& board, const PhysicalCpu& pcpu);

}  // namespace ivsim
