// Reads an ACRN scenario file, as ACRN's configurator saves it, into the
// scenario tree the YAML loader validates (scenario_loader), so XML and
// YAML scenarios obey the same rules, take the same --set overrides and
// give the same errors. Errors name the XML element path (see
// platforms/xml_document.h) and its line and column.
//
// What the twin reads (everything else is accepted and listed once at
// debug log level):
//   hv/CAPACITIES/MAX_VM_NUM                  -> hypervisor.max_vm_num
//   hv/CAPACITIES/MAX_EMULATED_MMIO           -> hypervisor.max_emulated_mmio
//   hv/FEATURES/SCHEDULER                     -> hypervisor.scheduler
//   hv/FEATURES/SPLIT_LOCK_DETECTION_ENABLED, UC_LOCK_DETECTION_ENABLED
//                                             -> hypervisor.split_lock_detection, uc_lock_detection
//   hv/FEATURES/HYPERV_ENABLED                -> hypervisor.hyperv
//   hv/FEATURES/SERVICE_VM_SUPERVISOR_ENABLED -> hypervisor.service_vm_supervisor
//   vm/@id, name, load_order, vm_type         -> vms[i].id, name, load_order, vm_type
//   vm/cpu_affinity/pcpu/pcpu_id              -> vms[i].cpu_affinity (also the older cpu_affinity/pcpu_id)
//   vm/memory/size, or the sum of vm/memory/hpa_region/size_hpa (MB) -> vms[i].memory_mib
//   vm/lapic_passthrough (y/n)                -> vms[i].lapic_passthrough
//   hv/FEATURES/IVSHMEM/IVSHMEM_REGION        -> ivshmem[k]: NAME, PROVIDED_BY, IVSHMEM_SIZE,
//       IVSHMEM_REGION_ID, IVSHMEM_VMS/IVSHMEM_VM (VM_NAME, VBDF); or ACRN 2.x's
//       "hv:/NAME, SIZE, ID:ID" text, converted as ACRN's upgrader does.
// ACRN 2.x scenario files (vm_type without load_order, guest_flags, memory
// sizes in bytes, free-text VM names) are converted as ACRN's upgrader
// (misc/config_tools/scenario_config/upgrader.py) converts them; a 2.x
// launch file is not a scenario (sim/acrn_launch_xml.h merges one).
#pragma once

#include <string>

#include "platforms/xml_document.h"
#include "sim/scenario_tree.h"

namespace ivsim {

// `board` is what --board gave: an ACRN board file (*.xml) or a shipped
// board name; the tree's board entry is located at "--board".
ScenarioTree read_acrn_scenario_file(const std::string& path, const std::string& board);
ScenarioTree acrn_scenario_tree(const XmlDocument& doc, const std::string& board);
// ACRN 2.x's free-text VM name as 3.x's VMNameType allows it: each
// character other than letters, digits, '_' and '-' made '_', and no more
// than the first kMaxVmNameChars kept.
std::string acrn_legacy_vm_name(std::string name);
ScenarioTree read_acrn_scenario_text(const std::string& xml_text, const std::string& file_name,
                                     const std::string& board);

}  // namespace ivsim
