#include "platforms/timing_profile.h"

#include <dirent.h>
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "platforms/data_dir.h"
#include "platforms/input_file.h"

namespace ivsim {

const std::vector<TimingEntrySpec>& timing_entry_specs() {
  // Ranges: wide enough for any x86 core a profile may describe, narrow
  // enough that every conversion to picoseconds or to a count is exact.
  constexpr double kMaxCycles = 1e7;  // 10 M cycles: over 3 ms at 3 GHz, far above any exit or handler
  constexpr double kMaxNs = 1e4;      // 10 us: above any cache, DRAM or cross-socket latency
  static const std::vector<TimingEntrySpec> specs = {
      {"core_mhz", "MHz", "core clock that converts cycles to time", 100, 10000, true},
      {"l1_hit", "cycles", "load or store hitting the core's own cache", 1, 100},
      {"l2_hit", "cycles", "load that misses the core's L1D and hits its L2", 1, 1000},
      {"llc_hit", "cycles", "load missing the L2 that hits the shared LLC (or a clean copy in a core sharing it)", 1,
       1000},
      {"dram", "ns", "miss to memory (idle latency)", 1, kMaxNs},
      {"bus_lock", "cycles",
       "a locked read-modify-write no cache can lock (split across two lines, or to UC memory): a bus lock", 0,
       kMaxCycles},
      {"c2c_smt", "ns", "one-way transfer of a modified line between SMT siblings", 0, kMaxNs},
      {"c2c_same_die", "ns", "one-way transfer of a modified line between cores of one die", 0, kMaxNs},
      {"c2c_cross_die", "ns", "one-way transfer of a modified line between dies or sockets", 0, kMaxNs},
      {"c2c_same_l2", "ns",
       "one-way transfer of a modified line between cores sharing an L2 (Atom module, E-core cluster)", 0, kMaxNs},
      {"mlp", "misses", "L1D misses one core keeps in flight (fill buffers): how far a block copy's misses overlap", 1,
       64, true},
      {"l1_load_bw", "bytes/cycle", "bytes per cycle the L1D delivers to loads: the rate a block read issues lines", 1,
       1024},
      {"l1_store_bw", "bytes/cycle", "bytes per cycle the L1D takes from stores: the rate a block write issues lines",
       1, 1024},
      {"dtlb_entries", "entries", "L1 data TLB entries (any page size)", 0, 65536, true},
      {"dtlb_ways", "ways", "L1 data TLB associativity", 0, 65536, true},
      {"stlb_entries", "entries", "second-level TLB entries (any page size)", 0, 65536, true},
      {"stlb_ways", "ways", "second-level TLB associativity", 0, 65536, true},
      {"stlb_hit", "cycles", "an L1 dTLB miss that hits the STLB", 0, 1000},
      {"pml4e_cache_entries", "entries", "guest PML4E paging-structure cache (fully associative)", 0, 4096, true},
      {"pdpte_cache_entries", "entries", "guest PDPTE paging-structure cache (fully associative)", 0, 4096, true},
      {"pde_cache_entries", "entries", "guest PDE paging-structure cache (fully associative)", 0, 4096, true},
      {"ept_psc_entries", "entries", "EPT paging-structure cache, PML4E/PDPTE/PDE entries (fully associative)", 0, 4096,
       true},
      {"vm_exit_entry", "cycles", "VM exit plus VM entry (world switch)", 0, kMaxCycles},
      {"mmio_decode", "cycles", "fetching and decoding the instruction of an MMIO exit", 0, kMaxCycles},
      {"hv_mmio_handler", "cycles", "in-hypervisor MMIO handler (vPCI, IVSHMEM registers)", 0, kMaxCycles},
      {"hv_pio_handler", "cycles", "in-hypervisor port-I/O handler (0xCF8/0xCFC)", 0, kMaxCycles},
      {"ept_edit", "cycles", "per EPT leaf written or cleared by the hypervisor", 0, kMaxCycles},
      {"context_switch", "cycles", "the hypervisor switching a pCPU from one vCPU to another", 0, kMaxCycles},
      {"iorr_slice", "ms", "SCHED_IORR time slice", 0.001, 10000},
      {"bvt_mcu", "ms", "SCHED_BVT minimum charging unit", 0.001, 10000},
      {"bvt_csa", "ms", "SCHED_BVT context-switch allowance", 0, 10000},
      {"hypercall_handler", "cycles", "a null hypercall's dispatch and return in the hypervisor", 0, kMaxCycles},
      {"cpuid_handler", "cycles", "CPUID emulated by the hypervisor (it always exits)", 0, kMaxCycles},
      {"msr_read_handler", "cycles", "an intercepted RDMSR (APIC base; x2APIC ID and LDR under LAPIC passthrough)", 0,
       kMaxCycles},

      {"apic_write_handler", "cycles", "an intercepted x2APIC ICR or TSC-deadline MSR write", 0, kMaxCycles},
      {"pt_icr_write", "ns",
       "an ICR write under LAPIC passthrough as its sender sees it, the exit included (vlapic_x2apic_pt_icr_access)", 0,
       kMaxNs},
      {"timer_emulation", "cycles", "arming and firing the emulated LAPIC timer", 0, kMaxCycles},
      {"min_timer_period", "ms", "the shortest period of the hypervisor's periodic timers (add_timer)", 0, 10000},

      {"irq_posted_delivery", "cycles",
       "MSI injected into a vCPU: posted-interrupt notification until the vCPU sees it", 0, kMaxCycles},
      {"irq_lapic_pt_delivery", "cycles", "MSI to a LAPIC-passthrough vCPU: a physical IPI", 0, kMaxCycles},
      {"hlt_wakeup", "cycles", "waking a halted vCPU: scheduler wake-up and VM entry", 0, kMaxCycles},
      {"c1_exit", "ns",
       "a core leaving C1 on an interrupt: a LAPIC-passthrough guest's HLT, which does not exit, or an idle pCPU's "
       "(cpu_do_idle) ends there",
       0, kMaxNs},
      {"core_crystal_clock", "MHz",
       "the core crystal clock (CPUID.15H): the rate a physical LAPIC timer counts down at, under LAPIC passthrough", 1,
       1000},
      {"isr_entry", "cycles", "guest interrupt entry up to the handler's first instruction", 0, kMaxCycles},
      {"ioreq_notify", "cycles", "hypervisor posts an I/O request and upcalls the Service VM (HSM vector)", 0,
       kMaxCycles},
      {"dm_dispatch", "cycles", "Service VM kernel (HSM) wakes acrn-dm's I/O request thread", 0, kMaxCycles},
      {"dm_handler", "cycles", "acrn-dm emulates the access (device handler)", 0, kMaxCycles},
      {"ioreq_complete", "cycles", "the requester resumes after acrn-dm's HC_NOTIFY_REQUEST_FINISH", 0, kMaxCycles},

      {"zephyr_isr", "cycles", "Zephyr's ivshmem ISR: k_poll_signal_raise with the vector", 0, kMaxCycles},
      {"zephyr_k_poll_wakeup", "cycles", "Zephyr: the thread blocked in k_poll made ready and switched in", 0,
       kMaxCycles},
      {"uio_irq_eventfd", "cycles", "Linux: acrn-kernel uio_pci_generic's MSI-X handler signalling the eventfd", 0,
       kMaxCycles},
      {"linux_epoll_wakeup", "cycles", "Linux: the thread in epoll_wait woken and scheduled (context switch)", 0,
       kMaxCycles},
      {"linux_syscall", "cycles", "Linux: one system call's entry and return (epoll_wait, read)", 0, kMaxCycles},
      {"uio_timerfd_period", "ms", "Linux: the timerfd period the polling mode checks the region at", 0.001, 10000},
      {"windows_isr_dpc", "cycles", "Windows: the ivshmem driver's ISR, its DPC and KeSetEvent", 0, kMaxCycles},
      {"windows_event_wakeup", "cycles", "Windows: the thread in WaitForSingleObject readied and dispatched", 0,
       kMaxCycles},
      {"windows_syscall", "cycles", "Windows: one DeviceIoControl or wait call through the I/O manager", 0, kMaxCycles},

      // Sources of variation (models/host/uncore.h, the vCPUs' ticks; docs/realtime.md).
      {"dram_trefi", "ns", "DRAM refresh interval: the rank refreshes once every tREFI", 100, 1e6},
      {"dram_trfc", "ns", "DRAM refresh cycle time: the rank serves nothing for tRFC", 0, kMaxNs},
      {"dram_trcd", "ns", "DRAM row activate to column read (tRCD)", 0, kMaxNs},
      {"dram_trp", "ns", "DRAM row precharge (tRP)", 0, kMaxNs},
      {"dram_banks", "banks", "banks per rank, each with one open row", 1, 1024, true},
      {"dram_row", "bytes", "bytes one row activation opens across the rank", 64, 1 << 20, true},
      {"memory_bw", "GB/s", "peak bandwidth of all memory channels: how long a 64-byte request occupies them", 0.1,
       10000},
      {"llc_bw", "bytes/cycle", "bytes per core cycle one LLC slice delivers (one slice per core it serves)", 1, 1024},
      {"linux_hz", "Hz", "a ticking Linux guest's periodic timer tick rate (CONFIG_HZ)", 1, 100000},
      {"windows_tick", "ms", "a Windows guest's clock interrupt period", 0.001, 10000},
      {"guest_tick_handler", "cycles", "a guest kernel's periodic tick handler (timekeeping, timer wheel, scheduler)",
       0, kMaxCycles},
      {"guest_tick_lines", "lines", "cache lines of kernel data one tick handler touches", 0, 65536, true},
      {"hv_sched_tick", "ms", "the hypervisor's scheduler tick on a pCPU SCHED_IORR schedules", 0.001, 10000},
      {"hv_console_timer", "ms", "a debug build's console timer period on hypervisor.vuart_timer_pcpu", 0.001, 10000},
      {"serial_port_read", "ns", "one read of a register of the hypervisor's physical serial port", 0, kMaxNs},
      {"serial_char", "ns", "one character sent on the hypervisor's serial console", 0, 1e7},

      // A hybrid part's Atom (E-) cores; the entries above are its Core (P-) cores'.
      {"atom_core_mhz", "MHz", "the Atom cores' clock", 100, 10000, true, true},
      {"atom_l1_hit", "cycles", "an Atom core's L1D hit", 1, 100, false, true},
      {"atom_l2_hit", "cycles", "an Atom core's L2 hit (its cluster's shared L2)", 1, 1000, false, true},
      {"atom_llc_hit", "cycles", "an Atom core's LLC hit", 1, 1000, false, true},
      {"c2c_core_atom", "ns", "one-way transfer of a modified line between a Core and an Atom core of one die", 0,
       kMaxNs, false, true},
      {"c2c_atom_atom", "ns", "one-way transfer of a modified line between Atom cores of one die in different L2s", 0,
       kMaxNs, false, true},
  };
  return specs;
}

const TimingEntrySpec* find_timing_entry_spec(const std::string& name) {
  for (const auto& s : timing_entry_specs())
    if (name == s.name) return &s;
  return nullptr;
}

std::string timing_value_error(const TimingEntrySpec& spec, double value) {
  const bool in_range = std::isfinite(value) && value >= spec.min && value <= spec.max;
  if (in_range && (!spec.whole || value == std::floor(value))) return "";
  return fmt::format("must be {}from {:g} to {:g} {}, got {}", spec.whole ? "a whole number " : "", spec.min, spec.max,
                     spec.unit, value);
}

const TimingEntry* TimingProfile::find(const std::string& entry) const {
  for (const auto& e : entries)
    if (e.name == entry) return &e;
  return nullptr;
}

std::vector<std::string> timing_profile_names() { return shipped_yaml_names("profiles"); }

namespace {

SourceLocation at(const std::string& file, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return SourceLocation{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

}  // namespace

void check_timing_profile_name(const std::string& name, const SourceLocation& where) {
  const auto names = timing_profile_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where, "timing.profile", "unknown timing profile \"" + name + "\"; shipped profiles: " + list);
  }
}

namespace {

TimingProfile parse_timing_profile(const std::string& name, const std::string& file, const std::string& bytes) {
  TimingProfile p;
  p.file = file;
  YAML::Node root;
  try {
    root = YAML::Load(bytes);
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{p.file, e.mark.line + 1, e.mark.column + 1}, "", e.msg);
  }
  p.name = root["name"] ? root["name"].as<std::string>() : name;
  p.description = root["description"] ? root["description"].as<std::string>() : "";
  if (const YAML::Node ct = root["core_types"]) {
    try {
      p.core_types = ct.as<std::vector<std::string>>();
    } catch (const YAML::Exception&) {
      throw ConfigError(at(p.file, ct), "core_types", "expected a list of core types");
    }
    const bool one = p.core_types.size() == 1 && (p.core_types[0] == "Core" || p.core_types[0] == "Atom");
    const bool hybrid = p.core_types == std::vector<std::string>{"Core", "Atom"};
    if (!one && !hybrid) throw ConfigError(at(p.file, ct), "core_types", "expected [Core], [Atom] or [Core, Atom]");
  }
  if (const YAML::Node r = root["reference"]) {
    try {
      p.reference.cpu = r["cpu"].as<std::string>();
      p.reference.l1d_kib = r["l1d_kib"].as<unsigned>();
      p.reference.l2_kib = r["l2_kib"].as<unsigned>();
      p.reference.l2_cores = r["l2_cores"].as<unsigned>();
      p.reference.l3 = r["l3"].as<bool>();
      p.reference.sockets = r["sockets"].as<unsigned>();
    } catch (const YAML::Exception& e) {
      throw ConfigError(at(p.file, r), "reference",
                        "expected { cpu, l1d_kib, l2_kib, l2_cores, l3, sockets }: " + e.msg);
    }
  }
  const YAML::Node entries = root["entries"];
  if (!entries || !entries.IsMap()) throw ConfigError(at(p.file, root), "entries", "expected a map of timing entries");
  std::set<std::string> seen;
  for (const auto& kv : entries) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = "entries." + key;
    const TimingEntrySpec* spec = find_timing_entry_spec(key);
    if (!spec) throw ConfigError(at(p.file, kv.first), path, "unknown timing entry \"" + key + "\"");
    if (spec->hybrid && !p.hybrid())
      throw ConfigError(at(p.file, kv.first), path, "only a hybrid profile (core_types: [Core, Atom]) has " + key);
    const YAML::Node& v = kv.second;
    if (!v.IsMap() || !v["value"] || !v["unit"] || !v["source"])
      throw ConfigError(at(p.file, v), path, "expected { value, unit, source }");
    TimingEntry e;
    e.name = key;
    try {
      e.value = v["value"].as<double>();
    } catch (const YAML::Exception&) {
      throw ConfigError(at(p.file, v["value"]), path + ".value", "expected a number");
    }
    e.unit = v["unit"].as<std::string>();
    e.source = v["source"].as<std::string>();
    if (e.unit != spec->unit)
      throw ConfigError(at(p.file, v["unit"]), path + ".unit", std::string("expected unit ") + spec->unit);
    if (const std::string err = timing_value_error(*spec, e.value); !err.empty())
      throw ConfigError(at(p.file, v["value"]), path + ".value", err);
    seen.insert(key);
    p.entries.push_back(e);
  }
  for (const auto& s : timing_entry_specs())
    if (!seen.count(s.name) && (!s.hybrid || p.hybrid()))
      throw ConfigError(at(p.file, entries), "entries", std::string("missing entry ") + s.name);
  return p;
}

}  // namespace

TimingProfile load_timing_profile(const std::string& name, const SourceLocation& where) {
  check_timing_profile_name(name, where);
  const std::string file = data_dir() + "/profiles/" + name + ".yaml";
  const std::string bytes = read_input_file(file, "timing profile", SourceLocation{file, 0, 0});
  return parsed_once(file, bytes, [&] { return parse_timing_profile(name, file, bytes); });
}

namespace {

// One override checked against the entry specs alone: a known entry, a
// number, in the entry's range. Returns the value.
double checked_override(const Scenario& scenario, const std::string& key, const std::string& text) {
  const std::string path = "timing.overrides." + key;
  const TimingEntrySpec* spec = find_timing_entry_spec(key);
  if (!spec) {
    std::string list;
    for (const auto& s : timing_entry_specs()) list += (list.empty() ? "" : ", ") + std::string(s.name);
    throw ConfigError(scenario.where(path), path, "unknown timing entry \"" + key + "\"; entries: " + list);
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    throw ConfigError(scenario.where(path), path,
                      std::string("expected a number in ") + spec->unit + ", got \"" + text + "\"");
  if (const std::string err = timing_value_error(*spec, v); !err.empty())
    throw ConfigError(scenario.where(path), path, err);
  return v;
}

}  // namespace

void check_timing_overrides(const Scenario& scenario) {
  for (const auto& [key, text] : scenario.timing_overrides) checked_override(scenario, key, text);
}

void apply_timing_overrides(TimingProfile& profile, const Scenario& scenario) {
  for (const auto& [key, text] : scenario.timing_overrides) {
    const double v = checked_override(scenario, key, text);
    TimingEntry* e = nullptr;
    for (auto& x : profile.entries)
      if (x.name == key) e = &x;
    if (!e) {
      const std::string path = "timing.overrides." + key;
      throw ConfigError(scenario.where(path), path, "timing profile " + profile.name + " has no entry \"" + key + "\"");
    }
    e->value = v;
    e->source = "scenario override";
    e->overridden = true;
  }
}

TimingParams resolve_timing(const TimingProfile& p, const std::string& core_type) {
  // Every value was checked against its entry's range when it was read, so
  // the conversions below neither overflow nor truncate. A hybrid profile's
  // Atom cores take their clock, hits and same-die transfers from the atom_
  // entries, everything else from the common ones (at their own clock).
  const bool atom = p.hybrid() && core_type == "Atom";
  auto get = [&](const char* n) {
    if (atom) {
      const std::string a = std::string("atom_") + n;
      if (const TimingEntry* e = p.find(a)) return e->value;
    }
    return p.find(n)->value;
  };
  TimingParams t;
  t.core_type = atom ? CoreType::atom : p.core_types.front() == "Atom" ? CoreType::atom : CoreType::core;
  const double mhz = get("core_mhz");
  t.core_clock = Frequency::from_mhz(static_cast<u64>(std::llround(mhz)));
  t.tsc_clock = Frequency::from_mhz(static_cast<u64>(std::llround(p.find("core_mhz")->value)));
  auto cycles = [&](const char* n) { return static_cast<TimePs>(std::llround(get(n) * 1e6 / mhz)); };
  auto ns = [&](const char* n) { return ns_to_ps(get(n)); };
  t.l1_hit_ps = cycles("l1_hit");
  t.llc_hit_ps = cycles("llc_hit");
  t.dram_ps = ns("dram");
  t.bus_lock_ps = cycles("bus_lock");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::smt_sibling)] = ns("c2c_smt");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::same_die)] = atom ? ns("c2c_atom_atom") : ns("c2c_same_die");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::cross_die)] = ns("c2c_cross_die");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::same_l2)] = ns("c2c_same_l2");
  t.l2_hit_ps = cycles("l2_hit");
  t.mlp = static_cast<unsigned>(get("mlp"));
  // The time one 64-byte line takes at the L1D's peak rate.
  auto line_ps = [&](const char* n) {
    const double bytes_per_cycle = get(n);
    const double cycles_per_line = static_cast<double>(kCacheLineBytes) / bytes_per_cycle;
    return static_cast<TimePs>(std::llround(cycles_per_line * 1e6 / static_cast<double>(t.core_clock.mhz())));
  };
  t.l1_load_line_ps = line_ps("l1_load_bw");
  t.l1_store_line_ps = line_ps("l1_store_bw");
  auto count = [&](const char* n) { return static_cast<unsigned>(get(n)); };
  // A set-associative TLB needs whole sets.
  auto geometry = [&](const char* entries, const char* ways, unsigned& e, unsigned& w) {
    e = count(entries);
    w = count(ways);
    if (e > 0 && (w == 0 || e % w != 0))
      throw ConfigError(SourceLocation{p.file, 0, 0}, std::string("entries.") + ways,
                        std::string("must be at least 1 and divide ") + entries);
  };
  geometry("dtlb_entries", "dtlb_ways", t.dtlb_entries, t.dtlb_ways);
  geometry("stlb_entries", "stlb_ways", t.stlb_entries, t.stlb_ways);
  t.stlb_hit_ps = cycles("stlb_hit");
  t.pml4e_cache_entries = count("pml4e_cache_entries");
  t.pdpte_cache_entries = count("pdpte_cache_entries");
  t.pde_cache_entries = count("pde_cache_entries");
  t.ept_psc_entries = count("ept_psc_entries");
  t.vm_exit_entry_ps = cycles("vm_exit_entry");
  t.mmio_decode_ps = cycles("mmio_decode");
  t.hv_mmio_handler_ps = cycles("hv_mmio_handler");
  t.hv_pio_handler_ps = cycles("hv_pio_handler");
  t.ept_edit_ps = cycles("ept_edit");
  t.hypercall_handler_ps = cycles("hypercall_handler");
  t.cpuid_handler_ps = cycles("cpuid_handler");
  t.msr_read_handler_ps = cycles("msr_read_handler");
  t.context_switch_ps = cycles("context_switch");
  auto ms = [&](const char* n) { return static_cast<TimePs>(std::llround(get(n) * 1e9)); };
  t.iorr_slice_ps = ms("iorr_slice");
  t.bvt_mcu_ps = ms("bvt_mcu");
  t.bvt_csa_ps = ms("bvt_csa");

  t.apic_write_handler_ps = cycles("apic_write_handler");
  t.pt_icr_write_ps = ns("pt_icr_write");
  t.timer_emulation_ps = cycles("timer_emulation");
  t.min_timer_period_ps = ms("min_timer_period");

  t.irq_posted_delivery_ps = cycles("irq_posted_delivery");
  t.irq_lapic_pt_delivery_ps = cycles("irq_lapic_pt_delivery");
  t.hlt_wakeup_ps = cycles("hlt_wakeup");
  t.c1_exit_ps = ns("c1_exit");
  t.crystal_khz = static_cast<u64>(std::llround(get("core_crystal_clock") * 1000));
  t.isr_entry_ps = cycles("isr_entry");
  t.ioreq_notify_ps = cycles("ioreq_notify");
  t.dm_dispatch_ps = cycles("dm_dispatch");
  t.dm_handler_ps = cycles("dm_handler");
  t.ioreq_complete_ps = cycles("ioreq_complete");
  t.zephyr_isr_ps = cycles("zephyr_isr");
  t.zephyr_k_poll_wakeup_ps = cycles("zephyr_k_poll_wakeup");
  t.uio_irq_eventfd_ps = cycles("uio_irq_eventfd");
  t.linux_epoll_wakeup_ps = cycles("linux_epoll_wakeup");
  t.linux_syscall_ps = cycles("linux_syscall");
  t.uio_timerfd_period_ps = ms("uio_timerfd_period");
  t.windows_isr_dpc_ps = cycles("windows_isr_dpc");
  t.windows_event_wakeup_ps = cycles("windows_event_wakeup");
  t.windows_syscall_ps = cycles("windows_syscall");

  t.dram_trefi_ps = ns("dram_trefi");
  t.dram_trfc_ps = ns("dram_trfc");
  t.dram_trcd_ps = ns("dram_trcd");
  t.dram_trp_ps = ns("dram_trp");
  t.dram_banks = count("dram_banks");
  t.dram_row_bytes = count("dram_row");
  // 64 bytes at the peak rate: GB/s is bytes per ns.
  t.memory_line_ps = static_cast<TimePs>(std::llround(static_cast<double>(kCacheLineBytes) / get("memory_bw") * 1e3));
  t.llc_slice_line_ps = line_ps("llc_bw");
  t.linux_tick_ps = static_cast<TimePs>(std::llround(1e12 / get("linux_hz")));
  t.windows_tick_ps = ms("windows_tick");
  t.guest_tick_handler_ps = cycles("guest_tick_handler");
  t.guest_tick_lines = count("guest_tick_lines");
  t.hv_sched_tick_ps = ms("hv_sched_tick");
  t.hv_console_timer_ps = ms("hv_console_timer");
  t.serial_port_read_ps = ns("serial_port_read");
  t.serial_char_ps = ns("serial_char");
  return t;
}

}  // namespace ivsim
