// ACRN's cache allocation (Intel RDT's Cache Allocation Technology): which
// ways of a board's L2 and L3 caches each vCPU may fill, from the scenario's
// hv/CACHE_REGION policies and the board's CAT capabilities.
//
// The checks are those of ACRN's configurator and config tools:
// hv_cfg_lib.py's cat_max_mask_check (a mask within the capacity bitmask's
// length, contiguous), the schema's checks/rdt_support.xsd (VCAT only without
// CDP and with RDT, CDP only when every L2 and L3 cache has it, fewer CLOS
// needed than the board's smallest clos_number), and what the CAT widget
// offers (a policy per vCPU whose pCPU the cache serves). The CLOS count
// follows library/rdt.py's get_policy_list: vCPUs whose masks agree on every
// cache share a class of service.
//
// At run time the hypervisor programs the masks (rdt.c: setup_clos writes
// each CLOS's IA32_L2_MASK_n / IA32_L3_MASK_n) and loads a vCPU's CLOS into
// IA32_PQR_ASSOC at VM entry from its MSR area (vmsr.c:
// prepare_auto_msr_area); the twin hands each vCPU its masks as ways
// (vcpu_fill_ways), which its pCPU's caches use while it runs.
#pragma once

#include <functional>
#include <string>

#include "models/host/set_assoc_cache.h"
#include "platforms/board.h"
#include "platforms/scenario.h"

namespace ivsim {

// Reports a problem at a scenario field (its path, as Scenario::where knows
// it) and does not return.
using CacheAllocationFail = std::function<void(const std::string& path, const std::string& message)>;

// Checks s.rdt and s.cache_allocation against the board and the scenario's
// VMs; calls fail for the first problem.
void check_cache_allocation(const Scenario& s, const Board& board, const CacheAllocationFail& fail);

// The ways a capacity bitmask selects in a cache of `ways` ways whose
// bitmask has `capacity_mask_length` bits: bit i covers the i-th of that many
// equal slices of the ways (the configurator's "chunks"), so a way is
// selected when a set bit's slice overlaps it.
WayMask cbm_ways(u64 cbm, unsigned capacity_mask_length, unsigned ways);

// The ways a vCPU may fill in its pCPU's L2 and LLC: 0 for a cache with no
// policy for it (every way, the default mask ACRN's allocator writes).
struct FillWays {
  WayMask l2 = 0;
  WayMask llc = 0;
};
FillWays vcpu_fill_ways(const Scenario& s, const Board& board, const std::string& vm, unsigned vcpu);

}  // namespace ivsim
