#include "sim/show.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/dm/dm_ivshmem_device.h"
#include "models/hv/ivshmem_device.h"
#include "platforms/cache_allocation.h"
#include "platforms/ept_force_4k.h"
#include "platforms/lock_detection.h"
#include "platforms/region_ref.h"

namespace ivsim {

namespace {

std::string hex(u64 v) { return fmt::format("{:#x}", v); }

// A size in the largest binary unit it is a whole number of.
std::string bytes_text(u64 b) {
  if (b != 0 && b % kGiB == 0) return fmt::format("{} GiB", b / kGiB);
  if (b != 0 && b % kMiB == 0) return fmt::format("{} MiB", b / kMiB);
  if (b >= kMiB) return fmt::format("{:.2f} MiB", static_cast<double>(b) / static_cast<double>(kMiB));
  if (b % 1024 == 0) return fmt::format("{} KiB", b / 1024);
  return fmt::format("{} bytes", b);
}

// The host physical address of a region's backing memory: the hypervisor's
// pool for hv-land, the Service VM's shm object for dm-land; "" when the
// platform holds none.
std::string region_hpa(Platform& platform, const RegionConfig& r) {
  if (r.provider == Provider::hypervisor) {
    if (const IvshmemRegionPool* pool = platform.hypervisor().ivshmem_pool())
      for (const IvshmemRegion& reg : pool->regions())
        if (reg.name == prefixed_region_name(r)) return hex(reg.hpa);
  } else if (const ShmNamespace* shm = platform.shm_namespace()) {
    for (const auto& [name, obj] : shm->objects())
      if (name == r.name) return hex(obj.hpa);
  }
  return "";
}

// A User VM's memory in its guest-physical space: each run of consecutive
// host memory with one EPT memory type, as {gpa, bytes, hpa, type,
// ept_leaves} (the sizes of the EPT leaves that map it). A pre-launched
// VM's as its EPT holds it (prepare_prelaunched_vm_memmap; BAR windows and
// the APIC-access page, which are not its memory, left out); a
// post-launched VM's as its acrn-dm maps it at launch (vm_setup_memory:
// below 4 GiB from 0, the rest from 4 GiB, write-back). Empty for the
// Service VM, whose memory is host memory 1:1.
Json guest_memory(const Vm& vm, LoadOrder order) {
  Json out = Json::array();
  // leaves: the leaf sizes OR'ed (each a power of two); 0 until the EPT holds it.
  auto add = [&out](Gpa gpa, u64 bytes, Hpa hpa, const char* type, u64 leaves) {
    Json sizes = Json::array();
    for (u64 size : {kPageSize4K, kPageSize2M, kPageSize1G})
      if (leaves & size) sizes.push_back(size);
    out.push_back({{"gpa", hex(gpa)}, {"bytes", bytes}, {"hpa", hex(hpa)}, {"type", type}, {"ept_leaves", sizes}});
  };
  if (order == LoadOrder::post_launched) {
    add(vm.ram_gpa, vm.ram_low_size, vm.ram_hpa, "WB", 0);
    if (vm.ram_high_size) add(kHighRamGpa, vm.ram_high_size, vm.ram_high_hpa, "WB", 0);
    return out;
  }
  if (order != LoadOrder::pre_launched || !vm.ept) return out;
  struct Run {
    Gpa gpa;
    u64 bytes;
    Hpa hpa;
    bool uc;
    u64 leaves;
  };
  std::vector<Run> runs;
  const Hpa first = vm.ram_hpa, end = vm.ram_top_hpa();
  for (const ept::EptTable::Mapping& m : vm.ept->mappings(0, kHighRamGpa + vm.ram_high_size)) {
    if (m.hpa < first || m.hpa + m.size > end) continue;
    const bool uc = ept::mem_type_of(m.entry) == ept::MemType::UC;
    if (!runs.empty() && runs.back().gpa + runs.back().bytes == m.gpa && runs.back().hpa + runs.back().bytes == m.hpa &&
        runs.back().uc == uc) {
      runs.back().bytes += m.size;
      runs.back().leaves |= m.size;
    } else {
      runs.push_back({m.gpa, m.size, m.hpa, uc, m.size});
    }
  }
  for (const Run& r : runs) add(r.gpa, r.bytes, r.hpa, r.uc ? "UC" : "WB", r.leaves);
  return out;
}

// Ascending numbers as ranges: "0-3,8".
std::string ranges(const std::vector<unsigned>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::size_t e = i;
    while (e + 1 < v.size() && v[e + 1] == v[e] + 1) ++e;
    out += (out.empty() ? "" : ",") + (e == i ? std::to_string(v[i]) : fmt::format("{}-{}", v[i], v[e]));
    i = e;
  }
  return out;
}

std::string way_list(WayMask m) {
  std::vector<unsigned> ways;
  for (unsigned w = 0; w < 64; ++w)
    if (m >> w & 1) ways.push_back(w);
  return ranges(ways);
}

// The scenario's cache allocation as the hypervisor programs it: each
// policy's capacity bitmask and the ways it selects in that board cache
// (cbm_ways), the CLOS a vCPU's masks share (vCPUs whose masks agree).
Json cache_allocation_json(const Scenario& s, const Board& b) {
  Json caches = Json::array();
  for (const auto& a : s.cache_allocation) {
    const CacheInfo* info = nullptr;
    for (const auto& c : b.caches)
      if (c.level == a.cache_level && c.id == a.cache_id && c.type != 2) info = &c;
    Json policies = Json::array();
    for (const auto& p : a.policies) {
      Json j = {{"vm", p.vm}, {"vcpu", p.vcpu}, {"type", to_string(p.type)}, {"clos_mask", hex(p.clos_mask)}};
      if (info && info->cat.present())
        j["ways"] = way_list(cbm_ways(p.clos_mask, info->cat.capacity_mask_length, info->ways));
      policies.push_back(j);
    }
    Json c = {{"level", a.cache_level}, {"id", a.cache_id}, {"policies", policies}};
    if (info) {
      c["ways"] = info->ways;
      c["capacity_mask_length"] = info->cat.capacity_mask_length;
      c["clos_number"] = info->cat.clos_number;
      Json pcpus = Json::array();
      for (unsigned p : info->pcpus) pcpus.push_back(p);
      c["pcpus"] = pcpus;
    }
    caches.push_back(c);
  }
  return {{"rdt", s.rdt.enabled}, {"cdp", s.rdt.cdp}, {"vcat", s.rdt.vcat}, {"caches", caches}};
}

// Left-aligned columns, two spaces apart, no trailing blanks.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], row[c].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += " " + row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 1, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

Json show_json(Simulation& sim) {
  Platform& platform = *sim.platform;
  const Scenario& s = platform.scenario();
  const Board& b = sim.board;
  Json j;
  j["scenario"] = {{"name", s.name}, {"file", s.source_file}};
  j["board"] = {{"name", b.name},
                {"source", s.board},
                {"cpu_model", b.cpu_model},
                {"family_id", hex(b.family_id)},
                {"model_id", hex(b.model_id)},
                {"pcpus", b.pcpus.size()},
                {"ram_mib", b.ram_mib},
                {"physical_address_bits", b.physical_address_bits}};
  if (b.core_capabilities_msr) j["board"]["core_capabilities_msr"] = *b.core_capabilities_msr;
  j["timing_profile"] = sim.profile.name;
  {
    const Json t = timing_profile_to_json(sim.profile);
    j["timing"] = {{"chosen_by", t.value("chosen_by", "")},
                   {"why", t.value("why", "")},
                   {"cpu", t.value("cpu", "")},
                   {"frequency", t.value("frequency", Json::object())},
                   {"core_types", t.value("core_types", Json::object())}};
  }
  j["hypervisor"] = {{"max_vm_num", s.max_vm_num}, {"scheduler", s.scheduler}, {"idle", s.idle}};
  if (s.split_lock_detection) j["hypervisor"]["split_lock_detection"] = true;
  if (s.uc_lock_detection) j["hypervisor"]["uc_lock_detection"] = true;
  if (s.max_emulated_mmio != 16) j["hypervisor"]["max_emulated_mmio"] = s.max_emulated_mmio;
  if (!s.hyperv) j["hypervisor"]["hyperv"] = false;
  if (s.service_vm_supervisor) j["hypervisor"]["service_vm_supervisor"] = true;
  if (s.build_type != "debug") j["hypervisor"]["build_type"] = s.build_type;
  if (s.vuart_timer_pcpu != 0) j["hypervisor"]["vuart_timer_pcpu"] = s.vuart_timer_pcpu;
  // Only when not the sample scenarios' (the defaults).
  if (s.serial_console != "/dev/ttyS0") j["hypervisor"]["serial_console"] = s.serial_console;
  if (s.console_loglevel != 3) j["hypervisor"]["console_loglevel"] = s.console_loglevel;
  if (!s.mce_on_psc) j["hypervisor"]["mce_on_psc"] = false;
  {
    const EptForce4k f = ept_force_4k_ipage(s, b);
    j["hypervisor"]["ept_force_4k_ipage"] = {{"on", f.on}, {"why", f.why}};
  }
  if (s.rdt.enabled || !s.cache_allocation.empty()) j["cache_allocation"] = cache_allocation_json(s, b);

  Json vms = Json::array();
  for (const auto& v : s.vms) {
    // What the pCPU's idle loop does, as the platform decided it (VcpuConfig::idle_halts).
    const std::vector<Vcpu*> cpus = platform.vcpus_of(static_cast<VmId>(v.id));
    Json vcpus = Json::array();
    for (std::size_t i = 0; i < v.pcpus.size(); ++i)
      vcpus.push_back({{"vcpu", i},
                       {"pcpu", v.pcpus[i]},
                       {"idle", i < cpus.size() && cpus[i]->config().idle_halts ? "HLT" : "PAUSE"}});
    vms.push_back({{"id", v.id},
                   {"name", v.name},
                   {"load_order", to_string(v.load_order)},
                   {"vm_type", v.vm_type},
                   {"memory_mib", v.memory_mib},
                   {"lapic_passthrough", v.lapic_passthrough},
                   {"ovmf", v.ovmf},
                   {"vcpus", vcpus}});
    if (const Vm* vm = platform.hypervisor().vm(static_cast<VmId>(v.id)))
      if (Json mem = guest_memory(*vm, v.load_order); !mem.empty()) vms.back()["guest_memory"] = mem;
    Json devs = Json::array();
    for (pci::Bdf b : v.pci_devs) devs.push_back(b.to_string());
    vms.back()["pci_devs"] = devs;
    if (!v.dm_devices.empty()) {
      Json dm = Json::array();
      for (const DmDevice& d : v.dm_devices) dm.push_back(d.label());
      vms.back()["dm_devices"] = dm;
    }
  }
  j["vms"] = vms;

  // hv-land devices live in the hypervisor, dm-land ones in each VM's
  // acrn-dm; listed by VM id, then BDF.
  struct Device {
    unsigned vm_id;
    u16 bdf;
    Json json;
  };
  std::vector<Device> list;
  for (const auto& dev : platform.hypervisor().ivshmem_devices()) {
    const pci::ConfigSpace& cfg = dev->config();
    list.push_back({dev->vm().id, dev->bdf().value(),
                    Json{{"vm", dev->vm().name},
                         {"vm_id", dev->vm().id},
                         {"bdf", dev->bdf().to_string()},
                         {"region", dev->region().name},
                         {"provider", "Hypervisor"},
                         {"bar0", hex(cfg.bar_register_base(IvshmemDevice::kBarRegisters))},
                         {"bar1", hex(cfg.bar_register_base(IvshmemDevice::kBarMsix))},
                         {"bar2", hex(cfg.bar_register_base(IvshmemDevice::kBarShm))}}});
  }
  for (const auto& dm : platform.device_models())
    for (const auto& dev : dm->devices()) {
      const pci::ConfigSpace& cfg = dev->config();
      list.push_back({dm->vm().id, dev->bdf().value(),
                      Json{{"vm", dm->vm().name},
                           {"vm_id", dm->vm().id},
                           {"bdf", dev->bdf().to_string()},
                           {"region", "dm:/" + dev->shm().name},
                           {"provider", "Device Model"},
                           {"bar0", hex(cfg.bar_register_base(DmIvshmemDevice::kBarRegisters))},
                           {"bar1", Json()},  // dm-land devices have no MSI-X
                           {"bar2", hex(cfg.bar_register_base(DmIvshmemDevice::kBarShm))}}});
    }
  std::stable_sort(list.begin(), list.end(), [](const Device& a, const Device& b) {
    return a.vm_id != b.vm_id ? a.vm_id < b.vm_id : a.bdf < b.bdf;
  });
  Json devices = Json::array();
  for (auto& d : list) devices.push_back(std::move(d.json));
  j["devices"] = devices;

  Json regions = Json::array();
  for (const auto& r : s.regions) {
    Json members = Json::array();
    for (const auto& m : r.members) members.push_back({{"vm", m.vm}, {"vbdf", m.vbdf.to_string()}});
    const std::string hpa = region_hpa(platform, r);
    regions.push_back({{"name", prefixed_region_name(r)},
                       {"provider", to_string(r.provider)},
                       {"size_mib", r.size_mib},
                       {"region_id", r.region_id},
                       {"hpa", hpa.empty() ? Json() : Json(hpa)},
                       {"members", members}});
  }
  j["regions"] = regions;

  Json workloads = Json::array();
  for (const auto& w : s.workloads) {
    Json roles = Json::object();
    for (const auto& [role, ref] : w.roles) {
      const VmConfig* vm = s.find_vm(ref.vm);
      roles[role] = {{"vm", ref.vm}, {"vcpu", ref.vcpu}, {"pcpu", vm->pcpus.at(ref.vcpu)}};
    }
    Json params = Json::object();
    for (const auto& [k, v] : w.params) {
      switch (v.type) {
        case ParamValue::Type::integer:
          params[k] = v.i;
          break;
        case ParamValue::Type::number:
          params[k] = v.d;
          break;
        case ParamValue::Type::boolean:
          params[k] = v.b;
          break;
        case ParamValue::Type::string:
          params[k] = v.s;
          break;
      }
    }
    const RegionConfig* region = find_region(s, w.region);
    workloads.push_back({{"name", w.name},
                         {"kind", w.kind},
                         {"region", region ? prefixed_region_name(*region) : w.region},
                         {"roles", roles},
                         {"params", params}});
    if (!w.note.empty()) workloads.back()["note"] = w.note;
  }
  j["workloads"] = workloads;
  return j;
}

std::string show_text(Simulation& sim) {
  const Json j = show_json(sim);
  const Json& b = j["board"];
  std::string out = fmt::format("scenario {} ({})\n", j["scenario"]["name"].get<std::string>(),
                                j["scenario"]["file"].get<std::string>());
  out += fmt::format("board {}: {}, {} pCPUs, {} MiB RAM | timing {}\n", b["name"].get<std::string>(),
                     b["cpu_model"].get<std::string>(), b["pcpus"].get<std::size_t>(), b["ram_mib"].get<u64>(),
                     j["timing_profile"].get<std::string>());
  const Json& t = j["timing"];
  out += fmt::format("timing {} ({}: {}), core clock {:g} MHz from {}\n", j["timing_profile"].get<std::string>(),
                     t["chosen_by"].get<std::string>(), t["why"].get<std::string>(), t["frequency"].value("mhz", 0.0),
                     t["frequency"].value("source", std::string()));
  std::string types;
  for (const auto& [type, pcpus] : t["core_types"].items()) {
    std::string ids;
    for (const auto& p : pcpus) ids += (ids.empty() ? "" : ",") + std::to_string(p.get<unsigned>());
    types += fmt::format("{}{} pCPUs {}", types.empty() ? " " : "; ", type, ids);
  }
  out += "core types:" + types + "\n";
  // What ACRN's idle loop does on the pCPUs (cpu_do_idle), as the platform
  // set it per vCPU: a pCPU with a LAPIC-passthrough vCPU spins whatever the setting.
  const Json& hv = j["hypervisor"];
  std::set<unsigned> spinning;
  for (const auto& v : j["vms"])
    for (const auto& c : v["vcpus"])
      if (c["idle"] == "PAUSE") spinning.insert(c["pcpu"].get<unsigned>());
  std::string idle = hv["idle"].get<std::string>();
  if (idle == "HLT" && !spinning.empty()) {
    std::string ids;
    for (unsigned p : spinning) ids += (ids.empty() ? "" : ",") + std::to_string(p);
    idle += fmt::format(" (PAUSE on pCPUs {}: LAPIC passthrough)", ids);
  }
  // What ACRN's lock detection does on this CPU, as Platform::create_vcpus
  // applies it.
  std::string detection;
  const LockDetections detect = lock_detections(sim.platform->scenario(), sim.board);
  switch (detect.split) {
    case LockDetection::off:
      break;
    case LockDetection::unavailable:
      detection += ", split-lock detection (no effect: the CPU does not enumerate it)";
      break;
    case LockDetection::enumerated:
      detection +=
          ", split-lock detection (emulated as ACRN does: an #AC exit, then in a VM of several vCPUs the others "
          "kicked and an MTF step)";
      break;
    case LockDetection::unknown:
      detection += ", split-lock detection (not modelled on this CPU: a split lock locks the bus)";
      break;
  }
  if (detect.uc == LockDetection::unavailable)
    detection += ", UC-lock detection (no effect: the CPU does not enumerate it)";
  else if (detect.uc == LockDetection::unknown)
    detection += ", UC-lock detection (not modelled: a UC lock locks the bus)";
  // is_ept_force_4k_ipage: what it does to an RTVM's EPT is what an RT integrator asks after.
  if (hv["ept_force_4k_ipage"]["on"].get<bool>())
    detection += ", page-size-change MCE workaround (RTVMs' RAM in 4 KiB EPT pages)";
  out += fmt::format("hypervisor: {}, idle pCPUs {}{}\n", hv["scheduler"].get<std::string>(), idle, detection);

  std::vector<std::vector<std::string>> rows = {{"id", "name", "load order", "type", "memory", "vCPU->pCPU"}};
  std::string passed;    // VMs' passed-through devices, whose BARs share the VM's PCI windows
  std::string emulated;  // ... and acrn-dm's emulated devices
  for (const auto& v : j["vms"]) {
    std::string placement;
    for (const auto& c : v["vcpus"])
      placement +=
          (placement.empty() ? "" : " ") + fmt::format("{}->{}", c["vcpu"].get<unsigned>(), c["pcpu"].get<unsigned>());
    std::string notes;
    if (v["lapic_passthrough"].get<bool>()) notes = "LAPIC passthrough";
    if (v["ovmf"].get<bool>()) notes += std::string(notes.empty() ? "" : ", ") + "OVMF";
    rows.push_back({std::to_string(v["id"].get<unsigned>()), v["name"].get<std::string>(),
                    v["load_order"].get<std::string>(),
                    v["vm_type"].get<std::string>() + (notes.empty() ? "" : " (" + notes + ")"),
                    fmt::format("{} MiB", v["memory_mib"].get<u64>()), placement});
    if (!v["pci_devs"].empty()) {
      passed += (passed.empty() ? "" : "; ") + v["name"].get<std::string>();
      for (const auto& d : v["pci_devs"]) passed += " " + d.get<std::string>();
    }
    if (v.contains("dm_devices")) {
      emulated += (emulated.empty() ? "" : "; ") + v["name"].get<std::string>();
      for (const auto& d : v["dm_devices"]) emulated += " " + d.get<std::string>();
    }
  }
  out += "\nVMs\n" + table(rows);
  if (!passed.empty()) out += "passed-through devices: " + passed + "\n";
  if (!emulated.empty()) out += "acrn-dm devices: " + emulated + "\n";

  // Where each User VM's memory lies, guest-physical to host-physical.
  rows = {{"vm", "guest physical", "size", "host physical", "EPT type", "EPT leaves"}};
  for (const auto& v : j["vms"])
    for (const auto& m : v.value("guest_memory", Json::array())) {
      const u64 gpa = std::stoull(m["gpa"].get<std::string>(), nullptr, 16), bytes = m["bytes"].get<u64>();
      std::string leaves;
      for (const auto& l : m["ept_leaves"]) leaves += (leaves.empty() ? "" : ", ") + bytes_text(l.get<u64>());
      rows.push_back({v["name"].get<std::string>(), fmt::format("{:#x}-{:#x}", gpa, gpa + bytes), bytes_text(bytes),
                      m["hpa"].get<std::string>(), m["type"].get<std::string>(),
                      leaves.empty() ? "mapped by acrn-dm at launch" : leaves});
    }
  if (rows.size() > 1) out += "\nguest memory\n" + table(rows);

  if (j.contains("cache_allocation")) {
    const Json& ca = j["cache_allocation"];
    out += fmt::format("\ncache allocation (RDT {}, CDP {}, vCAT {})\n", ca["rdt"].get<bool>() ? "on" : "off",
                       ca["cdp"].get<bool>() ? "on" : "off", ca["vcat"].get<bool>() ? "on" : "off");
    rows = {{"cache", "pCPUs", "vm", "vcpu", "type", "CLOS mask", "ways"}};
    for (const auto& c : ca["caches"]) {
      std::vector<unsigned> ids;
      for (const auto& p : c.value("pcpus", Json::array())) ids.push_back(p.get<unsigned>());
      std::sort(ids.begin(), ids.end());
      const std::string pcpus = ranges(ids);
      const std::string cache =
          fmt::format("L{} id {}{}", c["level"].get<unsigned>(), c["id"].get<unsigned>(),
                      c.contains("ways") ? fmt::format(" ({} ways)", c["ways"].get<unsigned>()) : std::string());
      for (const auto& p : c["policies"])
        rows.push_back({cache, pcpus.empty() ? "-" : pcpus, p["vm"].get<std::string>(),
                        std::to_string(p["vcpu"].get<unsigned>()), p["type"].get<std::string>(),
                        p["clos_mask"].get<std::string>(), p.value("ways", std::string("-"))});
    }
    out += rows.size() > 1 ? table(rows) : "  no policies: every vCPU fills every way\n";
  }

  rows = {{"vm", "bdf", "region", "BAR0 registers", "BAR1 MSI-X", "BAR2 shared memory"}};
  for (const auto& d : j["devices"])
    rows.push_back({d["vm"].get<std::string>(), d["bdf"].get<std::string>(), d["region"].get<std::string>(),
                    d["bar0"].get<std::string>(), d["bar1"].is_null() ? "-" : d["bar1"].get<std::string>(),
                    d["bar2"].get<std::string>()});
  out += "\nIVSHMEM devices\n" + (rows.size() > 1 ? table(rows) : "  none\n");

  rows = {{"region", "provider", "size", "id", "host physical", "members"}};
  for (const auto& r : j["regions"]) {
    std::string members;
    for (const auto& m : r["members"])
      members += (members.empty() ? "" : ", ") + m["vm"].get<std::string>() + " " + m["vbdf"].get<std::string>();
    rows.push_back({r["name"].get<std::string>(), r["provider"].get<std::string>(),
                    fmt::format("{} MiB", r["size_mib"].get<u64>()), std::to_string(r["region_id"].get<unsigned>()),
                    r["hpa"].is_null() ? "-" : r["hpa"].get<std::string>(), members.empty() ? "none" : members});
  }
  out += "\nIVSHMEM regions\n" + (rows.size() > 1 ? table(rows) : "  none\n");

  rows = {{"workload", "kind", "region", "roles", "params"}};
  for (const auto& w : j["workloads"]) {
    std::string roles, params;
    for (const auto& [role, r] : w["roles"].items())
      roles += (roles.empty() ? "" : ", ") + fmt::format("{} {} vCPU {} (pCPU {})", role, r["vm"].get<std::string>(),
                                                         r["vcpu"].get<unsigned>(), r["pcpu"].get<unsigned>());
    for (const auto& [k, v] : w["params"].items())
      params += (params.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    rows.push_back(
        {w["name"].get<std::string>(), w["kind"].get<std::string>(), w["region"].get<std::string>(), roles, params});
  }
  out += "\nworkloads\n" + (rows.size() > 1 ? table(rows) : "  none\n");
  for (const auto& w : j["workloads"])
    if (w.contains("note"))
      out += fmt::format("  {}: {}\n", w["name"].get<std::string>(), w["note"].get<std::string>());
  return out;
}

}  // namespace ivsim
