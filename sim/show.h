// `ivsim show`: the platform a scenario resolves to, built (elaborated) but
// not simulated — VMs with their vCPU -> pCPU placement, the IVSHMEM devices
// with their BDF and BAR addresses, the regions with provider, size, host
// physical address and members, and the workloads with every default filled
// in (assigned VBDFs, the Service VM's pCPUs, default workloads).
#pragma once

#include <string>

#include "sim/report.h"
#include "sim/run.h"

namespace ivsim {

Json show_json(Simulation& sim);
// The same, as aligned text tables.
std::string show_text(Simulation& sim);

}  // namespace ivsim
