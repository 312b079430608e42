#include "workloads/workload_kind.h"

#include "workloads/measurements.h"
#include "workloads/pingpong.h"
#include "workloads/walk_refs.h"

namespace ivsim {

namespace {

ParamValue integer(long long v) { return ParamValue::integer(v); }
ParamValue string(const char* v) { return ParamValue::text(v); }

std::vector<WorkloadKind> make_kinds() {
  std::vector<WorkloadKind> kinds;

  WorkloadKind pingpong;
  pingpong.name = "pingpong";
  pingpong.doc =
      "Request/response through one region: the initiator writes a message and a sequence flag, the responder "
      "polls the flag, reads the message, computes, writes a response and its flag; the initiator polls for it. "
      "Records the round trip seen by the initiator.";
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
       65536,
       "bytes",
       "command and response payload size (multiple of 8)",
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
       "how each side learns the other wrote: poll (spin on the flag) or doorbell (MSI-X through the hv-land "
       "doorbell, the receiver halted until its interrupt)",
       {"poll", "doorbell"}},
  };
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
