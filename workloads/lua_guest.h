// Lua scripted guests: a workload written as a Lua 5.4 script runs as the
// guest program on each of its roles' vCPUs, one Lua state per vCPU, with
// the guest API in Lua naming. Every function the script sees is one entry
// of one table (lua_api()), which the binding registers, the docs list and
// the tests check against.
#pragma once

#include <string>
#include <vector>

#include "workloads/workload_kind.h"

namespace ivsim {

// A role's program for a scripted workload (WorkloadConfig::script).
void lua_guest(Guest& guest, const WorkloadContext& ctx);

struct LuaApiInfo {
  std::string name;
  std::string signature;  // "load64(addr) -> value"
  std::string doc;
};
// The API a script sees, in the table's order.
std::vector<LuaApiInfo> lua_api();

}  // namespace ivsim
