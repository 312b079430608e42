// Merges an ACRN 2.x launch file into the scenario tree converted from the
// 2.x scenario file it was made for, as ACRN's upgrader
// (misc/config_tools/scenario_config/upgrader.py) merges the two. Before
// v3.0 a post-launched VM's settings lived in the launch file (root
// attribute user_vm_launcher, uos_launcher before v2.6), one <user_vm> (or
// <uos>) per VM: the post-launched VM named its vm_name (ACRN 2.7 creates
// the VM by name: get_vmid_by_name), or without one the VM whose id is the
// Service VM's plus the user VM's (get_from_old_launch_data; ACRN 2.5-2.6
// matched the UUID taken from that VM). What the twin reads:
//   mem_size (MB)                    -> vms[i].memory_mib (acrn-dm's -m; the upgrader drops it)
//   cpu_affinity/pcpu_id             -> vms[i].cpu_affinity (the launch file's wins)
//   rtos_type "Soft RT" / "Hard RT"  -> vm_type RTVM; "Hard RT" also lapic_passthrough (move_vm_type,
//                                       move_lapic_passthrough)
//   shm_regions/shm_region           -> "dm:/NAME,SIZE": the VM joins dm-land region NAME, made on first
//                                       use with SIZE MB (from_launch_xml_node); "hv:/NAME,SIZE": the VM
//                                       joins the scenario's hv-land region NAME
// Everything else is accepted and listed at debug log level. Errors name
// the launch file's element and its line.
#pragma once

#include "platforms/xml_document.h"
#include "sim/scenario_tree.h"

namespace ivsim {

void apply_acrn_launch_file(ScenarioTree& tree, const XmlDocument& launch);

// Is this document a 2.x launch file (its root's launcher attribute)?
bool is_acrn_launch_file(const XmlDocument& doc);

}  // namespace ivsim
