// The in-twin measurement tools run one scenario each, built in code: the
// pieces calibrate and the core-to-core matrix share. SystemC allows one
// elaboration per process, so every measurement forks a child that
// simulates and sends its numbers back through a pipe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "platforms/board.h"
#include "platforms/scenario.h"
#include "sim/run.h"

namespace ivsim {

// A workload of a library kind with its defaults, some parameters replaced.
WorkloadConfig workload(const std::string& kind_name, const std::string& region, std::map<std::string, GuestRef> roles,
                        std::map<std::string, ParamValue> params);
inline ParamValue integer(long long v) { return ParamValue::integer(v); }
inline ParamValue text(const char* v) { return ParamValue::text(v); }

// One VM with vCPUs on the given pCPUs and room for the tools' data.
Scenario single_vm(const Board& board, std::vector<unsigned> pcpus);

using Extract = std::function<std::vector<double>(Simulation&)>;
// Simulates `s` on `board` in a child process and returns what `extract`
// takes from it; on failure returns nothing and sets `error`.
std::vector<double> measure(const Scenario& s, const Board& board, const Extract& extract, std::string& error);
// The median / minimum of the first workload's metric, in picoseconds.
Extract p50_of(const std::string& metric);
Extract min_of(const std::string& metric);

}  // namespace ivsim
