// Timing profiles: every number the models charge, with its unit and its
// source, read from platforms/profiles/<name>.yaml and overridable per entry
// from the scenario (timing.overrides) or the command line (--set).
#pragma once

#include <string>
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

struct TimingProfile {
  std::string name;
  std::string description;
  std::string file;
  std::vector<TimingEntry> entries;  // in the order the profile lists them

  const TimingEntry* find(const std::string& entry) const;
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
  bool whole = false;  // a count: only whole numbers
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
// Throws ConfigError located at `where` (field "timing.profile") when unknown,
// or in the profile file when it is malformed.
TimingProfile load_timing_profile(const std::string& name, const SourceLocation& where);
// Applies scenario.timing_overrides; unknown entries and non-numbers are
// ConfigErrors at "timing.overrides.<entry>".
void apply_timing_overrides(TimingProfile& profile, const Scenario& scenario);
// Converts to what the models consume.
TimingParams resolve_timing(const TimingProfile& profile);

}  // namespace ivsim
