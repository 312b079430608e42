// Checks of a scenario whose fields are each valid, against its board and
// the workload library: what the platform builder or a guest program would
// otherwise find only after elaboration or during the run (memory that does
// not fit the board, vCPUs sharing a pCPU under SCHED_NOOP, two roles on one
// vCPU, BAR windows that run out, a buffer past the VM's RAM, a device the
// guest's bus scan cannot find). The loader runs them, so `validate`
// refuses what `run` would, and `run` refuses it before building anything.
#pragma once

#include "platforms/board.h"
#include "platforms/scenario.h"
#include "sim/scenario_fields.h"

namespace ivsim {

// Throws ConfigError located at the field that has to change.
void check_scenario_fit(const Scenario& s, const Board& board, const FieldReader& fields);

// The field path of one of s's VMs: "vms[2]".
std::string vm_path(const Scenario& s, const VmConfig& vm);

// What any run on the board needs of it alone: text that is valid UTF-8,
// caches the hierarchy can be built from, a physical address width that
// covers its RAM. Throws ConfigError at `where` (field path `field`).
void check_board(const Board& board, const SourceLocation& where, const std::string& field);

}  // namespace ivsim
