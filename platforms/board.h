// A board: what ACRN's board file says about the host that matters to the
// twin — CPU family/model (selects the timing profile), core frequency, pCPU
// topology with each thread's core type, caches, physical address width,
// and the PCI memory resources the configurator places BARs around.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/core/types.h"
#include "models/host/cache_topology.h"
#include "platforms/board_pci.h"

namespace ivsim {

struct PhysicalCpu {
  unsigned id = 0;  // ACRN pcpu_id (cpu_id in the board file)
  unsigned die = 0;
  unsigned core = 0;    // core id within the die
  unsigned thread = 0;  // SMT thread id
  // The thread's <core_type> as ACRN's board inspector writes it from CPUID
  // leaf 0x1A: "Core" or "Atom" on hybrid parts (and Tremont), "Reserved"
  // when the leaf reports none, "" when the CPU has no such leaf.
  std::string core_type;
  u32 apic_id = 0;  // its local APIC ID (the board file's apic_id): the ID its vCPUs' vLAPICs take
};

// One cache of the board file's <caches> list.
struct CacheInfo {
  unsigned level = 1;
  unsigned type = 3;  // ACRN board file: 1 data, 2 instruction, 3 unified
  u64 size_bytes = 0;
  unsigned ways = 0;
  unsigned line_bytes = 64;
  bool inclusive = false;       // <cache_inclusiveness>: inclusive of the lower levels
  std::vector<unsigned> pcpus;  // pCPU ids sharing it
  // The board file's cache id (the id attribute: the sharing threads' APIC
  // ID >> the bits they differ in), which ACRN's CACHE_ID names; for a board
  // file or YAML board that gives none, its position among the caches of its
  // level (0, 1, ...).
  unsigned id = 0;
  CatCapability cat;  // L2/L3 cache allocation (<capability id="CAT">, <capability id="CDP"/>)
};

struct Board {
  std::string name;
  std::string cpu_model;  // "Intel(R) Core(TM) i7-9700TE CPU @ 1.80GHz"
  unsigned family_id = 6;
  unsigned model_id = 0;
  unsigned physical_address_bits = 39;
  // Whether the CPU has the IA32_CORE_CAPABILITIES MSR (CPUID.(EAX=7,ECX=0):
  // EDX[30]; the board inspector's <capability id="ia32_core_capabilities"/>
  // under processors/model). Without it ACRN reads no core capability
  // (detect_core_caps), so split-lock #AC and UC-lock #GP stay off
  // whatever the scenario asks. Empty: the file lists no CPU capabilities
  // (a YAML board, or a board file cut down to what ivsim reads).
  std::optional<bool> core_capabilities_msr;
  // The core clock in MHz (0: the board file does not say) and where it came
  // from: the model description's "@ 2.40GHz", or ACPI P-state data.
  unsigned frequency_mhz = 0;
  std::string frequency_source;
  // A YAML board names its profile; an ACRN board file leaves this empty and
  // the CPU model map (platforms/cpu-models.yaml) decides at run time.
  std::string timing_profile;
  std::vector<PhysicalCpu> pcpus;
  u64 ram_mib = 16384;
  std::vector<CacheInfo> caches;  // data and unified caches (instruction caches are not modelled)
  BoardPci pci;                   // the PCI memory resources (an ACRN board file's bus/device tree)
  // The IOAPICs' addresses (an ACRN board file's <ioapics>); empty when the
  // file lists none (a YAML board, or a board file cut down to what ivsim
  // reads): the Service VM then gets one vIOAPIC, at VIOAPIC_BASE.
  std::vector<u64> ioapics;

  const PhysicalCpu* find_pcpu(unsigned id) const {
    for (const auto& p : pcpus)
      if (p.id == id) return &p;
    return nullptr;
  }
};

// The frequency in a CPU model description ("... CPU @ 1.80GHz" -> 1800), 0
// when it names none.
unsigned frequency_from_description(const std::string& description);

// Names of the boards shipped in platforms/boards/, sorted.
std::vector<std::string> board_names();
// Loads a shipped board by name, or an ACRN board file when `name` ends in
// ".xml" (a path); throws ConfigError(where, "board", ...) when unknown or
// unreadable, and errors located in the board file when it is malformed.
Board load_board(const std::string& name, const struct SourceLocation& where);

}  // namespace ivsim
