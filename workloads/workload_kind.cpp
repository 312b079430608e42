#include "workloads/workload_kind.h"

#include <cstdio>

#include "workloads/measurements.h"
#include "workloads/pingpong.h"
#include "workloads/walk_refs.h"

namespace ivsim {

namespace {

ParamValue integer(long long v) { return ParamValue::integer(v); }
ParamValue string(const char* v) { return ParamValue::text(v); }

// --- placement checks: what each program needs of where it runs -----------

std::string size_text(u64 bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
  return buf;
}

u64 param(const WorkloadPlacement& w, const char* name) { return static_cast<u64>(w.config->params.at(name).i); }

// A tool's data at [kScratchOffset, kScratchOffset + bytes) into its role's VM's RAM.
std::optional<PlacementProblem> scratch_fits(const WorkloadPlacement& w, const std::string& role, u64 bytes,
                                             const std::string& field, const std::string& what) {
  const RolePlacement& r = w.roles.at(role);
  if (kScratchOffset + bytes <= r.scratch_end) return std::nullopt;
  return PlacementProblem{field, what + " needs the VM's RAM from " + size_text(kScratchOffset) + " up to " +
                                     size_text(kScratchOffset + bytes) + " into it, but VM \"" + r.vm->name +
                                     "\" has room for a tool's data only up to " + size_text(r.scratch_end) +
                                     " (its RAM below 4 GiB, less its page tables at the top)"};
}

// Two roles that share a line in guest RAM run in one VM.
std::optional<PlacementProblem> one_vm(const WorkloadPlacement& w, const char* a, const char* b, const char* why) {
  const VmConfig* va = w.roles.at(a).vm;
  const VmConfig* vb = w.roles.at(b).vm;
  if (va == vb) return std::nullopt;
  return PlacementProblem{std::string("roles.") + b + ".vm", std::string(why) + ": " + b + " runs in VM \"" + vb->name +
                                                                 "\", " + a + " in \"" + va->name + "\""};
}

// notify: timer is the timerfd polling mode of a Linux guest's UIO program;
// doorbell needs MSI-X, which a dm-land device lacks.
std::optional<PlacementProblem> check_notify(const WorkloadPlacement& w) {
  const auto it = w.config->params.find("notify");
  if (it == w.config->params.end()) return std::nullopt;
  if (it->second.s == "doorbell" && w.region && w.region->provider == Provider::device_model)
    return PlacementProblem{"params.notify",
                            "doorbell needs the device's MSI-X, which a Device Model (dm-land) region's device does "
                            "not have; use notify: poll, or a Hypervisor region"};
  if (it->second.s == "timer")
    for (const auto& [role, r] : w.roles)
      if (r.vm->os != "linux-uio")
        return PlacementProblem{"params.notify", "timer is the timerfd polling mode of a linux-uio guest, but role " +
                                                     role + " runs in VM \"" + r.vm->name + "\" whose os is " +
                                                     r.vm->os + "; set its os: linux-uio"};
  return std::nullopt;
}

std::optional<PlacementProblem> check_pingpong(const WorkloadPlacement& w) {
  const u64 bytes = param(w, "message_bytes");
  if (bytes % 8 != 0)
    return PlacementProblem{"params.message_bytes", "must be a multiple of 8 bytes, got " + std::to_string(bytes)};
  if (pingpong_region_bytes(bytes) > w.region->size_mib * kMiB)
    return PlacementProblem{"params.message_bytes",
                            "the flags and the message take " + size_text(pingpong_region_bytes(bytes)) +
                                ", more than region " + w.region->name + "'s " + size_text(w.region->size_mib * kMiB)};
  if (w.config->params.at("notify").s == "doorbell" && w.region->provider == Provider::device_model)
    return PlacementProblem{"params.notify",
                            "doorbell needs the device's MSI-X, which a Device Model (dm-land) region's device does "
                            "not have; use notify: poll, or a Hypervisor region"};
  return check_notify(w);
}

std::optional<PlacementProblem> check_c2c(const WorkloadPlacement& w) {
  if (w.region) return std::nullopt;
  if (auto p = one_vm(w, "ping", "pong", "without a region the line is in guest RAM, so both roles run in one VM"))
    return p;
  return scratch_fits(w, "ping", kCacheLineBytes, "roles.ping.vm", "the bounced line");
}

std::optional<PlacementProblem> check_ipi(const WorkloadPlacement& w) {
  return one_vm(w, "ping", "pong", "a virtual IPI goes to a vCPU of the sender's VM, so both roles run in one VM");
}

std::optional<PlacementProblem> check_pointer_chase(const WorkloadPlacement& w) {
  return scratch_fits(w, "chaser", param(w, "working_set_bytes"), "params.working_set_bytes", "the chain");
}

std::optional<PlacementProblem> check_memcpy(const WorkloadPlacement& w) {
  const u64 bytes = param(w, "bytes");
  // The source from kScratchOffset, the destination from the next 2 MiB boundary (memcpy_bandwidth.cpp).
  return scratch_fits(w, "copier", round_up(bytes, kPageSize2M) + bytes, "params.bytes",
                      "a copy of " + size_text(bytes) + " (source and destination)");
}

std::optional<PlacementProblem> check_vmexit(const WorkloadPlacement& w) {
  if (w.config->params.at("exit").s == "mmio" && !w.region)
    return PlacementProblem{"params.exit",
                            "exit: mmio reads a register of the region's IVSHMEM device: name the workload's region"};
  return std::nullopt;
}

std::optional<PlacementProblem> check_walk_refs(const WorkloadPlacement& w) {
  const RolePlacement& r = w.roles.at("walker");
  const u64 base = param(w, "base_mib") * kMiB, bytes = param(w, "working_set_mib") * kMiB;
  if (base + bytes <= r.ram_end) return std::nullopt;
  return PlacementProblem{base >= r.ram_end ? "params.base_mib" : "params.working_set_mib",
                          "the loads cover the VM's RAM from " + size_text(base) + " up to " + size_text(base + bytes) +
                              " into it, but VM \"" + r.vm->name + "\" has RAM mapped only up to " +
                              size_text(r.ram_end) + " (its RAM below 4 GiB)"};
}

std::vector<WorkloadKind> make_kinds() {
  std::vector<WorkloadKind> kinds;

  WorkloadKind pingpong;
  pingpong.name = "pingpong";
  pingpong.doc =
      "Request/response through one region: the initiator writes a message and a sequence flag, the responder "
      "polls the flag, reads the message, computes, writes a response and its flag; the initiator polls for it. "
      "Records the round trip seen by the initiator and each direction's one-way latency.";
  pingpong.roles = {
      {"initiator", "writes the command and waits for the response", &pingpong_initiator},
      {"responder", "polls for the command and answers it", &pingpong_responder},
  };
  pingpong.params = {
      {"iterations", ParamValue::Type::integer, integer(10000), 1, 100000000, "round trips", "round trips to run", {}},
      {"message_bytes",
       ParamValue::Type::integer,
       integer(64),
       8,
       512LL << 20,
       "bytes",
       "command and response payload size (multiple of 8), up to the region's size less its 256-byte header; the "
       "response overwrites the command in place",
       {}},
      {"response_compute_cycles",
       ParamValue::Type::integer,
       integer(0),
       0,
       1000000000,
       "cycles",
       "work the responder does per command, in its core's cycles",
       {}},
      {"warmup",
       ParamValue::Type::integer,
       integer(10),
       0,
       1000000,
       "round trips",
       "round trips run before recording starts (cold caches, first-touch pages)",
       {}},
      {"notify",
       ParamValue::Type::string,
       string("poll"),
       0,
       0,
       "",
       "how each side learns the other wrote: poll (spin on the flag), doorbell (MSI-X through the hv-land "
       "doorbell and the guest OS's driver path, the receiver blocked until its interrupt) or timer (a linux-uio "
       "guest's timerfd checks the region every uio_timerfd_period)",
       {"poll", "doorbell", "timer"}},
  };
  pingpong.check = &check_pingpong;
  kinds.push_back(std::move(pingpong));

  WorkloadKind walk_refs;
  walk_refs.name = "walk_refs";
  walk_refs.doc =
      "Random 8-byte loads over a working set of the walker's own guest RAM (the region is not used): counts dTLB "
      "misses, STLB hits, page walks and walk references, so walk_refs / walks is the average number of memory "
      "references per walk for the VM's guest and EPT page sizes. Records each load's latency.";
  walk_refs.roles = {{"walker", "loads from random addresses of the working set", &walk_refs_walker}};
  walk_refs.params = {
      {"working_set_mib",
       ParamValue::Type::integer,
       integer(256),
       1,
       1 << 20,
       "MiB",
       "bytes the loads spread over",
       {}},
      {"base_mib",
       ParamValue::Type::integer,
       integer(0),
       0,
       1 << 20,
       "MiB",
       "where the working set starts in guest RAM (its guest-virtual = guest-physical address)",
       {}},
      {"accesses", ParamValue::Type::integer, integer(100000), 1, 100000000, "loads", "loads counted", {}},
      {"warmup",
       ParamValue::Type::integer,
       integer(10000),
       0,
       100000000,
       "loads",
       "loads run before counting starts (cold TLBs and caches)",
       {}},
      {"seed", ParamValue::Type::integer, integer(1), 0, 1LL << 62, "", "start of the address sequence", {}},
  };
  walk_refs.needs_region = false;
  walk_refs.check = &check_walk_refs;
  kinds.push_back(std::move(walk_refs));

  auto iterations = [](long long def, const char* unit) {
    return ParamSpec{"iterations", ParamValue::Type::integer, integer(def), 1, 100000000, unit, "measurements", {}};
  };
  const ParamSpec warmup{"warmup", ParamValue::Type::integer, integer(10), 0, 1000000,
                         "rounds", "rounds not recorded",     {}};

  WorkloadKind c2c;
  c2c.name = "c2c_pingpong";
  c2c.doc =
      "One cache line bounced between two vCPUs (like core-to-core-latency); round trip = 2 x one-way. "
      "Without a region, both roles must be vCPUs of one VM and the line is in its RAM.";
  c2c.roles = {{"ping", "writes odd values, waits for the even answer", &c2c_ping},
               {"pong", "answers each odd value with the next even one", &c2c_pong}};
  c2c.params = {iterations(10000, "round trips"), warmup};
  c2c.needs_region = false;
  c2c.check = &check_c2c;
  kinds.push_back(std::move(c2c));

  WorkloadKind chase;
  chase.name = "pointer_chase";
  chase.doc = "Dependent loads over a random cycle of cache lines in guest RAM (like Intel MLC idle latency).";
  chase.roles = {{"chaser", "builds the chain, warms it, then times each load", &pointer_chase}};
  chase.params = {{"working_set_bytes",
                   ParamValue::Type::integer,
                   integer(1 << 20),
                   4096,
                   4LL << 30,
                   "bytes",
                   "bytes of guest RAM the chain covers",
                   {}},
                  iterations(100000, "loads"),
                  {"seed", ParamValue::Type::integer, integer(1), 0, 1e18, "", "chain order", {}}};
  chase.needs_region = false;
  chase.check = &check_pointer_chase;
  kinds.push_back(std::move(chase));

  WorkloadKind vmexit;
  vmexit.name = "vmexit";
  vmexit.doc =
      "VM-exit round trips (like kvm-unit-tests x86/vmexit): a null hypercall, a port read of 0xCF8, or "
      "an MMIO read of the region device's IVPosition (in the hypervisor for hv-land, in the Service VM's "
      "device model for dm-land).";
  vmexit.roles = {{"guest", "exits in a loop", &vmexit_test}};
  vmexit.params = {
      {"exit", ParamValue::Type::string, string("hypercall"), 0, 0, "", "which exit", {"hypercall", "pio", "mmio"}},
      iterations(10000, "exits")};
  vmexit.needs_region = false;
  vmexit.check = &check_vmexit;
  kinds.push_back(std::move(vmexit));

  WorkloadKind ipi;
  ipi.name = "ipi_pingpong";
  ipi.doc =
      "A virtual IPI (x2APIC ICR write) there and back between two vCPUs of one VM, each halted until its "
      "interrupt; round trip = 2 x send->handled.";
  ipi.roles = {{"ping", "sends and waits for the answer", &ipi_ping},
               {"pong", "answers from its interrupt handler", &ipi_pong}};
  ipi.params = {iterations(10000, "round trips"), warmup};
  ipi.needs_region = false;
  ipi.check = &check_ipi;
  kinds.push_back(std::move(ipi));

  WorkloadKind timer;
  timer.name = "timer";
  timer.doc = "The TSC-deadline timer armed to expire at once, until its handler runs (tscdeadline_immed).";
  timer.roles = {{"guest", "arms and waits", &timer_test}};
  timer.params = {iterations(10000, "timer interrupts")};
  timer.needs_region = false;
  kinds.push_back(std::move(timer));

  WorkloadKind copy;
  copy.name = "memcpy_bandwidth";
  copy.doc = "A single-core copy of a buffer in guest RAM; bandwidth = bytes / copy time.";
  copy.roles = {{"copier", "copies in 64 KiB chunks", &memcpy_bandwidth}};
  copy.params = {{"bytes", ParamValue::Type::integer, integer(64 << 20), 4096, 1LL << 32, "bytes", "buffer size", {}},
                 iterations(3, "copies")};
  copy.needs_region = false;
  copy.check = &check_memcpy;
  kinds.push_back(std::move(copy));

  return kinds;
}

}  // namespace

const std::vector<WorkloadKind>& workload_kinds() {
  static const std::vector<WorkloadKind> kinds = make_kinds();
  return kinds;
}

const WorkloadKind* find_workload_kind(const std::string& name) {
  for (const auto& k : workload_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace ivsim
