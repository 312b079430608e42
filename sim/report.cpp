#include "sim/report.h"

#include <fmt/format.h>

#include "models/host/coherence_directory.h"
#include "models/hv/ivshmem_device.h"

namespace ivsim {

namespace {

double ns(TimePs ps) { return static_cast<double>(ps) / 1000.0; }

// What the memory behind the caches did, in all and by the pCPU whose
// requests met it (only pCPUs with something to count): the lines written
// back to memory, and, with the uncore modelled, the waits in its queues and
// behind DRAM refreshes and the rows its requests found open.
Json memory_to_json(const CoherenceDirectory& dir) {
  const Uncore* u = dir.uncore();
  Json pcpus = Json::array();
  u64 flush_write_backs = 0;
  for (unsigned p = 0; p < dir.pcpu_count(); ++p) {
    const u64 wb = dir.memory_write_backs(p), fwb = dir.flush_write_backs(p);
    const Uncore::CoreWaits w = u ? u->waits(p) : Uncore::CoreWaits{};
    flush_write_backs += fwb;
    if (wb == 0 && fwb == 0 && w.queued == 0 && w.refresh_waits == 0) continue;
    pcpus.push_back({{"pcpu", p},
                     {"write_backs", wb},
                     {"flush_write_backs", fwb},
                     {"queued", w.queued},
                     {"queue_ns", ns(w.queue_ps)},
                     {"refresh_waits", w.refresh_waits},
                     {"refresh_ns", ns(w.refresh_ps)}});
  }
  return {{"write_backs", dir.memory_write_backs()},
          {"flush_write_backs", flush_write_backs},
          {"queued", u ? u->queued() : 0},
          {"refresh_waits", u ? u->refresh_waits() : 0},
          {"dram_row_hits", u ? u->row_hits() : 0},
          {"dram_row_conflicts", u ? u->row_conflicts() : 0},
          {"pcpus", pcpus}};
}

// Picoseconds to nanoseconds rounded to the picosecond: stable digits.
double ns_rounded(double ps) { return static_cast<double>(static_cast<long long>(ps + 0.5)) / 1000.0; }

const char* page_size_name(u64 bytes) { return bytes >= kPageSize1G ? "1G" : bytes >= kPageSize2M ? "2M" : "4K"; }

Json param_to_json(const ParamValue& p) {
  switch (p.type) {
    case ParamValue::Type::integer:
      return p.i;
    case ParamValue::Type::number:
      return p.d;
    case ParamValue::Type::boolean:
      return p.b;
    case ParamValue::Type::string:
      return p.s;
  }
  return nullptr;
}

// Why a workload did not complete: each failed role's error, else what each
// unfinished role waits for ("" when every role finished).
std::string status_reason(const WorkloadRun& w) {
  std::string failed, waiting;
  auto add = [](std::string& to, const std::string& role, const std::string& what) {
    to += (to.empty() ? "" : "; ") + role + ": " + what;
  };
  for (const auto& role : w.roles) {
    if (!role.error.empty())
      add(failed, role.role, role.error);
    else if (!role.vcpu->finished())
      add(waiting, role.role, role.vcpu->waiting_on().empty() ? "not finished" : role.vcpu->waiting_on());
  }
  return failed.empty() ? waiting : failed;
}

Json metric_to_json(const LatencyMetric& m) {
  const Histogram& h = m.histogram;
  Json j;
  j["name"] = m.name;
  j["unit"] = m.unit;
  j["count"] = h.count();
  if (h.count() == 0) return j;
  j["min"] = ns(h.min());
  j["p50"] = ns(h.percentile(50));
  j["p90"] = ns(h.percentile(90));
  j["p99"] = ns(h.percentile(99));
  j["p999"] = ns(h.percentile(99.9));
  j["p9999"] = ns(h.percentile(99.99));
  j["max"] = ns(h.max());
  j["mean"] = ns_rounded(h.mean());
  Json b = Json::object();
  for (std::size_t c = 0; c < kComponentCount; ++c)
    b[component_name(static_cast<Component>(c))] =
        ns_rounded(static_cast<double>(m.breakdown_sum.ps[c]) / static_cast<double>(h.count()));
  j["breakdown"] = b;
  // The slowest 1 % on their own (whole histogram bins, so at least 1 %):
  // what a tail is made of, which the mean hides.
  const TailBreakdown::Slowest slow = m.by_value.slowest(0.01, h.count());
  Json sb = Json::object();
  for (std::size_t c = 0; c < kComponentCount; ++c)
    sb[component_name(static_cast<Component>(c))] =
        ns_rounded(static_cast<double>(slow.sum.ps[c]) / static_cast<double>(slow.count));
  j["slowest_1pct"] = {{"count", slow.count}, {"from", ns(slow.from_value)}, {"breakdown", sb}};
  // The distribution, in 16 bins per power of two (4.4 % wide): enough to
  // draw it, a few hundred bins at most for any run.
  Json bins = Json::array();
  for (const Histogram::Bin& bin : h.log_bins(4)) bins.push_back({ns(bin.low), ns(bin.high), bin.count});
  j["histogram"] = {{"bins_per_octave", 16}, {"bins", bins}};
  return j;
}

}  // namespace

Json scenario_to_json(const Scenario& s) {
  Json j;
  j["name"] = s.name;
  j["description"] = s.description;
  j["board"] = s.board;
  j["hypervisor"] = {{"max_vm_num", s.max_vm_num}, {"scheduler", s.scheduler}, {"idle", s.idle}};
  // Only when on, as ACRN's samples set them: a report without them keeps its shape.
  if (s.split_lock_detection) j["hypervisor"]["split_lock_detection"] = true;
  if (s.uc_lock_detection) j["hypervisor"]["uc_lock_detection"] = true;
  if (s.max_emulated_mmio != 16)
    j["hypervisor"]["max_emulated_mmio"] = s.max_emulated_mmio;  // only when not the default
  if (!s.hyperv) j["hypervisor"]["hyperv"] = false;  // only when off: on is ACRN's default
  if (s.service_vm_supervisor) j["hypervisor"]["service_vm_supervisor"] = true;
  if (s.build_type != "debug") j["hypervisor"]["build_type"] = s.build_type;  // only when not ACRN's default
  if (!s.mce_on_psc) j["hypervisor"]["mce_on_psc"] = false;                   // only when off
  if (s.vuart_timer_pcpu != 0) j["hypervisor"]["vuart_timer_pcpu"] = s.vuart_timer_pcpu;  // only when not 0
  // Only when not the sample scenarios' (the defaults).
  if (s.serial_console != "/dev/ttyS0") j["hypervisor"]["serial_console"] = s.serial_console;
  if (s.console_loglevel != 3) j["hypervisor"]["console_loglevel"] = s.console_loglevel;
  Json overrides = Json::object();
  for (const auto& [k, v] : s.timing_overrides) overrides[k] = v;
  j["timing"] = {{"profile", s.timing_profile}, {"overrides", overrides}};
  Json vms = Json::array();
  for (const auto& v : s.vms) {
    vms.push_back({{"id", v.id},
                   {"name", v.name},
                   {"load_order", to_string(v.load_order)},
                   {"vm_type", v.vm_type},
                   {"cpu_affinity", v.pcpus},
                   {"memory_mib", v.memory_mib},
                   {"lapic_passthrough", v.lapic_passthrough},
                   {"priority", v.priority},
                   {"bvt_weight", v.bvt_weight},
                   {"guest_paging", v.guest_paging},
                   {"guest_page_size", page_size_name(v.guest_page_size)},
                   {"ept_max_page", page_size_name(v.ept_max_page)},
                   {"os", v.os}});
    // What only some scenarios set, only when they set it.
    if (v.own_pcpu) vms.back()["own_pcpu"] = true;
    if (v.hide_mtrr) vms.back()["hide_mtrr"] = true;
    if (!v.pci_devs.empty()) {
      Json devs = Json::array();
      for (pci::Bdf b : v.pci_devs) devs.push_back(b.to_string());
      vms.back()["pci_devs"] = devs;
    }
    if (v.pci_vuarts) vms.back()["pci_vuarts"] = v.pci_vuarts;
    if (v.ovmf) vms.back()["ovmf"] = true;
    if (!v.dm_devices.empty()) {
      Json devs = Json::array();
      for (const DmDevice& d : v.dm_devices)
        devs.push_back(d.vbdf ? Json{{"kind", d.kind}, {"vbdf", d.vbdf->to_string()}} : Json(d.kind));
      vms.back()["dm_devices"] = devs;
    }
  }
  j["vms"] = vms;
  Json regions = Json::array();
  for (const auto& r : s.regions) {
    Json members = Json::array();
    for (const auto& m : r.members) members.push_back({{"vm", m.vm}, {"vbdf", m.vbdf.to_string()}});
    regions.push_back({{"name", r.name},
                       {"provider", to_string(r.provider)},
                       {"size_mib", r.size_mib},
                       {"region_id", r.region_id},
                       {"members", members}});
  }
  j["ivshmem"] = regions;
  Json workloads = Json::array();
  for (const auto& w : s.workloads) {
    Json roles = Json::object();
    for (const auto& [role, ref] : w.roles) roles[role] = {{"vm", ref.vm}, {"vcpu", ref.vcpu}};
    Json params = Json::object();
    for (const auto& [k, v] : w.params) params[k] = param_to_json(v);
    workloads.push_back(
        {{"name", w.name}, {"kind", w.kind}, {"region", w.region}, {"roles", roles}, {"params", params}});
    if (!w.script.empty()) workloads.back()["script"] = w.script;
    if (!w.note.empty()) workloads.back()["note"] = w.note;
  }
  j["workloads"] = workloads;
  j["run"] = {{"seed", s.run.seed},
              {"quantum_ns", s.run.quantum_ns},
              {"shared_pcpu_quantum_ns", s.run.shared_pcpu_quantum_ns},
              {"duration_us", s.run.duration_us},
              {"watchdog_ms", s.run.watchdog_ms}};
  const NoiseConfig& n = s.noise;
  j["noise"] = {{"guest_ticks", n.guest_ticks},   {"hv_ticks", n.hv_ticks},     {"service_vm", n.service_vm},
                {"dram_refresh", n.dram_refresh}, {"row_buffer", n.row_buffer}, {"contention", n.contention},
                {"poll_phase", n.poll_phase},     {"hv_console", n.hv_console}};
  if (n.service_vm)
    j["noise"]["service_vm_activity"] = {{"period_us", n.service_vm_period_us},
                                         {"lines_per_wake", n.service_vm_lines_per_wake},
                                         {"working_set_kib", n.service_vm_working_set_kib}};

  return j;
}

Json timing_profile_to_json(const TimingProfile& p) {
  Json entries = Json::object();
  for (const auto& e : p.entries) entries[e.name] = {{"value", e.value}, {"unit", e.unit}, {"source", e.source}};
  Json j = {{"name", p.name}, {"description", p.description}};
  if (!p.chosen_by.empty()) {
    // How the run came to this profile, and what it made of the board.
    j["chosen_by"] = p.chosen_by;
    j["why"] = p.why;
    j["cpu"] = p.cpu;
    j["frequency"] = {{"mhz", p.find("core_mhz")->value}, {"source", p.frequency_source}};
    Json types = Json::object();
    for (const auto& [type, pcpus] : p.pcpus_by_core_type) types[type] = pcpus;
    j["core_types"] = types;
  }
  j["entries"] = entries;
  return j;
}

Json build_report(Platform& platform, const TimingProfile& profile, const HostStats& host, const Json& run_end) {
  Json r;
  r["schema"] = kReportSchema;
  r["ivsim_version"] = IVSIM_VERSION;
  r["scenario"] = scenario_to_json(platform.scenario());
  r["timing_profile"] = timing_profile_to_json(profile);
  r["simulated_ns"] = ns(host.simulated_ps);
  if (!run_end.is_null()) r["run_end"] = run_end;

  Json workloads = Json::array();
  for (const auto& w : platform.workloads()) {
    Json j;
    j["name"] = w->config->name;
    j["kind"] = w->config->kind;
    j["status"] = w->status();
    if (const std::string reason = status_reason(*w); !reason.empty()) j["reason"] = reason;
    Json roles = Json::array();
    for (const auto& role : w->roles) {
      Json rj = {{"role", role.role},
                 {"vm", role.vcpu->config().vm},
                 {"vcpu", role.vcpu->config().index},
                 {"pcpu", role.vcpu->config().pcpu},
                 {"finished", role.vcpu->finished()}};
      if (!role.error.empty()) rj["error"] = role.error;
      if (!role.vcpu->finished() && role.error.empty()) rj["blocked_on"] = role.vcpu->waiting_on();
      roles.push_back(rj);
    }
    j["roles"] = roles;
    Json metrics = Json::array();
    for (const auto& m : w->metrics.metrics()) metrics.push_back(metric_to_json(*m));
    j["metrics"] = metrics;
    Json counters = Json::object();
    for (const auto& [k, v] : w->metrics.counters()) counters[k] = v;
    j["counters"] = counters;
    if (!w->metrics.values().empty()) {
      Json values = Json::object();
      for (const auto& [k, v] : w->metrics.values()) values[k] = {{"value", v.value}, {"unit", v.unit}};
      j["values"] = values;
    }
    if (!w->metrics.findings().empty()) {
      Json findings = Json::array();
      for (const auto& f : w->metrics.findings())
        findings.push_back({{"kind", f.kind}, {"name", f.name}, {"ok", f.ok}, {"detail", f.detail}});
      j["findings"] = findings;
    }
    workloads.push_back(j);
  }
  r["workloads"] = workloads;

  Json vms = Json::array();
  for (Vm* vm : platform.hypervisor().vms()) {
    Json exits = Json::object();
    for (std::size_t i = 0; i < kExitReasonCount; ++i)
      exits[exit_reason_name(static_cast<ExitReason>(i))] = vm->exits[i];
    // Only when the VM executed one: reports without one keep their shape.
    for (const ExitReason r : {ExitReason::wbinvd, ExitReason::invd, ExitReason::apic_access, ExitReason::apic_write,
                               ExitReason::ept_misconfig})
      if (vm->exits[static_cast<std::size_t>(r)] == 0) exits.erase(exit_reason_name(r));
    u64 loads = 0, stores = 0, tlb_misses = 0, walk_refs = 0, interrupts_taken = 0, interrupts_ignored = 0;
    for (Vcpu* v : platform.vcpus_of(vm->id)) {
      interrupts_ignored += v->counters().interrupts_ignored;
      interrupts_taken += v->counters().interrupts;
      loads += v->counters().loads;
      stores += v->counters().stores;
      tlb_misses += v->counters().tlb_misses;
      walk_refs += v->counters().walk_refs;
    }
    // HLT and other vCPU-local exits are counted by the vCPU.
    for (Vcpu* v : platform.vcpus_of(vm->id))
      for (std::size_t i = 0; i < kExitReasonCount; ++i) {
        const char* name = exit_reason_name(static_cast<ExitReason>(i));
        if (exits.contains(name)) exits[name] = exits[name].get<u64>() + v->counters().local_exits[i];
      }
    Json vcpus = Json::array();
    for (Vcpu* v : platform.vcpus_of(vm->id)) {
      vcpus.push_back({{"index", v->config().index},
                       {"pcpu", v->config().pcpu},
                       {"context_switches", v->sched_entity().context_switches},
                       {"runnable_ns", ns(v->sched_entity().runnable_wait_ps)}});
      if (v->config().offline) vcpus.back()["offline"] = true;  // only then: reports without one keep their shape
      if (v->counters().bus_locks) vcpus.back()["bus_locks"] = v->counters().bus_locks;  // likewise
      if (v->counters().console_kicks) vcpus.back()["console_kicks"] = v->counters().console_kicks;  // likewise
      if (v->counters().init_resets) {                                                               // likewise
        vcpus.back()["init_resets"] = v->counters().init_resets;
        vcpus.back()["sipi_starts"] = v->counters().sipi_starts;
      }
      if (v->counters().wbinvd_pauses) {                                                 // likewise
        vcpus.back()["wbinvd_pauses"] = v->counters().wbinvd_pauses;
        vcpus.back()["wbinvd_paused_ns"] = ns(v->counters().wbinvd_paused_ps);
      }
      if (v->counters().split_lock_pauses) {                                             // likewise
        vcpus.back()["split_lock_pauses"] = v->counters().split_lock_pauses;
        vcpus.back()["split_lock_paused_ns"] = ns(v->counters().split_lock_paused_ps);
      }
    }
    vms.push_back({{"id", vm->id},

                   {"name", vm->name},
                   {"exits", exits},
                   {"interrupts", platform.interrupts_received(vm->id)},
                   {"interrupts_ignored", interrupts_ignored},
                   {"interrupts_taken", interrupts_taken},
                   {"unhandled_mmio", vm->unhandled_mmio},
                   {"unhandled_pio", vm->unhandled_pio},
                   {"invept", vm->invept_count},
                   {"faults_injected", vm->faults_injected},
                   {"hypercalls", vm->hypercalls},
                   {"hypercalls_failed", vm->hypercalls_failed},
                   {"resets", vm->resets},
                   {"state", vm_state_name(vm->state)},
                   {"loads", loads},
                   {"stores", stores},
                   {"tlb_misses", tlb_misses},
                   {"walk_refs", walk_refs},
                   {"vcpus", vcpus}});
    // Interrupts the hypervisor refused or sent astray, only when there are
    // some: reports without any keep their shape.
    for (const auto& [key, n] : {std::pair<const char*, u64>{"ipis_dropped", vm->ipis_dropped},
                                 {"ipis_misrouted", vm->ipis_misrouted},
                                 {"msi_mode_dropped", vm->msi_mode_dropped},
                                 {"msi_init_signals", vm->msi_init_signals},
                                 {"msi_undeliverable", vm->msi_undeliverable},
                                 {"mmio_registrations_failed", vm->mmio_registrations_failed}})
      if (n) vms.back()[key] = n;
    // WBINVD's emulation, only when the VM executed one (likewise).
    if (vm->wbinvd_host || vm->wbinvd_own_memory)
      vms.back()["wbinvd"] = {{"physical", vm->wbinvd_host},
                              {"ept_walks", vm->wbinvd_own_memory},
                              {"flushed_bytes", vm->wbinvd_flushed_bytes},
                              {"lines_invalidated", vm->wbinvd_lines_invalidated},
                              {"lines_written_back", vm->wbinvd_lines_written_back},
                              {"flush_ns", ns(vm->wbinvd_ps)}};
  }
  r["vms"] = vms;

  Json regions = Json::array();
  if (const IvshmemRegionPool* pool = platform.hypervisor().ivshmem_pool()) {
    for (const IvshmemRegion& reg : pool->regions()) {
      Json members = Json::array();
      for (const auto& dev : platform.hypervisor().ivshmem_devices()) {
        if (&dev->region() != &reg) continue;
        members.push_back({{"vm", dev->vm().id},
                           {"vbdf", dev->bdf().to_string()},
                           {"bar2_gpa", fmt::format("{:#x}", dev->shm_gpa())}});
      }
      Json dropped = Json::object();
      for (const auto& [reason, n] : reg.doorbells.dropped) dropped[reason] = n;
      regions.push_back(
          {{"name", reg.name},
           {"provider", "Hypervisor"},
           {"size", reg.size},
           {"region_id", reg.region_id},
           {"hpa", fmt::format("{:#x}", reg.hpa)},
           {"members", members},
           {"doorbells",
            {{"sent", reg.doorbells.sent}, {"delivered", reg.doorbells.delivered}, {"dropped", dropped}}}});
    }
  }
  // dm-land regions: the Service VM's shm objects, by name.
  if (const ShmNamespace* shm = platform.shm_namespace()) {
    for (const auto& [name, obj] : shm->objects()) {
      Json members = Json::array();
      u64 doorbell_writes = 0;
      for (const auto& dm : platform.device_models()) {
        for (const auto& dev : dm->devices()) {
          if (&dev->shm() != &obj) continue;
          doorbell_writes += dev->registers().doorbell_writes();
          members.push_back({{"vm", dm->vm().id},
                             {"vbdf", dev->bdf().to_string()},
                             {"bar2_gpa", fmt::format("{:#x}", dev->memseg_gpa())}});
        }
      }
      Json dropped = Json::object();
      if (doorbell_writes) dropped["dm_land_has_no_doorbell"] = doorbell_writes;
      u16 region_id = 0;
      for (const auto& rc : platform.scenario().regions)
        if (rc.provider == Provider::device_model && rc.name == name) region_id = rc.region_id;
      regions.push_back({{"name", "dm:/" + name},
                         {"provider", "Device Model"},
                         {"size", obj.size},
                         {"region_id", region_id},
                         {"hpa", fmt::format("{:#x}", obj.hpa)},
                         {"members", members},
                         {"doorbells", {{"sent", doorbell_writes}, {"delivered", 0}, {"dropped", dropped}}}});
    }
  }
  r["regions"] = regions;
  r["memory"] = memory_to_json(platform.directory());

  // What ACRN's mechanisms refused: counts by reason, and the first events.
  const Hypervisor& hv = platform.hypervisor();
  Json counts = Json::object();
  for (const auto& [reason, n] : hv.isolation_counts()) counts[reason] = n;
  Json events = Json::array();
  for (const auto& e : hv.isolation_events())
    events.push_back({{"vm", e.vm}, {"target", e.target}, {"reason", e.reason}});
  r["isolation"] = {{"counts", counts}, {"events", events}};
  // A debug build's log lines on the serial console (models/hv/hv_log.h):
  // only when it wrote one, so a report without them keeps its shape.
  if (const HvLog& log = hv.console_log(); log.lines() != 0) {
    Json first = Json::array();
    for (const std::string& l : log.first_lines()) first.push_back(l);
    r["hv_console_log"] = {{"lines", log.lines()}, {"busy_ns", ns(log.busy_ps())}, {"first", first}};
  }
  Json launch = Json::array();
  for (const auto& e : platform.launch_errors()) launch.push_back(e);
  if (!launch.empty()) r["launch_errors"] = launch;

  const double sim_s = static_cast<double>(host.simulated_ps) * 1e-12;
  r["host"] = {{"wall_seconds", host.wall_seconds},
               {"simulated_ns", ns(host.simulated_ps)},
               {"wall_per_simulated", sim_s > 0 ? host.wall_seconds / sim_s : 0.0},
               {"simulated_accesses", host.accesses},
               {"simulated_accesses_per_second",
                host.wall_seconds > 0 ? static_cast<double>(host.accesses) / host.wall_seconds : 0.0},
               {"kernel_synchronisations", host.synchronisations},
               {"synchronisations_skipped", host.synchronisations_skipped},
               {"polls_woken_early", host.polls_woken_early}};
  return r;
}

}  // namespace ivsim
