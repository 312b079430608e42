// Timing profiles: every number the models charge, with its unit and its
// source, read from platforms/profiles/<name>.yaml and overridable per entry
// from the scenario (timing.overrides) or the command line (--set).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "models/core/timing.h"
#include "platforms/config_error.h"
#include "platforms/scenario.h"

namespace ivsim {

struct TimingEntry {
  std::string name;
  double value = 0;
  std::string unit;    // cycles, ns, MHz, entries, ways, misses, bytes/cycle
  std::string source;  // where the number comes from
  bool overridden = false;
};

// The part a profile was built for, as an unknown CPU's board is compared
// with it to pick the nearest profile (platforms/profile_choice.h).
struct ReferencePart {
  std::string cpu;        // which part, and where its figures come from
  unsigned l1d_kib = 0;   // L1D per core
  unsigned l2_kib = 0;    // one L2
  unsigned l2_cores = 1;  // cores sharing one L2 (SMT siblings count once)
  bool l3 = true;         // an L3 beyond the L2
  unsigned sockets = 1;   // sockets (dies) on the reference board
};

struct TimingProfile {
  std::string name;
  std::string description;
  std::string file;
  // The core types it models, as ACRN's board file names them: "Core",
  // "Atom", or both for a hybrid part. Unprefixed entries describe the first;
  // a hybrid profile's atom_ entries describe its Atom cores.
  std::vector<std::string> core_types{"Core"};
  ReferencePart reference;
  std::vector<TimingEntry> entries;  // in the order the profile lists them

  // How a run came to use it (the report records it): chosen_by is
  // "scenario" (timing.profile), "board" (a YAML board names it), "cpu
  // model" (platforms/cpu-models.yaml) or "nearest" (an unknown CPU); `why`
  // says more, `cpu` names the board's CPU.
  std::string chosen_by;
  std::string why;
  std::string cpu;
  std::string frequency_source;                                                   // where core_mhz came from
  std::vector<std::pair<std::string, std::vector<unsigned>>> pcpus_by_core_type;  // the board's pCPUs per core type

  const TimingEntry* find(const std::string& entry) const;
  bool hybrid() const { return core_types.size() == 2; }
};

// The entries every profile must define, with their units and the range a
// value must lie in (part of the input contract: a profile value or an
// override outside it is refused). The ranges are wide; they exist so that no
// value can overflow the integer picoseconds and counts the models use.
struct TimingEntrySpec {
  const char* name;
  const char* unit;
  const char* doc;
  double min;
  double max;
  bool whole = false;   // a count: only whole numbers
  bool hybrid = false;  // only (and always) in a hybrid profile: its Atom cores' figures
};
const std::vector<TimingEntrySpec>& timing_entry_specs();
const TimingEntrySpec* find_timing_entry_spec(const std::string& name);
// "" when `value` is acceptable for the entry, else what is wrong with it
// ("must be from 1 to 10000 ns, got 1e+17").
std::string timing_value_error(const TimingEntrySpec& spec, double value);

// What `ivsim validate` can check of timing.overrides without a profile:
// each entry exists and its value is a number in the entry's range. Throws
// ConfigError at "timing.overrides.<entry>".
void check_timing_overrides(const Scenario& scenario);

std::vector<std::string> timing_profile_names();
// Throws ConfigError located at `where` (field "timing.profile") unless
// `name` is a shipped profile; reads no profile.
void check_timing_profile_name(const std::string& name, const SourceLocation& where);
// Throws ConfigError located at `where` (field "timing.profile") when unknown,
// or in the profile file when it is malformed.
TimingProfile load_timing_profile(const std::string& name, const SourceLocation& where);
// Applies scenario.timing_overrides; unknown entries and non-numbers are
// ConfigErrors at "timing.overrides.<entry>".
void apply_timing_overrides(TimingProfile& profile, const Scenario& scenario);
// Converts to what the models consume, for one of the profile's core types
// ("" for its first).
TimingParams resolve_timing(const TimingProfile& profile, const std::string& core_type = "");

}  // namespace ivsim
