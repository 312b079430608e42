#include "platforms/timing_profile.h"

#include <dirent.h>
#include <algorithm>
#include <cmath>
#include <set>

#include <yaml-cpp/yaml.h>

#include "platforms/data_dir.h"

namespace ivsim {

const std::vector<TimingEntrySpec>& timing_entry_specs() {
  static const std::vector<TimingEntrySpec> specs = {
      {"core_mhz", "MHz", "core clock that converts cycles to time"},
      {"l1_hit", "cycles", "load or store hitting the core's own cache"},
      {"l2_hit", "cycles", "load that misses the core's L1D and hits its L2"},
      {"llc_hit", "cycles", "load missing the L2 that hits the shared LLC (or a clean copy in a core sharing it)"},
      {"dram", "ns", "miss to memory (idle latency)"},
      {"c2c_smt", "ns", "one-way transfer of a modified line between SMT siblings"},
      {"c2c_same_die", "ns", "one-way transfer of a modified line between cores of one die"},
      {"c2c_cross_die", "ns", "one-way transfer of a modified line between dies or sockets"},
      {"mlp", "misses", "L1D misses one core keeps in flight (fill buffers): how far a block copy's misses overlap"},
      {"l1_load_bw", "bytes/cycle", "bytes per cycle the L1D delivers to loads: the rate a block read issues lines"},
      {"l1_store_bw", "bytes/cycle", "bytes per cycle the L1D takes from stores: the rate a block write issues lines"},
      {"dtlb_entries", "entries", "L1 data TLB entries (any page size)"},
      {"dtlb_ways", "ways", "L1 data TLB associativity"},
      {"stlb_entries", "entries", "second-level TLB entries (any page size)"},
      {"stlb_ways", "ways", "second-level TLB associativity"},
      {"stlb_hit", "cycles", "an L1 dTLB miss that hits the STLB"},
      {"pml4e_cache_entries", "entries", "guest PML4E paging-structure cache (fully associative)"},
      {"pdpte_cache_entries", "entries", "guest PDPTE paging-structure cache (fully associative)"},
      {"pde_cache_entries", "entries", "guest PDE paging-structure cache (fully associative)"},
      {"ept_psc_entries", "entries", "EPT paging-structure cache, PML4E/PDPTE/PDE entries (fully associative)"},
      {"vm_exit_entry", "cycles", "VM exit plus VM entry (world switch)"},
      {"mmio_decode", "cycles", "fetching and decoding the instruction of an MMIO exit"},
      {"hv_mmio_handler", "cycles", "in-hypervisor MMIO handler (vPCI, IVSHMEM registers)"},
      {"hv_pio_handler", "cycles", "in-hypervisor port-I/O handler (0xCF8/0xCFC)"},
      {"ept_edit", "cycles", "per EPT leaf written or cleared by the hypervisor"},
      {"context_switch", "cycles", "the hypervisor switching a pCPU from one vCPU to another"},
      {"iorr_slice", "ms", "SCHED_IORR time slice"},
      {"bvt_mcu", "ms", "SCHED_BVT minimum charging unit"},
      {"bvt_csa", "ms", "SCHED_BVT context-switch allowance"},
      {"hypercall_handler", "cycles", "a null hypercall's dispatch and return in the hypervisor"},

      {"apic_write_handler", "cycles", "an intercepted x2APIC ICR or TSC-deadline MSR write"},
      {"timer_emulation", "cycles", "arming and firing the emulated LAPIC timer"},

      {"irq_posted_delivery", "cycles",
       "MSI injected into a vCPU: posted-interrupt notification until the vCPU sees it"},
      {"irq_lapic_pt_delivery", "cycles", "MSI to a LAPIC-passthrough vCPU: a physical IPI"},
      {"hlt_wakeup", "cycles", "waking a halted vCPU: scheduler wake-up and VM entry"},
      {"isr_entry", "cycles", "guest interrupt entry up to the handler's first instruction"},
      {"ioreq_notify", "cycles", "hypervisor posts an I/O request and upcalls the Service VM (HSM vector)"},
      {"dm_dispatch", "cycles", "Service VM kernel (HSM) wakes acrn-dm's I/O request thread"},
      {"dm_handler", "cycles", "acrn-dm emulates the access (device handler)"},
      {"ioreq_complete", "cycles", "acrn-dm completes the request: hypercall, hypervisor resumes the vCPU"},
  };
  return specs;
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

const TimingEntrySpec* spec_of(const std::string& name) {
  for (const auto& s : timing_entry_specs())
    if (name == s.name) return &s;
  return nullptr;
}

}  // namespace

TimingProfile load_timing_profile(const std::string& name, const SourceLocation& where) {
  const auto names = timing_profile_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError(where, "timing.profile", "unknown timing profile \"" + name + "\"; shipped profiles: " + list);
  }
  TimingProfile p;
  p.file = data_dir() + "/profiles/" + name + ".yaml";
  YAML::Node root;
  try {
    root = YAML::LoadFile(p.file);
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{p.file, e.mark.line + 1, e.mark.column + 1}, "", e.msg);
  }
  p.name = root["name"] ? root["name"].as<std::string>() : name;
  p.description = root["description"] ? root["description"].as<std::string>() : "";
  const YAML::Node entries = root["entries"];
  if (!entries || !entries.IsMap()) throw ConfigError(at(p.file, root), "entries", "expected a map of timing entries");
  std::set<std::string> seen;
  for (const auto& kv : entries) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = "entries." + key;
    const TimingEntrySpec* spec = spec_of(key);
    if (!spec) throw ConfigError(at(p.file, kv.first), path, "unknown timing entry \"" + key + "\"");
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
    if (!(e.value >= 0)) throw ConfigError(at(p.file, v["value"]), path + ".value", "must not be negative");
    seen.insert(key);
    p.entries.push_back(e);
  }
  for (const auto& s : timing_entry_specs())
    if (!seen.count(s.name)) throw ConfigError(at(p.file, entries), "entries", std::string("missing entry ") + s.name);
  return p;
}

void apply_timing_overrides(TimingProfile& profile, const Scenario& scenario) {
  for (const auto& [key, text] : scenario.timing_overrides) {
    const std::string path = "timing.overrides." + key;
    TimingEntry* e = nullptr;
    for (auto& x : profile.entries)
      if (x.name == key) e = &x;
    if (!e) {
      std::string list;
      for (const auto& s : timing_entry_specs()) list += (list.empty() ? "" : ", ") + std::string(s.name);
      throw ConfigError(scenario.where(path), path, "unknown timing entry \"" + key + "\"; entries: " + list);
    }
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
      throw ConfigError(scenario.where(path), path,
                        "expected a non-negative number in " + e->unit + ", got \"" + text + "\"");
    e->value = v;
    e->source = "scenario override";
    e->overridden = true;
  }
}

TimingParams resolve_timing(const TimingProfile& p) {
  auto get = [&](const char* n) { return p.find(n)->value; };
  TimingParams t;
  const double mhz = get("core_mhz");
  if (mhz < 1) throw ConfigError(SourceLocation{p.file, 0, 0}, "entries.core_mhz", "must be at least 1 MHz");
  t.core_clock = Frequency::from_mhz(static_cast<u64>(std::llround(mhz)));
  auto cycles = [&](const char* n) { return t.core_clock.to_ps(Cycles{static_cast<u64>(std::llround(get(n)))}); };
  auto ns = [&](const char* n) { return ns_to_ps(get(n)); };
  t.l1_hit_ps = cycles("l1_hit");
  t.llc_hit_ps = cycles("llc_hit");
  t.dram_ps = ns("dram");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::smt_sibling)] = ns("c2c_smt");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::same_die)] = ns("c2c_same_die");
  t.c2c_ps[static_cast<unsigned>(CoreDistance::cross_die)] = ns("c2c_cross_die");
  t.l2_hit_ps = cycles("l2_hit");
  const double mlp = get("mlp");
  if (mlp < 1 || mlp > 64) throw ConfigError(SourceLocation{p.file, 0, 0}, "entries.mlp", "must be from 1 to 64");
  t.mlp = static_cast<unsigned>(std::llround(mlp));
  // The time one 64-byte line takes at the L1D's peak rate.
  auto line_ps = [&](const char* n) {
    const double bytes_per_cycle = get(n);
    if (bytes_per_cycle <= 0)
      throw ConfigError(SourceLocation{p.file, 0, 0}, std::string("entries.") + n, "must be positive");
    const double cycles_per_line = static_cast<double>(kCacheLineBytes) / bytes_per_cycle;
    return static_cast<TimePs>(std::llround(cycles_per_line * 1e6 / static_cast<double>(t.core_clock.mhz())));
  };
  t.l1_load_line_ps = line_ps("l1_load_bw");
  t.l1_store_line_ps = line_ps("l1_store_bw");
  auto count = [&](const char* n) { return static_cast<unsigned>(std::llround(get(n))); };
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
  t.context_switch_ps = cycles("context_switch");
  auto ms = [&](const char* n) { return static_cast<TimePs>(std::llround(get(n) * 1e9)); };
  t.iorr_slice_ps = ms("iorr_slice");
  t.bvt_mcu_ps = ms("bvt_mcu");
  t.bvt_csa_ps = ms("bvt_csa");

  t.apic_write_handler_ps = cycles("apic_write_handler");
  t.timer_emulation_ps = cycles("timer_emulation");

  t.irq_posted_delivery_ps = cycles("irq_posted_delivery");
  t.irq_lapic_pt_delivery_ps = cycles("irq_lapic_pt_delivery");
  t.hlt_wakeup_ps = cycles("hlt_wakeup");
  t.isr_entry_ps = cycles("isr_entry");
  t.ioreq_notify_ps = cycles("ioreq_notify");
  t.dm_dispatch_ps = cycles("dm_dispatch");
  t.dm_handler_ps = cycles("dm_handler");
  t.ioreq_complete_ps = cycles("ioreq_complete");
  return t;
}

}  // namespace ivsim
